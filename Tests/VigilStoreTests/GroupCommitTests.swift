import Synchronization
import Testing
import VigilDomain
import VigilStore

/// Group commit: callers that arrive while a batch is being written go into the next batch
/// together, each gets its own answer, and an item refused alone does not fail the others.
@Suite("Group commit")
struct GroupCommitTests {
    /// A gate the test opens by hand (no sleeping).
    final class Gate: Sendable {
        private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))
        func wait() async {
            await withCheckedContinuation { continuation in
                let now = state.withLock { state -> Bool in
                    if state.open { return true }
                    state.waiters.append(continuation)
                    return false
                }
                if now { continuation.resume() }
            }
        }
        func open() {
            for waiter in state.withLock({ state -> [CheckedContinuation<Void, Never>] in
                state.open = true
                defer { state.waiters = [] }
                return state.waiters
            }) { waiter.resume() }
        }
    }

    struct Refused: Error {}

    @Test func callersArrivingDuringAWriteShareTheNextOne() async throws {
        let batches = Mutex<[[Int]]>([])
        let firstWriteStarted = Gate()
        let releaseFirstWrite = Gate()
        let group = GroupCommit<Int, Int>(maximumBatch: 64) { items in
            let isFirst = batches.withLock { all -> Bool in
                all.append(items)
                return all.count == 1
            }
            if isFirst {
                firstWriteStarted.open()
                await releaseFirstWrite.wait()
            }
            return items.map { $0 % 10 == 7 ? .failure(Refused()) : .success($0 * 2) }
        }
        let results = try await withThrowingTaskGroup(of: (Int, Int?).self) { tasks in
            tasks.addTask { (0, try? await group.submit(0)) }
            await firstWriteStarted.wait()
            // 40 callers arrive while the first batch is being written.
            for i in 1...40 { tasks.addTask { (i, try? await group.submit(i)) } }
            // Let them all queue up (each appends itself before it suspends), then release the first write.
            while batches.withLock({ $0.count }) == 1, await Self.queued(group) < 40 { await Task.yield() }
            releaseFirstWrite.open()
            var results: [Int: Int?] = [:]
            for try await (i, value) in tasks { results[i] = value }
            return results
        }
        #expect(results.count == 41)
        for (i, value) in results {
            #expect(value == (i % 10 == 7 ? nil : i * 2), "caller \(i) gets its own answer; 7, 17, … fail alone")
        }
        let sizes = batches.withLock { $0.map(\.count) }
        #expect(sizes.first == 1)
        #expect(sizes.reduce(0, +) == 41)
        #expect(sizes.count <= 3, "the 40 waiting callers were written together, not one by one: \(sizes)")
    }

    /// How many callers are waiting (for the test: submits that reached the queue).
    static func queued(_ group: GroupCommit<Int, Int>) async -> Int { group.waitingCount }
}
