import Configuration

// The keys that bound what clients can make the node do (see NodeConfiguration's table):
// connections, decoding and hashing, pixels per byte.
extension NodeConfiguration {
    /// Reads `http.max-connections`, `http.idle-timeout-seconds`, `http.head-timeout-seconds`,
    /// `hashing.threads`, `hashing.queue` and `decode.max-pixels-per-byte`, checking each.
    ///
    /// - Throws: ``ConfigurationError`` naming the key whose value is malformed or out of range.
    mutating func readLimits(_ reader: ConfigReader) async throws {
        var connections = server.connections
        connections.maxConnections = try await Self.value(reader, "http.max-connections", default: connections.maxConnections) {
            try await reader.fetchInt(forKey: $0)
        }
        guard (1...1_000_000).contains(connections.maxConnections) else {
            throw ConfigurationError(key: "http.max-connections", problem: "\(connections.maxConnections) is not between 1 and 1,000,000")
        }
        connections.idleTimeout = try await Self.seconds(reader, "http.idle-timeout-seconds", default: connections.idleTimeout, upTo: 86_400)
        connections.headTimeout = try await Self.seconds(reader, "http.head-timeout-seconds", default: connections.headTimeout, upTo: 600)
        server.connections = connections

        server.hashing.threads = try await Self.value(reader, "hashing.threads", default: server.hashing.threads) {
            try await reader.fetchInt(forKey: $0)
        }
        guard (1...1024).contains(server.hashing.threads) else {
            throw ConfigurationError(key: "hashing.threads", problem: "\(server.hashing.threads) is not between 1 and 1024")
        }
        server.hashing.queue = try await Self.value(reader, "hashing.queue", default: server.hashing.queue) { try await reader.fetchInt(forKey: $0) }
        guard (0...100_000).contains(server.hashing.queue) else {
            throw ConfigurationError(key: "hashing.queue", problem: "\(server.hashing.queue) is not between 0 and 100,000")
        }

        server.maxPixelsPerInputByte = try await Self.value(reader, "decode.max-pixels-per-byte", default: server.maxPixelsPerInputByte) {
            try await reader.fetchInt(forKey: $0)
        }
        guard server.maxPixelsPerInputByte > 0 else { throw ConfigurationError(key: "decode.max-pixels-per-byte", problem: "must be positive") }
    }

    /// A duration in seconds (fractions allowed), more than 0 and at most `maximum`.
    private static func seconds(_ reader: ConfigReader, _ key: String, default fallback: Duration, upTo maximum: Double) async throws -> Duration {
        let fallbackSeconds = Double(fallback.components.seconds) + Double(fallback.components.attoseconds) / 1e18
        let seconds = try await value(reader, key, default: fallbackSeconds) { try await reader.fetchDouble(forKey: $0) }
        guard seconds > 0, seconds <= maximum else {
            throw ConfigurationError(key: key, problem: "\(seconds) is not more than 0 and at most \(Int(maximum)) seconds")
        }
        return .milliseconds(Int64((seconds * 1000).rounded()))
    }
}
