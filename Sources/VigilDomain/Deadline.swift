/// Runs `operation` against a deadline `limit` away on `clock`: its value when it finishes first,
/// `nil` when the deadline passes first (the operation is then cancelled).
///
/// The one place where Vigil races work against a time limit (an exchange page, an exchange's HTTP
/// answer with its body, a URL fetch with its redirects, a classifier's answer): HTTP clients'
/// own deadlines stop at the response head, and this bounds the whole operation.
///
/// - A cancelled sleep is not a timeout: when the caller's task is cancelled, the sleep ends
///   early and the race waits for `operation`, which sees the cancellation and answers for it
///   (usually with its own cancellation error). Only a sleep that ran its full `limit` is `nil`.
/// - Structured concurrency waits for a cancelled child: an operation that ignores cancellation
///   holds the caller until it returns. Operations here are HTTP requests, which stop when
///   cancelled.
///
/// - Parameters:
///   - limit: How long `operation` may take.
///   - clock: The clock that measures `limit` (a test clock in tests: they move time, they never
///     wait for it).
///   - operation: The work; wrap a throwing one in a `Result` to tell its error from the deadline.
/// - Returns: The operation's value, or `nil` when `limit` passed first.
public func withDeadline<Value: Sendable>(
    _ limit: Duration, clock: any Clock<Duration> = ContinuousClock(), _ operation: @escaping @Sendable () async -> Value
) async -> Value? {
    await withTaskGroup(of: DeadlineRace<Value>.self) { group in
        group.addTask { .finished(await operation()) }
        group.addTask {
            do {
                try await clock.sleep(for: limit)
                return .timedOut
            } catch {
                // Only cancellation ends a sleep early: the caller was cancelled (or the
                // operation already won). Either way the operation's answer decides.
                return .sleepCancelled
            }
        }
        while let next = await group.next() {
            switch next {
            case .finished(let value):
                group.cancelAll()
                return value
            case .timedOut:
                group.cancelAll()
                return nil
            case .sleepCancelled:
                continue
            }
        }
        // Not reached: the operation's child always answers.
        return nil
    }
}

/// One child's answer in ``withDeadline(_:clock:_:)``.
private enum DeadlineRace<Value: Sendable>: Sendable {
    case finished(Value)
    case timedOut
    case sleepCancelled
}
