import Foundation

/// Which URLs the node may fetch content from, and how much of it.
///
/// Deny by default: with no allowed hosts, fetching by URL is off. Redirects are not followed (a
/// redirect could leave the allow-list), the body is cut off at `maxBytes`, and the whole fetch has a
/// deadline.
public struct URLFetchPolicy: Sendable {
    /// Hosts that may be fetched from: exact names (`cdn.example.net`, `127.0.0.1`) or a suffix
    /// pattern (`*.example.net`).
    public var allowedHosts: [String]
    /// The largest body accepted, in bytes.
    public var maxBytes: Int
    /// The deadline for the whole fetch.
    public var timeout: Duration

    /// Creates a policy; the defaults allow nothing.
    public init(allowedHosts: [String] = [], maxBytes: Int = 32 << 20, timeout: Duration = .seconds(10)) {
        self.allowedHosts = allowedHosts.map { $0.lowercased() }
        self.maxBytes = maxBytes
        self.timeout = timeout
    }

    /// Whether `host` is on the allow-list.
    public func allows(host: String) -> Bool {
        let host = host.lowercased()
        return allowedHosts.contains { pattern in
            if pattern.hasPrefix("*.") { return host.hasSuffix(pattern.dropFirst(1)) }
            return host == pattern
        }
    }
}
