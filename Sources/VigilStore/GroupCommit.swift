import Synchronization

/// Group commit: callers that arrive while a transaction is being written wait together, and the
/// next transaction writes all of them at once; each caller gets its own result only after the
/// transaction that holds its item has committed.
///
/// A durable commit costs one `fsync`, whatever it holds; writing each report in its own
/// transaction caps intake at one report per `fsync`. Here the first caller to find no writer
/// starts one: it takes everything waiting (at most ``maximumBatch``) and hands it to `commit`.
/// When `commit` reports the batch's results, every caller of the batch is answered and the next
/// batch (those that arrived meanwhile) is handed over at once, from wherever `commit` reported:
/// with a store that reports from its writer's queue (``TransactionalStore/write(_:completion:)``)
/// the writer goes from one batch to the next without waiting for a free thread of the caller's
/// pool. A caller is never answered before its batch committed, and a batch that fails answers
/// every one of its callers with the error.
public final class GroupCommit<Item: Sendable, Output: Sendable>: Sendable {
    /// One waiting caller.
    private struct Waiter {
        let item: Item
        let continuation: CheckedContinuation<Output, any Error>
    }

    private struct State {
        var waiting: [Waiter] = []
        var writing = false
    }

    /// What writes one batch and reports one result per item, in order.
    public typealias Commit = @Sendable (_ items: [Item], _ done: @escaping @Sendable ([Result<Output, any Error>]) -> Void) -> Void

    /// The most items one transaction holds.
    public let maximumBatch: Int
    private let commit: Commit
    private let state = Mutex(State())

    /// Batches of at most `maximumBatch` items are written by `commit`, which calls `done` exactly
    /// once with one result per item, in order (an item refused on its own, e.g. a duplicate,
    /// fails alone; a batch that failed as a whole fails every item). `done` starts the next
    /// batch before it returns, so call it where the next write may begin.
    public init(maximumBatch: Int = 256, commit: @escaping Commit) {
        self.maximumBatch = max(1, maximumBatch)
        self.commit = commit
    }

    /// Batches written by an async `commit` (run in a task per batch), which returns one result per
    /// item, in order, or throws for the whole batch.
    public convenience init(maximumBatch: Int = 256, commit: @escaping @Sendable ([Item]) async throws -> [Result<Output, any Error>]) {
        self.init(maximumBatch: maximumBatch) { items, done in
            Task {
                do {
                    done(try await commit(items))
                } catch {
                    done(items.map { _ in .failure(error) })
                }
            }
        }
    }

    /// How many callers are waiting for a batch (for tests and metrics).
    public var waitingCount: Int { state.withLock { $0.waiting.count } }

    /// Submits `item` and returns its result once the transaction that holds it has committed.
    public func submit(_ item: Item) async throws -> Output {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Output, any Error>) in
            let lead = state.withLock { state -> Bool in
                state.waiting.append(Waiter(item: item, continuation: continuation))
                if state.writing { return false }
                state.writing = true
                return true
            }
            if lead { writeNext() }
        }
    }

    /// Hands the next batch to `commit`, or marks the writer idle when nothing is waiting.
    private func writeNext() {
        let batch = state.withLock { state -> [Waiter] in
            guard !state.waiting.isEmpty else {
                state.writing = false
                return []
            }
            let taken = Array(state.waiting.prefix(maximumBatch))
            state.waiting.removeFirst(taken.count)
            return taken
        }
        guard !batch.isEmpty else { return }
        commit(batch.map(\.item)) { results in
            if results.count == batch.count {
                for (waiter, result) in zip(batch, results) { waiter.continuation.resume(with: result) }
            } else {
                for waiter in batch { waiter.continuation.resume(throwing: GroupCommitError()) }
            }
            self.writeNext()
        }
    }
}

/// A batch's commit returned a different number of results than it had items (a bug).
struct GroupCommitError: Error, CustomStringConvertible {
    var description: String { "the batch's commit did not answer every item" }
}
