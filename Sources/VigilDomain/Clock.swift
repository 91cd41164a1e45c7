public import Foundation
import Synchronization

/// Where every reading of the time of day comes from.
///
/// Services, stores and background workers take a clock instead of calling `Date()`, so that
/// deadlines (a removal order's 24 hours, a report's 1-hour expiry, an outbox retry, a key cache's
/// lifetime) are tested by moving a ``ManualClock`` rather than by sleeping.
public protocol WallClock: Sendable {
    /// The current time.
    func now() -> Date
}

/// The system's clock.
public struct SystemClock: WallClock {
    /// Creates the system clock.
    public init() {}

    /// The current time, as the system reads it.
    public func now() -> Date { Date() }
}

/// A clock that moves only when told to: for tests, and for replaying events at their own times.
public final class ManualClock: WallClock {
    private let current: Mutex<Date>

    /// A clock reading `start` (by default 2026-01-01T00:00:00Z, so tests do not depend on the day
    /// they run).
    public init(_ start: Date = Date(timeIntervalSince1970: 1_767_225_600)) {
        current = Mutex(start)
    }

    /// The time the clock was last set to.
    public func now() -> Date { current.withLock { $0 } }

    /// Moves the clock forward (or, with a negative interval, back).
    public func advance(by seconds: TimeInterval) {
        current.withLock { $0 = $0.addingTimeInterval(seconds) }
    }

    /// Moves the clock forward by a duration.
    public func advance(by duration: Duration) {
        let (seconds, attoseconds) = duration.components
        advance(by: TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18)
    }

    /// Sets the clock to `date`.
    public func set(_ date: Date) {
        current.withLock { $0 = date }
    }
}
