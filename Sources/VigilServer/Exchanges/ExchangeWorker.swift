public import Foundation
public import Logging
import Metrics
public import ServiceLifecycle
import VigilDomain
import VigilExchange
import VigilMatching
public import VigilStore

/// How the node fetches its exchanges.
public struct ExchangeFetchSettings: Sendable, Hashable {
    /// This node's name in the exchanges' leases: stable across restarts (so a node that restarts
    /// after a crash takes its own fetch up again at once), different between nodes.
    public var owner: String
    /// How long a claim on an exchange holds without a page applied (seconds); after it another
    /// node may take the fetch over.
    public var leaseSeconds: Double
    /// The longest wait for one page (seconds): a source that never answers fails the fetch.
    public var pageTimeoutSeconds: Double
    /// The first back-off after a failure (seconds); it doubles with each failure in a row.
    public var baseDelaySeconds: Double
    /// The longest back-off (seconds).
    public var maxDelaySeconds: Double
    /// How often the worker looks for exchanges that are due (seconds).
    public var pollSeconds: Double
    /// The most pages one fetch applies before it lets the others have their turn.
    public var maxPagesPerFetch: Int

    /// Settings; the defaults suit a node fetching a few exchanges.
    public init(
        owner: String, leaseSeconds: Double = 300, pageTimeoutSeconds: Double = 120, baseDelaySeconds: Double = 5,
        maxDelaySeconds: Double = 3_600, pollSeconds: Double = 5, maxPagesPerFetch: Int = 10_000
    ) {
        self.owner = owner
        self.leaseSeconds = leaseSeconds
        self.pageTimeoutSeconds = pageTimeoutSeconds
        self.baseDelaySeconds = baseDelaySeconds
        self.maxDelaySeconds = maxDelaySeconds
        self.pollSeconds = pollSeconds
        self.maxPagesPerFetch = maxPagesPerFetch
    }
}

/// What one fetch did.
public enum ExchangeFetchOutcome: Sendable, Equatable {
    /// Another node holds the fetch, or it is disabled or not due: nothing was done.
    case notClaimed
    /// Pages were applied; `upToDate` says whether the source had no more.
    case fetched(pages: Int, items: Int, upToDate: Bool)
    /// The fetch failed after `pages` pages (those stay applied); retried at `next`.
    case failed(pages: Int, error: String, next: Date)
    /// Another node took the fetch over while this one ran (its page was not applied).
    case lost(pages: Int)
}

/// Fetches exchanges: claims one (a lease in the store, so that on several nodes one node at a
/// time fetches it), pages through its client until the source has no more, applying each page in
/// one transaction with its checkpoint (``ExchangeService/apply(_:to:owner:at:leaseSeconds:)``),
/// then records the end and when the next fetch is due. A failure (the source's error, a page
/// that does not parse, a rate limit, no answer within the page timeout) keeps what was applied,
/// records the error on the exchange, and backs off exponentially through the injected clock
/// (at least as long as a rate limit's `Retry-After`).
public struct ExchangeFetcher: Sendable {
    let service: ExchangeService
    let store: any NodeStore
    let exchanges: NodeExchanges
    let settings: ExchangeFetchSettings
    let clock: any WallClock
    let logger: Logger

    /// A fetcher for `node`'s exchanges.
    public init(node: Node, settings: ExchangeFetchSettings, logger: Logger = Logger(label: "vigil.exchanges")) {
        self.service = ExchangeService(node: node)
        self.store = node.store
        self.exchanges = node.exchanges
        self.settings = settings
        self.clock = node.clock
        self.logger = logger
    }

    /// The back-off after the `failures`-th failure in a row (1 for the first), at least `retryAfter`.
    func backOff(failures: Int, retryAfter: Int?) -> Double {
        let exponential = min(settings.maxDelaySeconds, settings.baseDelaySeconds * pow(2, Double(max(0, failures - 1))))
        return max(exponential, Double(retryAfter ?? 0))
    }

