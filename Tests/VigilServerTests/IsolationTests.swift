import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import VigilDomain
import VigilMedia
import VigilStore
import VigilTestSupport

@testable import VigilServer

/// What a hostile or merely heavy client can make the node do: hashing runs on a bounded pool of
/// its own, decompression bombs are refused before decoding, one body limit holds on every route,
/// and HMA's multipart reader is linear in the body whatever the boundary.
@Suite("Isolation")
struct IsolationTests {
    static let photo = "reference/images/pdq-data/bridge-mods/aaa-orig.jpg"

    // MARK: The hashing pool

    /// With one thread and one place in the queue, a third image is refused at once (503,
    /// `hashing_busy`, `Retry-After: 1`) on the `/v1` and HMA routes, while lookups are answered;
    /// once the thread is free the queued image is hashed and new ones are accepted.
    @Test(.timeLimit(.minutes(1))) func aFullPoolRefusesAtOnceAndLookupsGoOn() async throws {
        let node = try await TestNode.make()
        let pool = HashingPool(limits: HashingLimits(threads: 1, queue: 1))
        let app = buildApplication(node: node.node, hashing: pool)
        let photo = try TestNode.fixture(Self.photo)

        // The test's hook holds the only thread until it is released (no sleeping).
        let release = DispatchSemaphore(value: 0)
        let (started, startedSink) = AsyncStream.makeStream(of: Void.self)
        let blocker = Task {
            try await pool.run {
                startedSink.yield()
                release.wait()
            }
        }
        var startedIterator = started.makeAsyncIterator()
        await startedIterator.next()
        #expect(pool.load == 1)

        try await app.test(.router) { client in
            // The second image takes the place in the queue and waits there.
            let queued = Task {
                try await client.execute(uri: "/v1/hash", method: .post, headers: node.headers(.hash, json: false), body: photo) { $0.status }
            }
            while pool.load < 2 { await Task.yield() }

            try await client.execute(uri: "/v1/hash", method: .post, headers: node.headers(.hash, json: false), body: photo) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.errorCode == "hashing_busy")
                #expect(response.headers[.retryAfter] == "1")
            }
            var hma = node.headers(.hash, json: false)
            hma[.contentType] = "multipart/form-data; boundary=\(HMACompatibilityTests.boundary)"
            let form = HMACompatibilityTests.multipart([("photo", "a.jpg", Array(photo.readableBytesView))])
            try await client.execute(uri: "/h/hash", method: .post, headers: hma, body: form) { response in
                #expect(response.status == .serviceUnavailable)
                #expect((response.json["message"] as? String)?.contains("retry in a second") == true)
                #expect(response.headers[.retryAfter] == "1")
            }
            // Lookups do not wait for the pool.
            let lookup = jsonBody(["type": "pdq", "value": bridgeHash])
            try await client.execute(uri: "/v1/match/hash", method: .post, headers: node.headers(.match), body: lookup) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/health", method: .get) { #expect($0.status == .ok) }

