import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import VigilClassifier
import VigilDomain
import VigilMatching
import VigilServer
import VigilStore
import VigilTestSupport

/// The classifier on the upload path against a real HTTP classifier on loopback: scores over and
/// under the threshold, failures that never fail the upload, the order (no call when a list
/// blocks), quarantine lists, the concurrency limit under many uploads, and `/ready`'s warning.
@Suite("Classifier on uploads", .serialized)
struct ClassifierUploadTests {
    static let image = "generated/021-jpeg-q90-420-512x512-mixed.jpg"

    static func node(classifier url: String?, clock: any WallClock = ManualClock(), configure: (inout ClassifierSettings) -> Void = { _ in })
        async throws
        -> TestNode
    {
        var node = try await TestNode.make()
        if let url {
            var settings = ClassifierSettings(url: url)
            // Generous, so that a loaded machine (the full suite) does not turn an answer into a
            // timeout; the test of /slow (which holds its answer for 3 s) sets its own 1 s.
            settings.timeout = .seconds(30)
            settings.reviewThresholds = ReviewThresholds(default: 0.9, perLabel: ["violence": 0.5])
            configure(&settings)
            node.settings.classifier = settings
            node.classifier = try HTTPClassifier(settings: settings, clock: clock)
        }
        return node
    }

    static func upload(_ client: some TestClientProtocol, _ node: TestNode) async throws -> (HTTPResponse.Status, [String: Any]) {
        try await client.execute(
            uri: "/v1/match/file", method: .post, headers: node.headers(.match, json: false), body: try TestNode.fixture(image)
        ) { ($0.status, $0.json) }
    }

    @Test func aScoreAtItsThresholdQueuesTheUploadForReview() async throws {
        let (local, base, server) = try await LocalClassifier.start()
        defer { server.cancel() }
        let node = try await Self.node(classifier: base + "/high")
        try await node.application.test(.router) { client in
            let (status, answer) = try await Self.upload(client, node)
            #expect(status == .ok)
            #expect((answer["matches"] as? [Any])?.isEmpty == true, "same answer shape: no list matched")
            let consulted = try #require(answer["classifier"] as? [String: Any])
            #expect(consulted["consulted"] as? Bool == true && consulted["classifier"] as? String == "local-test/1.0")
            #expect((consulted["scores"] as? [String: Double])?["nudity"] == 0.97)
            let review = try #require(answer["review"] as? [String: Any])
            let id = try #require(review["id"] as? Int)
            let reasons = try #require(review["reasons"] as? [[String: Any]])
            #expect(reasons.count == 1 && reasons.first?["kind"] as? String == "classifier")
            // nudity 0.97 >= 0.9 (the default); violence 0.2 < 0.5 (its own).
            let labels = (reasons.first?["labels"] as? [[String: Any]])?.compactMap { $0["label"] as? String }
            #expect(labels == ["nudity"])

            // Recorded before the answer: the item is there, with the upload's hashes and no bytes.
            let stored = try #require(try await node.store.review(id: Int64(id)))
            #expect(stored.state == .open && stored.mediaType == "image/jpeg")
            #expect(Set(stored.hashes.map(\.algorithm)) == [.md5, .sha256, .pdq])
            #expect(stored.hashes.first { $0.algorithm == .sha256 }?.value == (answer["query"] as? [String: String])?["sha256"])
        }
        #expect(await local.count("high") == 1)
    }

    @Test func aScoreUnderTheThresholdQueuesNothing() async throws {
        let (_, base, server) = try await LocalClassifier.start()
        defer { server.cancel() }
        let node = try await Self.node(classifier: base + "/low")
        try await node.application.test(.router) { client in
            let (status, answer) = try await Self.upload(client, node)
            #expect(status == .ok)
            #expect((answer["classifier"] as? [String: Any])?["consulted"] as? Bool == true)
            #expect(answer["review"] == nil)
        }
        #expect(try await node.store.reviews(state: nil, after: nil, limit: 10).isEmpty)
    }