    /// Fetches every exchange that is enabled and due now; returns how many were fetched well.
    @discardableResult
    public func fetchDue() async throws(StoreError) -> Int {
        let now = clock.now()
        var fetched = 0
        for exchange in try await store.exchanges() where exchange.enabled {
            if let next = exchange.state.nextFetchAt, next > now.rfc3339 { continue }
            if exchange.state.leaseOwner != settings.owner, exchange.isRunning(at: now) { continue }
            if case .fetched = try await fetch(named: exchange.name) { fetched += 1 }
        }
        return fetched
    }

    /// Fetches exchange `name` now if this node can claim it (it is enabled, due unless `force`,
    /// and no other node's lease runs). Store failures are thrown (the round records them); the
    /// source's failures are recorded on the exchange and answered as ``ExchangeFetchOutcome/failed(pages:error:next:)``.
    public func fetch(named name: String, force: Bool = false) async throws(StoreError) -> ExchangeFetchOutcome {
        let owner = settings.owner
        let lease = settings.leaseSeconds
        let claimedAt = clock.now()
        guard
            let exchange = try await store.write({ tx throws(StoreError) in
                try tx.claimExchange(named: name, owner: owner, at: claimedAt, leaseSeconds: lease, force: force)
            })
        else { return .notClaimed }
        let run = try await pages(of: exchange, owner: owner)
        let now = clock.now()
        switch run.end {
        case .lost:
            logger.warning("another node took over an exchange's fetch; this node stops", metadata: ["exchange": "\(name)"])
            return .lost(pages: run.pages)
        case .done(let hasMore):
            let next = hasMore ? now : now.addingTimeInterval(Double(exchange.intervalSeconds))
            _ = try await store.write { tx throws(StoreError) in
                try tx.finishExchangeFetch(named: name, owner: owner, at: now, .succeeded(upToDate: !hasMore, next: next))
            }
            exchanges.health.succeeded(name)
            logger.info(
                "exchange fetched", metadata: ["exchange": "\(name)", "pages": "\(run.pages)", "items": "\(run.items)", "up-to-date": "\(!hasMore)"])
            return .fetched(pages: run.pages, items: run.items, upToDate: !hasMore)
        case .failed(let error):
            var retryAfter: Int?
            if case .rateLimited(let seconds) = error { retryAfter = seconds }
            let next = now.addingTimeInterval(backOff(failures: exchange.state.failures + 1, retryAfter: retryAfter))
            let text = error.description
            _ = try await store.write { tx throws(StoreError) in
                try tx.finishExchangeFetch(named: name, owner: owner, at: now, .failed(error: text, next: next))
            }
            exchanges.health.failed(name, error: text, at: now)
            Counter(label: "vigil_exchange_fetch_failures_total", dimensions: [("exchange", name)]).increment()
            logger.error(
                "fetching an exchange failed (what was applied stays; retried after a back-off)",
                metadata: ["exchange": "\(name)", "pages": "\(run.pages)", "error": "\(text)", "retry": "\(next.rfc3339)"])
            return .failed(pages: run.pages, error: text, next: next)
        }
    }

    /// How a run of pages ended.
    enum PagesEnd {
        /// The pages were applied; `hasMore` when the run stopped at ``ExchangeFetchSettings/maxPagesPerFetch``.
        case done(hasMore: Bool)
        /// Another node took the fetch over.
        case lost
        /// The source failed (what was applied before stays).
        case failed(ExchangeError)
    }

