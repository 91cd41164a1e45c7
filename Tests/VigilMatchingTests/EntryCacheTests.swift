import Foundation
import Testing
import VigilDomain
import VigilHash
import VigilStore
import VigilTestSupport

@testable import VigilMatching

@Suite("Entry cache: bounded, kept true by the feed, never refilled by a stale read")
struct EntryCacheTests {
    /// `count` stored entries (MD5, seeded values) on list "l" of a fresh store, in id order.
    static func storedEntries(_ count: Int, seed: UInt64) async throws -> (SQLiteStore, [StoredEntry]) {
        let store = try temporaryStore()
        _ = try await store.createList(HashList(name: "l", kind: .internal))
        var generator = SplitMix64(seed: seed)
        let ids = try await store.apply((0..<count).map { _ in IndicatorRecord(type: .md5, value: generator.hex(bytes: 16)) }, toList: "l")
        let entries = try await store.entries(ids: ids)
        return (store, ids.compactMap { entries[$0] })
    }

    /// Never more than its capacity; when full, an entry read since the hand last passed stays
    /// and one not read is replaced.
    @Test func theBoundHoldsAndARecentlyReadEntryStays() async throws {
        let (_, entries) = try await Self.storedEntries(10, seed: 0xB0D)
        let cache = EntryCache(capacity: 3)
        cache.keep(entries[0..<3], ticket: cache.lookup([]).ticket)
        #expect(cache.status.count == 3)
        // entries[1] is read; the next two entries replace the other two.
        #expect(cache.lookup([entries[1].id]).found.keys.sorted() == [entries[1].id])
        cache.keep(entries[3..<5], ticket: cache.lookup([]).ticket)
        #expect(cache.contains(entries[1].id) && cache.contains(entries[3].id) && cache.contains(entries[4].id))
        #expect(!cache.contains(entries[0].id) && !cache.contains(entries[2].id))
        cache.keep(entries, ticket: cache.lookup([]).ticket)
        let status = cache.status
        #expect(status.count == 3 && status.capacity == 3)
        // 2 for entries 3 and 4; then, with no entry read, the hand replaces in order: entry 1 is
        // updated in place, every other one replaces the oldest (3 and 4 among them before their turn).
        #expect(status.evictions == 2 + 9)
        #expect(entries[7...].allSatisfy { cache.contains($0.id) })
        #expect(EntryCache(capacity: 0).status.capacity == 0)
        let none = EntryCache(capacity: 0)
        none.keep(entries, ticket: none.lookup([]).ticket)
        #expect(none.status.count == 0)
    }

    /// A store read that started before a change was applied is not kept: the change may have
    /// been committed after the read (the old entry would then stay in memory for good).
    @Test func aReadThatRacedAChangeIsNotKept() async throws {
        let (_, entries) = try await Self.storedEntries(2, seed: 0x5ACE)
        let cache = EntryCache(capacity: 10)
        let (found, missing, ticket) = cache.lookup([entries[0].id, entries[0].id, entries[1].id])
        #expect(found.isEmpty && missing == [entries[0].id, entries[1].id])
        cache.drop([entries[0].id])  // the feed applies a change while the read runs
        cache.keep(entries, ticket: ticket)
        #expect(cache.status.count == 0 && cache.status.discardedReads == 1)
        // A read that starts afterwards is kept.
        let next = cache.lookup(entries.map(\.id))
        cache.keep(entries, ticket: next.ticket)
        #expect(cache.status.count == 2)
        #expect(cache.lookup(entries.map(\.id)).found.count == 2)
    }

    /// The engine drops an entry when the feed edits or removes it, in the step that applies the
    /// page; an add elsewhere leaves the cache as it is.
    @Test func theFeedsEditsAndRemovalsDropEntries() async throws {
        let (store, entries) = try await Self.storedEntries(3, seed: 0xFEED)
        let engine = try MatchEngine(store: store)
        try await engine.load()
        let service = MatchService(engine: engine, store: store)
        for entry in entries {
            #expect(try await service.find(MatchRequest(digests: [(.md5, entry.value)])).map(\.entry.id) == [entry.id])
        }
        #expect(engine.entryCache.status.count == 3)

        _ = try await store.apply([IndicatorRecord(type: .md5, value: String(repeating: "0", count: 32))], toList: "l")
        #expect(try await engine.catchUp() == 1)
        #expect(engine.entryCache.status.count == 3, "an add changes no cached entry")

        _ = try await store.editEntry(entries[0].id, inList: "l", EntryEdit(note: .some("edited")))
        try await store.removeEntry(entries[1].id, fromList: "l")
        #expect(engine.entryCache.contains(entries[0].id), "not before the engine reads the feed")
        #expect(try await engine.catchUp() == 2)
        #expect(!engine.entryCache.contains(entries[0].id) && !engine.entryCache.contains(entries[1].id))
        #expect(engine.entryCache.contains(entries[2].id))
        #expect(try await service.find(MatchRequest(digests: [(.md5, entries[0].value)])).first?.entry.provenance.note == "edited")
        #expect(try await service.find(MatchRequest(digests: [(.md5, entries[1].value)])).isEmpty)

        // Deleting the list removes its entries in the feed: all of them leave memory.
        try await store.deleteList(named: "l")
        try await engine.catchUp()
        #expect(engine.entryCache.status.count == 0)
        #expect(try await service.find(MatchRequest(digests: [(.md5, entries[2].value)])).isEmpty)
    }
}