    @Test(arguments: [
        ("/slow", "timeout"), ("/garbage/nan", "invalid_answer"), ("/garbage/not-json", "invalid_answer"), ("/huge", "invalid_answer"),
        ("/toggle", "http_status"),
    ])
    func aFailingClassifierNeverFailsTheUpload(_ path: String, _ reason: String) async throws {
        let (_, base, server) = try await LocalClassifier.start()
        defer { server.cancel() }
        let node = try await Self.node(classifier: base + path) { if path == "/slow" { $0.timeout = .seconds(1) } }
        try await node.application.test(.router) { client in
            let (status, answer) = try await Self.upload(client, node)
            #expect(status == .ok)
            let consulted = try #require(answer["classifier"] as? [String: Any])
            #expect(consulted["consulted"] as? Bool == false)
            #expect(consulted["reason"] as? String == reason)
            #expect((consulted["message"] as? String)?.isEmpty == false)
            #expect(answer["review"] == nil)
            #expect(answer["query"] != nil && answer["matches"] != nil && answer["actions"] != nil)
        }
        #expect(try await node.store.reviews(state: nil, after: nil, limit: 10).isEmpty, "nothing half-done")
    }

    @Test func anUnreachableClassifierNeverFailsTheUpload() async throws {
        let node = try await Self.node(classifier: "http://127.0.0.1:1/classify") { $0.timeout = .seconds(2) }
        try await node.application.test(.router) { client in
            let (status, answer) = try await Self.upload(client, node)
            #expect(status == .ok)
            // AsyncHTTPClient retries a refused connection until the time limit: `timeout`, or `unreachable`.
            let reason = (answer["classifier"] as? [String: Any])?["reason"] as? String
            #expect(reason == "unreachable" || reason == "timeout", "\(String(describing: reason))")
            #expect(answer["review"] == nil)
        }
    }

    /// Puts the fixture's PDQ hash on a list with `action`.
    static func listing(_ node: TestNode, _ action: ListAction, client: some TestClientProtocol) async throws {
        let pdq: String = try await client.execute(
            uri: "/v1/hash", method: .post, headers: node.headers(.hash, json: false), body: try TestNode.fixture(image)
        ) { ($0.json["pdq"] as? String) ?? "" }
        _ = try await node.store.createList(HashList(name: "listed", kind: .knownAbuseMaterial))
        try await node.store.setPolicy(ActionPolicy(action: action), forList: "listed")
        _ = try await node.store.apply([IndicatorRecord(type: .pdq, value: pdq, provenance: Provenance(sourceItemId: "L-1"))], toList: "listed")
        try await node.engine.catchUp()
        try await node.engine.refreshLists()
    }

    @Test func aBlockedUploadIsNotSentToTheClassifier() async throws {
        let (local, base, server) = try await LocalClassifier.start()
        defer { server.cancel() }
        let node = try await Self.node(classifier: base + "/high")
        try await node.application.test(.router) { client in
            try await Self.listing(node, .block, client: client)
            let (status, answer) = try await Self.upload(client, node)
            #expect(status == .ok)
            #expect((answer["actions"] as? [[String: Any]])?.first?["action"] as? String == "block")
            let consulted = try #require(answer["classifier"] as? [String: Any])
            #expect(consulted["consulted"] as? Bool == false && consulted["reason"] as? String == "blocked")
            #expect(answer["review"] == nil)
        }
        #expect(await local.total == 0)
    }

    @Test func aQuarantineListQueuesTheUploadWithTheClassifiersReasons() async throws {
        let (local, base, server) = try await LocalClassifier.start()
        defer { server.cancel() }
        let node = try await Self.node(classifier: base + "/high")
        try await node.application.test(.router) { client in
            try await Self.listing(node, .quarantine, client: client)
            let (status, answer) = try await Self.upload(client, node)
            #expect(status == .ok)
            let reasons = try #require((answer["review"] as? [String: Any])?["reasons"] as? [[String: Any]])
            #expect(reasons.compactMap { $0["kind"] as? String } == ["list_match", "classifier"], "one item, both reasons")
            #expect(reasons.first?["list"] as? String == "listed")
        }
        #expect(await local.count("high") == 1)
        #expect(try await node.store.reviews(state: nil, after: nil, limit: 10).count == 1)
    }

