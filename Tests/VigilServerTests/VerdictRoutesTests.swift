import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Synchronization
import Testing
import VigilDomain
import VigilExchange
import VigilMatching
import VigilStore
import VigilTestSupport

@testable import VigilServer

/// A scripted kind whose service takes feedback: records what it is sent.
final class RecordingFeedbackMaker: ExchangeFeedbackMaker {
    let source: ScriptedSource
    let sent = Mutex<[String]>([])
    init(source: ScriptedSource) { self.source = source }
    var kind: String { "scripted" }
    var settingNames: [String: String] { ["note": "anything"] }
    func makeClient(settings: [String: String], credential: String?) throws(ExchangeError) -> any ExchangeClient {
        guard credential == "good" else { throw .unauthorized("the scripted source takes the credential \"good\"") }
        return ScriptedClient(source: source)
    }
    func takesFeedback(_ verdict: ExchangeVerdict) -> Bool { verdict != .seen }
    func sendFeedback(_ verdict: ExchangeVerdict, on subject: FeedbackSubject, settings: [String: String], credential: String?)
        async throws(ExchangeError)
    {
        guard credential == "good" else { throw .unauthorized("wrong credential") }
        sent.withLock { $0.append("\(subject.provenance.sourceItemId ?? "?"): \(verdict.rawValue)") }
    }
}

/// `POST` and `GET /v1/lists/{name}/entries/{id}/verdicts`: the reviewer is the caller's key (a
/// body naming one is refused), a later verdict replaces the earlier, the feedback message's
/// status is shown and follows the worker; bad input and other lists' entries are refused.
@Suite("Verdict routes", .serialized)
struct VerdictRoutesTests {
    @Test func aVerdictIsRecordedForTheCallerAndItsFeedbackFollowsTheWorker() async throws {
        // The node's clock and the store's are the same system clock here (the store contract pins
        // the times with a manual one), so the message written now is due to the worker now.
        let test = try await TestNode.make()
        var node = test.node
        let source = ScriptedSource()
        let maker = RecordingFeedbackMaker(source: source)
        node.exchanges.registry.register(maker)
        _ = try await test.store.createList(HashList(name: "shared", kind: .knownAbuseMaterial))
        _ = try await test.store.createList(HashList(name: "other", kind: .knownAbuseMaterial))
        _ = try await ExchangeService(node: node).create(.init(name: "feed", kind: "scripted", list: "shared", credential: "good"), by: .system)
        source.put(2, prefix: "item")
        _ = try await ExchangeFetcher(node: node, settings: ExchangeFetchSettings(owner: "a")).fetch(named: "feed")
        let fetched = try await test.store.entries(ofList: "shared", afterId: 0, limit: 10)
        #expect(fetched.count == 2)
        let entry = try #require(fetched.first)
        let imported = try await test.store.write { tx throws(StoreError) in
            try tx.apply([IndicatorRecord(type: .pdq, value: bridgeHash)], toList: "shared")
        }
        let curateKey = try #require(test.keys[.curate])
        let reviewer = try #require(try await test.store.verify(secret: curateKey)).keyId
        let app = buildApplication(node: node)
        let path = "/v1/lists/shared/entries/\(entry.id)/verdicts"
        try await app.test(.router) { client in
            try await client.execute(uri: path, method: .post, headers: test.headers(.curate), body: jsonBody(["verdict": "true_positive"])) {
                response in
                #expect(response.status == .ok, "\(String(buffer: response.body))")
                #expect(response.json["reviewer"] as? String == "key:\(reviewer)" && response.json["verdict"] as? String == "true_positive")
                #expect(response.json["entry_id"] as? Int64 == entry.id && response.json["list"] as? String == "shared")
                let feedback = response.json["feedback"] as? [String: Any]
                #expect(feedback?["state"] as? String == "pending" && feedback?["exchange"] as? String == "feed")
                #expect(feedback?["attempts"] as? Int == 0 && feedback?["delivery_id"] as? Int64 != nil)
            }
            // The reviewer is the caller: a body naming one is refused, as are unknown verdicts and other members.
            for bad in [["verdict": "true_positive", "reviewer": "someone"], ["verdict": "maybe"], [:]] as [[String: Any]] {
                try await client.execute(uri: path, method: .post, headers: test.headers(.curate), body: jsonBody(bad)) { response in
                    #expect(response.status == .badRequest, "\(bad): \(String(buffer: response.body))")
                }
            }
            // Absent: another list's entry, an unknown entry, an unknown list.
            for uri in [
                "/v1/lists/other/entries/\(entry.id)/verdicts", "/v1/lists/shared/entries/999999/verdicts",
                "/v1/lists/nope/entries/\(entry.id)/verdicts",
            ] {
                try await client.execute(uri: uri, method: .post, headers: test.headers(.curate), body: jsonBody(["verdict": "seen"])) { response in
                    #expect(response.status == .notFound, "\(uri)")
                }
                try await client.execute(uri: uri, method: .get, headers: test.headers(.curate)) { response in
                    #expect(response.status == .notFound, "\(uri)")
                }
            }
            // A key without the curate scope may not.
            try await client.execute(uri: path, method: .post, headers: test.headers(.match), body: jsonBody(["verdict": "seen"])) { response in
                #expect(response.status == .forbidden)
            }
        }
        // The worker sends it; the GET shows it sent.
        #expect(try await FeedbackWorker(node: node).sendDue() == 1)
        #expect(maker.sent.withLock { $0 } == ["item-0: true_positive"])
        try await app.test(.router) { client in
            try await client.execute(uri: path, method: .get, headers: test.headers(.curate)) { response in
                #expect(response.status == .ok)
                let verdicts = response.json["verdicts"] as? [[String: Any]]
                #expect(verdicts?.count == 1)
                let feedback = verdicts?.first?["feedback"] as? [String: Any]
                #expect(feedback?["state"] as? String == "sent" && feedback?["attempts"] as? Int == 1 && feedback?["sent_at"] as? String != nil)
            }
            // The same verdict again changes nothing; another replaces it and writes a new message.
            try await client.execute(uri: path, method: .post, headers: test.headers(.curate), body: jsonBody(["verdict": "true_positive"])) {
                response in
                #expect(response.status == .ok && (response.json["feedback"] as? [String: Any])?["state"] as? String == "sent")
                #expect(response.json["created_at"] as? String == response.json["updated_at"] as? String)
            }
            try await client.execute(uri: path, method: .post, headers: test.headers(.curate), body: jsonBody(["verdict": "false_positive"])) {
                response in
                #expect(response.status == .ok && response.json["verdict"] as? String == "false_positive")
                #expect((response.json["feedback"] as? [String: Any])?["state"] as? String == "pending")
                #expect(response.json["updated_at"] as? String != nil)
            }
            // An entry no exchange brought: recorded, nothing to send.
            try await client.execute(
                uri: "/v1/lists/shared/entries/\(imported[0])/verdicts", method: .post, headers: test.headers(.curate),
                body: jsonBody(["verdict": "false_positive"])
            ) { response in
                #expect(response.status == .ok && response.json["feedback"] == nil)
            }
        }
        #expect(try await FeedbackWorker(node: node).sendDue() == 1)
        #expect(maker.sent.withLock { $0 } == ["item-0: true_positive", "item-0: false_positive"])
        // Each change is audited.
        let events = try await test.store.auditEvents(after: 0, limit: 1_000).map(\.event).filter {
            $0.action == "entry.verdict" || $0.action == "entry.feedback"
        }
        #expect(events.count { $0.action == "entry.verdict" } == 3 && events.count { $0.action == "entry.feedback" } == 2)
    }
}
