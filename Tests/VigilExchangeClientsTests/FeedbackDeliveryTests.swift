import Foundation
import Synchronization
import Testing
import VigilCentre
import VigilDomain
import VigilExchange
import VigilExchangeClients
import VigilMatching
import VigilServer
import VigilStore
import VigilTestSupport

/// A node's verdicts sent back to the services by the feedback worker, each service a local
/// emulator that records what it received: entries fetched from ThreatExchange, NCMEC and StopNCII
/// through the exchange fetcher, a verdict on each sent once with the service's body; a 5xx tried
/// again after the back-off (the clock moved, no sleeping) and then sent; a 4xx given up with the
/// reason; attempts running out; an entry from a file import recording its verdict and sending
/// nothing. On both stores.
@Suite("Exchange feedback delivered to the emulators")
struct FeedbackDeliveryTests {
    struct Scene {
        let store: any NodeStore
        let node: Node
        let clock: ManualClock

        static func make(_ factory: StoreFactory) async throws -> Scene {
            let clock = ManualClock()
            let store = try await factory.make(clock)
            let engine = try MatchEngine(store: store)
            try await engine.load()
            var node = Node(store: store, engine: engine, clock: clock)
            node.secrets = ContentVault(keyring: MasterKeyring(current: .generate()))
            for maker in ExchangeServiceMakers.all(clock: clock) { node.exchanges.registry.register(maker) }
            _ = try await store.createList(HashList(name: "shared", kind: .knownAbuseMaterial))
            return Scene(store: store, node: node, clock: clock)
        }

        /// Creates exchange `name` on list `shared` and fetches it to the end.
        func exchange(_ name: String, kind: String, settings: [String: String], credential: String) async throws {
            _ = try await ExchangeService(node: node).create(
                .init(name: name, kind: kind, list: "shared", settings: settings, credential: credential), by: .system)
            let outcome = try await ExchangeFetcher(node: node, settings: ExchangeFetchSettings(owner: "test")).fetch(named: name)
            guard case .fetched(_, let items, true) = outcome, items > 0 else {
                Issue.record("exchange \(name) did not fetch: \(outcome)")
                return
            }
        }

        /// The live entry holding `value`.
        func entry(_ value: String) async throws -> StoredEntry {
            let all = try await store.entries(ofList: "shared", afterId: 0, limit: 1_000)
            return try #require(all.first { $0.value == value }, "no entry holds \(value)")
        }

        @discardableResult
        func verdict(_ verdict: EntryVerdictKind, on entry: Int64, by reviewer: String = "key:7") async throws -> StoredEntryVerdict {
            try await VerdictService(node: node).record(verdict, entry: entry, list: "shared", by: Actor(name: reviewer, organisation: "Example"))
        }

        func feedback(on entry: Int64, by reviewer: String = "key:7") async throws -> StoredFeedback? {
            try await store.verdicts(entryId: entry).first { $0.reviewer == reviewer }?.feedback
        }

        var worker: FeedbackWorker {
            FeedbackWorker(node: node, settings: FeedbackSettings(baseDelaySeconds: 5, maxDelaySeconds: 60, maxAttempts: 3))
        }
    }

