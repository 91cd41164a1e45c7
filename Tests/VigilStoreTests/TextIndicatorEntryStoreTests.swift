import Foundation
import Testing
import VigilDomain
import VigilStore
import VigilTestSupport

/// `text_indicator` entries in both stores: stored canonical, read, listed, carried by the change
/// feed with their list, and deleted by value (any spelling of the same indicator) or by id.
@Suite("Store contract: text_indicator entries")
struct TextIndicatorEntryStoreTests {
    static func indicator(_ id: String, _ phrase: String, stage: String = "meeting") throws -> String {
        try SignalType.textIndicator.normalise(
            #"{"id":"\#(id)","language":"en","category":"grooming","stage":"\#(stage)","phrase":"\#(phrase)","weight":0.5,"explanation":"written for the test"}"#
        )
    }

    @Test(arguments: StoreFactory.all)
    func indicatorsAreStoredListedFedAndDeleted(_ factory: StoreFactory) async throws {
        let store = try await factory.make(ManualClock())
        let list = try await store.createList(HashList(name: "phrases", kind: .internal))
        let first = try Self.indicator("t-1", "meet me by the old bridge")
        let second = try Self.indicator("t-2", "bring your tablet", stage: "gifts")
        let provenance = Provenance(sourceOrganisation: "Centre", sourceItemId: "ind-1", note: "written for the test")
        let ids = try await store.apply(
            [
                IndicatorRecord(type: .textIndicator, value: first, provenance: provenance),
                IndicatorRecord(type: .textIndicator, value: second),
                IndicatorRecord(type: .md5, value: String(repeating: "0f", count: 16)),
            ], toList: "phrases")
        #expect(ids.count == 3)
        let read = try await store.entries(ids: ids)
        #expect(read[ids[0]]?.type == .textIndicator && read[ids[0]]?.value == first && read[ids[0]]?.provenance == provenance)
        #expect(try await store.entries(ofList: "phrases", afterId: 0, limit: 10).map(\.type) == [.textIndicator, .textIndicator, .md5])
        let added = try await store.changes(after: 0, limit: 10)
        #expect(added.map(\.type) == [.textIndicator, .textIndicator, .md5] && added[0].value == first && added.allSatisfy { $0.listId == list.id })
        // Deleting by value: the same indicator written with other spacing and key order is the same canonical value.
        let respelt = try SignalType.textIndicator.normalise(
            #"{ "explanation": "written for the test", "weight": 0.5, "phrase": "meet me by the old bridge", "stage": "meeting", "category": "grooming", "language": "EN", "id": "t-1" }"#
        )
        #expect(respelt == first)
        _ = try await store.apply([IndicatorRecord(type: .textIndicator, value: respelt, action: .delete)], toList: "phrases")
        try await store.removeEntry(ids[1], fromList: "phrases")
        #expect(try await store.list(named: "phrases").entryCount == 1)
        let removed = try await store.changes(after: added[2].sequence, limit: 10)
        #expect(removed.map(\.kind) == [.remove, .remove] && removed.map(\.entryId) == [ids[0], ids[1]])
        #expect(removed.allSatisfy { $0.type == .textIndicator } && removed[0].value == first)
    }
}
