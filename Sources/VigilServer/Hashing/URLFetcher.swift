import AsyncHTTPClient
import Foundation
import HTTPTypes
import NIOCore
import NIOHTTP1
import VigilDomain

/// Content fetched from a URL, with what its server said it is.
struct FetchedContent: Sendable {
    /// The body.
    var bytes: [UInt8]
    /// The response's `Content-Type`, if it had one.
    var contentType: String?
    /// The URL the content came from (after redirects).
    var url: String
}

/// Fetches content for hashing under a ``URLFetchPolicy``: every URL on the way (the first and each
/// redirect, followed here, never by the HTTP client) is checked for its scheme, credentials, host
/// and addresses, and connected to only at a checked address (``OutboundConnector``); the whole
/// fetch, body included, ends at the policy's deadline; the node's and each origin's concurrent
/// fetches are limited. One fetcher per node: the `/v1` and HMA routes share its limits.
struct URLFetcher: Sendable {
    let policy: URLFetchPolicy
    let connector: OutboundConnector
    let limiter: FetchLimiter
    let clock: any Clock<Duration>

    /// A fetcher for `policy`, resolving names with `resolver`; `clock` times the deadline.
    init(policy: URLFetchPolicy, resolver: any HostResolver = SystemHostResolver(), clock: any Clock<Duration> = ContinuousClock()) {
        self.policy = policy
        self.connector = OutboundConnector(policy: policy.addresses, resolver: resolver)
        self.limiter = FetchLimiter(maxConcurrent: policy.maxConcurrent, maxConcurrentPerOrigin: policy.maxConcurrentPerOrigin)
        self.clock = clock
    }

    /// Whether fetching by URL is on (some host is allowed).
    var isEnabled: Bool { !policy.allowedHosts.isEmpty }

    /// The `/v1` routes' fetch: the body, or an ``APIError`` naming the problem.
    func fetch(_ text: String) async throws -> [UInt8] {
        guard isEnabled else {
            throw APIError(.forbidden, code: "url_fetch_disabled", "fetching by URL is off on this node; start it with --allow-url-host HOST")
        }
        do {
            return try await content(at: text).bytes
        } catch let error as OutboundError {
            throw Self.apiError(error)
        }
    }

    /// The `/v1` answer for `error`.
    static func apiError(_ error: OutboundError) -> APIError {
        let refused = "the URL is refused: \(error)"
        let failed = "could not fetch the URL: \(error)"
        switch error.underlying {
        case .invalidURL: return APIError(.badRequest, code: "invalid_url", refused)
        case .hostNotAllowed: return APIError(.forbidden, code: "host_not_allowed", refused)
        case .addressRefused: return APIError(.forbidden, code: "address_not_allowed", refused)
        case .tooLarge: return APIError(.contentTooLarge, code: "body_too_large", failed)
        case .timedOut: return APIError(.gatewayTimeout, code: "fetch_timeout", failed)
        case .nodeBusy: return APIError(.serviceUnavailable, code: "fetch_busy", failed, headers: [.retryAfter: "1"])
        case .originBusy: return APIError(.tooManyRequests, code: "fetch_origin_busy", failed, headers: [.retryAfter: "1"])
        default: return APIError(.badGateway, code: "fetch_failed", failed)
        }
    }

    /// Fetches `text` under the policy. `accept` sees the final response's `Content-Type` before
    /// its body is read, and may refuse it by throwing (its error is passed on as it is).
    ///
    /// - Throws: ``OutboundError`` for a refused URL or a failed fetch, or `accept`'s error.
    func content(at text: String, accept: (@Sendable (String?) throws -> Void)? = nil) async throws -> FetchedContent {
        try limiter.enterNode()
        defer { limiter.leaveNode() }
        let limit = policy.timeout
        let clock = clock
        // The whole fetch (every redirect hop and every body) within the limit.
        let raced: Result<FetchedContent, any Error>? = await withDeadline(limit, clock: clock) {
            do {
                return .success(try await follow(text, accept: accept))
            } catch {
                return .failure(error)
            }
        }
        guard let raced else { throw OutboundError.timedOut(limit) }
        return try raced.get()
    }