    @Test(arguments: StoreFactory.all)
    func eachServiceGetsItsVerdictOnceWithItsBody(_ factory: StoreFactory) async throws {
        let scene = try await Scene.make(factory)
        var hashes = HashSource(seed: 77)
        let (tePDQ, ncmecPDQ, stopPDQ) = (hashes.pdq(), hashes.pdq(), hashes.pdq())

        let te = ThreatExchangeEmulator()
        let teServer = try await EmulatorServer.start(te.router())
        defer { teServer.stop() }
        te.put(.init(id: "101", indicator: tePDQ, type: "HASH_PDQ", lastUpdated: 1_700_000_000))
        try await scene.exchange(
            "TE", kind: "fb_threatexchange", settings: ["base_url": teServer.base, "privacy_group": te.group], credential: te.token)

        let ncmec = NCMECEmulator()
        let ncmecServer = try await EmulatorServer.start(ncmec.router())
        defer { ncmecServer.stop() }
        let now = Int64(scene.clock.now().timeIntervalSince1970)
        ncmec.put(.init(id: "image1", timestamp: now - 3_600, fingerprints: [("pdq", ncmecPDQ)]))
        try await scene.exchange(
            "NCMEC", kind: "ncmec", settings: ["base_url": ncmecServer.base, "start": String(now - 86_400)],
            credential: "\(ncmec.user):\(ncmec.password)")

        let stop = StopNCIIEmulator()
        let stopServer = try await EmulatorServer.start(stop.router())
        defer { stopServer.stop() }
        stop.put(.init(hash: stopPDQ, modified: 1_700_000_000))
        try await scene.exchange(
            "STOPNCII", kind: "stopncii", settings: ["base_url": stopServer.base + "/v1"],
            credential: "\(stop.functionKey),\(stop.subscriptionKey),\(stop.feedbackKey)")

        let teEntry = try await scene.entry(tePDQ)
        let ncmecEntry = try await scene.entry(ncmecPDQ)
        let stopEntry = try await scene.entry(stopPDQ)
        #expect(try await scene.verdict(.truePositive, on: teEntry.id).feedback?.state == .pending)
        #expect(try await scene.verdict(.falsePositive, on: ncmecEntry.id).feedback?.state == .pending)
        #expect(try await scene.verdict(.seen, on: stopEntry.id).feedback?.state == .pending)
        // NCMEC has no "seen": that verdict is recorded and sends nothing.
        #expect(try await scene.verdict(.seen, on: ncmecEntry.id, by: "key:8").feedback == nil)

        #expect(try await scene.worker.sendDue() == 3)
        #expect(te.reactions.withLock { $0 } == ["9101: reactions=HELPFUL"])
        let sentToNCMEC = ncmec.feedback.withLock { $0 }
        #expect(sentToNCMEC.count == 1)
        #expect(sentToNCMEC.first?.hasPrefix("42/image1/PDQ: ") == true)
        #expect(sentToNCMEC.first?.contains("<negative><reasonIds><guid>01234567-abcd-0123-4567-012345678900</guid></reasonIds></negative>") == true)
        let sentToStopNCII = stop.feedback.withLock { $0 }.compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(sentToStopNCII.count == 1)
        let item = (sentToStopNCII.first?["hashFeedbacks"] as? [[String: Any]])?.first
        #expect(item?["hashValue"] as? String == stopPDQ && item?["feedbackValue"] as? String == "PendingReview")

        // Never twice: not now, not later.
        #expect(try await scene.worker.sendDue() == 0)
        scene.clock.advance(by: 7_200)
        #expect(try await scene.worker.sendDue() == 0)
        #expect(te.reactions.withLock { $0.count } == 1 && ncmec.feedback.withLock { $0.count } == 1 && stop.feedback.withLock { $0.count } == 1)
        for entry in [teEntry, ncmecEntry, stopEntry] {
            let sent = try #require(try await scene.feedback(on: entry.id))
            #expect(sent.state == .sent && sent.attempts == 1 && sent.lastError == nil && sent.sentAt != nil)
        }
    }

