import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import VigilDomain
import VigilMatching
import VigilServer
import VigilStore
import VigilTestSupport
import VigilText

/// Text indicators distributed as list entries (`text_indicator`): added, listed, exported and
/// imported like any entry, followed by the node's conversation assessor through the change feed
/// (rebuilt aside, swapped at once), answered with their list, entry and provenance, and under the
/// lists' rules (kill switch, deletion). The phrases are written for the test and non-explicit.
@Suite("Text indicators as list entries", .serialized)
struct TextIndicatorListTests {
    /// An indicator no shipped set has: a meeting arranged at an odd place.
    static let lighthouse =
        #"{"id":"centre-meeting-1","language":"en","category":"grooming","stage":"meeting","phrase":"meet me at the old lighthouse","alternatives":["come to the old lighthouse"],"weight":0.55,"explanation":"proposes to meet at a place away from others (written for the test)"}"#
    static var conversation: [String: Any] {
        [
            "language": "en", "messages": [["sender": "a", "text": "ok so meet me at the old lighthouse on sunday"]],
        ]
    }

    /// The list indicators among a conversation answer's hits, as (list, entry id, indicator id, source item id).
    static func listed(_ answer: [String: Any]) -> [(list: String, entry: Int, id: String, item: String?)] {
        (answer["stages"] as? [[String: Any]] ?? []).flatMap { stage in
            (stage["indicators"] as? [[String: Any]] ?? []).compactMap { indicator in
                guard let list = indicator["list"] as? String, let entry = indicator["entry_id"] as? Int else { return nil }
                return (list, entry, indicator["id"] as? String ?? "", (indicator["provenance"] as? [String: Any])?["source_item_id"] as? String)
            }
        }
    }

