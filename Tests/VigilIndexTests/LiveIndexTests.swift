import Testing
import VigilTestSupport

@testable import VigilIndex

@Suite("Live updates")
struct LiveIndexTests {
    /// A brute-force model of the index: the live entries, searched by scanning.
    struct Model {
        var entries: [IndexEntry] = []

        mutating func apply(_ change: IndexChange) {
            switch change {
            case .insert(let entry): entries.append(entry)
            case .remove(let id): entries.removeAll { $0.id == id }
            }
        }

        func search(_ query: SIMD4<UInt64>, radius: Int, lists: Set<UInt16>?) -> [IndexMatch] {
            entries.compactMap { entry -> IndexMatch? in
                let distance = hammingDistance(entry.hash, query)
                guard distance <= radius, lists?.contains(entry.list) ?? true else { return nil }
                return IndexMatch(id: entry.id, distance: distance, list: entry.list)
            }.sorted()
        }
    }

    /// Inserts, removals (including of ids inserted after the base, removed and re-inserted),
    /// compactions and queries interleaved at random: every query equals the model, always.
    @Test(arguments: [UInt64(1), 2, 3])
    func updatesInterleavedWithQueriesMatchTheModel(seed: UInt64) throws {
        var generator = SeededGenerator(seed: seed)
        let initial = TestData.clustered(count: 8000, clusterSize: 16, seed: seed + 100)
        var model = Model(entries: initial.enumerated().map { IndexEntry(hash: $1, id: UInt64($0), list: UInt16($0 % 3)) })
        let base = try HammingIndex(
            hashes: initial, ids: model.entries.map(\.id), lists: model.entries.map(\.list),
            configuration: .multiIndex(substrings: 16))
        let live = LiveIndex(base: base, configuration: .multiIndex(substrings: 16))
        var nextId: UInt64 = 100_000
        var checked = 0
        for step in 0..<400 {
            let roll = generator.next() % 100
            if roll < 35 {
                // Insert a few: near-duplicates of existing entries, or reused ids.
                var changes: [IndexChange] = []
                for _ in 0..<(1 + Int(generator.next() % 4)) {
                    let near =
                        model.entries.isEmpty
                        ? .random(using: &generator)
                        : model.entries[Int(generator.next() % UInt64(model.entries.count))].hash.flipping(
                            Int(generator.next() % 20), using: &generator)
                    let id = generator.next() % 5 == 0 ? generator.next() % 8000 : nextId
                    nextId += 1
                    changes.append(.insert(IndexEntry(hash: near, id: id, list: UInt16(generator.next() % 3))))
                }
                for change in changes { model.apply(change) }
                live.apply(changes, feedPosition: UInt64(step))
            } else if roll < 55 {
                let id = generator.next() % 2 == 0 ? generator.next() % 8000 : 100_000 + generator.next() % max(1, nextId - 100_000)
                model.apply(.remove(id: id))
                live.apply([.remove(id: id)])
            } else if roll < 60 {
                try live.compact()
                #expect(live.snapshot.deltaCount == 0)
            } else {
                let anchor =
                    model.entries.isEmpty
                    ? SIMD4<UInt64>.random(using: &generator)
                    : model.entries[Int(generator.next() % UInt64(model.entries.count))].hash
                let query = anchor.flipping(Int(generator.next() % 30), using: &generator)
                let radius = Int(generator.next() % 48)
                let lists: Set<UInt16>? = generator.next() % 4 == 0 ? [1] : nil
                let found = try live.snapshot.search(query, radius: radius, lists: lists)
                #expect(found == model.search(query, radius: radius, lists: lists), "step \(step)")
                checked += found.count
            }
        }
        #expect(checked > 50)
        #expect(live.snapshot.entries().count == model.entries.count)
    }

    /// A new entry is searchable as soon as `apply` returns, with no rebuild.
    @Test func insertIsImmediatelySearchable() throws {
        let live = LiveIndex(base: try HammingIndex(hashes: TestData.random(count: 5000, seed: 7), ids: (0..<5000).map { UInt64($0) }))
        let fresh = SIMD4<UInt64>(1, 2, 3, 4)
        #expect(try live.snapshot.search(fresh, radius: 0).isEmpty)
        live.apply([.insert(IndexEntry(hash: fresh, id: 777))], feedPosition: 9)
        #expect(try live.snapshot.search(fresh, radius: 0) == [IndexMatch(id: 777, distance: 0)])
        #expect(live.snapshot.feedPosition == 9)
        live.apply([.remove(id: 777)])
        #expect(try live.snapshot.search(fresh, radius: 0).isEmpty)
    }

    /// Readers on other tasks keep searching while a writer applies changes and compacts.
    @Test func readersRunDuringCompaction() async throws {
        let hashes = TestData.random(count: 20_000, seed: 12)
        let live = LiveIndex(base: try HammingIndex(hashes: hashes, ids: (0..<20_000).map { UInt64($0) }))
        let probe = hashes[123]
        try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<2 {
                group.addTask {
                    var seen = 0
                    for _ in 0..<200 {
                        let found = try live.snapshot.search(probe, radius: 10)
                        // Entry 123 is never removed, so every snapshot has it.
                        #expect(found.contains { $0.id == 123 && $0.distance == 0 })
                        seen += 1
                    }
                    return seen
                }
            }
            group.addTask {
                var generator = SeededGenerator(seed: 13)
                for round in 0..<5 {
                    live.apply((0..<500).map { _ in .insert(IndexEntry(hash: .random(using: &generator), id: 50_000 + generator.next() % 1000)) })
                    live.apply([.remove(id: UInt64(round))])
                    try live.compact()
                }
                return 0
            }
            var total = 0
            for try await seen in group { total += seen }
            #expect(total == 400)
        }
        #expect(try live.snapshot.search(hashes[0], radius: 0).isEmpty)
    }
}
