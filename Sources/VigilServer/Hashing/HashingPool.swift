import Foundation
import NIOPosix
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// How much decoding and hashing the node does at once: `threads` images in work, `queue` more
/// waiting; past that a request is refused at once (503 `hashing_busy`, `Retry-After: 1`).
public struct HashingLimits: Sendable, Equatable {
    /// Threads that decode and hash uploads (and fetched content).
    public var threads: Int
    /// Requests that may wait for a thread; the next one is refused.
    public var queue: Int

    /// As many threads as the machine has cores, 16 waiting. The threads run at nice 10, so
    /// lookups, reads and the network (nice 0) go first whenever they want a core; uploads use
    /// whatever the machine has left. (One thread fewer than the cores, tried first, halved upload
    /// throughput on 2 cores: 142 against 238 uploads/s in the same-run comparison.)
    public init(threads: Int = HashingLimits.defaultThreads, queue: Int = 16) {
        self.threads = threads
        self.queue = queue
    }

    /// The machine's active cores (at least one).
    public static var defaultThreads: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }
}

/// Decodes and hashes on threads of its own, never on Swift's cooperative pool, so that however
/// many images are in work the node's lookups and reads are not queued behind them.
///
/// A bounded queue: at most `threads + queue` jobs are admitted; one more is refused at once with
/// ``Busy`` rather than waiting. The threads also run at a lower scheduling priority (nice 10 on
/// Linux), so that when the machine has no idle core the event loops and the cooperative pool,
/// which answer lookups, go first.
public final class HashingPool: Sendable {
    /// The job was refused: every thread is busy and the queue is full.
    public struct Busy: Error, Sendable, CustomStringConvertible {
        /// The pool's limits, to explain the refusal.
        public let limits: HashingLimits

        /// What happened and what the client should do.
        public var description: String {
            "the node is decoding and hashing as many images as it is set to (\(limits.threads) at once, \(limits.queue) waiting); retry in a second"
        }
    }

    /// The limits the pool was made with.
    public let limits: HashingLimits
    private let threads: NIOThreadPool
    /// Jobs admitted and not yet finished (running or waiting).
    private let admitted = Mutex(0)

    /// Starts `limits.threads` threads.
    public init(limits: HashingLimits) {
        self.limits = limits
        threads = NIOThreadPool(numberOfThreads: max(1, limits.threads))
        threads.start()
    }

    /// Jobs running or waiting now.
    public var load: Int { admitted.withLock { $0 } }

    /// Runs `work` on one of the pool's threads and returns its result.
    ///
    /// - Throws: ``Busy`` at once when `threads + queue` jobs are already admitted; what `work`
    ///   throws; `CancellationError` when the calling task is cancelled before `work` started.
    public func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try admit()
        defer { admitted.withLock { $0 -= 1 } }
        return try await threads.runIfActive {
            Self.lowerPriority()
            return try work()
        }
    }

    /// Runs asynchronous `work` (a video: ffmpeg decodes in its own process, frames are hashed as
    /// they arrive) on the calling task, holding one of the pool's places meanwhile, so that videos
    /// and images together stay within `threads + queue` jobs.
    ///
    /// - Throws: ``Busy`` at once when the pool is full; what `work` throws.
    public func runAdmitted<T: Sendable>(_ work: () async throws -> T) async throws -> T {
        try admit()
        defer { admitted.withLock { $0 -= 1 } }
        return try await work()
    }

    /// Takes one of the `threads + queue` places, or throws ``Busy``.
    private func admit() throws(Busy) {
        let capacity = max(1, limits.threads) + max(0, limits.queue)
        let admittedNow = admitted.withLock { count -> Bool in
            guard count < capacity else { return false }
            count += 1
            return true
        }
        guard admittedNow else { throw Busy(limits: limits) }
    }

    /// Lets the pool's threads finish the jobs they have, then stops them.
    public func shutdown() async throws {
        try await threads.shutdownGracefully()
    }

    deinit {
        // A pool released without `shutdown()` (a test's node, say) still stops its threads; a
        // pool already shut down answers with an error that says so, which is expected here.
        threads.shutdownGracefully { _ in }
    }

    /// Nice 10 for the calling thread: on Linux a thread's nice value is its own, and
    /// `setpriority(PRIO_PROCESS, 0, …)` sets the calling thread's. Best effort: where the system
    /// refuses, the job runs at the usual priority, which is still correct.
    private static func lowerPriority() {
        #if os(Linux)
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10)
        #endif
    }
}
