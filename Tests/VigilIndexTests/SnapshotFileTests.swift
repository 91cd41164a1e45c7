import Foundation
import Testing
import VigilTestSupport

@testable import VigilIndex

@Suite("Snapshot files")
struct SnapshotFileTests {
    static func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("vigil-index-\(ProcessInfo.processInfo.processIdentifier)-\(name)").path
    }

    static func makeIndex(lists: Bool = true) throws -> HammingIndex {
        let hashes = TestData.clustered(count: 20_000, clusterSize: 20, seed: 21)
        return try HammingIndex(
            hashes: hashes, ids: (0..<hashes.count).map { UInt64($0) * 11 },
            lists: lists ? (0..<hashes.count).map { UInt16($0 % 5) } : nil,
            configuration: .multiIndex(substrings: 16))
    }

    @Test func roundTripGivesIdenticalResults() throws {
        let index = try Self.makeIndex()
        let path = Self.temporaryPath("roundtrip")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try index.write(toFile: path)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.size] as? Int) == index.memoryFootprint)
        let loaded = try HammingIndex.load(fromFile: path)
        #expect(loaded.count == index.count && loaded.substringCount == 16 && loaded.hasLists)
        for query in TestData.queries(count: 20, near: TestData.clustered(count: 20_000, clusterSize: 20, seed: 21), seed: 22) {
            #expect(try loaded.search(query, radius: 31) == index.search(query, radius: 31))
            #expect(try loaded.search(query, radius: 31, lists: [2]) == index.search(query, radius: 31, lists: [2]))
        }
    }

    /// Writes a damaged copy of a valid snapshot and expects `error` when loading it.
    static func expectLoad(_ name: String, _ damage: (inout [UInt8]) -> Void, throws error: IndexFileError) throws {
        let path = temporaryPath(name)
        defer { try? FileManager.default.removeItem(atPath: path) }
        try makeIndex(lists: false).write(toFile: path)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        damage(&bytes)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(throws: error) { try HammingIndex.load(fromFile: path) }
    }

    @Test func damagedFilesAreRefused() throws {
        let path = Self.temporaryPath("sizes")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let index = try Self.makeIndex(lists: false)
        try index.write(toFile: path)
        let size = index.memoryFootprint

        try Self.expectLoad("cut", { $0.removeLast(1000) }, throws: .truncated(expected: size, actual: size - 1000))
        try Self.expectLoad("flipped-payload", { $0[size / 2] ^= 0x10 }, throws: .corrupt(detail: "the data checksum does not match"))
        try Self.expectLoad("flipped-header", { $0[20] ^= 0x01 }, throws: .corrupt(detail: "the header checksum does not match"))
        try Self.expectLoad("version", { $0[8] = 9 }, throws: .unsupportedVersion(found: 9, supported: 1))
        try Self.expectLoad(
            "foreign",
            { bytes in
                for i in 0..<8 { bytes[i] = Array("PK\u{3}\u{4}xxxx".utf8)[i] }
            }, throws: .notAnIndex)
        try Self.expectLoad("tiny", { $0 = Array("hello".utf8) }, throws: .truncated(expected: 64, actual: 5))
        try Self.expectLoad("padded", { $0 += [0, 0, 0, 0] }, throws: .corrupt(detail: "the file is \(size + 4) bytes but its header says \(size)"))
        #expect(throws: IndexFileError.self) { try HammingIndex.load(fromFile: "/nonexistent/vigil.index") }
    }
}

