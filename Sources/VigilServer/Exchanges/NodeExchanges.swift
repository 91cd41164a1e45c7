public import Foundation
import Synchronization
public import VigilExchange
public import VigilMatching

/// What a node's exchanges share: the kinds it can fetch, the signal that wakes its fetcher, and
/// what the fetcher last saw of each exchange (for `/ready`).
public struct NodeExchanges: Sendable {
    /// The kinds of exchange the node fetches (`file` and `vigil` built in; the service clients'
    /// makers are registered by `vigil serve` where they are built).
    public var registry: ExchangeRegistry
    /// Wakes the fetcher (an exchange created, enabled or asked to fetch now).
    public var wake = ExchangeWake()
    /// The exchanges that are failing now.
    public var health = ExchangeHealth()
    /// The fetcher's rounds (reading and writing the store): failing for long makes the node not ready.
    public var rounds = WorkerHealth(
        activity: "exchange fetch rounds", consequence: "exchanges are not fetched (nothing fetched is lost; they resume from their checkpoints)")
    /// Wakes the feedback worker (a verdict that wrote a feedback message).
    public var feedbackWake = ExchangeWake()
    /// The feedback worker's rounds (reading and writing the store): failing for long makes the node not ready.
    public var feedbackRounds = WorkerHealth(
        activity: "exchange feedback rounds", consequence: "verdicts' feedback to the exchanges waits in the database (none is lost)")

    /// The built-in kinds: a folder of files, another Vigil node, and HMA's `sample` (python-threatexchange's
    /// example signals).
    public static var builtInRegistry: ExchangeRegistry {
        ExchangeRegistry([FileExchangeMaker(), VigilExchangeMaker(), SampleExchangeMaker()])
    }

    /// A node's exchanges over `registry`.
    public init(registry: ExchangeRegistry = NodeExchanges.builtInRegistry) {
        self.registry = registry
    }
}

/// Wakes the fetcher before its next round is due (a flag it looks at while it waits).
public final class ExchangeWake: Sendable {
    private let raised = Atomic<Bool>(false)

    /// A signal not raised.
    public init() {}

    /// Wakes the fetcher (or makes its next wait end at once).
    public func signal() {
        raised.store(true, ordering: .releasing)
    }

    /// Waits until the signal is raised (and lowers it) or `timeout` has passed, looking every
    /// quarter of a second. Returns early when the task is cancelled.
    func wait(upTo timeout: Duration) async {
        var waited = Duration.zero
        let step = Duration.milliseconds(250)
        while waited < timeout, !Task.isCancelled {
            if raised.exchange(false, ordering: .acquiringAndReleasing) { return }
            do { try await Task.sleep(for: min(step, timeout - waited)) } catch { return }
            waited += step
        }
        _ = raised.exchange(false, ordering: .acquiringAndReleasing)
    }
}

/// Which exchanges are failing, since when and why, as the fetcher last saw them.
public final class ExchangeHealth: Sendable {
    struct Failure: Sendable, Equatable {
        var since: Date
        var failures: Int
        var error: String
    }

    private let failing = Mutex<[String: Failure]>([:])

    /// Nothing failing.
    public init() {}

    /// Exchange `name` failed at `now` with `error`.
    func failed(_ name: String, error: String, at now: Date) {
        failing.withLock { failing in
            var failure = failing[name] ?? Failure(since: now, failures: 0, error: error)
            failure.failures += 1
            failure.error = error
            failing[name] = failure
        }
    }

    /// Exchange `name` was fetched well (or is gone).
    func succeeded(_ name: String) {
        _ = failing.withLock { $0.removeValue(forKey: name) }
    }

    /// One line per failing exchange, by name: what `/ready` says (the node keeps serving: an
    /// exchange's source failing does not make the node unready).
    public func warnings(at now: Date) -> [String] {
        failing.withLock { $0 }.sorted(by: { $0.key < $1.key }).map { name, failure in
            "exchange \(name) has failed \(failure.failures) time(s) in a row for \(Int(now.timeIntervalSince(failure.since))) s: \(failure.error)"
        }
    }
}
