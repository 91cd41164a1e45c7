import Testing
import VigilDomain
import VigilHash
import VigilMatching
import VigilStore
import VigilTestSupport

/// vpdq entries in the match engine: indexed from the change feed like PDQ hashes, so an entry
/// written through one node matches on another that follows the same store; scored with the
/// node's thresholds.
@Suite("Match engine: vpdq entries")
struct VideoMatchingTests {
    /// `count` frames of seeded pseudo-random hashes, one per second.
    static func frames(_ count: Int, seed: UInt64) -> [VPDQFeature] {
        var state = seed
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state
        }
        return (0..<count).map { frame in
            VPDQFeature(
                frameNumber: frame * 30, hash: PDQHash(words: SIMD4(next(), next(), next(), next())), quality: 100, timestamp: Double(frame))
        }
    }

    /// The same frames with `bits` low bits of each hash flipped (a re-encoded copy).
    static func copy(_ features: [VPDQFeature], flipping bits: Int) -> [VPDQFeature] {
        features.map { feature in
            var words = feature.hash.words
            words[0] ^= (1 << UInt64(bits)) - 1
            return VPDQFeature(frameNumber: feature.frameNumber, hash: PDQHash(words: words), quality: feature.quality, timestamp: feature.timestamp)
        }
    }

    @Test(arguments: StoreFactory.all)
    func anEntryWrittenOnOneNodeMatchesOnAnother(_ factory: StoreFactory) async throws {
        let store = try await factory.make(ManualClock())
        let nodeA = try MatchEngine(store: store)
        // Node B asks for at least 60 % of a listed video's frames (video.compared-match-percent).
        let nodeB = try MatchEngine(store: store, videoMatching: VPDQMatchOptions(comparedMatchThreshold: 60))
        try await nodeA.load()
        try await nodeB.load()
        let known = Self.frames(20, seed: 11)
        let other = Self.frames(20, seed: 12)
        _ = try await store.createList(HashList(name: "videos", kind: .knownAbuseMaterial))
        _ = try await store.createList(HashList(name: "elsewhere", kind: .internal))
        let ids = try await store.apply(
            [
                IndicatorRecord(type: .vpdq, value: VPDQText.format(known), provenance: Provenance(sourceItemId: "known")),
                IndicatorRecord(type: .vpdq, value: VPDQText.format(other)),
            ], toList: "videos")
        await nodeA.catchUpAfterWrite()
        // Node B learns of the entries from the feed, as its follower does.
        #expect(try await nodeB.catchUp() == 2)
        #expect(nodeA.status.vpdq == 2 && nodeB.status.vpdq == 2)

        // A copy of the first half: all of its frames match, half of the video's.
        let clip = Self.copy(Array(known.prefix(10)), flipping: 6)
        for (name, engine, expected) in [("A", nodeA, [ids[0]]), ("B", nodeB, [])] {
            let service = MatchService(engine: engine, store: store)
            let matches = try await service.find(MatchRequest(vpdq: clip))
            print(
                "engine \(name): \(matches.map { "entry \($0.entry.id): query \($0.video?.queryMatchPercent ?? -1) %, compared \($0.video?.comparedMatchPercent ?? -1) %" })"
            )
            #expect(matches.map(\.entry.id) == expected, "node \(name)")
            if let match = matches.first {
                #expect(match.video?.queryMatchPercent == 100 && match.video?.comparedMatchPercent == 50)
                #expect(match.entry.provenance.sourceItemId == "known" && match.list.list.name == "videos")
            }
        }
        // The whole video matches on both; a list filter that leaves its list out finds nothing.
        let whole = Self.copy(known, flipping: 10)
        for engine in [nodeA, nodeB] {
            let service = MatchService(engine: engine, store: store)
            #expect(try await service.find(MatchRequest(vpdq: whole)).map(\.entry.id) == [ids[0]])
            #expect(try await service.find(MatchRequest(vpdq: whole, lists: .named(["elsewhere"]))).isEmpty)
            // The rollout key of a video is its vPDQ's, whichever way it is looked up.
            #expect(
                MatchRequest(vpdq: whole).rolloutKey == MatchRequest(vpdq: whole, digests: [(.md5, String(repeating: "0", count: 32))]).rolloutKey)
        }
        // Deleted through node A: gone from node B after its catch-up.
        try await store.removeEntry(ids[0], fromList: "videos")
        try await nodeB.catchUp()
        #expect(try await MatchService(engine: nodeB, store: store).find(MatchRequest(vpdq: whole)).isEmpty)
        #expect(nodeB.status.vpdq == 1)
        // A node started later loads the same state from the feed.
        let nodeC = try MatchEngine(store: store)
        try await nodeC.load()
        #expect(nodeC.status.vpdq == 1)
        #expect(
            try await MatchService(engine: nodeC, store: store).find(MatchRequest(vpdq: Self.copy(other, flipping: 3))).map(\.entry.id) == [ids[1]])
    }
}