    @Test(arguments: StoreFactory.all)
    func a5xxIsTriedAgainAfterTheBackOffA4xxIsGivenUpAndAttemptsRunOut(_ factory: StoreFactory) async throws {
        let scene = try await Scene.make(factory)
        var hashes = HashSource(seed: 78)
        let values = (0..<3).map { _ in hashes.pdq() }
        let stop = StopNCIIEmulator()
        let server = try await EmulatorServer.start(stop.router())
        defer { server.stop() }
        for value in values { stop.put(.init(hash: value, modified: 1_700_000_000)) }
        try await scene.exchange(
            "STOPNCII", kind: "stopncii", settings: ["base_url": server.base + "/v1"],
            credential: "\(stop.functionKey),\(stop.subscriptionKey),\(stop.feedbackKey)")
        let entries = try await values.asyncMap { try await scene.entry($0) }

        // A 503, then the service takes it after the back-off.
        stop.feedbackFaults.add(.status(503, [:], "busy"))
        try await scene.verdict(.truePositive, on: entries[0].id)
        #expect(try await scene.worker.sendDue() == 0)
        let retried = try #require(try await scene.feedback(on: entries[0].id))
        #expect(retried.state == .pending && retried.attempts == 1 && retried.lastError?.contains("503") == true)
        #expect(retried.nextAttemptAt == scene.clock.now().addingTimeInterval(5).rfc3339)
        #expect(try await scene.worker.sendDue() == 0, "not due before the back-off")
        #expect(stop.feedback.withLock { $0.isEmpty })
        scene.clock.advance(by: 5)
        #expect(try await scene.worker.sendDue() == 1)
        #expect(stop.feedback.withLock { $0.count } == 1)
        let sent = try #require(try await scene.feedback(on: entries[0].id))
        #expect(sent.state == .sent && sent.attempts == 2)

        // A 400 is given up at once, with the service's answer as the reason.
        stop.feedbackFaults.add(.status(400, [:], #"{"message": "unknown hash"}"#))
        try await scene.verdict(.falsePositive, on: entries[1].id)
        #expect(try await scene.worker.sendDue() == 0)
        let refused = try #require(try await scene.feedback(on: entries[1].id))
        #expect(refused.state == .givenUp && refused.attempts == 1)
        #expect(refused.lastError?.contains("HTTP 400") == true && refused.lastError?.contains("unknown hash") == true, "\(refused)")
        scene.clock.advance(by: 3_600)
        #expect(try await scene.worker.sendDue() == 0)

        // Three 503s with three attempts allowed: given up, saying so.
        stop.feedbackFaults.add(.status(503, [:], "busy"), .status(503, [:], "busy"), .status(503, [:], "busy"))
        try await scene.verdict(.truePositive, on: entries[2].id)
        for delay in [0.0, 5, 10] {
            scene.clock.advance(by: delay)
            #expect(try await scene.worker.sendDue() == 0)
        }
        let exhausted = try #require(try await scene.feedback(on: entries[2].id))
        #expect(exhausted.state == .givenUp && exhausted.attempts == 3 && exhausted.lastError?.hasPrefix("given up after 3 attempts") == true)
        #expect(stop.feedback.withLock { $0.count } == 1, "only the first verdict reached the service")
    }

    @Test(arguments: StoreFactory.all)
    func anEntryFromAFileImportRecordsItsVerdictAndSendsNothing(_ factory: StoreFactory) async throws {
        let scene = try await Scene.make(factory)
        var hashes = HashSource(seed: 79)
        let stop = StopNCIIEmulator()
        let server = try await EmulatorServer.start(stop.router())
        defer { server.stop() }
        let fetched = hashes.pdq()
        stop.put(.init(hash: fetched, modified: 1_700_000_000))
        try await scene.exchange(
            "STOPNCII", kind: "stopncii", settings: ["base_url": server.base + "/v1"],
            credential: "\(stop.functionKey),\(stop.subscriptionKey),\(stop.feedbackKey)")
        // The same list also holds an entry imported from a file, with the provenance a StopNCII file gives.
        let imported = hashes.pdq()
        let ids = try await scene.store.write { tx throws(StoreError) in
            try tx.applyReplacingItems(
                [
                    IndicatorRecord(
                        type: .pdq, value: imported, provenance: Provenance(sourceOrganisation: "StopNCII", sourceItemId: "ImagePDQ:\(imported)"))
                ],
                toList: "shared")
        }
        let recorded = try await scene.verdict(.truePositive, on: try #require(ids.added.first))
        #expect(recorded.verdict == .truePositive && recorded.feedback == nil)
        #expect(try await scene.store.verdicts(entryId: try #require(ids.added.first)).count == 1)
        #expect(try await scene.worker.sendDue() == 0)
        #expect(stop.feedback.withLock { $0.isEmpty })
    }
}

extension Array {
    /// The elements transformed one after another by an async function.
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