            release.signal()
            try await blocker.value
            #expect(try await queued.value == .ok)
            try await client.execute(uri: "/v1/hash", method: .post, headers: node.headers(.hash, json: false), body: photo) { response in
                #expect(response.status == .ok)
            }
        }
        #expect(pool.load == 0)
        try await pool.shutdown()
    }

    // MARK: Decompression bombs

    /// A PNG of 67 bytes that declares 10,000 × 10,000 pixels (IHDR with a valid CRC, a tiny IDAT).
    static func pngBomb() -> [UInt8] {
        func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
            let typed = Array(type.utf8) + data
            return bigEndian(UInt32(data.count)) + typed + bigEndian(crc32(typed))
        }
        let header = bigEndian(10_000) + bigEndian(10_000) + [1, 0, 0, 0, 0]  // 1-bit grey
        let idat: [UInt8] = [0x78, 0x9C, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01]
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", header) + chunk("IDAT", idat) + chunk("IEND", [])
    }

    /// A lossless WebP of 38 bytes that declares 10,000 × 10,000 pixels.
    static func webPBomb() -> [UInt8] {
        let bits = UInt32(10_000 - 1) | UInt32(10_000 - 1) << 14
        let payload: [UInt8] = [0x2F] + littleEndian(bits) + [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        let chunk = Array("VP8L".utf8) + littleEndian(UInt32(payload.count)) + payload
        return Array("RIFF".utf8) + littleEndian(UInt32(4 + chunk.count)) + Array("WEBP".utf8) + chunk
    }

    @Test func headersDeclareTheSizesTheFixturesHave() throws {
        let folder = TestPaths.fixtures.appendingPathComponent("generated")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { !$0.hasSuffix(".txt") && !$0.hasSuffix(".tsv") }
        #expect(names.count > 60)
        let check = DecompressionBombCheck(maxPixelsPerByte: ServerSettings().maxPixelsPerInputByte)
        for name in names {
            // Names carry the size: 036-png-rgb-300x200-shapes.png.
            let size = try #require(name.split(separator: "-").first { $0.contains("x") && $0.allSatisfy { $0.isNumber || $0 == "x" } })
            let parts = size.split(separator: "x").compactMap { Int($0) }
            let bytes = try TestPaths.fixtureBytes("generated/" + name)
            #expect(DeclaredImageSize(bytes) == DeclaredImageSize(width: parts[0], height: parts[1]), "\(name)")
            #expect(throws: Never.self, "\(name)") { try check.check(bytes) }
        }
        #expect(DeclaredImageSize(Self.pngBomb()) == DeclaredImageSize(width: 10_000, height: 10_000))
        #expect(DeclaredImageSize(Self.webPBomb()) == DeclaredImageSize(width: 10_000, height: 10_000))
        #expect(DeclaredImageSize(Array("not an image".utf8)) == nil)
        #expect(DeclaredImageSize([0xFF, 0xD8, 0xFF]) == nil)
    }

    /// Refused as `decompression_bomb` before decoding, even on a node whose pixel limit would let
    /// 100 MP through (the old default).
    @Test func tinyFilesDeclaringHugeImagesAreRefusedBeforeDecoding() async throws {
        var settings = ServerSettings(maxBodyBytes: 1 << 20)
        settings.decodeLimits.maxPixels = 100_000_000
        let node = try await TestNode.make(settings: settings)
        #expect(Self.webPBomb().count == 38)
        try await node.application.test(.router) { client in
            // A real photo is not.
            try await client.execute(
                uri: "/v1/hash", method: .post, headers: node.headers(.hash, json: false), body: try TestNode.fixture(Self.photo)
            ) {
                #expect($0.status == .ok)
            }
            for bomb in [Self.pngBomb(), Self.webPBomb()] {
                try await client.execute(uri: "/v1/hash", method: .post, headers: node.headers(.hash, json: false), body: ByteBuffer(bytes: bomb)) {
                    response in
                    #expect(response.status == .unprocessableContent)
                    #expect(response.errorCode == "decompression_bomb")
                }
            }
        }
    }

    @Test func theNodesDefaultPixelLimitFitsUploads() {
        #expect(ServerSettings().decodeLimits.maxPixels == 50_000_000)
        #expect(8064 * 6048 <= ServerSettings().decodeLimits.maxPixels)  // a 48 MP phone photo
    }

    // MARK: One body limit

    /// 40 MB of JSON to `POST /v1/lists` on a node with the default 32 MiB limit: 413 (the JSON
    /// routes used to have a separate 64 MiB limit), as on every other route.
    @Test func oneBodyLimitForEveryRoute() async throws {
        let node = try await TestNode.make(settings: ServerSettings())
        let big = ByteBuffer(
            bytes: Array(#"{"name":"big","kind":"internal","note":""#.utf8) + [UInt8](repeating: 0x61, count: 40_000_000) + Array(#""}"#.utf8))
        try await node.application.test(.router) { client in
            try await client.execute(uri: "/v1/lists", method: .post, headers: node.headers(.curate), body: big) { response in
                #expect(response.status == .contentTooLarge)
                #expect(response.errorCode == "body_too_large")
            }
            for (uri, method) in [("/health", HTTPRequest.Method.get), ("/m/raw_lookup", .get), ("/c/banks", .post)] {
                try await client.execute(uri: uri, method: method, headers: node.headers(.admin), body: big) { response in
                    #expect(response.status == .contentTooLarge, "\(uri)")
                }
            }
            try await client.execute(
                uri: "/v1/lists", method: .post, headers: node.headers(.curate), body: jsonBody(["name": "small", "kind": "internal"])
            ) {
                #expect($0.status == .created || $0.status == .ok)
            }
        }
    }

    // MARK: HMA's multipart reader

    @Test func multipartWithALongBoundary() throws {
        let boundary = String(repeating: "b", count: 4000)
        let file = [UInt8]("image bytes\r\n--".utf8) + Array(boundary.dropLast().utf8) + [0x63]
        var body = Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"a.jpg\"\r\n\r\n".utf8) + file
        body += Array("\r\n--\(boundary)\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n--\(boundary)--\r\n".utf8)
        let parts = try #require(MultipartForm.parse(body, boundary: boundary))
        #expect(parts.map(\.name) == ["photo", "note"])
        #expect(parts[0].filename == "a.jpg")
        #expect(parts[0].body == file)
        #expect(parts[1].body == Array("hello".utf8))

        // The case the old reader took quadratic time on (about a second of CPU per MiB, see
        // docs/benchmarks.md): a boundary of 4,000 hyphens after runs of hyphens one short of the
        // delimiter. multipart-kit's parser reads each byte once.
        let hyphens = String(repeating: "-", count: 4000)
        var hostile: [UInt8] = []
        for _ in 0..<64 { hostile += [UInt8](repeating: 0x2D, count: 4001) + [0x78] }
        hostile += Array("--\(hyphens)\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"a\"\r\n\r\nxyz\r\n--\(hyphens)--\r\n".utf8)
        let read = try #require(MultipartForm.parse(hostile, boundary: hyphens))
        #expect(read.map(\.body) == [Array("xyz".utf8)])
        hostile.removeLast(4 + 4000 + 2 + 2)
        #expect(MultipartForm.parse(hostile, boundary: hyphens) == nil, "no closing delimiter")
    }

    @Test func multipartFormsKeepTheirRules() {
        let b = "xyz"
        func parse(_ text: String) -> [String]? { MultipartForm.parse(Array(text.utf8), boundary: b)?.map(\.name) }
        #expect(parse("--xyz\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--xyz--\r\n") == ["a"])
        #expect(parse("preamble\r\n--xyz\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--xyz--") == ["a"])
        #expect(parse("--xyz--\r\n") == [])
        #expect(parse("--xyz\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n") == nil, "no closing delimiter")
        #expect(parse("--xyz\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--xyz\r\n") == nil, "a part begun, not finished")
        #expect(parse("--xyz\r\nContent-Type: text/plain\r\n\r\n1\r\n--xyz--") == nil, "a part without a name")
        #expect(parse("--xyz\r\nBroken header\r\n\r\n1\r\n--xyz--") == nil)
        #expect(parse("no delimiter at all") == nil)
    }
}

func bigEndian(_ value: UInt32) -> [UInt8] { [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)] }
func littleEndian(_ value: UInt32) -> [UInt8] { bigEndian(value).reversed() }

/// CRC-32 (ISO-HDLC, as PNG uses), bit by bit.
func crc32(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return ~crc
}
