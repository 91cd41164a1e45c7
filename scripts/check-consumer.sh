#!/usr/bin/env bash
# Checks that Vigil's library products work for another package that depends on Vigil by version:
#   1. a temporary bare git repository of the committed tree (HEAD; uncommitted changes are not in it),
#      tagged $VERSION;
#   2. a consumer package in a temporary folder that depends on it `from: "$VERSION"` and imports
#      VigilHash, VigilIndex, VigilMedia and VigilPipeline: it writes a benign gradient image as a PNG,
#      hashes it, searches an index for it and checks a typed error's code;
#   3. `swift build` (debug) and a run of the consumer.
# SwiftPM refuses, among other things, `unsafeFlags` in a dependency resolved by version, which this
# catches. It builds everything from scratch (Vigil's dependencies, and the OpenAPI generator plugin's
# tools, which SwiftPM builds for VigilAPI although the consumer does not use it): about 13-17 minutes
# on a loaded 2-core machine, so it is `make consumer-check`, not part of .ci/run. Vigil's own
# dependencies resolve as usual (here, git reads github.com from local mirrors).
#
#   scripts/check-consumer.sh            # prints the consumer's output and the time taken
#   KEEP=1 scripts/check-consumer.sh     # keep the temporary folder (its path is printed)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VERSION="${VERSION:-0.0.1-ci}"
SWIFT="${SWIFT:-swift}"
start=$SECONDS
say() { echo "[check-consumer] $*" >&2; }
work="$(mktemp -d "${TMPDIR:-/tmp}/vigil-consumer.XXXXXX")"
if [ "${KEEP:-0}" = 1 ]; then
  say "keeping $work"
else
  trap 'rm -rf "$work"' EXIT
fi

commit="$(git -C "$ROOT" rev-parse HEAD)"
if [ -n "$(git -C "$ROOT" status --porcelain --untracked-files=no)" ]; then
  say "note: uncommitted changes are not checked; the consumer gets commit $commit"
fi
git init --quiet --bare "$work/Vigil.git"
git -C "$work/Vigil.git" fetch --quiet --no-tags "$ROOT" "$commit"
git -C "$work/Vigil.git" update-ref refs/heads/main "$commit"
git -C "$work/Vigil.git" symbolic-ref HEAD refs/heads/main
git -C "$work/Vigil.git" tag "$VERSION" "$commit"
say "bare repository of $commit tagged $VERSION"

consumer="$work/Consumer"
mkdir -p "$consumer/Sources/Consumer"
cat > "$consumer/Package.swift" <<SWIFT
// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Consumer",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(url: "file://$work/Vigil.git", from: "$VERSION"),
    ],
    targets: [
        .executableTarget(
            name: "Consumer",
            dependencies: [
                .product(name: "VigilHash", package: "Vigil"),
                .product(name: "VigilIndex", package: "Vigil"),
                .product(name: "VigilMedia", package: "Vigil"),
                .product(name: "VigilPipeline", package: "Vigil"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
SWIFT

cat > "$consumer/Sources/Consumer/main.swift" <<'SWIFT'
// A package that uses Vigil's library products the way another project would.
import VigilHash
import VigilIndex
import VigilMedia
import VigilPipeline

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

func check(_ condition: Bool, _ message: String) {
    if !condition {
        print("FAILED: \(message)")
        exit(1)
    }
}

// A benign 96x64 RGB gradient.
let width = 96
let height = 64
var pixels = [UInt8]()
for y in 0..<height {
    for x in 0..<width {
        pixels += [UInt8(x * 255 / (width - 1)), UInt8(y * 255 / (height - 1)), UInt8((x + y) * 255 / (width + height - 2))]
    }
}

// A PNG of it, with stored (uncompressed) deflate blocks: enough for any decoder.
func crc32(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return ~crc
}
func bigEndian(_ value: UInt32) -> [UInt8] { [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: value >> $0) } }
func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
    let body = Array(type.utf8) + data
    return bigEndian(UInt32(data.count)) + body + bigEndian(crc32(body))
}
var raw = [UInt8]()
for y in 0..<height { raw += [0] + pixels[(y * width * 3)..<((y + 1) * width * 3)] }
var zlib: [UInt8] = [0x78, 0x01]
var offset = 0
while offset < raw.count {
    let length = min(65_535, raw.count - offset)
    let last: UInt8 = offset + length == raw.count ? 1 : 0
    zlib += [last, UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8((~length >> 8) & 0xFF)]
    zlib += raw[offset..<(offset + length)]
    offset += length
}
var a: UInt32 = 1
var b: UInt32 = 0
for byte in raw {
    a = (a + UInt32(byte)) % 65_521
    b = (b + a) % 65_521
}
zlib += bigEndian(b << 16 | a)
let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    + chunk("IHDR", bigEndian(UInt32(width)) + bigEndian(UInt32(height)) + [8, 2, 0, 0, 0])
    + chunk("IDAT", zlib) + chunk("IEND", [])

// VigilMedia: decode it.
let image = try ImageDecoder().decode(png)
check(image.format == .png && image.width == width && image.height == height, "decoded \(image.format) \(image.width)x\(image.height)")
check(image.pixels == pixels, "the decoded pixels differ from the written ones")

// VigilPipeline: hash the file's bytes (PDQ and digests); VigilHash: the same from the pixels.
let result = try MediaHasher().hash(bytes: png)
let direct = try PDQHasher().hash(pixels: pixels, width: width, height: height, channels: 3)
check(result.pdq.hash == direct.hash, "pipeline \(result.pdq.hash.hex) != hasher \(direct.hash.hex)")
check(PDQHash(hex: result.pdq.hash.hex) == result.pdq.hash, "hex round trip")
check(result.digests?.sha256.count == 64, "sha256")
print("pdq \(result.pdq.hash.hex) quality \(result.pdq.quality) sha256 \(result.digests?.sha256 ?? "-")")

// VigilIndex: the hash among 10,000 seeded random ones, found at distance 0 (and a 3-bit neighbour).
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
var random = SplitMix64(state: 42)
var hashes = (0..<10_000).map { _ in SIMD4(random.next(), random.next(), random.next(), random.next()) }
hashes[1234] = result.pdq.hash.words
let index = try HammingIndex(hashes: hashes, ids: (0..<10_000).map { UInt64($0) }, tuning: .speed)
let query = result.pdq.hash.flipping(bits: [1, 100, 200]).words
let found = try index.search(query, radius: 31)
check(found.first == IndexMatch(id: 1234, distance: 3), "index found \(found)")
print("index: \(found.count) match(es), nearest id \(found[0].id) at distance \(found[0].distance)")

// Typed errors with stable codes.
do {
    _ = try ImageDecoder().decode(Array("not an image".utf8))
    check(false, "text decoded")
} catch {
    check(error.code == .unrecognisedFormat && error.code.rawValue == "unrecognised_format", "code \(error.code)")
}
do {
    _ = try index.search(query, radius: 300)
    check(false, "radius 300 accepted")
} catch {
    check(error.code == .radiusOutOfRange, "code \(error.code)")
}
print("consumer OK")
SWIFT

say "swift build (debug) in $consumer"
build_start=$SECONDS
"$SWIFT" build --package-path "$consumer" 2>&1 | grep -E "error|warning: |Compiling Consumer|Build complete" >&2 || true
[ -x "$consumer/.build/debug/Consumer" ] || { say "the consumer did not build"; "$SWIFT" build --package-path "$consumer" >&2; exit 1; }
say "built in $((SECONDS - build_start)) s"
"$consumer/.build/debug/Consumer"
say "passed in $((SECONDS - start)) s"
