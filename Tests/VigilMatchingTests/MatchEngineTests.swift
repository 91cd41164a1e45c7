import Foundation
import Synchronization
import Testing
import VigilDomain
import VigilHash
import VigilStore
import VigilTestSupport

@testable import VigilMatching

@Suite("Match engine: one writer, idempotent apply, settings that never go back")
struct MatchEngineTests {
    /// 50 clients add distinct MD5 and PDQ values at once while the follower runs; afterwards
    /// every value is answered by exactly its own entry, once.
    @Test func concurrentAddsAreAppliedExactlyOnce() async throws {
        let store = try temporaryStore()
        _ = try await store.createList(HashList(name: "l", kind: .internal, matchRadius: 0))
        let engine = try MatchEngine(store: store)
        let health = FollowerHealth()
        let follower = IndexFollower(engine: engine, health: health)
        #expect(await follower.loadOnce())
        var generator = SplitMix64(seed: 0x5EED_0050)
        let values = (0..<50).map { _ in (md5: generator.hex(bytes: 16), pdq: generator.hex(bytes: 32)) }

        // The follower's rounds run alongside the adds (a bounded number, back to back).
        let following = Task {
            for _ in 0..<100 {
                await follower.step()
                await Task.yield()
            }
        }
        var ids: [String: Int64] = [:]
        try await withThrowingTaskGroup(of: [(String, Int64)].self) { group in
            for value in values {
                group.addTask {
                    let added = try await store.apply(
                        [IndicatorRecord(type: .md5, value: value.md5), IndicatorRecord(type: .pdq, value: value.pdq)], toList: "l")
                    await engine.catchUpAfterWrite()
                    return [(value.md5, added[0]), (value.pdq, added[1])]
                }
            }
            for try await pairs in group { for (value, id) in pairs { ids[value] = id } }
        }
        await following.value
        await follower.step()
        #expect(health.failureCount == 0)

        let service = MatchService(engine: engine, store: store)
        let status = engine.status
        #expect(status.md5 == 50)
        #expect(status.pdq == 50)
        for value in values {
            let byMD5 = try await service.find(MatchRequest(digests: [(.md5, value.md5)]))
            #expect(byMD5.map(\.entry.id) == [ids[value.md5]], "md5 \(value.md5)")
            let hash = try PDQHash(validatingHex: value.pdq)
            let byPDQ = try await service.find(MatchRequest(pdq: [hash]))
            #expect(byPDQ.map(\.entry.id) == [ids[value.pdq]], "pdq \(value.pdq)")
        }
    }

    /// The same page applied twice, and a page overlapping one already applied, change nothing.
    @Test func applyingAPageTwiceChangesNothing() async throws {
        let store = try temporaryStore()
        _ = try await store.createList(HashList(name: "l", kind: .internal))
        let engine = try MatchEngine(store: store)
        try await engine.load()
        var generator = SplitMix64(seed: 7)
        let digests = (0..<10).map { _ in generator.hex(bytes: 16) }
        _ = try await store.apply(digests.map { IndicatorRecord(type: .md5, value: $0) }, toList: "l")
        let page = try await store.changes(after: 0, limit: 100)
        #expect(engine.apply(page) == 10)
        #expect(engine.apply(page) == 0)
        #expect(engine.apply(Array(page.suffix(3))) == 0)
        #expect(try await engine.catchUp() == 0)
        for digest in digests { #expect(try engine.matchDigest(.md5, hex: digest).count == 1) }
        #expect(engine.status.sequence == page.last?.sequence)
    }

    /// A kill switch flipped while a slow settings refresh is under way is never undone by it.
    @Test func aSlowRefreshNeverUndoesAKillSwitch() async throws {
        let store = try temporaryStore()
        let list = try await store.createList(HashList(name: "l", kind: .internal, matchRadius: 0))
        var generator = SplitMix64(seed: 11)
        let value = generator.hex(bytes: 32)
        _ = try await store.apply([IndicatorRecord(type: .pdq, value: value)], toList: "l")
        let source = ControlledSource(store)
        let engine = try MatchEngine(source: source)
        try await engine.load()
        let service = MatchService(engine: engine, store: store)
        let hash = try PDQHash(validatingHex: value)
        #expect(try await service.find(MatchRequest(pdq: [hash])).count == 1)

        // A refresh reads the lists (kill switch on) and is held before it installs them.
        let release = Gate()
        source.holdNextListsRead.withLock { $0 = release }
        let slow = Task { try await engine.refreshLists() }
        await source.listsRead.wait()
        // Meanwhile the list is switched off and this node refreshes, as the route does.
        _ = try await store.updateList(named: "l", ListUpdate(enabled: false))
        try await engine.refreshLists()
        #expect(engine.lists[list.id]?.list.enabled == false)
        // The slow refresh now finishes with what it read before the switch.
        release.open()
        try await slow.value
        #expect(engine.lists[list.id]?.list.enabled == false, "the stale refresh must not undo the kill switch")
        #expect(try await service.find(MatchRequest(pdq: [hash])).isEmpty)
    }
}
