import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Synchronization
import Testing
import VigilCentre
import VigilDomain
import VigilExchange
import VigilMatching
import VigilStore
import VigilTestSupport

@testable import VigilServer

/// A source for the fetcher's tests: an append-only log of items put (an item's values, all
/// together) and deleted, served a page at a time with the log position as the checkpoint, and a
/// script of what the next calls do instead (fail, rate-limit, never answer). Seeded values.
final class ScriptedSource: Sendable {
    enum Event: Sendable {
        case put(item: String, values: [String])
        case delete(item: String)
    }

    enum Behaviour: Sendable {
        case fail(ExchangeError)
        case hang
    }

    struct State: Sendable {
        var events: [Event] = []
        var script: [Behaviour] = []
        var calls = 0
        var generator = SplitMix64(seed: 42)
    }

    let state = Mutex(State())
    let pageSize: Int

    init(pageSize: Int = 10) {
        self.pageSize = pageSize
    }

    /// Puts `count` new items of one value each (`prefix-i`); returns their values.
    @discardableResult
    func put(_ count: Int, prefix: String) -> [String] {
        state.withLock { state in
            (0..<count).map { index in
                let value = state.generator.hex(bytes: 32)
                state.events.append(.put(item: "\(prefix)-\(index)", values: [value]))
                return value
            }
        }
    }

    /// Sends item `item` again with new values (an update).
    func update(_ item: String, values: Int) -> [String] {
        state.withLock { state in
            let new = (0..<values).map { _ in state.generator.hex(bytes: 32) }
            state.events.append(.put(item: item, values: new))
            return new
        }
    }

    func delete(_ item: String) {
        state.withLock { $0.events.append(.delete(item: item)) }
    }

    func then(_ behaviours: Behaviour...) {
        state.withLock { $0.script += behaviours }
    }

    var calls: Int { state.withLock { $0.calls } }

    func page(after checkpoint: ExchangeCheckpoint?) async throws(ExchangeError) -> ExchangePage {
        let (behaviour, events): (Behaviour?, [Event]) = state.withLock { state in
            state.calls += 1
            return (state.script.isEmpty ? nil : state.script.removeFirst(), state.events)
        }
        switch behaviour {
        case .fail(let error): throw error
        case .hang:
            // Never answers (until the fetcher gives up on it and cancels).
            while !Task.isCancelled { try? await Task.sleep(for: .milliseconds(20)) }
            throw .unavailable("cancelled")
        case nil: break
        }
        let start = Int(checkpoint?.state ?? "0") ?? 0
        let end = min(events.count, start + pageSize)
        var batch = ImportBatch()
        for (offset, event) in events[start..<end].enumerated() {
            switch event {
            case .put(let item, let values):
                for value in values {
                    batch.records.append(
                        IndicatorRecord(type: .pdq, value: value, provenance: Provenance(sourceOrganisation: "Scripted", sourceItemId: item)))
                }
            case .delete(let item):
                batch.itemDeletions.append(
                    ItemDeletion(record: start + offset + 1, sourceOrganisation: "Scripted", sourceItemId: item, afterRecords: batch.records.count))
            }
        }
        return ExchangePage(
            batch: batch, checkpoint: ExchangeCheckpoint(state: String(end), timestamp: Int64(1_700_000_000 + end)), hasMore: end < events.count)
    }
}

struct ScriptedClient: ExchangeClient {
    let source: ScriptedSource
    var kind: String { "scripted" }
    func fetchPage(after checkpoint: ExchangeCheckpoint?) async throws(ExchangeError) -> ExchangePage {
        try await source.page(after: checkpoint)
    }
}

struct ScriptedMaker: ExchangeClientMaker {
    let source: ScriptedSource
    var kind: String { "scripted" }
    var settingNames: [String: String] { ["note": "anything"] }
    func makeClient(settings: [String: String], credential: String?) throws(ExchangeError) -> any ExchangeClient {
        guard credential == "good" else { throw .unauthorized("the scripted source takes the credential \"good\"") }
        return ScriptedClient(source: source)
    }
}

/// The fetcher against a scripted source, on a node with a manual clock: a full fetch, an
/// incremental one, items sent again replacing their entries, deletions, errors and 429s backing
/// off through the clock, a fetch cut off after page k resuming at k+1 with nothing lost or
/// doubled, a lease that keeps a second node out until it runs out, a source that never answers,
/// and the node serving matches all along.
@Suite("Exchange fetcher", .serialized)
struct ExchangeFetchTests {
    struct Scene {
        var test: TestNode
        var node: Node
        var clock: ManualClock
        var source: ScriptedSource

