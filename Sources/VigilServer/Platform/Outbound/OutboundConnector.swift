public import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix
public import VigilDomain

/// Connects out (content to fetch, webhooks to post to) only to addresses its ``AddressPolicy``
/// allows: the host's addresses are resolved by its ``HostResolver``, every one is checked, and
/// the client it makes connects to the first of them and nowhere else (AsyncHTTPClient's DNS
/// override: the request, its `Host` header, TLS's server name and the certificate check still use
/// the URL's host). So a name that resolves to 127.0.0.1, or that changes its answer between the
/// check and the connection, cannot reach inside. The one rule for fetching and webhooks.
public struct OutboundConnector: Sendable {
    /// Which addresses may be connected to.
    public var policy: AddressPolicy
    /// How names become addresses.
    public var resolver: any HostResolver
    /// How long a TCP (and TLS) connection may take to open.
    public var connectTimeout: Duration

    /// Creates a connector.
    public init(policy: AddressPolicy, resolver: any HostResolver = SystemHostResolver(), connectTimeout: Duration = .seconds(5)) {
        self.policy = policy
        self.resolver = resolver
        self.connectTimeout = connectTimeout
    }

    /// A URL whose host's addresses were all checked, and the addresses connections may go to.
    public struct Destination: Sendable {
        /// The URL.
        public var url: OutboundURL
        /// Every address of the host, each checked, in the resolver's order.
        public var addresses: [IPAddress]
        /// The first checked address: the one connected to unless it does not accept a connection.
        public var address: IPAddress { addresses[0] }
    }

    /// Resolves `url`'s host (an address literal is taken as it is) and checks every address.
    ///
    /// - Throws: ``OutboundError/resolution(host:reason:)`` or ``OutboundError/addressRefused(host:reason:)``.
    public func check(_ url: OutboundURL) async throws -> Destination {
        let addresses: [IPAddress]
        if let literal = IPAddress(url.host) {
            addresses = [literal]
        } else {
            do {
                addresses = try await resolver.addresses(of: url.host)
            } catch let error as HostResolutionError {
                throw OutboundError.resolution(host: url.host, reason: error.reason)
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                throw OutboundError.resolution(host: url.host, reason: "the resolver failed")
            }
        }
        guard !addresses.isEmpty else { throw OutboundError.resolution(host: url.host, reason: "no address") }
        // Every address is checked, not only the one used: a name that mixes public and inside
        // addresses is refused as a whole.
        let name = IPAddress(url.host) == nil ? url.host : nil
        for address in addresses {
            if let reason = policy.refusal(of: address, host: name) { throw OutboundError.addressRefused(host: url.host, reason: reason) }
        }
        return Destination(url: url, addresses: addresses)
    }

    /// Runs `body` with a client that connects to one of `destination`'s checked addresses only,
    /// follows no redirects and decompresses nothing; shuts the client down afterwards (also when
    /// `body` throws or is cancelled).
    ///
    /// A host with one address is connected to directly. A host with several is connected to at
    /// the first that accepts a TCP connection within ``connectTimeout`` (tried in the resolver's
    /// order), so a host whose first address is down is still reached, as a browser or curl
    /// would; when none accepts, the first is used and the request fails with its error.
    public func withClient<T: Sendable>(for destination: Destination, _ body: (HTTPClient) async throws -> T) async throws -> T {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.timeout = .init(connect: .nanoseconds(Self.nanoseconds(connectTimeout)), read: nil)
        // Both spellings of the host the client may look up (it uses the URL's host as written).
        // An IPv4-mapped address is connected to as IPv4 (the same host, and no IPv6 socket needed).
        let address = await reachableAddress(of: destination).unmapped.description
        var override = [destination.url.host: address]
        if let written = destination.url.url.host {
            override[written.hasPrefix("[") ? String(written.dropFirst().dropLast()) : written] = address
        }
        configuration.dnsOverride = override
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        do {
            let result = try await body(client)
            await Self.shutDown(client)
            return result
        } catch {
            await Self.shutDown(client)
            throw error
        }
    }

    /// The first of `destination`'s addresses that accepts a TCP connection (the connection is
    /// closed again at once), or its first address when there is only one or none accepts.
    func reachableAddress(of destination: Destination) async -> IPAddress {
        guard destination.addresses.count > 1 else { return destination.address }
        for address in destination.addresses where await accepts(address, port: destination.url.port) {
            return address
        }
        return destination.address
    }

