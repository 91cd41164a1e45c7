import AsyncHTTPClient
import Foundation
import HTTPTypes
import NIOCore
import NIOHTTP1

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
            response = try await client.execute(request, deadline: .now() + Self.timeAmount(policy.timeout))
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

    /// `duration` as NIO's time amount, to the nanosecond (fractions of a second count).
    static func timeAmount(_ duration: Duration) -> TimeAmount {
        let (seconds, attoseconds) = duration.components
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    /// The process's client for fetching content (no redirects, short connect timeout), made once
    /// and kept for the process's life, as `HTTPClient.shared` is: an HTTP client must be shut
    /// down before it is released, and this one never is.
    static let sharedClient: HTTPClient = makeClient()

    static func makeClient() -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        // No read timeout of its own: each fetch's deadline (the policy's timeout) bounds it, so a
        // longer configured timeout is not cut short.
        configuration.timeout = .init(connect: .seconds(5), read: nil)
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }
}
