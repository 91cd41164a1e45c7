public import Foundation
import Synchronization

/// How far behind the index may fall before the node says it is not ready.
public struct ReadinessLimits: Sendable, Hashable {
    /// The longest time since the follower last read to the end of the change feed (seconds).
    /// Past it the index lags its feed: a write made on another node may not be matched yet.
    public var maxLag: TimeInterval
    /// The longest time the follower may fail without a success in between (seconds).
    public var maxFailure: TimeInterval

    /// Defaults: 30 s of lag, 5 s of failing.
    public init(maxLag: TimeInterval = 30, maxFailure: TimeInterval = 5) {
        self.maxLag = maxLag
        self.maxFailure = maxFailure
    }
}

/// Whether the node can answer matches now, and why not.
public struct Readiness: Sendable, Hashable {
    /// True when every check passes.
    public var ready: Bool
    /// What is wrong, for people (empty when ready).
    public var problems: [String]
}

/// What the index follower last did, read by `/ready` and `/metrics`.
///
/// The follower records each load, success and failure here with the injected clock's time;
/// ``readiness(at:limits:)`` turns that into a verdict, so a test drives it by moving a clock.
public final class FollowerHealth: Sendable {
    struct State: Sendable {
        var loadFailure: String?
        var caughtUpAt: Date?
        var loadFailures = 0
    }

    private let state = Mutex(State())
    /// The follower's rounds: failing for too long makes the node not ready.
    private let rounds = WorkerHealth(activity: "index follower rounds", consequence: "new list entries may not be matched yet")

    /// A follower that has not loaded yet.
    public init() {}

    /// The initial load finished at `now`.
    public func loaded(at now: Date) {
        state.withLock {
            $0.loadFailure = nil
            $0.caughtUpAt = now
        }
    }

    /// The initial load failed (it will be retried).
    public func loadFailed(_ error: any Error) {
        state.withLock {
            $0.loadFailure = String(describing: error)
            $0.loadFailures += 1
        }
    }

    /// A round read the feed to its end at `now`.
    public func caughtUp(at now: Date) {
        state.withLock { $0.caughtUpAt = now }
        rounds.succeeded(at: now)
    }

    /// A round began at `now` (one that does not finish within the readiness limit makes the node
    /// not ready, as a failing one does).
    public func roundStarted(at now: Date) {
        rounds.started(at: now)
    }

    /// A round failed at `now`.
    public func failed(_ error: any Error, at now: Date) {
        rounds.failed(error, at: now)
    }

    /// Rounds that failed since the node started.
    public var failureCount: Int { rounds.failureCount }

    /// Initial loads that failed since the node started.
    public var loadFailureCount: Int { state.withLock { $0.loadFailures } }

    /// Whether the index is loaded (`engineLoaded`: the engine says so, whoever loaded it) and
    /// following its feed closely enough at `now`.
    public func readiness(at now: Date, limits: ReadinessLimits, engineLoaded: Bool) -> Readiness {
        let state = state.withLock { $0 }
        var problems: [String] = []
        if !engineLoaded {
            problems.append(state.loadFailure.map { "the index could not be loaded (retrying): \($0)" } ?? "the index is loading")
            return Readiness(ready: false, problems: problems)
        }
        problems += rounds.problems(at: now, maxFailure: limits.maxFailure)
        if let caughtUp = state.caughtUpAt, now.timeIntervalSince(caughtUp) > limits.maxLag {
            problems.append("the index has not reached the end of its change feed for \(Int(now.timeIntervalSince(caughtUp))) s")
        }
        return Readiness(ready: problems.isEmpty, problems: problems)
    }
}

extension Readiness {
    /// Adds other checks' problems: any problem makes the node not ready.
    public mutating func add(_ more: [String]) {
        guard !more.isEmpty else { return }
        problems += more
        ready = false
    }
}
