public import Logging
import Metrics
public import ServiceLifecycle
public import VigilCentre
import VigilDomain
public import VigilMatching

/// How the Centre's retention runs (see NodeConfiguration's `retention.*` keys).
public struct RetentionSettings: Sendable, Hashable {
    /// How long a report is kept after the last action on it, in days.
    public var reportDays: Int = RetentionRule.defaultDays
    /// How often the worker sweeps, in seconds.
    public var intervalSeconds: Double = 300
    /// How long sweeps may fail, without a success in between, before `/ready` says so (seconds).
    public var maxFailureSeconds: Double = 3_600

    /// The defaults: 365 days, a sweep every 5 minutes, `/ready` 503 after an hour of failures.
    public init() {}
}

/// Deletes, every few minutes, what the Centre may no longer keep (``RetentionService``): reports
/// past their retention and CyberTipline submissions left unfinished past their lifetime.
///
/// A failed sweep deletes nothing of its failed batch and is tried again at the next round; it is
/// logged, counted (`vigil_retention_sweep_failures_total`) and recorded in ``WorkerHealth``,
/// which `/ready` reads.
public struct RetentionWorker: Service {
    let service: RetentionService
    let health: WorkerHealth
    let interval: Duration
    let logger: Logger
    let failedSweeps = Counter(label: "vigil_retention_sweep_failures_total")
    let deletedReports = Counter(label: "vigil_retention_reports_deleted_total")
    let expiredSubmissions = Counter(label: "vigil_retention_submissions_expired_total")

    /// A worker running `service` every `interval`, recording into `health`.
    public init(
        service: RetentionService, health: WorkerHealth, interval: Duration = .seconds(300), logger: Logger = Logger(label: "vigil.retention")
    ) {
        self.service = service
        self.health = health
        self.interval = interval
        self.logger = logger
    }

    /// One sweep; returns what it did, or nil when it failed (logged, counted, recorded).
    @discardableResult
    public func sweepOnce() async -> RetentionService.Sweep? {
        do {
            let sweep = try await service.sweep()
            health.succeeded(at: service.clock.now())
            deletedReports.increment(by: sweep.reports.count)
            expiredSubmissions.increment(by: sweep.submissions.count)
            if !sweep.reports.isEmpty || !sweep.submissions.isEmpty {
                logger.info(
                    "retention sweep", metadata: ["reports-deleted": "\(sweep.reports.count)", "submissions-expired": "\(sweep.submissions.count)"])
            }
            return sweep
        } catch {
            failedSweeps.increment()
            health.failed(error, at: service.clock.now())
            logger.error("retention sweep failed (retried next round)", metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// Sweeps until graceful shutdown.
    public func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                while !Task.isCancelled {
                    await sweepOnce()
                    try await Task.sleep(for: interval)
                }
            }
        } catch is CancellationError {
            // The next start sweeps again.
        }
    }
}
