public import AsyncHTTPClient
import Foundation
import HTTPTypes
import NIOCore
import NIOHTTP1

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

/// Fetches content for hashing under a ``URLFetchPolicy``.
struct URLFetcher: Sendable {
    let policy: URLFetchPolicy
    let client: HTTPClient

    func fetch(_ text: String) async throws -> [UInt8] {
        guard !policy.allowedHosts.isEmpty else {
            throw APIError(.forbidden, code: "url_fetch_disabled", "fetching by URL is off on this node; start it with --allow-url-host HOST")
        }
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = url.host, url.user == nil
        else {
            throw APIError.badRequest("invalid_url", "give an absolute http:// or https:// URL without credentials")
        }
        guard policy.allows(host: host) else {
            throw APIError(.forbidden, code: "host_not_allowed", "\(host) is not on this node's URL allow-list")
        }
        var request = HTTPClientRequest(url: text)
        request.method = .GET
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: .nanoseconds(Int64(policy.timeout.components.seconds) * 1_000_000_000))
        } catch {
            throw APIError(.badGateway, code: "fetch_failed", "could not fetch the URL: \(error)")
        }
        guard response.status == .ok else {
            throw APIError(.badGateway, code: "fetch_failed", "the URL answered HTTP \(response.status.code); redirects are not followed")
        }
        if let length = response.headers.first(name: "content-length").flatMap(Int.init), length > policy.maxBytes {
            throw APIError(.contentTooLarge, code: "body_too_large", "the content is \(length) bytes, over the limit of \(policy.maxBytes)")
        }
        var bytes: [UInt8] = []
        do {
            for try await buffer in response.body {
                bytes += buffer.readableBytesView
                if bytes.count > policy.maxBytes {
                    throw APIError(.contentTooLarge, code: "body_too_large", "the content is over the limit of \(policy.maxBytes) bytes")
                }
            }
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError(.badGateway, code: "fetch_failed", "the download broke off: \(error)")
        }
        return bytes
    }

    /// The process's client for fetching content (no redirects, short connect timeout), made once
    /// and kept for the process's life, as `HTTPClient.shared` is: an HTTP client must be shut
    /// down before it is released, and this one never is.
    static let sharedClient: HTTPClient = makeClient()

    static func makeClient() -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(10))
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }
}
