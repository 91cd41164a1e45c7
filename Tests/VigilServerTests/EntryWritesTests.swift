import Testing
import VigilDomain
import VigilStore
import VigilTestSupport

@testable import VigilServer

/// The node's group commit of entry writes, on every store: each request gets its own ids and
/// audit event, a request for a missing list fails alone, and many concurrent requests lose nothing.
@Suite("Entry writes (group commit)")
struct EntryWritesTests {
    static func pdq(_ seed: Int) -> String {
        String((0..<64).map { i in Array("0123456789abcdef")[(seed &* 31 &+ i &* 7 &+ (seed >> 4)) & 15] })
    }

    static let actor = Actor(name: "key:1", organisation: "Example Host")

    /// One group written by hand: the missing list's write fails alone, the others are written,
    /// each with its audit event, in order.
    @Test(arguments: StoreFactory.all)
    func aMissingListFailsAloneInItsGroup(_ factory: StoreFactory) async throws {
        let store = try await factory.make(ManualClock())
        _ = try await store.createList(HashList(name: "a", kind: .internal))
        let writes = [
            EntryWrites.Write(records: [IndicatorRecord(type: .pdq, value: Self.pdq(1))], list: "a", actor: Self.actor, action: "entries.add"),
            EntryWrites.Write(records: [IndicatorRecord(type: .pdq, value: Self.pdq(2))], list: "missing", actor: Self.actor, action: "entries.add"),
            EntryWrites.Write(
                records: [IndicatorRecord(type: .pdq, value: Self.pdq(3)), IndicatorRecord(type: .pdq, value: Self.pdq(4))], list: "a",
                actor: Self.actor, action: "entries.add"),
        ]
        let results = try await store.write { tx throws(StoreError) in try EntryWrites.write(writes, in: tx) }
        #expect(results.count == 3)
        let first = try results[0].get()
        let third = try results[2].get()
        #expect(first.count == 1 && third.count == 2 && first[0] < third[0])
        #expect(throws: StoreError.listNotFound("missing")) { try results[1].get() }
        #expect(try await store.list(named: "a").entryCount == 3)
        let events = try await store.auditEvents(after: 0, limit: 10)
        #expect(events.map(\.event.detail) == ["1 added, 0 deletions requested", "2 added, 0 deletions requested"])
    }

    /// Sixty requests at once (every fifth to a list that does not exist): every acknowledged id is
    /// stored in its list, each request got only its own, and the audit chain holds one event per
    /// acknowledged request.
    @Test(arguments: StoreFactory.all)
    func concurrentRequestsAreEachAnsweredAndNothingIsLost(_ factory: StoreFactory) async throws {
        let store = try await factory.make(ManualClock())
        _ = try await store.createList(HashList(name: "a", kind: .internal))
        _ = try await store.createList(HashList(name: "b", kind: .internal))
        let writes = EntryWrites(store: store, maximumBatch: 16)
        let outcomes = await withTaskGroup(of: (Int, Result<[Int64], StoreError>).self) { group in
            for request in 0..<60 {
                group.addTask {
                    let list = request % 5 == 4 ? "missing" : (request % 2 == 0 ? "a" : "b")
                    let records = (0...(request % 3)).map { IndicatorRecord(type: .pdq, value: Self.pdq(request * 10 + $0)) }
                    do {
                        return (request, .success(try await writes.apply(records, toList: list, by: Self.actor, action: "entries.add")))
                    } catch let error as StoreError {
                        return (request, .failure(error))
                    } catch {
                        return (request, .failure(.internal("unexpected", underlying: error)))
                    }
                }
            }
            var outcomes: [Int: Result<[Int64], StoreError>] = [:]
            for await (request, outcome) in group { outcomes[request] = outcome }
            return outcomes
        }
        var stored: [String: [Int64]] = [:]
        for list in ["a", "b"] { stored[list] = try await store.entries(ofList: list, afterId: 0, limit: 1000).map(\.id) }
        var acknowledged = 0
        var all: [Int64] = []
        for request in 0..<60 {
            let outcome = try #require(outcomes[request])
            if request % 5 == 4 {
                #expect(throws: StoreError.listNotFound("missing")) { try outcome.get() }
                continue
            }
            let ids = try outcome.get()
            #expect(ids.count == request % 3 + 1)
            let list = request % 2 == 0 ? "a" : "b"
            #expect(Set(ids).isSubset(of: Set(stored[list] ?? [])))
            let entries = try await store.entries(ids: ids)
            #expect(entries.values.map(\.value).sorted() == (0...(request % 3)).map { Self.pdq(request * 10 + $0) }.sorted())
            all += ids
            acknowledged += 1
        }
        #expect(acknowledged == 48 && Set(all).count == all.count)
        #expect((stored["a"]?.count ?? 0) + (stored["b"]?.count ?? 0) == all.count)
        let chain = try await store.verifyAuditChain()
        #expect(chain.isValid && chain.eventsChecked == 48)
    }
}
