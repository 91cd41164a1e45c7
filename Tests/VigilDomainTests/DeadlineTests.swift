import Synchronization
import Testing
import VigilDomain

/// A clock the test moves: sleepers wake when `advance` passes their deadline, and a cancelled
/// sleeper ends at once with `CancellationError`, as `ContinuousClock`'s do.
final class SteppedClock: Clock, Sendable {
    struct Instant: InstantProtocol {
        var offset: Duration
        func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        func duration(to other: Instant) -> Duration { other.offset - offset }
        static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    private struct Sleeper {
        let deadline: Instant
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now = Instant(offset: .zero)
        var next = 0
        var sleepers: [Int: Sleeper] = [:]
    }

    private let state = Mutex(State())

    var now: Instant { state.withLock { $0.now } }
    var minimumResolution: Duration { .nanoseconds(1) }
    /// How many sleeps are waiting.
    var sleeping: Int { state.withLock { $0.sleepers.count } }

    func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        let id = state.withLock { state in
            state.next += 1
            return state.next
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let resumeNow: Result<Void, any Error>? = state.withLock { state in
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if deadline <= state.now { return .success(()) }
                    state.sleepers[id] = Sleeper(deadline: deadline, continuation: continuation)
                    return nil
                }
                if let resumeNow { continuation.resume(with: resumeNow) }
            }
        } onCancel: {
            state.withLock { $0.sleepers.removeValue(forKey: id) }?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves time on by `duration`, waking every sleeper whose deadline has come.
    func advance(by duration: Duration) {
        let due = state.withLock { state in
            state.now = state.now.advanced(by: duration)
            let now = state.now
            let ids = state.sleepers.filter { $0.value.deadline <= now }.map(\.key)
            return ids.compactMap { state.sleepers.removeValue(forKey: $0) }
        }
        for sleeper in due { sleeper.continuation.resume() }
    }

    /// Returns once `count` sleeps are waiting (yielding meanwhile: no time passes).
    func waitForSleepers(_ count: Int) async {
        while sleeping < count { await Task.yield() }
    }
}

/// Whether an operation saw its task cancelled, read after the race.
final class Flag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}

@Suite("withDeadline")
struct DeadlineTests {
    @Test func anOperationThatFinishesFirstGivesItsValue() async {
        let clock = SteppedClock()
        let value = await withDeadline(.seconds(5), clock: clock) { 42 }
        #expect(value == 42)
        #expect(clock.sleeping == 0, "the deadline's sleep is cancelled once the operation won")
    }

    @Test func theDeadlineCancelsAnOperationThatRunsPastIt() async {
        let clock = SteppedClock()
        let cancelled = Flag()
        let race = Task {
            await withDeadline(.seconds(5), clock: clock) { () -> String in
                // Waits on the same test clock far beyond the limit; only cancellation ends it.
                do {
                    try await clock.sleep(for: .seconds(3_600))
                    return "ran to the end"
                } catch {
                    cancelled.set()
                    return "cancelled"
                }
            }
        }
        await clock.waitForSleepers(2)
        clock.advance(by: .seconds(4))
        #expect(clock.sleeping == 2, "4 s of a 5 s limit: both still wait")
        clock.advance(by: .seconds(1))
        let value = await race.value
        #expect(value == nil, "the limit passed first")
        #expect(cancelled.isSet, "the operation was cancelled")
    }

    /// A caller cancelled while the race runs is not a timeout: the deadline's sleep ends early and
    /// the operation's own answer to the cancellation is returned.
    @Test func aCancelledCallerIsNotATimeout() async {
        let clock = SteppedClock()
        let race = Task {
            await withDeadline(.seconds(5), clock: clock) { () -> String in
                do {
                    try await clock.sleep(for: .seconds(3_600))
                    return "ran to the end"
                } catch {
                    return "the operation saw the cancellation"
                }
            }
        }
        await clock.waitForSleepers(2)
        race.cancel()
        let value = await race.value
        #expect(value == "the operation saw the cancellation")
        #expect(clock.now.offset == .zero, "no time passed")
    }
}
