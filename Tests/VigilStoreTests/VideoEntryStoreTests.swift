import Foundation
import Testing
import VigilDomain
import VigilStore
import VigilTestSupport

/// `vpdq` entries in both stores: a whole video's vPDQ (up to 3,600 frame lines, about 300 kB) is
/// stored, read, listed, carried by the change feed and deleted by value or id like any entry.
@Suite("Store contract: vpdq entries")
struct VideoEntryStoreTests {
    /// `frames` vPDQ lines of seeded pseudo-random hashes, normalised as the routes store them.
    static func video(frames: Int, seed: UInt64) throws -> String {
        var state = seed
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state
        }
        let lines = (0..<frames).map { frame in
            let hex = (0..<4).map { _ in String(format: "%016llx", next()) }.joined()
            return "\(frame),\(50 + Int(next() % 51)),\(hex),\(String(format: "%.3f", Double(frame)))"
        }
        return try SignalType.vpdq.normalise(lines.joined(separator: "\n"))
    }

    @Test(arguments: StoreFactory.all)
    func videosAreStoredListedFedAndDeleted(_ factory: StoreFactory) async throws {
        let store = try await factory.make(ManualClock())
        let list = try await store.createList(HashList(name: "videos", kind: .knownAbuseMaterial))
        // The largest value the type allows: well over PostgreSQL's 2.7 kB B-tree entry (migration v7).
        let long = try Self.video(frames: SignalValueFormat.vpdqMaxFrames, seed: 1)
        let short = try Self.video(frames: 10, seed: 2)
        #expect(long.utf8.count > 250_000)
        let provenance = Provenance(sourceOrganisation: "Test", sourceItemId: "video-1", note: "generated hashes")
        let ids = try await store.apply(
            [
                IndicatorRecord(type: .vpdq, value: long, provenance: provenance),
                IndicatorRecord(type: .vpdq, value: short),
                IndicatorRecord(type: .pdq, value: String(repeating: "ab", count: 32)),
            ], toList: "videos")
        #expect(ids.count == 3)
        let read = try await store.entries(ids: ids)
        #expect(read[ids[0]]?.type == .vpdq && read[ids[0]]?.value == long && read[ids[0]]?.provenance == provenance)
        #expect(read[ids[1]]?.value == short)
        #expect(try await store.entries(ofList: "videos", afterId: 0, limit: 10).map(\.value) == [long, short, String(repeating: "ab", count: 32)])
        // The feed carries the whole value, so every node can index it.
        let added = try await store.changes(after: 0, limit: 10)
        #expect(added.map(\.type) == [.vpdq, .vpdq, .pdq] && added[0].value == long && added.allSatisfy { $0.listId == list.id })
        // Deleting by value finds the long one (PostgreSQL through md5(value)); by id the short one.
        _ = try await store.apply([IndicatorRecord(type: .vpdq, value: long, action: .delete)], toList: "videos")
        try await store.removeEntry(ids[1], fromList: "videos")
        #expect(try await store.list(named: "videos").entryCount == 1)
        let removed = try await store.changes(after: added[2].sequence, limit: 10)
        #expect(removed.map(\.kind) == [.remove, .remove] && removed.map(\.entryId) == [ids[0], ids[1]])
        #expect(removed[0].value == long && removed[0].type == .vpdq)
    }
}
