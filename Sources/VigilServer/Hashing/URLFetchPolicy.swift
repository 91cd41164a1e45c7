public import VigilDomain

/// Which URLs the node may fetch content from, and how much of it.
///
/// Deny by default: with no allowed hosts, fetching by URL is off. A fetch is refused unless every
/// URL on its way (the first and each redirect, at most ``maxRedirects``) is http(s) without
/// credentials, its host on the allow-list, and every address the host resolves to allowed by
/// ``addresses`` (public only, unless ``allowPrivate``). The body is cut off at ``maxBytes`` and the
/// whole fetch, body included, has a deadline. At most ``maxConcurrent`` fetches run at once,
/// ``maxConcurrentPerOrigin`` of them from one origin.
public struct URLFetchPolicy: Sendable {
    /// Hosts that may be fetched from: exact names (`cdn.example.net`, `127.0.0.1`) or a suffix
    /// pattern (`*.example.net`).
    public var allowedHosts: [String]
    /// The largest body accepted, in bytes (HMA's default, 100 MiB).
    public var maxBytes: Int
    /// The deadline for the whole fetch: connections, redirects and the body.
    public var timeout: Duration
    /// Whether loopback, private and link-local addresses may be fetched from (`fetch.allow-private`).
    public var allowPrivate: Bool
    /// The most redirects followed.
    public var maxRedirects: Int
    /// The most fetches running at once on this node (then 503 `fetch_busy`).
    public var maxConcurrent: Int
    /// The most fetches running at once from one origin (scheme, host, port; then 429 `fetch_origin_busy`).
    public var maxConcurrentPerOrigin: Int

    /// HMA's default limit on a fetched body: 100 MiB.
    public static let defaultMaxBytes = 100 << 20

    /// Creates a policy; the defaults allow nothing.
    public init(
        allowedHosts: [String] = [], maxBytes: Int = URLFetchPolicy.defaultMaxBytes, timeout: Duration = .seconds(30), allowPrivate: Bool = false,
        maxRedirects: Int = 5, maxConcurrent: Int = 8, maxConcurrentPerOrigin: Int = 4
    ) {
        self.allowedHosts = allowedHosts.map { $0.lowercased() }
        self.maxBytes = maxBytes
        self.timeout = timeout
        self.allowPrivate = allowPrivate
        self.maxRedirects = maxRedirects
        self.maxConcurrent = maxConcurrent
        self.maxConcurrentPerOrigin = maxConcurrentPerOrigin
    }

    /// The address rule fetches follow.
    public var addresses: AddressPolicy { AddressPolicy(allowPrivate: allowPrivate, setting: "fetch.allow-private") }

    /// Whether `host` is on the allow-list.
    public func allows(host: String) -> Bool {
        let host = host.lowercased()
        return allowedHosts.contains { pattern in
            if pattern.hasPrefix("*.") { return host.hasSuffix(pattern.dropFirst(1)) }
            return host == pattern
        }
    }
}