    @Test func aQuarantineListQueuesAHashLookupWithoutAClassifier() async throws {
        let node = try await Self.node(classifier: nil)
        try await node.application.test(.router) { client in
            try await Self.listing(node, .quarantine, client: client)
            let (status, answer) = try await Self.upload(client, node)
            #expect(status == .ok)
            #expect(answer["classifier"] == nil, "no classifier is configured")
            #expect(((answer["review"] as? [String: Any])?["reasons"] as? [[String: Any]])?.first?["kind"] as? String == "list_match")
            let pdq = try #require((answer["query"] as? [String: String])?["pdq"])
            // A lookup of the hash alone is the same rule: it is queued too.
            try await client.execute(
                uri: "/v1/match/hash", method: .post, headers: node.headers(.match), body: jsonBody(["type": "pdq", "value": pdq])
            ) {
                #expect($0.status == .ok)
                #expect(($0.json["review"] as? [String: Any])?["id"] as? Int != nil)
            }
        }
        #expect(try await node.store.reviews(state: .open, after: nil, limit: 10).count == 2)
    }

    @Test func manyConcurrentUploadsRespectTheConcurrencyLimit() async throws {
        let (local, base, server) = try await LocalClassifier.start()
        defer { server.cancel() }
        let node = try await Self.node(classifier: base + "/hold") {
            $0.maxConcurrent = 2
            $0.timeout = .seconds(30)
        }
        let headers = node.headers(.match, json: false)
        let image = try TestNode.fixture(Self.image)
        let outcomes: [String] = try await node.application.test(.router) { client in
            try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<16 {
                    group.addTask {
                        try await client.execute(uri: "/v1/match/file", method: .post, headers: headers, body: image) { response in
                            guard response.status == .ok else { return "status \(response.status.code)" }
                            let consulted = response.json["classifier"] as? [String: Any]
                            return consulted?["consulted"] as? Bool == true ? "consulted" : (consulted?["reason"] as? String ?? "?")
                        }
                    }
                }
                var all: [String] = []
                for try await outcome in group { all.append(outcome) }
                return all
            }
        }
        #expect(outcomes.allSatisfy { $0 == "consulted" || $0 == "busy" }, "\(outcomes)")
        let peak = await local.peak
        #expect(peak <= 2, "the classifier saw \(peak) calls at once")
        let consulted = outcomes.filter { $0 == "consulted" }.count
        let received = await local.count("hold")
        #expect(consulted >= 1 && consulted == received)
        // Every consulted upload scored 0.95 >= 0.9: each has its own item.
        #expect(try await node.store.reviews(state: .open, after: nil, limit: 100).count == consulted)
    }

    @Test func readySaysWhenTheBreakerIsOpen() async throws {
        let (_, base, server) = try await LocalClassifier.start()
        defer { server.cancel() }
        let clock = ManualClock()
        let node = try await Self.node(classifier: base + "/toggle", clock: clock) {
            $0.failureThreshold = 2
            $0.coolDown = 60
        }
        try await node.application.test(.router) { client in
            let before = try await client.execute(uri: "/ready", method: .get) { response in
                #expect(response.json["warnings"] == nil)
                return response.status
            }
            for _ in 0..<3 { _ = try await Self.upload(client, node) }
            let (_, answer) = try await Self.upload(client, node)
            #expect((answer["classifier"] as? [String: Any])?["reason"] as? String == "circuit_open")
            try await client.execute(uri: "/ready", method: .get) { response in
                #expect(response.status == before, "matching does not need the classifier: readiness is unchanged")
                let warnings = response.json["warnings"] as? [String] ?? []
                #expect(warnings.contains { $0.hasPrefix("classifier: circuit open") }, "\(warnings)")
            }
            clock.advance(by: 60)
            try await client.execute(uri: "/ready", method: .get) {
                #expect(($0.json["warnings"] as? [String] ?? []).contains { $0.hasPrefix("classifier: circuit half-open") })
            }
        }
    }
}
