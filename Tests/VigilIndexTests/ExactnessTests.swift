import Testing
import VigilTestSupport

@testable import VigilIndex

/// Multi-index hashing must return exactly what a linear scan returns, for every radius.
@Suite("Exactness against the linear-scan oracle")
struct ExactnessTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let hashes: [SIMD4<UInt64>]
        let configuration: IndexConfiguration
        var tuning: IndexTuning = .compact
        var testDescription: String { name }
    }

    static let cases: [Case] = {
        let random = TestData.random(count: 6000, seed: 1)
        let clustered = TestData.clustered(count: 6000, clusterSize: 30, seed: 2)
        return [
            Case(name: "random 100k, automatic", hashes: TestData.random(count: 100_000, seed: 3), configuration: .automatic),
            Case(name: "random, 11 substrings", hashes: random, configuration: .multiIndex(substrings: 11)),
            Case(name: "clustered, 16 substrings", hashes: clustered, configuration: .multiIndex(substrings: 16)),
            Case(name: "clustered, 23 substrings", hashes: clustered, configuration: .multiIndex(substrings: 23)),
            Case(name: "clustered 60k, automatic", hashes: TestData.clustered(count: 60_000, clusterSize: 30, seed: 4), configuration: .automatic),
            // Candidate filters (tuning .speed) must not hide any match either.
            Case(
                name: "random 100k, automatic, filters", hashes: TestData.random(count: 100_000, seed: 3), configuration: .automatic, tuning: .speed),
            Case(name: "random, 11 substrings, filters", hashes: random, configuration: .multiIndex(substrings: 11), tuning: .speed),
            Case(name: "clustered, 16 substrings, filters", hashes: clustered, configuration: .multiIndex(substrings: 16), tuning: .speed),
            Case(
                name: "clustered 60k, automatic, filters", hashes: TestData.clustered(count: 60_000, clusterSize: 30, seed: 4),
                configuration: .automatic, tuning: .speed),
        ]
    }()

    /// Every radius 0...64, near-duplicate and random queries; the multi-index path is forced
    /// even where the cost model would scan, so it is checked at large radii too.
    @Test(arguments: cases)
    func multiIndexEqualsLinearScan(testCase: Case) throws {
        let ids = (0..<testCase.hashes.count).map { UInt64($0) * 7 + 3 }
        let index = try HammingIndex(hashes: testCase.hashes, ids: ids, configuration: testCase.configuration, tuning: testCase.tuning)
        #expect(index.tuning == testCase.tuning)
        let oracle = try HammingIndex(hashes: testCase.hashes, ids: ids, configuration: .linearScan)
        #expect(index.substringCount > 0)
        let queries = TestData.queries(count: 8, near: testCase.hashes, seed: 99)
        let substrings = try #require(index.storage.layout.substrings)
        var total = 0
        for radius in 0...64 {
            for query in queries {
                var forced: [IndexMatch] = []
                Searcher(storage: index.storage, lists: nil).multiIndexSearch(query, radius: radius, substrings: substrings) {
                    forced.append(IndexMatch(id: index.storage.ids[$0], distance: $1))
                }
                let expected = try oracle.search(query, radius: radius)
                #expect(forced.sorted() == expected, "radius \(radius)")
                #expect(try index.search(query, radius: radius) == expected, "radius \(radius)")
                total += expected.count
            }
        }
        // The queries do hit: the comparison is not vacuous.
        #expect(total > 100)
    }

    @Test func duplicatesAndEmptyIndexes() throws {
        let hash = SIMD4<UInt64>(1, 2, 3, 4)
        let index = try HammingIndex(
            hashes: Array(repeating: hash, count: 5000), ids: (0..<5000).map { UInt64($0) }, configuration: .multiIndex(substrings: 16))
        #expect(try index.search(hash, radius: 0).count == 5000)
        let empty = try HammingIndex(hashes: [], ids: [])
        #expect(try empty.search(hash, radius: 256).isEmpty)
        #expect(try empty.nearest(hash, k: 3).isEmpty)
    }

    @Test func nearestEqualsSortedScan() throws {
        let hashes = TestData.clustered(count: 5000, clusterSize: 10, seed: 5)
        let ids = (0..<hashes.count).map { UInt64($0) }
        let index = try HammingIndex(hashes: hashes, ids: ids)
        let oracle = try HammingIndex(hashes: hashes, ids: ids, configuration: .linearScan)
        for query in TestData.queries(count: 10, near: hashes, seed: 6) {
            let all = try oracle.search(query, radius: 256)
            #expect(try index.nearest(query, k: 7) == Array(all.prefix(7)))
        }
    }

    @Test func listFilterKeepsOnlyChosenLists() throws {
        let hashes = TestData.clustered(count: 6000, clusterSize: 20, seed: 8)
        let lists = (0..<hashes.count).map { UInt16($0 % 3) }
        let index = try HammingIndex(hashes: hashes, ids: (0..<hashes.count).map { UInt64($0) }, lists: lists)
        for query in TestData.queries(count: 10, near: hashes, seed: 9) {
            let all = try index.search(query, radius: 40)
            let filtered = try index.search(query, radius: 40, lists: [1, 2])
            #expect(filtered == all.filter { $0.list != 0 })
        }
    }

    @Test func variantsReportTheNearestVariant() throws {
        let hashes = TestData.random(count: 5000, seed: 10)
        let index = try HammingIndex(hashes: hashes, ids: (0..<hashes.count).map { UInt64($0) })
        var generator = SeededGenerator(seed: 11)
        let far = hashes[42].flipping(20, using: &generator)
        let near = hashes[42].flipping(3, using: &generator)
        let found = try index.search(variants: [.random(using: &generator), far, near], radius: 31)
        #expect(found.count == 1)
        #expect(found.first?.match.id == 42)
        #expect(found.first?.match.distance == 3)
        #expect(found.first?.variant == 2)
    }

    @Test func badArgumentsAreRefused() throws {
        let index = try HammingIndex(hashes: TestData.random(count: 10, seed: 1), ids: (0..<10).map { UInt64($0) })
        #expect(throws: IndexQueryError.radiusOutOfRange(-1)) { try index.search(.zero, radius: -1) }
        #expect(throws: IndexQueryError.radiusOutOfRange(257)) { try index.search(.zero, radius: 257) }
        #expect(throws: IndexQueryError.invalidK(0)) { try index.nearest(.zero, k: 0) }
        #expect(throws: IndexBuildError.countMismatch(hashes: 2, other: 1)) {
            try HammingIndex(hashes: [.zero, .zero], ids: [1])
        }
        #expect(throws: IndexBuildError.invalidSubstringCount(5)) {
            try HammingIndex(hashes: [.zero], ids: [1], configuration: .multiIndex(substrings: 5))
        }
    }
}