        static func make(pageSize: Int = 10) async throws -> Scene {
            var test = try await TestNode.make()
            let clock = ManualClock()
            test.clock = clock
            var node = test.node
            let source = ScriptedSource(pageSize: pageSize)
            node.exchanges.registry.register(ScriptedMaker(source: source))
            _ = try await test.store.createList(HashList(name: "shared", kind: .knownAbuseMaterial))
            _ = try await ExchangeService(node: node).create(
                .init(name: "feed", kind: "scripted", list: "shared", credential: "good", intervalSeconds: 600), by: .system)
            return Scene(test: test, node: node, clock: clock, source: source)
        }

        func fetcher(_ owner: String = "node-a", pageTimeout: Double = 30) -> ExchangeFetcher {
            ExchangeFetcher(node: node, settings: ExchangeFetchSettings(owner: owner, leaseSeconds: 60, pageTimeoutSeconds: pageTimeout))
        }

        /// The list's live entries: upstream item → values.
        func live() async throws -> [String: [String]] {
            let entries = try await test.store.entries(ofList: "shared", afterId: 0, limit: 100_000)
            return Dictionary(grouping: entries, by: { $0.provenance.sourceItemId ?? "" }).mapValues { $0.map(\.value).sorted() }
        }
    }

    @Test func aFullFetchThenAnIncrementalOne() async throws {
        let scene = try await Scene.make()
        scene.source.put(35, prefix: "a")
        let outcome = try await scene.fetcher().fetch(named: "feed")
        #expect(outcome == .fetched(pages: 4, items: 35, upToDate: true))
        var live = try await scene.live()
        #expect(live.count == 35 && live.values.allSatisfy { $0.count == 1 })
        let status = try await scene.test.store.exchange(named: "feed")
        #expect(status.state.fetchedItems == 35 && status.state.upToDate && status.state.lastFetchSucceeded == true)
        #expect(status.state.checkpointState == "35" && status.state.checkpointTimestamp == 1_700_000_035 && !status.isRunning(at: scene.clock.now()))
        // The match index has the entries at once.
        #expect(scene.node.engine.status.pdq == 35)

        // Not due again before the interval.
        scene.source.put(3, prefix: "b")
        #expect(try await scene.fetcher().fetchDue() == 0)
        scene.clock.advance(by: 601)
        #expect(try await scene.fetcher().fetchDue() == 1)
        live = try await scene.live()
        #expect(live.count == 38 && live["b-2"]?.count == 1)
        #expect(try await scene.test.store.exchange(named: "feed").state.fetchedItems == 38)
    }

    @Test func anItemSentAgainReplacesItsEntriesAndADeletionRemovesThem() async throws {
        let scene = try await Scene.make()
        scene.source.put(5, prefix: "a")
        _ = try await scene.fetcher().fetch(named: "feed")
        let updated = scene.source.update("a-1", values: 2)
        scene.source.delete("a-3")
        _ = try await scene.fetcher().fetch(named: "feed", force: true)
        let live = try await scene.live()
        #expect(live["a-1"] == updated.sorted())
        #expect(live["a-3"] == nil && live.count == 4)
        #expect(try await scene.test.store.list(named: "shared").entryCount == 5)
        // Fetching the same pages again (a checkpoint lost) leaves the list as it is.
        try await scene.test.store.write { tx throws(StoreError) in
            var exchange = try tx.exchange(named: "feed")
            exchange.state.checkpointState = nil
            try tx.saveExchange(exchange)
        }
        _ = try await scene.fetcher().fetch(named: "feed", force: true)
        #expect(try await scene.live() == live)
    }