    /// Pages through `exchange`'s client from its checkpoint, applying each page; the source's
    /// errors end the run (answered, not thrown), the store's are thrown.
    func pages(of claimed: StoredExchange, owner: String) async throws(StoreError) -> (end: PagesEnd, pages: Int, items: Int) {
        var exchange = claimed
        let name = exchange.name
        let client: any ExchangeClient
        let kindCredential = exchange.credential == nil ? try await store.exchangeKindCredentials()[exchange.kind] : nil
        do throws(ExchangeError) {
            client = try service.client(for: exchange, kindCredential: kindCredential)
        } catch {
            return (.failed(error), 0, 0)
        }
        var checkpoint = exchange.state.checkpointState.map { ExchangeCheckpoint(state: $0, timestamp: exchange.state.checkpointTimestamp) }
        var pages = 0
        var items = 0
        var hasMore = true
        while hasMore, pages < settings.maxPagesPerFetch {
            let page: ExchangePage
            do throws(ExchangeError) {
                page = try await fetchPage(client, after: checkpoint, exchange: name)
            } catch {
                return (.failed(error), pages, items)
            }
            guard let applied = try await apply(page, to: exchange, owner: owner) else { return (.lost, pages, items) }
            exchange = applied
            pages += 1
            items += page.batch.records.count + page.batch.itemDeletions.count
            checkpoint = page.checkpoint
            hasMore = page.hasMore
            Counter(label: "vigil_exchange_pages_total", dimensions: [("exchange", name)]).increment()
            Counter(label: "vigil_exchange_items_total", dimensions: [("exchange", name)]).increment(by: Int64(page.batch.records.count))
            if let first = page.batch.issues.first {
                Counter(label: "vigil_exchange_skipped_records_total", dimensions: [("exchange", name)]).increment(by: Int64(page.batch.issues.count))
                logger.warning(
                    "an exchange's page had records that were skipped",
                    metadata: ["exchange": "\(name)", "skipped": "\(page.batch.issues.count)", "first": "\(first)"])
            }
        }
        return (.done(hasMore: hasMore), pages, items)
    }

    /// Applies one page; nil when this node no longer holds the fetch (nothing of the page applied).
    func apply(_ page: ExchangePage, to exchange: StoredExchange, owner: String) async throws(StoreError) -> StoredExchange? {
        do {
            return try await service.apply(page, to: exchange, owner: owner, at: clock.now(), leaseSeconds: settings.leaseSeconds)
        } catch {
            if error.code == .stateChanged { return nil }
            throw error
        }
    }

    /// One page, or `unavailable` when the source has not answered within the page timeout.
    func fetchPage(_ client: any ExchangeClient, after checkpoint: ExchangeCheckpoint?, exchange: String) async throws(ExchangeError)
        -> ExchangePage
    {
        let timeout = settings.pageTimeoutSeconds
        let outcome: Result<ExchangePage, ExchangeError>? = await withDeadline(.milliseconds(Int64(timeout * 1_000))) {
            do throws(ExchangeError) {
                return .success(try await client.fetchPage(after: checkpoint))
            } catch {
                return .failure(error)
            }
        }
        guard let outcome else { throw .unavailable("the source did not answer a page within \(Int(timeout)) s") }
        return try outcome.get()
    }
}

/// The node's exchange fetcher as a service: a round every `pollSeconds` (or at once when woken:
/// an exchange created, enabled or asked to fetch now) fetches the exchanges that are due. A round
/// that cannot read or write the store is logged, counted (`vigil_exchange_round_failures_total`)
/// and recorded in the node's ``WorkerHealth`` (`/ready`).
public struct ExchangeWorker: Service {
    let fetcher: ExchangeFetcher
    let failedRounds = Counter(label: "vigil_exchange_round_failures_total")

    /// The worker of `fetcher`.
    public init(fetcher: ExchangeFetcher) {
        self.fetcher = fetcher
    }

    /// One round: fetch what is due; a store failure is logged, counted and recorded.
    public func round() async {
        // Not `started(at:)`: a round that fetches a large exchange runs long, and is not stuck for that.
        let health = fetcher.exchanges.rounds
        do throws(StoreError) {
            try await fetcher.fetchDue()
            health.succeeded(at: fetcher.clock.now())
        } catch {
            failedRounds.increment()
            health.failed(error, at: fetcher.clock.now())
            fetcher.logger.error("exchange round failed (retried next round)", metadata: ["error": "\(String(reflecting: error))"])
        }
    }

    /// Fetches until graceful shutdown; a fetch cut off by the shutdown resumes from its checkpoint at the next start.
    public func run() async throws {
        let poll = Duration.milliseconds(Int64(fetcher.settings.pollSeconds * 1_000))
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await round()
                await fetcher.exchanges.wake.wait(upTo: poll)
            }
        }
    }
}
