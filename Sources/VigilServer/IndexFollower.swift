public import ServiceLifecycle

/// Loads the match indexes, then follows the store's change feed until shutdown.
public struct IndexFollower: Service {
    let engine: MatchEngine
    let interval: Duration

    /// Creates a follower polling every `interval` (writes through this node apply at once).
    public init(engine: MatchEngine, interval: Duration = .milliseconds(200)) {
        self.engine = engine
        self.interval = interval
    }

    /// Loads, then applies new changes every `interval` until graceful shutdown.
    public func run() async throws {
        try await engine.load()
        do {
            try await cancelWhenGracefulShutdown {
                var round = 0
                while !Task.isCancelled {
                    _ = try? await engine.catchUp()
                    round += 1
                    // List settings changed by another node (radius, kill switch) are re-read every few seconds.
                    if round % 25 == 0 { try? await engine.refreshLists() }
                    try await Task.sleep(for: interval)
                }
            }
        } catch is CancellationError {
            // Graceful shutdown: nothing left to do; every write was durable before it was acknowledged.
        }
    }
}