    @Test func anIndicatorAddedToAListScoresWithItsProvenanceUntilItIsSwitchedOffOrDeleted() async throws {
        let test = try await TestNode.make()
        let node = test.node
        #expect(node.textIndicators.current.listed == 0 && !node.textIndicators.isStale)
        try await buildApplication(node: node).test(.router) { client in
            func converse() async throws -> [String: Any] {
                try await client.execute(
                    uri: "/v1/match/conversation", method: .post, headers: test.headers(.match), body: jsonBody(Self.conversation)
                ) { response in
                    #expect(response.status == .ok, "\(response.json)")
                    return response.json
                }
            }
            // The shipped sets alone do not know the phrase.
            #expect(Self.listed(try await converse()).isEmpty)
            try await client.execute(
                uri: "/v1/lists", method: .post, headers: test.headers(.curate), body: jsonBody(["name": "phrases", "kind": "internal"])
            ) { #expect($0.status == .created) }
            let id: Int = try await client.execute(
                uri: "/v1/lists/phrases/entries", method: .post, headers: test.headers(.curate),
                body: jsonBody([
                    "entries": [
                        [
                            "type": "text_indicator", "value": Self.lighthouse,
                            "provenance": ["source_organisation": "Centre", "source_item_id": "ind-7"],
                        ]
                    ]
                ])
            ) { response in
                #expect(response.status == .created, "\(response.json)")
                return (response.json["ids"] as? [Int])?.first ?? 0
            }
            // The write caught the engine up; the assessor is stale until rebuilt aside and swapped in.
            #expect(node.engine.status.textIndicators == 1 && node.textIndicators.isStale)
            #expect(node.textIndicators.refresh())
            #expect(node.textIndicators.current.listed == 1 && !node.textIndicators.isStale && !node.textIndicators.refresh())
            let answer = try await converse()
            let hits = Self.listed(answer)
            #expect(hits.count == 1)
            #expect(hits.first?.list == "phrases" && hits.first?.entry == id && hits.first?.id == "centre-meeting-1" && hits.first?.item == "ind-7")
            #expect((answer["score"] as? Double ?? 0) >= 0.55, "\(answer)")
            // The entry is listed with its canonical value, and the index status counts it.
            try await client.execute(uri: "/v1/lists/phrases/entries", method: .get, headers: test.headers(.curate)) { response in
                let entries = response.json["entries"] as? [[String: Any]] ?? []
                #expect(entries.first?["type"] as? String == "text_indicator")
                #expect(entries.first?["value"] as? String == (try? SignalType.textIndicator.normalise(Self.lighthouse)))
            }
            try await client.execute(uri: "/v1/index/status", method: .get, headers: test.headers(.match)) { response in
                #expect(response.json["text_indicator_entries"] as? Int == 1 && response.json["text_indicators_in_use"] as? Int == 1)
            }
            // The list's kill switch: the indicator stops counting at once (the list rules apply at the answer).
            try await client.execute(
                uri: "/v1/lists/phrases", method: .patch, headers: test.headers(.curate), body: jsonBody(["enabled": false])
            ) { #expect($0.status == .ok) }
            let off = try await converse()
            #expect(Self.listed(off).isEmpty && off["score"] as? Double == 0, "\(off)")
            try await client.execute(
                uri: "/v1/lists/phrases", method: .patch, headers: test.headers(.curate), body: jsonBody(["enabled": true])
            ) { #expect($0.status == .ok) }
            #expect(Self.listed(try await converse()).count == 1)
            // Deleted: gone from the feed, and from the assessor at its next rebuild.
            try await client.execute(uri: "/v1/lists/phrases/entries/\(id)", method: .delete, headers: test.headers(.curate)) {
                #expect($0.status == .noContent || $0.status == .ok)
            }
            #expect(node.engine.status.textIndicators == 0 && node.textIndicators.refresh())
            let deleted = try await converse()
            #expect(Self.listed(deleted).isEmpty && deleted["score"] as? Double == 0, "\(deleted)")
            #expect(node.textIndicators.rebuildCounts.rebuilds == 2 && node.textIndicators.rebuildCounts.failures == 0)
        }
    }

    @Test func aListedIndicatorActsThroughItsListsPolicy() async throws {
        let test = try await TestNode.make()
        let node = test.node
        try await buildApplication(node: node).test(.router) { client in
            try await client.execute(
                uri: "/v1/lists", method: .post, headers: test.headers(.curate), body: jsonBody(["name": "phrases", "kind": "internal"])
            ) { #expect($0.status == .created) }
            try await client.execute(
                uri: "/v1/lists/phrases/action", method: .put, headers: test.headers(.curate), body: jsonBody(["action": "quarantine"])
            ) { #expect($0.status == .ok, "\($0.json)") }
            let id: Int = try await client.execute(
                uri: "/v1/lists/phrases/entries", method: .post, headers: test.headers(.curate),
                body: jsonBody(["entries": [["type": "text_indicator", "value": Self.lighthouse, "provenance": ["source_item_id": "ind-8"]]]])
            ) { response in
                #expect(response.status == .created, "\(response.json)")
                return (response.json["ids"] as? [Int])?.first ?? 0
            }
            #expect(node.textIndicators.refresh())
            func converse(_ body: [String: Any]) async throws -> [String: Any] {
                try await client.execute(uri: "/v1/match/conversation", method: .post, headers: test.headers(.match), body: jsonBody(body)) {
                    #expect($0.status == .ok, "\($0.json)")
                    return $0.json
                }
            }
            // The listed phrase: the list's action, and the conversation queued for review.
            let answer = try await converse(Self.conversation)
            #expect(Self.listed(answer).map(\.entry) == [id])
            let actions = answer["actions"] as? [[String: Any]] ?? []
            #expect(actions.count == 1 && actions.first?["list"] as? String == "phrases" && actions.first?["action"] as? String == "quarantine")
            let review = try #require(answer["review"] as? [String: Any], "\(answer)")
            let reviewId = try #require(review["id"] as? Int)
            let reason = (review["reasons"] as? [[String: Any]])?.first
            #expect(reason?["kind"] as? String == "list_match" && reason?["list"] as? String == "phrases" && reason?["entry_ids"] as? [Int] == [id])
            try await client.execute(uri: "/v1/reviews/\(reviewId)", method: .get, headers: test.headers(.curate)) { response in
                #expect(response.status == .ok)
                #expect(response.json["media_type"] as? String == "text/vnd.vigil.conversation")
                // The review item holds no words of the conversation.
                let stored = try JSONSerialization.data(withJSONObject: response.json)
                #expect(!String(decoding: stored, as: UTF8.self).contains("lighthouse"))
            }
            // A conversation that fires only the shipped sets: no list acts, nothing is queued.
            let shipped = try await converse([
                "language": "en", "messages": [["sender": "a", "text": "how old are you? dont tell your parents about me"]],
            ])
            #expect((shipped["score"] as? Double ?? 0) > 0, "\(shipped)")
            #expect((shipped["actions"] as? [Any])?.isEmpty == true && shipped["review"] == nil, "\(shipped)")
        }
    }

    @Test func textIndicatorsAreRefusedWhereAHashIsMeantAndCheckedWhereTheyAreAdded() async throws {
        let test = try await TestNode.make()
        try await test.application.test(.router) { client in
            try await client.execute(
                uri: "/v1/match/hash", method: .post, headers: test.headers(.match),
                body: jsonBody(["type": "text_indicator", "value": Self.lighthouse])
            ) { response in
                #expect(response.status == .badRequest && response.errorCode == "not_a_hash", "\(response.json)")
            }
            try await client.execute(
                uri: "/v1/lists", method: .post, headers: test.headers(.curate), body: jsonBody(["name": "phrases", "kind": "internal"])
            ) { #expect($0.status == .created) }
            let wrongStage = Self.lighthouse.replacingOccurrences(of: "\"meeting\"", with: "\"chatting\"")
            try await client.execute(
                uri: "/v1/lists/phrases/entries", method: .post, headers: test.headers(.curate),
                body: jsonBody(["entries": [["type": "text_indicator", "value": wrongStage], ["type": "text_indicator", "value": "{}"]]])
            ) { response in
                #expect(response.status == .badRequest && response.errorCode == "invalid_entries")
                let message = (response.json["error"] as? [String: Any])?["message"] as? String ?? ""
                #expect(message.contains("stage \"chatting\"") && message.contains("not a text indicator"), "\(message)")
            }
            #expect(try await test.store.list(named: "phrases").entryCount == 0)
        }
    }

    @Test func indicatorsTravelAsJSONLinesWithTheirProvenance() async throws {
        let test = try await TestNode.make()
        try await test.application.test(.router) { client in
            for name in ["src", "copy"] {
                try await client.execute(
                    uri: "/v1/lists", method: .post, headers: test.headers(.curate), body: jsonBody(["name": name, "kind": "internal"])
                ) { #expect($0.status == .created) }
            }
            try await client.execute(
                uri: "/v1/lists/src/entries", method: .post, headers: test.headers(.curate),
                body: jsonBody([
                    "entries": [["type": "text_indicator", "value": Self.lighthouse, "provenance": ["source_item_id": "ind-7", "note": "test"]]]
                ])
            ) { #expect($0.status == .created) }
            let exported = try await client.execute(
                uri: "/v1/lists/src/export?format=vigil-jsonl", method: .get, headers: test.headers(.curate)
            ) { response in
                #expect(response.status == .ok)
                return response.body
            }
            #expect(String(buffer: exported).contains("\"text_indicator\""))
            try await client.execute(
                uri: "/v1/lists/copy/import?format=vigil-jsonl", method: .post, headers: test.headers(.curate, json: false), body: exported
            ) { response in
                #expect(response.json["added"] as? Int == 1 && response.json["issue_count"] as? Int == 0, "\(response.json)")
            }
            let copied = try await test.store.entries(ofList: "copy", afterId: 0, limit: 10)
            #expect(copied.map(\.type) == [.textIndicator] && copied.first?.provenance.sourceItemId == "ind-7")
            #expect(copied.first?.value == (try await test.store.entries(ofList: "src", afterId: 0, limit: 10)).first?.value)
        }
    }

    /// An entry whose phrasing uses a short form that the language's shipped sets expand (`u` for
    /// `you`) would never match: it is left out of the assessor, logged and counted; the others stay.
    @Test func anEntryThatCouldNeverMatchIsLeftOutAndCounted() async throws {
        let test = try await TestNode.make()
        let node = test.node
        _ = try await test.store.createList(HashList(name: "phrases", kind: .internal))
        let shortForm = Self.lighthouse.replacingOccurrences(of: "meet me at the old lighthouse", with: "can u meet at the old lighthouse")
            .replacingOccurrences(of: "centre-meeting-1", with: "centre-meeting-2")
        _ = try await test.store.apply(
            [
                IndicatorRecord(type: .textIndicator, value: try SignalType.textIndicator.normalise(Self.lighthouse)),
                IndicatorRecord(type: .textIndicator, value: try SignalType.textIndicator.normalise(shortForm)),
            ], toList: "phrases")
        try await node.engine.catchUp()
        #expect(node.textIndicators.refresh())
        #expect(node.textIndicators.current.listed == 1 && node.textIndicators.current.rejected == 1)
    }

    /// An entry stored before stems existed, with a `*` that is not a stem's (`l*ghthouse`): refused
    /// as a value now, and when the store holds one it is left out of the assessor and counted, and
    /// the others stay.
    @Test func anEntryStoredBeforeStemsWithAMisplacedStarIsLeftOutAndCounted() async throws {
        let test = try await TestNode.make()
        let node = test.node
        _ = try await test.store.createList(HashList(name: "phrases", kind: .internal))
        let old = Self.lighthouse.replacingOccurrences(of: "meet me at the old lighthouse", with: "meet me at the old l*ghthouse")
            .replacingOccurrences(of: "centre-meeting-1", with: "centre-meeting-3")
        #expect(throws: (any Error).self) { try SignalType.textIndicator.normalise(old) }
        _ = try await test.store.apply(
            [
                IndicatorRecord(type: .textIndicator, value: try SignalType.textIndicator.normalise(Self.lighthouse)),
                // As a version before stems stored it (the store itself does not check values).
                IndicatorRecord(type: .textIndicator, value: old),
            ], toList: "phrases")
        try await node.engine.catchUp()
        #expect(node.textIndicators.refresh())
        #expect(node.textIndicators.current.listed == 1 && node.textIndicators.current.rejected == 1)
    }
}

/// Two nodes on one PostgreSQL: an indicator added through node A scores through node B once B's
/// follower has applied the feed and its assessor has been rebuilt; deleted through A, it stops.
// The time limit names a test that hangs (each takes seconds; two CI runs once hung in a node's shutdown).
@Suite("Text indicators across nodes", .serialized, .enabled(if: PostgresTestDatabase.enabled), .timeLimit(.minutes(5)))
struct TextIndicatorMultiNodeTests {
    @Test func anIndicatorAddedThroughOneNodeScoresThroughAnotherAndStopsWhenDeleted() async throws {
        let url = try await PostgresTestDatabase.make("textlists")
        let clock = SystemClock()
        let a = try await PostgresNode(url: url, clock: clock)
        let b = try await PostgresNode(url: url, clock: clock)
        let key = try await a.store.createKey(organisation: "Provider", scopes: [.curate, .match], label: "nodes").secret
        let headers: HTTPFields = [.authorization: "Bearer " + key, .contentType: "application/json"]
        // Node B scores with the shipped sets too, and follows the feed as `vigil serve` does.
        let bNode = Node(
            store: b.store, engine: b.engine, health: b.health, clock: clock, settings: b.node.settings,
            conversationAssessor: TestNode.shippedTextIndicators)
        let follower = b.follow()
        let textFollower = Task { try await TextIndicatorFollower(indicators: bNode.textIndicators, interval: .milliseconds(50)).run() }
        defer {
            follower.cancel()
            textFollower.cancel()
        }
        try await a.application.test(.router) { clientA in
            try await buildApplication(node: bNode).test(.router) { clientB in
                /// Asks node B until `done` holds of its answer's list hits (every 20 ms, at most 30 s: the
                /// subject is that it happens, not how soon).
                func waitOnB(_ done: ([(list: String, entry: Int, id: String, item: String?)]) -> Bool) async throws -> Bool {
                    let start = ContinuousClock.now
                    while ContinuousClock.now - start < .seconds(30) {
                        let hits = try await clientB.execute(
                            uri: "/v1/match/conversation", method: .post, headers: headers, body: jsonBody(TextIndicatorListTests.conversation)
                        ) { response in
                            #expect(response.status == .ok, "\(response.json)")
                            return TextIndicatorListTests.listed(response.json)
                        }
                        if done(hits) { return true }
                        try await Task.sleep(for: .milliseconds(20))
                    }
                    return false
                }
                try await clientA.execute(
                    uri: "/v1/lists", method: .post, headers: headers, body: jsonBody(["name": "shared-phrases", "kind": "internal"])
                ) { #expect($0.status == .created) }
                let id: Int = try await clientA.execute(
                    uri: "/v1/lists/shared-phrases/entries", method: .post, headers: headers,
                    body: jsonBody([
                        "entries": [
                            ["type": "text_indicator", "value": TextIndicatorListTests.lighthouse, "provenance": ["source_item_id": "ind-9"]]
                        ]
                    ])
                ) { response in
                    #expect(response.status == .created)
                    return (response.json["ids"] as? [Int])?.first ?? 0
                }
                let arrived = try await waitOnB { hits in hits.contains { $0.entry == id && $0.list == "shared-phrases" && $0.item == "ind-9" } }
                #expect(arrived, "the indicator added through node A scores through node B")
                try await clientA.execute(uri: "/v1/lists/shared-phrases/entries/\(id)", method: .delete, headers: headers) {
                    #expect($0.status == .noContent || $0.status == .ok)
                }
                // It stops counting at once (the list rules read the entry, deleted), and leaves B's
                // assessor at its next rebuild.
                let gone = try await waitOnB { $0.isEmpty && bNode.textIndicators.current.listed == 0 }
                #expect(gone, "the indicator deleted through node A stops firing on node B and leaves its assessor")
            }
        }
        #expect(bNode.textIndicators.rebuildCounts.failures == 0)
        // The followers stop before their stores do (else they go on asking a store that is closing).
        follower.cancel()
        textFollower.cancel()
        _ = await follower.result
        _ = await textFollower.result
        for node in [a, b] { await node.store.shutdown() }
    }
}