    @Test func errorsAndRateLimitsBackOffThroughTheClock() async throws {
        let scene = try await Scene.make()
        scene.source.put(25, prefix: "a")
        let fetcher = scene.fetcher()
        let start = scene.clock.now()
        // Page 2 fails: page 1 stays applied with its checkpoint; retried after 5 s.
        let outcome1 = try await Self.fetch(fetcher, scene: scene, failingAfter: 1, with: .unavailable("HTTP 503"))
        guard case .failed(let pages, let error, let next) = outcome1 else {
            Issue.record("\(outcome1)")
            return
        }
        #expect(pages == 1 && error.contains("HTTP 503") && next == start.addingTimeInterval(5))
        var status = try await scene.test.store.exchange(named: "feed")
        #expect(status.state.checkpointState == "10" && status.state.failures == 1 && status.state.lastFetchSucceeded == false)
        #expect(status.state.lastError?.contains("HTTP 503") == true)
        #expect(try await scene.live().count == 10)
        // The node says so, and keeps serving.
        let warnings = scene.node.exchanges.health.warnings(at: scene.clock.now())
        #expect(warnings.count == 1 && warnings[0].contains("feed") && warnings[0].contains("HTTP 503"))

        // Not before 5 s; a second failure in a row doubles the wait; a 429 waits its Retry-After.
        scene.clock.advance(by: 4)
        #expect(try await fetcher.fetch(named: "feed") == .notClaimed)
        scene.clock.advance(by: 1)
        scene.source.then(.fail(.unavailable("HTTP 502")))
        guard case .failed(_, _, let second) = try await fetcher.fetch(named: "feed") else {
            Issue.record("not failed")
            return
        }
        #expect(second == scene.clock.now().addingTimeInterval(10))
        scene.clock.advance(by: 10)
        scene.source.then(.fail(.rateLimited(retryAfter: 120)))
        guard case .failed(_, let limited, let third) = try await fetcher.fetch(named: "feed") else {
            Issue.record("not failed")
            return
        }
        #expect(third == scene.clock.now().addingTimeInterval(120) && limited.contains("rate-limiting"))
        status = try await scene.test.store.exchange(named: "feed")
        #expect(status.state.failures == 3 && status.state.checkpointState == "10")
        scene.clock.advance(by: 119)
        #expect(try await fetcher.fetch(named: "feed") == .notClaimed)
        scene.clock.advance(by: 1)
        #expect(try await fetcher.fetch(named: "feed") == .fetched(pages: 2, items: 15, upToDate: true))
        status = try await scene.test.store.exchange(named: "feed")
        #expect(status.state.failures == 0 && status.state.lastError == nil && status.state.fetchedItems == 25)
        #expect(scene.node.exchanges.health.warnings(at: scene.clock.now()).isEmpty)
        #expect(try await scene.live().count == 25)
    }

    /// Fetches with the source failing with `error` after `pages` good pages.
    static func fetch(_ fetcher: ExchangeFetcher, scene: Scene, failingAfter pages: Int, with error: ExchangeError) async throws
        -> ExchangeFetchOutcome
    {
        let wrapped = FailAfterSource(source: scene.source, good: pages, error: error)
        var node = scene.node
        node.exchanges.registry.register(FailAfterMaker(source: wrapped))
        let fetcher = ExchangeFetcher(node: node, settings: fetcher.settings)
        return try await fetcher.fetch(named: "feed")
    }