    /// What one request led to.
    private enum Step: Sendable {
        case content(FetchedContent)
        case redirect(OutboundURL)
    }

    /// An error of `accept`, carried through the HTTP client's closure untouched.
    private struct Refusal: Error {
        let error: any Error
    }

    /// Requests `text`, following at most `maxRedirects` redirects, each checked again.
    private func follow(_ text: String, accept: (@Sendable (String?) throws -> Void)?) async throws -> FetchedContent {
        var url: OutboundURL
        do throws(OutboundURLError) {
            url = try OutboundURL(text)
        } catch {
            throw OutboundError.invalidURL(error)
        }
        var redirects = 0
        while true {
            let step: Step
            do {
                step = try await request(url, accept: accept)
            } catch let error as OutboundError where redirects > 0 {
                if case .afterRedirect = error { throw error }
                throw OutboundError.afterRedirect(url.description, error)
            } catch let refusal as Refusal {
                throw refusal.error
            }
            switch step {
            case .content(let content): return content
            case .redirect(let next):
                redirects += 1
                guard redirects <= policy.maxRedirects else { throw OutboundError.tooManyRedirects(policy.maxRedirects) }
                url = next
            }
        }
    }

    /// One request: `url`'s host allowed, its addresses checked, one origin slot held.
    private func request(_ url: OutboundURL, accept: (@Sendable (String?) throws -> Void)?) async throws -> Step {
        guard policy.allows(host: url.host) else { throw OutboundError.hostNotAllowed(url.host) }
        let destination = try await connector.check(url)
        try limiter.enter(origin: url.origin)
        defer { limiter.leave(origin: url.origin) }
        let maxBytes = policy.maxBytes
        let deadline = NIODeadline.now() + .nanoseconds(OutboundConnector.nanoseconds(policy.timeout))
        do {
            return try await connector.withClient(for: destination) { client -> Step in
                var request = HTTPClientRequest(url: url.description)
                request.method = .GET
                request.headers.add(name: "User-Agent", value: "Vigil")
                let response = try await client.execute(request, deadline: deadline)
                let code = Int(response.status.code)
                if [301, 302, 303, 307, 308].contains(code) {
                    guard let location = response.headers.first(name: "location"),
                        let next = URL(string: location, relativeTo: url.url)?.absoluteString
                    else { throw OutboundError.badRedirect(code) }
                    do throws(OutboundURLError) {
                        return .redirect(try OutboundURL(next))
                    } catch {
                        throw OutboundError.afterRedirect(next, .invalidURL(error))
                    }
                }
                guard (200..<300).contains(code) else { throw OutboundError.status(code) }
                if let length = response.headers.first(name: "content-length").flatMap(Int.init), length > maxBytes {
                    throw OutboundError.tooLarge(limit: maxBytes)
                }
                let contentType = response.headers.first(name: "content-type")
                do {
                    try accept?(contentType)
                } catch {
                    throw Refusal(error: error)
                }
                var bytes: [UInt8] = []
                for try await buffer in response.body {
                    guard bytes.count + buffer.readableBytes <= maxBytes else { throw OutboundError.tooLarge(limit: maxBytes) }
                    bytes += buffer.readableBytesView
                }
                // A cancelled body may end early without an error: never return it as whole.
                try Task.checkCancellation()
                return .content(FetchedContent(bytes: bytes, contentType: contentType, url: url.description))
            }
        } catch let error as OutboundError {
            throw error
        } catch let refusal as Refusal {
            throw refusal
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw OutboundConnector.describe(error, url: url, connectTimeout: connector.connectTimeout)
        }
    }
}
