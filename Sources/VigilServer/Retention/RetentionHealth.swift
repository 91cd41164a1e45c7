public import Foundation
import Synchronization
import VigilMatching

/// What the retention worker last did, read by `/ready` and `/metrics`.
///
/// The worker records each sweep's success or failure with the injected clock's time;
/// ``problems(at:maxFailure:)`` turns that into what `/ready` says, so a test drives it by moving
/// a clock.
public final class RetentionHealth: Sendable {
    struct State: Sendable {
        var lastSweepAt: Date?
        var failingSince: Date?
        var lastFailure: String?
        var failures = 0
    }

    private let state = Mutex(State())

    /// A worker that has not swept yet.
    public init() {}

    /// A sweep finished at `now`.
    public func swept(at now: Date) {
        state.withLock {
            $0.lastSweepAt = now
            $0.failingSince = nil
            $0.lastFailure = nil
        }
    }

    /// A sweep failed at `now`.
    public func failed(_ error: any Error, at now: Date) {
        state.withLock {
            if $0.failingSince == nil { $0.failingSince = now }
            $0.lastFailure = String(describing: error)
            $0.failures += 1
        }
    }

    /// Sweeps that failed since the node started.
    public var failureCount: Int { state.withLock { $0.failures } }

    /// When the last sweep finished, if one did.
    public var lastSweepAt: Date? { state.withLock { $0.lastSweepAt } }

    /// What is wrong at `now`: sweeps failing, without a success in between, for longer than
    /// `maxFailure` seconds (expired reports and files are then kept past their time).
    public func problems(at now: Date, maxFailure: TimeInterval) -> [String] {
        let state = state.withLock { $0 }
        guard let since = state.failingSince, now.timeIntervalSince(since) > maxFailure else { return [] }
        return [
            "retention sweeps have failed for \(Int(now.timeIntervalSince(since))) s (\(state.failures) failures): \(state.lastFailure ?? "unknown error"); expired reports and files are kept past their time"
        ]
    }
}

extension Readiness {
    /// Adds other checks' problems: any problem makes the node not ready.
    mutating func add(_ more: [String]) {
        guard !more.isEmpty else { return }
        problems += more
        ready = false
    }
}
