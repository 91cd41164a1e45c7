public import Foundation
import Synchronization

/// What a background worker (the index follower's rounds, the retention sweeps, the filing of
/// reports) last did, read by `/ready`.
///
/// The worker records each round's success or failure with the injected clock's time;
/// ``problems(at:maxFailure:)`` turns that into what `/ready` says, so a test drives it by moving
/// a clock.
public final class WorkerHealth: Sendable {
    struct State: Sendable {
        var lastSuccessAt: Date?
        var failingSince: Date?
        var lastFailure: String?
        var failures = 0
        /// When the round now running began (nil between rounds).
        var runningSince: Date?
    }

    private let state = Mutex(State())
    /// What the worker does, as `/ready` names it ("retention sweeps").
    let activity: String
    /// What its failing means ("expired reports and files are kept past their time").
    let consequence: String

    /// A worker doing `activity` that has not finished a round yet; `consequence` says what its
    /// failing means.
    public init(activity: String, consequence: String) {
        self.activity = activity
        self.consequence = consequence
    }

    /// A round began at `now`. A round that runs for longer than `maxFailure` counts as failing
    /// from its start (a store that does not answer, e.g. a database gone away whose connections
    /// are being waited for, makes a round hang before it fails).
    public func started(at now: Date) {
        state.withLock { $0.runningSince = now }
    }

    /// A round finished at `now`.
    public func succeeded(at now: Date) {
        state.withLock {
            $0.runningSince = nil
            $0.lastSuccessAt = now
            $0.failingSince = nil
            $0.lastFailure = nil
        }
    }

    /// A round failed at `now`.
    public func failed(_ error: any Error, at now: Date) {
        state.withLock {
            $0.runningSince = nil
            if $0.failingSince == nil { $0.failingSince = now }
            $0.lastFailure = String(describing: error)
            $0.failures += 1
        }
    }

    /// Rounds that failed since the node started.
    public var failureCount: Int { state.withLock { $0.failures } }

    /// When the last round finished, if one did.
    public var lastSuccessAt: Date? { state.withLock { $0.lastSuccessAt } }

    /// What is wrong at `now`: rounds failing, without a success in between, for longer than
    /// `maxFailure` seconds, or one round running for longer than that.
    public func problems(at now: Date, maxFailure: TimeInterval) -> [String] {
        let state = state.withLock { $0 }
        if let running = state.runningSince, now.timeIntervalSince(running) > maxFailure,
            state.failingSince.map({ now.timeIntervalSince($0) <= maxFailure }) ?? true
        {
            return [
                "\(activity) have not finished a round for \(Int(now.timeIntervalSince(running))) s (the store does not answer); \(consequence)"
            ]
        }
        guard let since = state.failingSince, now.timeIntervalSince(since) > maxFailure else { return [] }
        return [
            "\(activity) have failed for \(Int(now.timeIntervalSince(since))) s (\(state.failures) failures): \(state.lastFailure ?? "unknown error"); \(consequence)"
        ]
    }
}
