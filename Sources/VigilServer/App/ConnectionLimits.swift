import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypes

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What one client may hold of the node: a cap on open connections, and how long a connection
/// may take to send a request head or sit idle.
///
/// - A connection that does not finish its request head within `headTimeout` (counted from when
///   it opens, or from the first byte of a later request on it) is closed: half-sent heads no
///   longer pin file descriptors.
/// - A keep-alive connection with nothing in progress is closed after `idleTimeout`.
/// - Past `maxConnections` open connections the node accepts no more: new ones wait in the
///   kernel's backlog (or are refused by it when that is full) and are served as others close.
///   Keep the cap below the process's open-file limit (`vigil serve` raises the soft limit to the
///   hard one and lowers the cap to fit, see ``fitting(openFileLimit:)``).
public struct ConnectionLimits: Sendable, Equatable {
    /// The most connections served at once.
    public var maxConnections: Int
    /// How long a keep-alive connection may be idle.
    public var idleTimeout: Duration
    /// How long a client may take to send a request head.
    public var headTimeout: Duration

    /// File descriptors kept for everything but client connections (database files, event loops,
    /// outgoing webhooks and URL fetches, logs).
    public static let reservedDescriptors = 256

    /// Defaults: 10,000 connections, 60 s idle, 10 s for a request head.
    public init(maxConnections: Int = 10_000, idleTimeout: Duration = .seconds(60), headTimeout: Duration = .seconds(10)) {
        self.maxConnections = maxConnections
        self.idleTimeout = idleTimeout
        self.headTimeout = headTimeout
    }

    /// These limits with the connection cap lowered, if need be, to leave
    /// ``reservedDescriptors`` of `openFileLimit` for the rest of the process.
    public func fitting(openFileLimit: Int) -> ConnectionLimits {
        var limits = self
        limits.maxConnections = max(1, min(maxConnections, openFileLimit - Self.reservedDescriptors))
        return limits
    }

    /// The HTTP/1.1 server with the idle and request-head timeouts.
    var server: HTTPServerBuilder {
        let idle = TimeAmount(idleTimeout)
        let head = TimeAmount(headTimeout)
        return HTTPServerBuilder { responder in
            TimedHTTP1Channel(base: HTTP1Channel(responder: responder, configuration: .init(idleTimeout: idle)), headTimeout: head)
        }
    }

    /// The application configuration for `address`, with the connection cap.
    func configuration(address: BindAddress, logger: Logger) -> ApplicationConfiguration {
        ApplicationConfiguration(
            address: address, serverName: "vigil",
            availableConnectionsDelegate: MaximumAvailableConnections(maxConnections, logger: logger))
    }
}

/// The process's limit on open files.
public enum OpenFileLimit {
    /// Raises the soft limit on open files to the hard limit and returns the soft limit now in
    /// force (unchanged where raising is refused).
    ///
    /// - Throws: ``ConfigurationError`` when the limit cannot even be read.
    public static func raiseToHardLimit() throws -> Int {
        var limit = rlimit()
        guard getrlimit(resourceKind, &limit) == 0 else {
            throw ConfigurationError(key: "http.max-connections", problem: "the open-file limit cannot be read (errno \(errno))")
        }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(resourceKind, &raised) == 0 { limit = raised }
        }
        return limit.rlim_cur >= rlim_t(Int.max) ? Int.max : Int(limit.rlim_cur)
    }

    #if canImport(Glibc)
    private static let resourceKind = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
    private static let resourceKind = RLIMIT_NOFILE
    #endif
}

/// Hummingbird's HTTP/1.1 child channel with a request-head timeout in front.
struct TimedHTTP1Channel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value

    let base: HTTP1Channel
    let headTimeout: TimeAmount

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let headTimeout = self.headTimeout
        let base = self.base
        return channel.eventLoop.makeCompletedFuture {
            let clock = RequestHeadClock(timeout: headTimeout)
            try channel.pipeline.syncOperations.addHandler(RequestHeadTimeoutHandler(clock: clock), position: .first)
            return NIOLoopBound(clock, eventLoop: channel.eventLoop)
        }.flatMap { clock in
            var configuration = base.configuration
            let others = configuration.additionalChannelHandlers
            configuration.additionalChannelHandlers = { others() + [RequestHeadObserver(clock: clock.value)] }
            return HTTP1Channel(responder: base.responder, configuration: configuration).setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

/// One connection's request-head deadline, shared by the handler in front of the HTTP decoder
/// (which sees bytes arrive) and the one behind it (which sees heads decoded and answers end).
/// Used only on the connection's event loop.
final class RequestHeadClock {
    let timeout: TimeAmount
    /// Requests whose head was read and whose answer has not ended.
    var openRequests = 0
    /// When the head now awaited began (the connection opened, or a byte of it arrived); nil when
    /// no head is awaited.
    var headSince: NIODeadline?
    /// The pending check, if any (one at a time: a check that finds the head done does nothing).
    var check: Scheduled<Void>?

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    /// A head is awaited from now (unless one already is).
    func start(_ context: ChannelHandlerContext) {
        if headSince == nil { headSince = .now() }
        schedule(context)
    }

    /// The head arrived.
    func headRead() {
        openRequests += 1
        headSince = nil
    }

    private func schedule(_ context: ChannelHandlerContext) {
        guard check == nil, let since = headSince else { return }
        check = context.eventLoop.assumeIsolated().scheduleTask(deadline: since + timeout) { [self] in
            check = nil
            guard let since = headSince else { return }
            if NIODeadline.now() >= since + timeout {
                context.close(promise: nil)
            } else {
                schedule(context)
            }
        }
    }

    func stop() {
        check?.cancel()
        check = nil
        headSince = nil
    }
}

/// In front of the HTTP decoder: a head is awaited when the connection opens and when bytes
/// arrive with no request open.
final class RequestHeadTimeoutHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    let clock: RequestHeadClock

    init(clock: RequestHeadClock) {
        self.clock = clock
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { clock.start(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        clock.start(context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if clock.openRequests == 0 { clock.start(context) }
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        clock.stop()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        clock.stop()
    }
}

/// Behind the HTTP decoder: a decoded head stops the clock; an answer's end closes its request.
final class RequestHeadObserver: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    let clock: RequestHeadClock

    init(clock: RequestHeadClock) {
        self.clock = clock
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) { clock.headRead() }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { clock.openRequests = max(0, clock.openRequests - 1) }
        context.write(data, promise: promise)
    }
}
