import Foundation
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing
import VigilDomain
import VigilMatching
import VigilServer
import VigilStore

/// A store read through ``MatchSource`` whose change feed can be made to fail by hand.
final class FailingFeed: MatchSource {
    let base: StoreMatchSource
    let failing = Mutex(false)

    init(_ store: SQLiteStore) {
        base = StoreMatchSource(store)
    }

    func changes(after sequence: Int64, limit: Int) async throws(StoreError) -> [EntryChange] {
        if failing.withLock({ $0 }) { throw StoreError(code: .unavailable, message: "injected failure: the store is unreachable") }
        return try await base.changes(after: sequence, limit: limit)
    }

    func lists() async throws(StoreError) -> [StoredList] { try await base.lists() }
    func policies() async throws(StoreError) -> [Int64: ActionPolicy] { try await base.policies() }
    func signalTypeRatios() async throws(StoreError) -> [String: Double] { try await base.signalTypeRatios() }
}

/// A store read through ``MatchSource`` whose change feed can be made to hang by hand (a database
/// gone away whose connections are being waited for), with a signal when a read is held.
final class HangingFeed: MatchSource {
    let base: StoreMatchSource
    private let state = Mutex<(hanging: Bool, held: [CheckedContinuation<Void, Never>], heldSignal: AsyncStream<Void>.Continuation?)>(
        (false, [], nil))
    /// Yields once for every read that is held.
    let holds: AsyncStream<Void>

    init(_ store: SQLiteStore) {
        base = StoreMatchSource(store)
        let (stream, continuation) = AsyncStream<Void>.makeStream()
        holds = stream
        state.withLock { $0.heldSignal = continuation }
    }

    func hang(_ on: Bool) {
        let released = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.hanging = on
            guard !on else { return [] }
            defer { state.held = [] }
            return state.held
        }
        for continuation in released { continuation.resume() }
    }

    func changes(after sequence: Int64, limit: Int) async throws(StoreError) -> [EntryChange] {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let signal = state.withLock { state -> AsyncStream<Void>.Continuation?? in
                guard state.hanging else { return .none }
                state.held.append(continuation)
                return .some(state.heldSignal)
            }
            switch signal {
            case .none: continuation.resume()
            case .some(let signal): signal?.yield()
            }
        }
        return try await base.changes(after: sequence, limit: limit)
    }

    func lists() async throws(StoreError) -> [StoredList] { try await base.lists() }
    func policies() async throws(StoreError) -> [Int64: ActionPolicy] { try await base.policies() }
    func signalTypeRatios() async throws(StoreError) -> [String: Double] { try await base.signalTypeRatios() }
}

@Suite("Readiness follows the index follower")
struct ReadinessTests {
    /// `/ready` turns 503 when the follower has failed for longer than the bound (time moved by
    /// hand), says why, and turns 200 again by itself with the next successful round.
    @Test func readyGoesDownWhenTheFollowerFailsAndComesBack() async throws {
        let clock = ManualClock()
        let test = try await TestNode.make(load: false)
        let feed = FailingFeed(test.store)
        let engine = try MatchEngine(source: feed)
        let health = FollowerHealth()
        var settings = test.settings
        settings.readiness = ReadinessLimits(maxLag: 30, maxFailure: 5)
        let node = Node(store: test.store, engine: engine, health: health, clock: clock, settings: settings)
        let follower = IndexFollower(engine: engine, health: health, clock: clock)
        let app = buildApplication(node: node)

        @Sendable func ready(_ client: some TestClientProtocol) async throws -> (HTTPResponse.Status, String) {
            try await client.execute(uri: "/ready", method: .get) { ($0.status, String(buffer: $0.body)) }
        }
        try await app.test(.router) { client in
            #expect(try await ready(client).0 == .serviceUnavailable, "not loaded yet")
            #expect(await follower.loadOnce())
            #expect(try await ready(client).0 == .ok)

            feed.failing.withLock { $0 = true }
            #expect(await follower.step() == false)
            clock.advance(by: 3)
            #expect(await follower.step() == false)
            #expect(try await ready(client).0 == .ok, "3 s of failing is within the 5 s bound")
            clock.advance(by: 3)
            #expect(await follower.step() == false)
            let (status, body) = try await ready(client)
            #expect(status == .serviceUnavailable)
            #expect(body.contains("not_ready") && body.contains("injected failure"), "\(body)")
            #expect(health.failureCount == 3)

            feed.failing.withLock { $0 = false }
            #expect(await follower.step())
            #expect(try await ready(client).0 == .ok, "recovered by itself")

            // A follower that stops succeeding for longer than the lag bound also turns it down.
            clock.advance(by: 31)
            #expect(try await ready(client).0 == .serviceUnavailable)
            #expect(await follower.step())
            #expect(try await ready(client).0 == .ok)
        }
    }

    /// A round that hangs (the store does not answer; on PostgreSQL, a database gone away makes
    /// reads wait up to 10 s for a connection before they fail) turns `/ready` 503 once it has run
    /// past the bound, before it fails, and the node is ready again when it finishes.
    @Test func readyGoesDownWhileARoundHangs() async throws {
        let clock = ManualClock()
        let test = try await TestNode.make(load: false)
        let feed = HangingFeed(test.store)
        let engine = try MatchEngine(source: feed)
        let health = FollowerHealth()
        var settings = test.settings
        settings.readiness = ReadinessLimits(maxLag: 30, maxFailure: 5)
        let node = Node(store: test.store, engine: engine, health: health, clock: clock, settings: settings)
        let follower = IndexFollower(engine: engine, health: health, clock: clock)
        let app = buildApplication(node: node)
        try await app.test(.router) { client in
            #expect(await follower.loadOnce())
            feed.hang(true)
            let round = Task { await follower.step() }
            var holds = feed.holds.makeAsyncIterator()
            _ = await holds.next()  // the round is now waiting for the store
            clock.advance(by: 4)
            #expect(try await client.execute(uri: "/ready", method: .get) { $0.status } == .ok, "4 s is within the 5 s bound")
            clock.advance(by: 2)
            let (status, body) = try await client.execute(uri: "/ready", method: .get) { ($0.status, String(buffer: $0.body)) }
            #expect(status == .serviceUnavailable)
            #expect(body.contains("not finished a round for 6 s"), "\(body)")
            feed.hang(false)
            #expect(await round.value)
            #expect(try await client.execute(uri: "/ready", method: .get) { $0.status } == .ok, "ready again when the round finished")
        }
    }
}
