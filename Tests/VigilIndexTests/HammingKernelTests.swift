import CVigilSupport
import Testing
import VigilTestSupport

/// The C Hamming kernels (`CVigilSupport`), each variant this machine can run (the baseline CPU's
/// always, the POPCNT one where the processor has it), against distances counted in Swift: the
/// index tests see only the variant the dispatch picks.
@Suite("Hamming kernels, every variant")
struct HammingKernelTests {
    static let variants: [Int32] = vigil_hamming_uses_popcnt() != 0 ? [0, 1] : [0]

    /// Clustered hashes and near queries, so every radius has hits and misses.
    static let hashes = TestData.clustered(count: 3_000, clusterSize: 20, seed: 21)
    static let queries = TestData.queries(count: 24, near: hashes, seed: 22)

    private static func words(_ hashes: [SIMD4<UInt64>]) -> [UInt64] {
        hashes.flatMap { [$0[0], $0[1], $0[2], $0[3]] }
    }

    private static func distance(_ a: SIMD4<UInt64>, _ b: SIMD4<UInt64>) -> UInt32 {
        let x = a ^ b
        return UInt32(x[0].nonzeroBitCount + x[1].nonzeroBitCount + x[2].nonzeroBitCount + x[3].nonzeroBitCount)
    }

    @Test("scan: every entry within the radius, in order, with its distance", arguments: variants)
    func scan(popcnt: Int32) {
        let all = Self.words(Self.hashes)
        var positions = [UInt32](repeating: 0, count: Self.hashes.count)
        var distances = [UInt32](repeating: 0, count: Self.hashes.count)
        for (q, query) in Self.queries.enumerated() {
            let queryWords = Self.words([query])
            for radius in [0, 8, 31, 64, 128, 256] {
                // A range that starts and ends inside the array: the bounds are the kernel's too.
                let first = 7
                let end = Self.hashes.count - 5
                let found = vigil_hamming_scan_variant(popcnt, all, first, end, queryWords, Int32(radius), &positions, &distances)
                let expected = (first..<end).compactMap { i -> (UInt32, UInt32)? in
                    let d = Self.distance(Self.hashes[i], query)
                    return Int(d) <= radius ? (UInt32(i), d) : nil
                }
                #expect(found == expected.count, "query \(q), radius \(radius)")
                #expect(Array(positions.prefix(found)) == expected.map(\.0), "query \(q), radius \(radius)")
                #expect(Array(distances.prefix(found)) == expected.map(\.1), "query \(q), radius \(radius)")
            }
        }
    }

    @Test("verify: the listed entries within the radius, in the list's order", arguments: variants)
    func verify(popcnt: Int32) {
        let all = Self.words(Self.hashes)
        var generator = SeededGenerator(seed: 23)
        let listed = (0..<1_000).map { _ in UInt32(generator.next() % UInt64(Self.hashes.count)) }
        var positions = [UInt32](repeating: 0, count: listed.count)
        var distances = [UInt32](repeating: 0, count: listed.count)
        for query in Self.queries {
            let queryWords = Self.words([query])
            for radius in [0, 31, 90, 256] {
                let found = vigil_hamming_verify_variant(
                    popcnt, all, listed, listed.count, queryWords, Int32(radius), &positions, &distances)
                let expected = listed.compactMap { i -> (UInt32, UInt32)? in
                    let d = Self.distance(Self.hashes[Int(i)], query)
                    return Int(d) <= radius ? (i, d) : nil
                }
                #expect(Array(positions.prefix(found)) == expected.map(\.0))
                #expect(Array(distances.prefix(found)) == expected.map(\.1))
            }
        }
    }

    #if os(Linux) && arch(x86_64)
    /// The dispatch uses POPCNT exactly where the processor's flags have it.
    @Test func theDispatchFollowsTheProcessorsFlags() throws {
        let flags = try ProcessorFlags.linux()
        try #require(!flags.isEmpty, "/proc/cpuinfo has a flags line")
        #expect((vigil_hamming_uses_popcnt() != 0) == flags.contains("popcnt"))
    }
    #endif
}
