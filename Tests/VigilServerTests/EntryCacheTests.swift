import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import VigilDomain
import VigilHash
import VigilMatching
import VigilServer
import VigilStore
import VigilTestSupport

/// A lookup's answer reads its matched entries from the engine's entry cache; every change to an
/// entry must reach that cache as soon as it reaches the index: through the same node at once,
/// through another node once this one has followed the feed.
@Suite("Matched entries from memory")
struct EntryCacheTests {
    static let hash = bridgeHash

    /// The `/v1/match/hash` answer's matches for `hash`.
    static func matches(_ client: some TestClientProtocol, _ headers: HTTPFields, hash: String = bridgeHash) async throws -> [[String: Any]] {
        try await client.execute(
            uri: "/v1/match/hash", method: .post, headers: headers, body: jsonBody(["type": "pdq", "value": hash])
        ) { response in
            #expect(response.status == .ok)
            return response.json["matches"] as? [[String: Any]] ?? []
        }
    }

    /// A time as the API takes it (RFC 3339, whole seconds).
    static func iso(_ date: Date) -> String { ISO8601DateFormatter().string(from: date) }

    static func note(_ match: [String: Any]?) -> String? {
        (match?["provenance"] as? [String: Any])?["note"] as? String
    }

    /// Through one node (on each store): an answer served from memory changes right after an edit
    /// of the note, a disable, an enable and a delete; a disable ends at the clock's time with no
    /// store read.
    @Test(arguments: StoreFactory.all)
    func anAnswerFromMemoryChangesRightAfterAChangeThroughTheSameNode(_ factory: StoreFactory) async throws {
        let clock = ManualClock()
        let store = try await factory.make(clock)
        let engine = try MatchEngine(store: store)
        try await engine.load()
        var settings = ServerSettings(maxBodyBytes: 1 << 20)
        settings.role = .provider
        let node = Node(store: store, engine: engine, clock: clock, settings: settings)
        let key = try await store.createKey(organisation: "Provider", scopes: [.curate, .match], label: "cache").secret
        let headers: HTTPFields = [.authorization: "Bearer " + key, .contentType: "application/json"]

        try await buildApplication(node: node).test(.router) { client in
            try await client.execute(
                uri: "/v1/lists", method: .post, headers: headers, body: jsonBody(["name": "l", "kind": "known_abuse_material"])
            ) { #expect($0.status == .created) }
            let id: Int = try await client.execute(
                uri: "/v1/lists/l/entries", method: .post, headers: headers,
                body: jsonBody(["entries": [["type": "pdq", "value": Self.hash, "provenance": ["note": "first"]]]])
            ) { response in
                #expect(response.status == .created)
                return (response.json["ids"] as? [Int])?.first ?? 0
            }

            // The first answer reads the store and keeps the entry; the second is from memory.
            #expect(try await Self.matches(client, headers).map { $0["entry_id"] as? Int } == [id])
            #expect(engine.entryCache.contains(Int64(id)))
            let before = engine.entryCache.status
            let second = try await Self.matches(client, headers)
            #expect(Self.note(second.first) == "first")
            #expect(engine.entryCache.status.hits == before.hits + 1 && engine.entryCache.status.misses == before.misses)

            // An edit of the note: the very next answer carries the new note.
            try await client.execute(
                uri: "/v1/lists/l/entries/\(id)/note", method: .put, headers: headers, body: jsonBody(["note": "second"])
            ) { #expect($0.status == .ok) }
            #expect(Self.note(try await Self.matches(client, headers).first) == "second")

            // Disabled for an hour: no match at once; the cached copy carries the time, so it
            // matches again when the clock passes it, with no change in between.
            let until = Self.iso(clock.now().addingTimeInterval(3600))
            try await client.execute(
                uri: "/v1/lists/l/entries/\(id)", method: .patch, headers: headers, body: jsonBody(["disabled_until": until])
            ) { #expect($0.status == .ok, "\(String(buffer: $0.body))") }
            #expect(try await Self.matches(client, headers).isEmpty)
            #expect(try await Self.matches(client, headers).isEmpty, "from memory too")
            clock.advance(by: 3601)
            #expect(try await Self.matches(client, headers).count == 1)

            // Disabled again, then enabled: each answer follows at once.
            try await client.execute(
                uri: "/v1/lists/l/entries/\(id)", method: .patch, headers: headers,
                body: jsonBody(["disabled_until": EntryCacheTests.iso(clock.now().addingTimeInterval(86_400))])
            ) { #expect($0.status == .ok) }
            #expect(try await Self.matches(client, headers).isEmpty)
            try await client.execute(
                uri: "/v1/lists/l/entries/\(id)", method: .patch, headers: headers, body: jsonBody(["disabled_until": NSNull()])
            ) { #expect($0.status == .ok) }
            #expect(try await Self.matches(client, headers).count == 1)

            // Deleted: gone from the answer and from memory.
            try await client.execute(uri: "/v1/lists/l/entries/\(id)", method: .delete, headers: headers) { #expect($0.status == .noContent) }
            #expect(try await Self.matches(client, headers).isEmpty)
            #expect(!engine.entryCache.contains(Int64(id)))
        }
    }

    /// The bound holds through the answers: a cache of 2 entries and 6 entries, each lookup
    /// matching one of them, 3 rounds; every answer is still right, the cache never holds more
    /// than 2, and every entry it read beyond those 2 replaced one.
    @Test func theBoundHoldsAndAnswersStayRight() async throws {
        let clock = ManualClock()
        let store = try await StoreFactory.sqlite.make(clock)
        let engine = try MatchEngine(store: store, entryCacheCapacity: 2)
        _ = try await store.createList(HashList(name: "l", kind: .internal, matchRadius: 0))
        var generator = SplitMix64(seed: 0xCAC4E)
        let values = (0..<6).map { _ in generator.hex(bytes: 32) }
        let ids = try await store.apply(values.map { IndicatorRecord(type: .pdq, value: $0) }, toList: "l")
        try await engine.load()
        let service = MatchService(engine: engine, store: store, clock: clock)
        for round in 0..<3 {
            for (value, id) in zip(values, ids) {
                let found = try await service.find(MatchRequest(pdq: [try PDQHash(validatingHex: value)]))
                #expect(found.map(\.entry.id) == [id], "round \(round)")
                #expect(engine.entryCache.status.count <= 2)
            }
        }
        let status = engine.entryCache.status
        #expect(status.count == 2 && status.capacity == 2)
        #expect(status.evictions == status.misses - 2)
        #expect(status.hits + status.misses == 18)
    }
}

/// Two nodes on one PostgreSQL database: a change through node A reaches node B's entry cache
/// when B follows the feed (driven here by hand, one round, as B's follower would).
// The time limit names a test that hangs (each takes seconds; two CI runs once hung in a node's shutdown).
@Suite("Matched entries from memory on several nodes", .serialized, .enabled(if: PostgresTestDatabase.enabled), .timeLimit(.minutes(5)))
struct EntryCacheMultiNodeTests {
    @Test func aChangeThroughOneNodeReachesTheOthersCacheWhenItFollowsTheFeed() async throws {
        let url = try await PostgresTestDatabase.make("cache")
        let clock = ManualClock()
        let a = try await PostgresNode(url: url, clock: clock)
        let b = try await PostgresNode(url: url, clock: clock)
        let key = try await a.store.createKey(organisation: "Provider", scopes: [.curate, .match], label: "nodes").secret
        let headers: HTTPFields = [.authorization: "Bearer " + key, .contentType: "application/json"]
        let hashes = MultiNodeTests.hashes(3, seed: 0xCAC4E)

        try await a.application.test(.router) { clientA in
            try await b.application.test(.router) { clientB in
                try await clientA.execute(
                    uri: "/v1/lists", method: .post, headers: headers, body: jsonBody(["name": "shared", "kind": "known_abuse_material"])
                ) { #expect($0.status == .created) }
                let ids: [Int] = try await clientA.execute(
                    uri: "/v1/lists/shared/entries", method: .post, headers: headers,
                    body: jsonBody(["entries": hashes.map { ["type": "pdq", "value": $0, "provenance": ["note": "kept"]] }])
                ) { response in
                    #expect(response.status == .created)
                    return response.json["ids"] as? [Int] ?? []
                }
                try #require(ids.count == 3)
                try await b.engine.catchUp()
                for (hash, id) in zip(hashes, ids) {
                    #expect(try await EntryCacheTests.matches(clientB, headers, hash: hash).map { $0["entry_id"] as? Int } == [id])
                    #expect(b.engine.entryCache.contains(Int64(id)))
                }

                // Through A: disable the first, delete the second, edit the third's note.
                try await clientA.execute(
                    uri: "/v1/lists/shared/entries/\(ids[0])", method: .patch, headers: headers,
                    body: jsonBody(["disabled_until": EntryCacheTests.iso(clock.now().addingTimeInterval(86_400))])
                ) { #expect($0.status == .ok) }
                try await clientA.execute(uri: "/v1/lists/shared/entries/\(ids[1])", method: .delete, headers: headers) {
                    #expect($0.status == .noContent)
                }
                try await clientA.execute(
                    uri: "/v1/lists/shared/entries/\(ids[2])/note", method: .put, headers: headers, body: jsonBody(["note": "changed"])
                ) { #expect($0.status == .ok) }
                // A answers the changes at once.
                #expect(try await EntryCacheTests.matches(clientA, headers, hash: hashes[0]).isEmpty)
                #expect(try await EntryCacheTests.matches(clientA, headers, hash: hashes[1]).isEmpty)
                #expect(EntryCacheTests.note(try await EntryCacheTests.matches(clientA, headers, hash: hashes[2]).first) == "changed")

                // B has not followed the feed yet: its index and its cache are where they were
                // (the lag the follower bounds, as for any change through another node).
                #expect(b.engine.entryCache.contains(Int64(ids[0])))

                // One round of B's follower: B's answers now agree with A's.
                #expect(try await b.engine.catchUp() == 3)
                #expect(try await EntryCacheTests.matches(clientB, headers, hash: hashes[0]).isEmpty)
                #expect(try await EntryCacheTests.matches(clientB, headers, hash: hashes[1]).isEmpty)
                #expect(EntryCacheTests.note(try await EntryCacheTests.matches(clientB, headers, hash: hashes[2]).first) == "changed")
                #expect(b.engine.status.sequence == a.engine.status.sequence)
            }
        }
    }
}
