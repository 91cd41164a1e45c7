import Foundation
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing
import VigilCentre
import VigilDomain
import VigilMatching
import VigilServer
import VigilStore

/// A store whose retention reads can be made to fail by hand.
final class FailingRetentionStore: TransactionalStore, RetentionStore {
    let base: SQLiteStore
    let failing = Mutex(false)

    init(_ store: SQLiteStore) {
        base = store
    }

    func check() throws(StoreError) {
        if failing.withLock({ $0 }) { throw StoreError(code: .unavailable, message: "injected failure: the store is unreachable") }
    }

    func write<T: Sendable>(_ body: @escaping @Sendable (any StoreTransaction) throws(StoreError) -> T) async throws(StoreError) -> T {
        try check()
        return try await base.write(body)
    }

    func retentionFacts(changedBy: Date, afterId: Int64, limit: Int) async throws(StoreError) -> [RetentionFacts] {
        try check()
        return try await base.retentionFacts(changedBy: changedBy, afterId: afterId, limit: limit)
    }

    func preservations(reportId: Int64) async throws(StoreError) -> [StoredPreservation] {
        try await base.preservations(reportId: reportId)
    }

    func openSubmissions(afterId: Int64, limit: Int) async throws(StoreError) -> [OpenSubmissionTimes] {
        try check()
        return try await base.openSubmissions(afterId: afterId, limit: limit)
    }
}

@Suite("Readiness follows the retention worker")
struct RetentionReadinessTests {
    /// `/ready` turns 503 on a Centre node when retention sweeps have failed for longer than the
    /// bound (time moved by hand), says why, counts the failures, and turns 200 with the next sweep.
    @Test func readyGoesDownWhenSweepsFailForLongAndComesBack() async throws {
        let clock = ManualClock()
        let test = try await TestNode.make()
        var settings = test.settings
        settings.retention.maxFailureSeconds = 600
        let node = Node(store: test.store, engine: test.engine, clock: clock, settings: settings)
        let store = FailingRetentionStore(test.store)
        let worker = RetentionWorker(service: RetentionService(store: store, clock: clock), health: node.retentionHealth)
        let app = buildApplication(node: node)

        @Sendable func ready(_ client: some TestClientProtocol) async throws -> (HTTPResponse.Status, String) {
            try await client.execute(uri: "/ready", method: .get) { ($0.status, String(buffer: $0.body)) }
        }
        try await app.test(.router) { client in
            #expect(await worker.sweepOnce() != nil)
            #expect(try await ready(client).0 == .ok)

            store.failing.withLock { $0 = true }
            #expect(await worker.sweepOnce() == nil)
            clock.advance(by: 300)
            #expect(await worker.sweepOnce() == nil)
            #expect(try await ready(client).0 == .ok, "5 minutes of failing is within the 10-minute bound")
            clock.advance(by: 301)
            #expect(await worker.sweepOnce() == nil)
            let (status, body) = try await ready(client)
            #expect(status == .serviceUnavailable)
            #expect(body.contains("not_ready") && body.contains("retention sweeps have failed") && body.contains("injected failure"), "\(body)")
            #expect(node.retentionHealth.failureCount == 3)

            store.failing.withLock { $0 = false }
            #expect(await worker.sweepOnce() != nil)
            #expect(try await ready(client).0 == .ok, "recovered by itself")
        }
    }
}
