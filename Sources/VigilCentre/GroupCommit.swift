import Synchronization

/// Group commit: callers that arrive while a transaction is being written wait together, and the
/// next transaction writes all of them at once; each caller gets its own result only after the
/// transaction that holds its item has committed.
///
/// A durable commit costs one `fsync`, whatever it holds; writing each report in its own
/// transaction caps intake at one report per `fsync`. Here the first caller to find no writer
/// becomes the writer: it takes everything waiting (at most ``maximumBatch``), commits it with
/// `commit`, answers every caller of the batch, and goes on while more are waiting. A caller is
/// never answered before its batch committed, and a batch that fails answers every one of its
/// callers with the error.
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

    /// The most items one transaction holds.
    public let maximumBatch: Int
    private let commit: @Sendable ([Item]) async -> [Result<Output, any Error>]
    private let state = Mutex(State())

    /// Batches of at most `maximumBatch` items are written by `commit`, which returns one result
    /// per item, in order (an item refused on its own, e.g. a duplicate, fails alone), or throws
    /// for the whole batch.
    public init(maximumBatch: Int = 256, commit: @escaping @Sendable ([Item]) async throws -> [Result<Output, any Error>]) {
        self.maximumBatch = max(1, maximumBatch)
        self.commit = { items in
            do {
                let results = try await commit(items)
                guard results.count == items.count else {
                    return items.map { _ in .failure(GroupCommitError()) }
                }
                return results
            } catch {
                return items.map { _ in .failure(error) }
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
            if lead {
                Task { await self.drain() }
            }
        }
    }

    /// Writes batches until nothing is waiting.
    private func drain() async {
        while true {
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
            let results = await commit(batch.map(\.item))
            for (waiter, result) in zip(batch, results) {
                waiter.continuation.resume(with: result)
            }
        }
    }
}

/// A batch's commit returned a different number of results than it had items (a bug).
struct GroupCommitError: Error, CustomStringConvertible {
    var description: String { "the batch's commit did not answer every item" }
}
