public import Foundation
import Synchronization
public import VigilDomain

/// A circuit breaker over calls to one service, with time read from the injected clock.
///
/// Closed, it lets every call through and counts failures in a row; at `failureThreshold` it opens
/// for `coolDown` seconds, refusing calls at once. When the cool-down has passed the next call is
/// let through as a trial (half-open) while other calls are still refused: a trial that succeeds
/// closes it, one that fails opens it again for another cool-down.
public final class CircuitBreaker: Sendable {
    /// What a caller may do.
    public enum Admission: Sendable, Hashable {
        /// Make the call (and report its result with `trial: false`).
        case call
        /// Make the one trial call of the half-open breaker (report its result with `trial: true`).
        case trial
        /// Do not call: the breaker is open (until this time) or its trial is in flight (nil).
        case refused(until: Date?)
    }

    private enum Phase {
        case closed(failures: Int)
        case open(until: Date)
        case halfOpen
    }

    /// Failures in a row that open it.
    public let failureThreshold: Int
    /// How long it stays open, in seconds.
    public let coolDown: TimeInterval
    private let clock: any WallClock
    private let phase = Mutex<Phase>(.closed(failures: 0))

    /// A closed breaker.
    public init(failureThreshold: Int, coolDown: TimeInterval, clock: any WallClock) {
        self.failureThreshold = max(1, failureThreshold)
        self.coolDown = coolDown
        self.clock = clock
    }

    /// Asks to make a call now.
    public func admit() -> Admission {
        let now = clock.now()
        return phase.withLock { phase in
            switch phase {
            case .closed: return .call
            case .open(let until) where now < until: return .refused(until: until)
            case .open:
                phase = .halfOpen
                return .trial
            case .halfOpen: return .refused(until: nil)
            }
        }
    }

    /// Reports a call's result.
    public func record(success: Bool, trial: Bool) {
        let now = clock.now()
        phase.withLock { phase in
            if success {
                // A success closes it (a late success of a call made before it opened too: the service answers).
                phase = .closed(failures: 0)
                return
            }
            switch phase {
            case .closed(let failures):
                phase = failures + 1 >= failureThreshold ? .open(until: now.addingTimeInterval(coolDown)) : .closed(failures: failures + 1)
            case .halfOpen where trial:
                phase = .open(until: now.addingTimeInterval(coolDown))
            case .halfOpen, .open:
                // A call made before it opened failed late: it stays as it is.
                break
            }
        }
    }

    /// Gives back a trial that was admitted but not made (the call was refused before it left):
    /// the breaker is open again with no time left, so the next caller makes the trial.
    public func cancelTrial() {
        let now = clock.now()
        phase.withLock { phase in
            if case .halfOpen = phase { phase = .open(until: now) }
        }
    }

    /// Its state now.
    public var state: BreakerState {
        let now = clock.now()
        return phase.withLock { phase in
            switch phase {
            case .closed: .closed
            case .open(let until) where now < until: .open(until: until)
            case .open, .halfOpen: .halfOpen
            }
        }
    }
}

/// At most `limit` calls at once; a caller beyond it is told so at once (no queue), so an upload
/// never waits behind other uploads' classifier calls.
public final class ConcurrencyGate: Sendable {
    /// The most calls at once.
    public let limit: Int
    private let inFlight = Mutex(0)

    /// A gate for `limit` calls.
    public init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// Takes a place if one is free.
    public func tryEnter() -> Bool {
        inFlight.withLock { count in
            guard count < limit else { return false }
            count += 1
            return true
        }
    }

    /// Gives a place back.
    public func leave() {
        inFlight.withLock { $0 -= 1 }
    }

    /// Calls in flight now.
    public var count: Int { inFlight.withLock { $0 } }
}