    @Test func aFetchCutOffAfterPageKResumesAtKPlusOneOnAnotherNode() async throws {
        let scene = try await Scene.make()
        scene.source.put(50, prefix: "a")
        let now = scene.clock.now()
        // Node A claims and applies two pages, then dies (its lease is never given back).
        let a = scene.fetcher("node-a")
        let claimed = try #require(
            try await scene.test.store.write { tx throws(StoreError) in
                try tx.claimExchange(named: "feed", owner: "node-a", at: now, leaseSeconds: 60)
            })
        let service = ExchangeService(node: scene.node)
        var checkpoint: ExchangeCheckpoint?
        var exchange = claimed
        for _ in 0..<2 {
            let page = try await scene.source.page(after: checkpoint)
            exchange = try await service.apply(page, to: exchange, owner: "node-a", at: now, leaseSeconds: 60)
            checkpoint = page.checkpoint
        }
        _ = a
        // Node B may not fetch while A's lease runs; after it, B resumes at page 3.
        let b = scene.fetcher("node-b")
        #expect(try await b.fetch(named: "feed", force: true) == .notClaimed)
        scene.clock.advance(by: 61)
        #expect(try await b.fetch(named: "feed") == .fetched(pages: 3, items: 30, upToDate: true))
        let live = try await scene.live()
        #expect(live.count == 50 && live.values.allSatisfy { $0.count == 1 })
        #expect(try await scene.test.store.list(named: "shared").entryCount == 50)
        // A comes back: its page is refused (B holds the fetch now or has finished), nothing doubled.
        _ = try await scene.test.store.write { tx throws(StoreError) in
            try tx.claimExchange(named: "feed", owner: "node-b", at: scene.clock.now(), leaseSeconds: 60, force: true)
        }
        let late = try await scene.source.page(after: nil)
        do {
            _ = try await service.apply(late, to: exchange, owner: "node-a", at: scene.clock.now(), leaseSeconds: 60)
            Issue.record("a node without the lease applied a page")
        } catch {
            #expect(error.code == .stateChanged)
        }
        #expect(try await scene.test.store.list(named: "shared").entryCount == 50)
    }

    @Test func aSourceThatNeverAnswersOrRefusesTheCredentialIsClearAndTheNodeKeepsServing() async throws {
        let scene = try await Scene.make()
        scene.source.put(5, prefix: "a")
        scene.source.then(.hang)
        let outcome = try await scene.fetcher(pageTimeout: 0.3).fetch(named: "feed")
        guard case .failed(0, let error, _) = outcome else {
            Issue.record("\(outcome)")
            return
        }
        #expect(error.contains("did not answer"))
        #expect(try await scene.live().isEmpty)

        // A malformed page: nothing of it applied.
        scene.clock.advance(by: 3_600)
        scene.source.then(.fail(.malformed("expected a JSON object at byte 17")))
        guard case .failed(0, let malformed, _) = try await scene.fetcher().fetch(named: "feed") else {
            Issue.record("not failed")
            return
        }
        #expect(malformed.contains("not a valid page"))
        #expect(try await scene.live().isEmpty)

        // A refused credential: the status says to set a new one.
        let bad = try scene.node.secrets?.sealSecret("bad", context: ExchangeService.context("feed"))
        try await scene.test.store.write { tx throws(StoreError) in
            var exchange = try tx.exchange(named: "feed")
            exchange.credential = bad
            exchange.state.nextFetchAt = nil
            try tx.saveExchange(exchange)
        }
        guard case .failed(0, let refused, _) = try await scene.fetcher().fetch(named: "feed") else {
            Issue.record("not failed")
            return
        }
        #expect(refused.contains("refused the credential"))
        let view = try await scene.test.store.exchange(named: "feed")
        #expect(view.state.lastError?.contains("refused the credential") == true && view.state.failures == 3)

        // The node answers /ready (200, with the warning) and matches.
        let app = buildApplication(node: scene.node)
        try await app.test(.router) { client in
            try await client.execute(uri: "/ready", method: .get) { response in
                // The exchange is a warning, never one of the problems that make the node unready.
                let problems = response.json["problems"] as? [String] ?? []
                #expect(!problems.contains { $0.contains("exchange") })
                let warnings = response.json["warnings"] as? [String] ?? []
                #expect(warnings.count == 1 && warnings[0].contains("refused the credential"))
            }
            let body = jsonBody(["type": "pdq", "value": String(repeating: "ab", count: 32)])
            try await client.execute(uri: "/v1/match/hash", method: .post, headers: scene.test.headers(.match), body: body) { response in
                #expect(response.status == .ok)
            }
        }
    }
}

/// Wraps a source: the first `good` calls answer, the next fails with `error`, then it answers again.
final class FailAfterSource: Sendable {
    let source: ScriptedSource
    let good: Int
    let error: ExchangeError
    let calls = Mutex(0)

    init(source: ScriptedSource, good: Int, error: ExchangeError) {
        self.source = source
        self.good = good
        self.error = error
    }

    func page(after checkpoint: ExchangeCheckpoint?) async throws(ExchangeError) -> ExchangePage {
        let call = calls.withLock { calls in
            calls += 1
            return calls
        }
        if call == good + 1 { throw error }
        return try await source.page(after: checkpoint)
    }
}

struct FailAfterMaker: ExchangeClientMaker {
    let source: FailAfterSource
    var kind: String { "scripted" }
    var settingNames: [String: String] { [:] }
    func makeClient(settings: [String: String], credential: String?) throws(ExchangeError) -> any ExchangeClient {
        FailAfterClient(source: source)
    }
}

struct FailAfterClient: ExchangeClient {
    let source: FailAfterSource
    var kind: String { "scripted" }
    func fetchPage(after checkpoint: ExchangeCheckpoint?) async throws(ExchangeError) -> ExchangePage {
        try await source.page(after: checkpoint)
    }
}
