import Configuration
import Foundation
import VigilDomain

// The keys of connections out (see NodeConfiguration's table): fetching content by URL, and the
// addresses webhooks may be delivered to.
extension NodeConfiguration {
    /// Reads `fetch.*` and `webhooks.allow-private`, checking each.
    ///
    /// - Throws: ``ConfigurationError`` naming the key whose value is malformed or out of range.
    mutating func readFetch(_ reader: ConfigReader) async throws {
        var fetch = server.urlFetch
        fetch.allowedHosts = try await Self.value(reader, "fetch.allowed-hosts", default: []) {
            try await reader.fetchStringArray(forKey: $0)
        }
        .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
        fetch.allowPrivate = try await Self.value(reader, "fetch.allow-private", default: false) { try await reader.fetchBool(forKey: $0) }
        fetch.maxBytes = try await Self.value(reader, "fetch.max-bytes", default: fetch.maxBytes) { try await reader.fetchInt(forKey: $0) }
        guard fetch.maxBytes > 0 else { throw ConfigurationError(key: "fetch.max-bytes", problem: "must be positive") }
        let timeout = try await Self.value(reader, "fetch.timeout-seconds", default: 30.0) { try await reader.fetchDouble(forKey: $0) }
        guard timeout > 0, timeout <= 600 else { throw ConfigurationError(key: "fetch.timeout-seconds", problem: "must be between 0 and 600") }
        fetch.timeout = .milliseconds(Int64(timeout * 1000))
        fetch.maxRedirects = try await Self.value(reader, "fetch.max-redirects", default: fetch.maxRedirects) {
            try await reader.fetchInt(forKey: $0)
        }
        guard (0...20).contains(fetch.maxRedirects) else {
            throw ConfigurationError(key: "fetch.max-redirects", problem: "\(fetch.maxRedirects) is not between 0 and 20")
        }
        fetch.maxConcurrent = try await Self.value(reader, "fetch.max-concurrent", default: fetch.maxConcurrent) {
            try await reader.fetchInt(forKey: $0)
        }
        guard (1...10_000).contains(fetch.maxConcurrent) else {
            throw ConfigurationError(key: "fetch.max-concurrent", problem: "\(fetch.maxConcurrent) is not between 1 and 10,000")
        }
        fetch.maxConcurrentPerOrigin = try await Self.value(reader, "fetch.max-concurrent-per-origin", default: fetch.maxConcurrentPerOrigin) {
            try await reader.fetchInt(forKey: $0)
        }
        guard (1...fetch.maxConcurrent).contains(fetch.maxConcurrentPerOrigin) else {
            throw ConfigurationError(
                key: "fetch.max-concurrent-per-origin", problem: "\(fetch.maxConcurrentPerOrigin) is not between 1 and fetch.max-concurrent")
        }
        server.urlFetch = fetch
        server.webhookAddresses.allowPrivate = try await Self.value(reader, "webhooks.allow-private", default: false) {
            try await reader.fetchBool(forKey: $0)
        }
    }
}
