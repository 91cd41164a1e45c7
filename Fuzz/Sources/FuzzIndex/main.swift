import FuzzDriver

// The checksums are internal: the harness recomputes them so that mutated files get past the
// checksum check to the structural checks behind it (the fuzz build is a debug build, which is testable).
@testable import VigilIndex

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where this process writes each input before loading it (one file per fuzzing process).
enum Scratch {
    static let path = "/tmp/vigil-fuzz-index-\(getpid()).idx"
}

/// Seeds for the corpus: with VIGIL_FUZZ_INDEX_SEEDS=DIR set, writes small valid snapshots of every
/// layout (linear scan, multi-index, candidate filters, list tags) into DIR before fuzzing starts.
@_cdecl("LLVMFuzzerInitialize")
public func fuzzIndexInitialize(
    _ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?
) -> CInt {
    guard let directory = getenv("VIGIL_FUZZ_INDEX_SEEDS").map({ String(cString: $0) }) else { return 0 }
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return state
    }
    let hashes = (0..<24).map { _ in SIMD4<UInt64>(next(), next(), next(), next()) }
    let ids = (0..<24).map { UInt64($0) }
    let lists = (0..<24).map { UInt16($0 % 3) }
    let layouts: [(String, IndexConfiguration, IndexTuning, Bool)] = [
        ("linear", .linearScan, .compact, false),
        ("multi16", .multiIndex(substrings: 16), .compact, false),
        ("multi16-speed", .multiIndex(substrings: 16), .speed, false),
        ("multi11-lists", .multiIndex(substrings: 11), .compact, true),
        ("auto-speed-lists", .automatic, .speed, true),
    ]
    for (name, configuration, tuning, withLists) in layouts {
        for count in [1, 5, 24] {
            let index = try? HammingIndex(
                hashes: Array(hashes.prefix(count)), ids: Array(ids.prefix(count)),
                lists: withLists ? Array(lists.prefix(count)) : nil, configuration: configuration, tuning: tuning)
            try? index?.write(toFile: "\(directory)/\(name)-\(count).idx")
        }
    }
    return 0
}

/// libFuzzer's entry point: loads one input as an index snapshot file, as `vigil serve` does, and
/// again with its size field and checksums made right; whatever loads must answer queries.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIndex(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    load(bytes)
    if bytes.count >= IndexHeader.size {
        bytes.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: UInt64(raw.count), toByteOffset: 32, as: UInt64.self)
            let payload = UnsafeRawBufferPointer(rebasing: raw[IndexHeader.size...])
            raw.storeBytes(of: Checksum.of(payload), toByteOffset: 40, as: UInt64.self)
            raw.storeBytes(of: Checksum.of(UnsafeRawBufferPointer(rebasing: raw[0..<48])), toByteOffset: 48, as: UInt64.self)
        }
        load(bytes)
    }
    return 0
}

/// Writes `bytes` to the scratch file, loads it, and queries what loaded.
func load(_ bytes: [UInt8]) {
    let fd = open(Scratch.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    precondition(fd >= 0, "cannot write \(Scratch.path)")
    let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    close(fd)
    precondition(written == bytes.count, "short write to \(Scratch.path)")
    let index: HammingIndex
    do {
        index = try HammingIndex.load(fromFile: Scratch.path)
    } catch {
        precondition(!error.message.isEmpty, "an index error without a message")
        return
    }
    // Queries drawn from the file's own bytes, at small, default and full radius.
    var query = SIMD4<UInt64>.zero
    for (k, byte) in bytes.suffix(32).enumerated() { query[k / 8] |= UInt64(byte) << UInt64(8 * (k % 8)) }
    for radius in [0, 8, HammingIndex.defaultRadius, 256] {
        guard let matches = try? index.search(query, radius: radius) else { preconditionFailure("search refused radius \(radius)") }
        precondition(matches.count <= index.count, "more matches than entries")
        precondition(matches.allSatisfy { $0.distance <= radius }, "a match beyond the radius")
    }
    let lists: Set<UInt16>? = index.hasLists ? [0, 2] : nil
    precondition((try? index.nearest(query, k: 3, lists: lists)) != nil, "nearest failed")
    _ = try? index.search(variants: [query, ~query], radius: 40, lists: lists)
}

runLibFuzzer(fuzzIndex)
