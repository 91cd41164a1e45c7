public import Logging
import Metrics
public import ServiceLifecycle
public import VigilDomain

/// Loads the match indexes, then follows the store's change feed until shutdown.
///
/// Nothing it does fails silently: a failed load is retried with backoff, and every failed round
/// is logged with its error, counted (`vigil_follower_failures_total`) and recorded in
/// ``FollowerHealth``, which turns `/ready` to 503 when the follower has failed for too long or the
/// index lags its feed; both recover by themselves with the next successful round.
public struct IndexFollower: Service {
    let engine: MatchEngine
    let health: FollowerHealth
    let clock: any WallClock
    let interval: Duration
    let logger: Logger
    let failures = Counter(label: "vigil_follower_failures_total")
    let loadFailures = Counter(label: "vigil_index_load_failures_total")

    /// Creates a follower polling every `interval` (writes through this node apply at once).
    public init(
        engine: MatchEngine, health: FollowerHealth, clock: any WallClock = SystemClock(), interval: Duration = .milliseconds(200),
        logger: Logger = Logger(label: "vigil.follower")
    ) {
        self.engine = engine
        self.health = health
        self.clock = clock
        self.interval = interval
        self.logger = logger
    }

    /// Loads the indexes once; on failure logs, counts and records it, and returns false.
    public func loadOnce() async -> Bool {
        do {
            try await engine.load()
            health.loaded(at: clock.now())
            logger.info("index loaded", metadata: ["sequence": "\(engine.status.sequence)", "pdq": "\(engine.status.pdq)"])
            return true
        } catch {
            loadFailures.increment()
            health.loadFailed(error)
            logger.error("index load failed; retrying", metadata: ["error": "\(error)"])
            return false
        }
    }

    /// One round: applies new changes (and every `refreshEvery`-th round re-reads the lists'
    /// settings, which another node may have changed). Returns whether it succeeded.
    @discardableResult
    public func step(refreshLists: Bool = false) async -> Bool {
        health.roundStarted(at: clock.now())
        do {
            try await engine.catchUp()
            if refreshLists { try await engine.refreshLists() }
            health.caughtUp(at: clock.now())
            return true
        } catch {
            failures.increment()
            health.failed(error, at: clock.now())
            logger.error(
                "index follower round failed", metadata: ["error": "\(error)", "sequence": "\(engine.status.sequence)"])
            return false
        }
    }

    /// Loads (retrying with backoff up to 30 s), then runs a round every `interval` until graceful shutdown.
    public func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                var backoff = Duration.milliseconds(500)
                while await !loadOnce() {
                    try await Task.sleep(for: backoff)
                    backoff = min(backoff * 2, .seconds(30))
                }
                var round = 0
                while !Task.isCancelled {
                    round += 1
                    // List settings changed by another node (radius, kill switch) are re-read every few seconds.
                    await step(refreshLists: round % 25 == 0)
                    try await Task.sleep(for: interval)
                }
            }
        } catch is CancellationError {
            // Graceful shutdown: nothing left to do; every write was durable before it was acknowledged.
        }
    }
}