extension SnapshotFileTests {
    /// A file whose checksums were recomputed after tampering still fails the structural checks,
    /// so no search can read outside the index.
    @Test func tamperedFileWithValidChecksumsIsRefused() throws {
        let index = try Self.makeIndex(lists: false)
        let layout = index.storage.layout
        func reseal(_ bytes: inout [UInt8]) {
            bytes.withUnsafeMutableBytes { raw in
                let payload = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(raw)[IndexHeader.size...])
                var header = IndexHeader(count: layout.count, substringCount: 16, hasLists: false, totalSize: layout.totalSize)
                header.payloadChecksum = Checksum.of(payload)
                if let base = raw.baseAddress { header.write(to: base) }
            }
        }
        let posting = layout.postingsOffsets[3] + 4 * 10
        try Self.expectLoad(
            "bad-posting",
            { bytes in
                bytes.withUnsafeMutableBytes { $0.storeBytes(of: UInt32(999_999), toByteOffset: posting, as: UInt32.self) }
                reseal(&bytes)
            }, throws: .corrupt(detail: "table 3 points past the last entry"))
        let offset = layout.offsetsOffsets[5] + 4 * 100
        try Self.expectLoad(
            "bad-offset",
            { bytes in
                bytes.withUnsafeMutableBytes { $0.storeBytes(of: UInt32(20_000), toByteOffset: offset, as: UInt32.self) }
                reseal(&bytes)
            }, throws: .corrupt(detail: "table 5 has descending bucket offsets"))
    }
}

extension SnapshotFileTests {
    /// An index with candidate filters keeps them through a file, and a filter altered in a file
    /// (checksums recomputed) is refused: a wrong filter would silently hide matches.
    @Test func filtersSurviveAFileAndAreChecked() throws {
        let hashes = TestData.clustered(count: 20_000, clusterSize: 20, seed: 23)
        let index = try HammingIndex(
            hashes: hashes, ids: (0..<hashes.count).map { UInt64($0) }, configuration: .multiIndex(substrings: 16), tuning: .speed)
        let path = Self.temporaryPath("filters")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try index.write(toFile: path)
        let loaded = try HammingIndex.load(fromFile: path)
        #expect(loaded.tuning == .speed && loaded.memoryFootprint == index.memoryFootprint)
        for query in TestData.queries(count: 20, near: hashes, seed: 24) {
            #expect(try loaded.search(query, radius: 31) == index.search(query, radius: 31))
        }

        let layout = index.storage.layout
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        bytes.withUnsafeMutableBytes { raw in
            let at = layout.filtersOffsets[2] + 16 * 7
            raw.storeBytes(of: raw.load(fromByteOffset: at, as: UInt64.self) ^ 0xFFFF_FFFF, toByteOffset: at, as: UInt64.self)
            let payload = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(raw)[IndexHeader.size...])
            var header = IndexHeader(count: layout.count, substringCount: 16, hasLists: false, hasFilters: true, totalSize: layout.totalSize)
            header.payloadChecksum = Checksum.of(payload)
            if let base = raw.baseAddress { header.write(to: base) }
        }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(throws: IndexFileError.corrupt(detail: "table 2's candidate filters do not match the entries")) {
            try HammingIndex.load(fromFile: path)
        }
    }

    /// Found by Fuzz/run.sh index: a 64-byte file, header only, whose header (checksums made right)
    /// declares 21 substrings; loading read their widths past the end of the file.
    @Test func headerOnlyFileDeclaringSubstringsIsRefused() throws {
        var bytes = try [UInt8](Data(contentsOf: TestPaths.fixtures.appendingPathComponent("fuzz/index-substrings-past-end.idx")))
        #expect(bytes.count == IndexHeader.size)
        // What the fuzz target does: size field and both checksums made right.
        bytes.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: UInt64(raw.count), toByteOffset: 32, as: UInt64.self)
            raw.storeBytes(of: Checksum.of(UnsafeRawBufferPointer(rebasing: raw[IndexHeader.size...])), toByteOffset: 40, as: UInt64.self)
            raw.storeBytes(of: Checksum.of(UnsafeRawBufferPointer(rebasing: raw[0..<48])), toByteOffset: 48, as: UInt64.self)
        }
        let path = Self.temporaryPath("substrings-past-end")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(throws: IndexFileError.corrupt(detail: "the sections do not add up to the file size")) {
            try HammingIndex.load(fromFile: path)
        }
    }
}
