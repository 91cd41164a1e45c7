import Synchronization

/// Counts the fetches running on this node, in all and per origin, and refuses one more when a
/// limit is reached: a few slow origins cannot take every fetch slot, and one origin cannot take
/// them all either. Shared by every route that fetches.
final class FetchLimiter: Sendable {
    private struct Counts {
        var total = 0
        var perOrigin: [String: Int] = [:]
    }
    private let counts = Mutex(Counts())
    let maxConcurrent: Int
    let maxConcurrentPerOrigin: Int

    init(maxConcurrent: Int, maxConcurrentPerOrigin: Int) {
        self.maxConcurrent = maxConcurrent
        self.maxConcurrentPerOrigin = maxConcurrentPerOrigin
    }

    /// Takes a node-wide slot, or throws ``OutboundError/nodeBusy(limit:)``.
    func enterNode() throws(OutboundError) {
        let entered = counts.withLock { counts in
            guard counts.total < maxConcurrent else { return false }
            counts.total += 1
            return true
        }
        guard entered else { throw .nodeBusy(limit: maxConcurrent) }
    }

    /// Gives a node-wide slot back.
    func leaveNode() {
        counts.withLock { $0.total -= 1 }
    }

    /// Takes a slot of `origin`, or throws ``OutboundError/originBusy(origin:limit:)``.
    func enter(origin: String) throws(OutboundError) {
        let entered = counts.withLock { counts in
            guard counts.perOrigin[origin, default: 0] < maxConcurrentPerOrigin else { return false }
            counts.perOrigin[origin, default: 0] += 1
            return true
        }
        guard entered else { throw .originBusy(origin: origin, limit: maxConcurrentPerOrigin) }
    }

    /// Gives a slot of `origin` back.
    func leave(origin: String) {
        counts.withLock { counts in
            let left = counts.perOrigin[origin, default: 1] - 1
            counts.perOrigin[origin] = left > 0 ? left : nil
        }
    }

    /// Fetches running now (for tests and metrics).
    var running: Int { counts.withLock { $0.total } }
}
