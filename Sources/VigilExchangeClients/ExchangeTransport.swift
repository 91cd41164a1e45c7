public import AsyncHTTPClient
public import Foundation
import NIOCore
public import NIOHTTP1
public import VigilDomain
public import VigilExchange

/// The HTTP side of every exchange client: one request with a deadline on the whole exchange (head
/// and body), a cap on the body, and the answer's status turned into an ``ExchangeError`` an operator
/// can act on. It never follows redirects (a credential is not sent to another host) and never puts
/// a URL (which may carry a token) in an error.
public struct ExchangeTransport: Sendable {
    /// The HTTP client (see ``sharedClient``).
    public let client: HTTPClient
    /// The deadline for one request, body included.
    public let timeout: Duration
    /// The largest answer accepted, in bytes; a larger one is `.malformed`, never held in memory.
    public let maxBodyBytes: Int
    /// The clock that turns an HTTP-date `Retry-After` into seconds.
    public let clock: any WallClock

    /// Creates a transport.
    public init(client: HTTPClient = Self.sharedClient, timeout: Duration = .seconds(60), maxBodyBytes: Int = 32 << 20, clock: any WallClock) {
        self.client = client
        self.timeout = timeout
        self.maxBodyBytes = maxBodyBytes
        self.clock = clock
    }

    /// The process's client for exchanges (no redirects; connect timeout 10 s; no read timeout of its
    /// own, each request's deadline bounds it), made once and kept for the process's life, as
    /// `HTTPClient.shared` is: an HTTP client must be shut down before it is released.
    public static let sharedClient: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.timeout = .init(connect: .seconds(10), read: nil)
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    /// An answer whose status has not been checked yet.
    public struct Answer: Sendable {
        /// The HTTP status code.
        public var status: Int
        /// The `Retry-After` header, if any.
        public var retryAfter: String?
        /// The body (at most ``ExchangeTransport/maxBodyBytes``).
        public var body: [UInt8]
    }

    /// Sends a request and returns the body of a 2xx answer.
    public func send(
        service: String, method: HTTPMethod = .GET, url: String, headers: [(String, String)], body: [UInt8]? = nil
    ) async throws(ExchangeError) -> [UInt8] {
        let answer = try await exchange(service: service, method: method, url: url, headers: headers, body: body)
        try check(answer, service: service)
        return answer.body
    }

    /// Sends a request and returns the answer whatever its status (for services whose error
    /// answers need reading first); deadline, size limit and transport failures are thrown.
    /// - Parameters:
    ///   - service: the service's name, for messages ("NCMEC").
    ///   - method: the HTTP method.
    ///   - url: the full URL (never shown in errors).
    ///   - headers: the request's headers (credentials included).
    ///   - body: the request body, if any.
    public func exchange(
        service: String, method: HTTPMethod = .GET, url: String, headers: [(String, String)], body: [UInt8]? = nil
    ) async throws(ExchangeError) -> Answer {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let limit = maxBodyBytes
        let client = client
        let prepared = request
        let deadline = NIODeadline.now() + Self.timeAmount(timeout)
        // AsyncHTTPClient's deadline stops at the response head; the race bounds the body too.
        let raced: Result<(HTTPResponseStatus, HTTPHeaders, [UInt8]), TransportFailure>? = await withDeadline(timeout) {
            do {
                let response = try await client.execute(prepared, deadline: deadline)
                if let length = response.headers.first(name: "content-length").flatMap(Int.init), length > limit {
                    return .failure(.tooLarge)
                }
                var bytes: [UInt8] = []
                for try await buffer in response.body {
                    bytes += buffer.readableBytesView
                    if bytes.count > limit { return .failure(.tooLarge) }
                }
                return .success((response.status, response.headers, bytes))
            } catch let error as HTTPClientError where error == .deadlineExceeded {
                return .failure(.deadline)
            } catch {
                return .failure(.transport(Self.describe(error)))
            }
        }
        let result = raced ?? .failure(.deadline)
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        switch result {
        case .failure(.deadline):
            throw .unavailable("\(service) did not answer within \(Self.format(seconds)) s")
        case .failure(.tooLarge):
            throw .malformed("\(service)'s answer is over the page limit of \(limit) bytes")
        case .failure(.transport(let reason)):
            throw .unavailable("could not reach \(service): \(reason)")
        case .success(let (status, headers, bytes)):
            return Answer(status: Int(status.code), retryAfter: headers.first(name: "retry-after"), body: bytes)
        }
    }

    /// Turns a status other than 2xx into the error it means.
    public func check(_ answer: Answer, service: String) throws(ExchangeError) {
        let code = answer.status
        if (200..<300).contains(code) { return }
        let detail = Self.snippet(answer.body)
        switch code {
        case 401, 403:
            throw .unauthorized("\(service) answered HTTP \(code)\(detail): check the exchange's credential")
        case 429:
            throw .rateLimited(retryAfter: answer.retryAfter.flatMap { Self.retryAfterSeconds($0, now: clock.now()) })
        case 300..<400:
            throw .misconfigured("\(service) answered HTTP \(code) (a redirect, not followed): set base_url to the address it names")
        case 404:
            throw .misconfigured("\(service) answered HTTP 404\(detail): check base_url and the exchange's ids")
        case 500...:
            throw .unavailable("\(service) answered HTTP \(code)\(detail); retry later")
        default:
            throw .malformed("\(service) refused the request with HTTP \(code)\(detail)")
        }
    }

    /// `Retry-After` in seconds from now: a number of seconds, or an HTTP-date; nil when unreadable.
    public static func retryAfterSeconds(_ value: String, now: Date) -> Int? {
        let text = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Int(text) { return seconds >= 0 ? seconds : nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: text) else { return nil }
        return max(0, Int(date.timeIntervalSince(now).rounded(.up)))
    }

    /// The first printable characters of an error body, for the message (at most 200).
    static func snippet(_ body: [UInt8]) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in String(decoding: body.prefix(400), as: UTF8.self).unicodeScalars where scalar.value >= 32 && scalar.value != 127 {
            scalars.append(scalar)
        }
        let text = String(scalars).trimmingCharacters(in: .whitespaces)
        return text.isEmpty ? "" : " (\(text.prefix(200)))"
    }

    private enum TransportFailure: Error {
        case deadline
        case tooLarge
        case transport(String)
    }

    /// A transport error in words, without the URL.
    static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            if error == .deadlineExceeded || error == .readTimeout { return "no answer in time" }
            if error == .connectTimeout { return "the connection timed out" }
            if error == .remoteConnectionClosed { return "the connection was closed before the answer was complete" }
            if error == .invalidURL || error == .emptyHost || error == .emptyScheme { return "the base URL is not a valid http(s) URL" }
            return "HTTP client error (\(error.shortDescription))"
        }
        return "the connection failed (\(String(describing: error).prefix(160)))"
    }

    private static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(format: "%.2f", seconds)
    }

    /// `duration` as NIO's time amount, to the nanosecond.
    static func timeAmount(_ duration: Duration) -> TimeAmount {
        let (seconds, attoseconds) = duration.components
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
