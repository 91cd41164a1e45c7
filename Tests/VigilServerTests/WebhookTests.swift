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

/// A real HTTP receiver on loopback that fails its first `failures` requests.
actor Receiver {
    struct Received: Sendable {
        let body: [UInt8]
        let timestamp: String
        let signature: String
        let delivery: String
        let status: Int
    }

    var received: [Received] = []
    let failures: Int

    init(failures: Int) {
        self.failures = failures
    }

    func record(body: [UInt8], headers: HTTPFields) -> HTTPResponse.Status {
        let status: HTTPResponse.Status = received.count < failures ? .internalServerError : .ok
        func header(_ name: String) -> String { HTTPField.Name(name).flatMap { headers[$0] } ?? "" }
        received.append(
            Received(
                body: body, timestamp: header("X-Vigil-Timestamp"), signature: header("X-Vigil-Signature"),
                delivery: header("X-Vigil-Delivery"), status: Int(status.code)))
        return status
    }

    /// Runs the receiver until the task is cancelled, reporting its port.
    static func serve(_ receiver: Receiver, port: AsyncStream<Int>.Continuation) async throws {
        let router = Router()
        router.post("hook") { request, _ -> HTTPResponse.Status in
            let body = try await request.body.collect(upTo: 1 << 20)
            return await receiver.record(body: Array(body.readableBytesView), headers: request.headers)
        }
        // A receiver that moved: redirects are not followed by deliveries.
        router.post("moved") { _, _ in Response(status: .temporaryRedirect, headers: [.location: "/hook"]) }
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in port.yield(channel.localAddress?.port ?? 0) })
        try await app.runService(gracefulShutdownSignals: [])
    }
}

@Suite("Webhooks through the outbox", .serialized)
struct WebhookTests {
    let secret = "a-shared-secret-of-32-characters"
    /// The receivers run on loopback: deliveries to them need `webhooks.allow-private`.
    static let loopbackAllowed = AddressPolicy(allowPrivate: true, setting: "webhooks.allow-private")

    @Test func matchesAreDeliveredSignedWithRetriesAndSurviveARestart() async throws {
        let receiver = Receiver(failures: 2)
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let server = Task { try await Receiver.serve(receiver, port: continuation) }
        defer { server.cancel() }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())

        let node = try await TestNode.make()
        _ = try await node.store.createList(HashList(name: "hooked", kind: .knownAbuseMaterial))
        try await node.store.setPolicy(ActionPolicy(action: .block, webhookURL: "http://127.0.0.1:\(port)/hook", secret: secret), forList: "hooked")
        _ = try await node.store.apply(
            [IndicatorRecord(type: .pdq, value: bridgeHash, provenance: Provenance(sourceItemId: "H-1"))], toList: "hooked")
        try await node.engine.catchUp()
        try await node.engine.refreshLists()

        let deliveryId: Int64 = try await node.application.test(.router) { client in
            try await client.execute(
                uri: "/v1/match/hash", method: .post, headers: node.headers(.match), body: jsonBody(["type": "pdq", "value": bridgeHash])
            ) { response in
                let actions = response.json["actions"] as? [[String: Any]] ?? []
                #expect(actions.first?["action"] as? String == "block")
                return Int64(actions.first?["delivery_id"] as? Int ?? 0)
            }
        }
        // Recorded before the answer, not yet attempted.
        let recorded = try #require(try await node.store.delivery(deliveryId))
        #expect(recorded.attempts == 0 && recorded.deliveredAt == nil)

        // The worker's clock is moved by hand past each retry's backoff (no sleeping).
        let clock = ManualClock(SystemClock().now())
        let worker = DeliveryWorker(store: node.store, addresses: Self.loopbackAllowed, baseDelay: 2, clock: clock)
        for _ in 0..<3 where try await node.store.delivery(deliveryId)?.deliveredAt == nil {
            try await worker.deliverDue()
            #expect(try await worker.deliverDue() == 0, "nothing is due again before its backoff has passed")
            clock.advance(by: 60)
        }
        let done = try #require(try await node.store.delivery(deliveryId))
        #expect(done.deliveredAt != nil)
        #expect(done.attempts == 3)
        let received = await receiver.received
        #expect(received.map(\.status) == [500, 500, 200])
        let last = try #require(received.last)
        #expect(last.delivery == String(deliveryId))
        #expect(last.signature == DeliveryWorker.signature(body: last.body, timestamp: last.timestamp, secret: secret))
        #expect(last.signature != DeliveryWorker.signature(body: last.body, timestamp: last.timestamp, secret: secret + "x"))
        let event = try #require(try JSONSerialization.jsonObject(with: Data(last.body)) as? [String: Any])
        #expect(event["list"] as? String == "hooked")
        #expect(((event["matches"] as? [[String: Any]])?.first?["provenance"] as? [String: Any])?["source_item_id"] as? String == "H-1")

        // A message recorded before a "crash" is delivered by the next process on the same database.
        let hooked = try await node.store.list(named: "hooked").id
        let pending = try await node.store.enqueue([
            OutboxMessage(listId: hooked, url: "http://127.0.0.1:\(port)/hook", body: Array("{\"event\":\"test\"}".utf8))
        ])
        let reopened = try SQLiteStore(path: node.path)
        #expect(try await DeliveryWorker(store: reopened, addresses: Self.loopbackAllowed, baseDelay: 0.05).deliverDue() == 1)
        #expect(try await reopened.delivery(pending[0])?.deliveredAt != nil)
    }

    @Test func policiesAreValidated() async throws {
        let node = try await TestNode.make()
        _ = try await node.store.createList(HashList(name: "p", kind: .internal))
        try await node.application.test(.router) { client in
            try await client.execute(
                uri: "/v1/lists/p/action", method: .put, headers: node.headers(.curate),
                body: jsonBody(["action": "quarantine", "webhook_url": "ftp://example.invalid/x", "secret": secret])
            ) {
                #expect($0.status == .badRequest)
            }
            try await client.execute(
                uri: "/v1/lists/p/action", method: .put, headers: node.headers(.curate),
                body: jsonBody(["action": "quarantine", "webhook_url": "http://127.0.0.1:9/x"])
            ) {
                #expect($0.status == .badRequest)
            }
            // A loopback address is refused when the policy is set (the node does not allow private webhooks).
            try await client.execute(
                uri: "/v1/lists/p/action", method: .put, headers: node.headers(.curate),
                body: jsonBody(["action": "notify", "webhook_url": "http://127.0.0.1:9/x", "secret": secret])
            ) {
                #expect($0.status == .badRequest)
                #expect($0.errorCode == "webhook_address_not_allowed")
            }
            try await client.execute(
                uri: "/v1/lists/p/action", method: .put, headers: node.headers(.curate),
                body: jsonBody(["action": "notify", "webhook_url": "https://hooks.example/vigil", "secret": secret])
            ) { response in
                #expect(response.status == .ok)
                #expect(response.json["has_secret"] as? Bool == true)
                #expect(response.json["webhook_url"] as? String == "https://hooks.example/vigil")
                #expect(response.json["secret"] == nil)
            }
            try await client.execute(uri: "/v1/lists/p/action", method: .get, headers: node.headers(.curate)) {
                #expect($0.json["action"] as? String == "notify")
            }
            try await client.execute(uri: "/v1/lists/p/action", method: .delete, headers: node.headers(.curate)) { #expect($0.status == .noContent) }
            try await client.execute(uri: "/v1/lists/p/action", method: .get, headers: node.headers(.curate)) { #expect($0.status == .notFound) }
        }
    }
}