    /// Whether `address` accepts a TCP connection on `port` within ``connectTimeout``.
    private func accepts(_ address: IPAddress, port: Int) async -> Bool {
        let bootstrap = ClientBootstrap(group: HTTPClient.defaultEventLoopGroup)
            .connectTimeout(.nanoseconds(Self.nanoseconds(connectTimeout)))
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(to: SocketAddress(ipAddress: address.unmapped.description, port: port)).get()
        } catch {
            // Refused, unreachable or too slow: the next address is tried.
            return false
        }
        // The probe's own connection: whether it closes cleanly does not matter to the request.
        channel.close(promise: nil)
        return true
    }

    /// Shuts `client` down; it has nothing left to lose (its one request is over), so a failure
    /// to shut down cleanly only means its connection was already gone.
    private static func shutDown(_ client: HTTPClient) async {
        do { try await client.shutdown() } catch {}
    }

    /// `duration` in nanoseconds (fractions of a second count).
    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    /// What went wrong with a connection or a request, in words about the network, not the library.
    static func describe(_ error: any Error, url: OutboundURL, connectTimeout: Duration) -> OutboundError {
        if let error = error as? OutboundError { return error }
        let place = "\(url.host):\(url.port)"
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout:
                return .connection("could not connect to \(place) within \(connectTimeout.components.seconds) s")
            case .remoteConnectionClosed:
                return .connection("\(place) closed the connection before the answer was complete")
            case .readTimeout, .deadlineExceeded:
                return .connection("\(place) did not answer in time")
            case .bodyLengthMismatch:
                return .connection("\(place) sent a body of another length than it announced")
            case .tlsHandshakeTimeout:
                return .connection("the TLS handshake with \(place) did not finish in time")
            case .invalidURL, .emptyHost, .emptyScheme:
                return .connection("the URL cannot be requested")
            default:
                return .connection("the request to \(place) failed")
            }
        }
        if error is NIOConnectionError || error is ChannelError || error is IOError {
            return .connection("could not connect to \(place) (refused or unreachable)")
        }
        if String(reflecting: type(of: error)).contains("SSL") {
            return .connection("the TLS handshake with \(place) failed (is its certificate valid for \(url.host)?)")
        }
        return .connection("the connection to \(place) failed")
    }
}

/// Why a connection out (a fetch, a webhook delivery) was refused or failed. The words name the
/// problem, never a library's internals.
public enum OutboundError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The URL itself is refused (scheme, credentials, syntax).
    case invalidURL(OutboundURLError)
    /// The host is not on the allow-list.
    case hostNotAllowed(String)
    /// The host does not resolve.
    case resolution(host: String, reason: String)
    /// An address of the host is refused by the ``AddressPolicy``.
    case addressRefused(host: String, reason: String)
    /// Connecting or talking to the server failed.
    case connection(String)
    /// The server answered with a status that is neither success nor a redirect.
    case status(Int)
    /// More redirects than allowed.
    case tooManyRedirects(Int)
    /// A redirect without a usable `Location`.
    case badRedirect(Int)
    /// A redirect where none is followed (webhooks).
    case redirectRefused(Int)
    /// The body is over the limit (bytes).
    case tooLarge(limit: Int)
    /// The whole exchange took longer than the deadline.
    case timedOut(Duration)
    /// The node is fetching as many URLs as it allows at once.
    case nodeBusy(limit: Int)
    /// The node is fetching as many URLs from this origin as it allows at once.
    case originBusy(origin: String, limit: Int)
    /// A problem met after following redirects: the URL it was met at, and the problem.
    indirect case afterRedirect(String, OutboundError)

    /// The problem, without the redirect that led to it.
    public var underlying: OutboundError {
        if case .afterRedirect(_, let inner) = self { return inner.underlying }
        return self
    }

    /// What went wrong, and what to do where something can be done.
    public var description: String {
        switch self {
        case .invalidURL(let error): error.description
        case .hostNotAllowed(let host): "\(host) is not on this node's URL allow-list (fetch.allowed-hosts)"
        case .resolution(let host, let reason): "\(host) does not resolve (\(reason))"
        case .addressRefused(_, let reason): reason
        case .connection(let what): what
        case .status(let code): "the server answered HTTP \(code)"
        case .tooManyRedirects(let limit): "more than \(limit) redirects"
        case .badRedirect(let code): "the server answered HTTP \(code) without a usable Location"
        case .redirectRefused(let code): "the server answered HTTP \(code): redirects are not followed here"
        case .tooLarge(let limit): "the content is over the limit of \(limit) bytes"
        case .timedOut(let limit): "the fetch took longer than its deadline of \(Self.seconds(limit)) s (the whole body counts)"
        case .nodeBusy(let limit): "this node is already fetching \(limit) URLs at once; try again shortly"
        case .originBusy(let origin, let limit): "this node is already fetching \(limit) URLs from \(origin) at once; try again shortly"
        case .afterRedirect(let url, let inner): "after a redirect to \(url.prefix(300)): \(inner.description)"
        }
    }

    private static func seconds(_ duration: Duration) -> String {
        let value = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return value == value.rounded() ? String(Int(value)) : String(value)
    }
}
