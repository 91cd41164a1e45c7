import Configuration

// The Centre's retention keys (see NodeConfiguration's table).
extension NodeConfiguration {
    /// Reads `retention.report-days`, `retention.interval-seconds` and `retention.max-failure-seconds`, checking each.
    ///
    /// - Throws: ``ConfigurationError`` naming the key whose value is malformed or out of range.
    mutating func readRetention(_ reader: ConfigReader) async throws {
        var retention = server.retention
        retention.reportDays = try await Self.value(reader, "retention.report-days", default: retention.reportDays) {
            try await reader.fetchInt(forKey: $0)
        }
        guard (1...36_500).contains(retention.reportDays) else {
            throw ConfigurationError(key: "retention.report-days", problem: "\(retention.reportDays) is not a number of days from 1 to 36,500")
        }
        retention.intervalSeconds = try await Self.value(reader, "retention.interval-seconds", default: retention.intervalSeconds) {
            try await reader.fetchDouble(forKey: $0)
        }
        guard retention.intervalSeconds >= 1, retention.intervalSeconds <= 86_400 else {
            throw ConfigurationError(key: "retention.interval-seconds", problem: "must be between 1 and 86,400 seconds")
        }
        retention.maxFailureSeconds = try await Self.value(reader, "retention.max-failure-seconds", default: retention.maxFailureSeconds) {
            try await reader.fetchDouble(forKey: $0)
        }
        guard retention.maxFailureSeconds > 0, retention.maxFailureSeconds.isFinite else {
            throw ConfigurationError(key: "retention.max-failure-seconds", problem: "must be a positive number of seconds")
        }
        server.retention = retention
    }
}
