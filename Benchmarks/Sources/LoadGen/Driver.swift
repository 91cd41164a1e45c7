import Histogram
import NIOCore
import NIOPosix

/// Everything one run at one rate needs; shared read-only by the event loops.
struct RunConfig: Sendable {
    var host: String
    var port: Int
    /// Requests per second, over all connections and event loops.
    var rate: Double
    var warmupSeconds: Double
    var durationSeconds: Double
    /// How long to wait, after the last scheduled send, for responses still in flight.
    var drainSeconds: Double
    var connections: Int
    /// The encoded requests; request number `i` sends `requests[i % requests.count]`.
    var requests: [ByteBuffer]
    var headRequests: Bool
    /// A process whose CPU time to report over the measured window (the server under test).
    var serverPID: Int32?
    /// Timer granularity: with an idle connection, the loop wakes at the next multiple of this after
    /// the next due time (0: at the due time) and sends every request due by then. Coarser ticks
    /// mean fewer wake-ups (less CPU) and add at most one tick to a request's measured latency.
    var tickNanos: UInt64 = 0

    /// Requests sent during warm-up (not recorded).
    var warmupCount: Int { Int(rate * warmupSeconds) }
    /// All scheduled requests: warm-up plus measured.
    var totalCount: Int { warmupCount + Int(rate * durationSeconds) }
}

/// What one event loop's driver measured in one run.
struct DriverResult: Sendable {
    /// Latency from each request's intended send time to its response, in microseconds.
    var corrected = Self.makeHistogram()
    /// Latency from the actual send to the response (not corrected; a diagnostic).
    var fromSend = Self.makeHistogram()
    /// Measured requests (intended send time in the measured window).
    var scheduled = 0
    /// Measured requests that got a complete response.
    var completed = 0
    var non2xx = 0
    /// Measured requests lost to a connection error (connect, read, write, close, bad response).
    var socketErrors = 0
    /// Connections that failed or closed unexpectedly, whether or not a request was on them.
    var connectionErrors = 0
    /// Measured requests unanswered at the end: never sent (no free connection) or still in flight
    /// after the drain. Recorded in `corrected` with their age at the end, a lower bound.
    var late = 0
    /// Measured requests sent more than 1 ms (plus the tick) after their intended time (no free
    /// connection, or the generator itself fell behind).
    var delayedSends = 0
    /// Reconnections after the server closed a connection (`Connection: close` or idle timeout).
    var reconnects = 0
    /// Responses (any request) received in the measured window.
    var completionsInWindow = 0
    /// Responses per status code, measured requests only.
    var statusCounts: [Int: Int] = [:]
    /// CPU seconds (user + system) of this process and of the server over the measured window;
    /// only the first event loop's driver samples them.
    var generatorCPUSeconds: Double?
    var serverCPUSeconds: Double?

    static func makeHistogram() -> Histogram<UInt64> {
        var histogram = Histogram<UInt64>(
            lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three
        )
        histogram.autoResize = true
        return histogram
    }

    mutating func merge(_ other: DriverResult) {
        corrected.add(other.corrected)
        fromSend.add(other.fromSend)
        scheduled += other.scheduled
        completed += other.completed
        non2xx += other.non2xx
        socketErrors += other.socketErrors
        connectionErrors += other.connectionErrors
        late += other.late
        delayedSends += other.delayedSends
        reconnects += other.reconnects
        completionsInWindow += other.completionsInWindow
        statusCounts.merge(other.statusCounts, uniquingKeysWith: +)
        generatorCPUSeconds = generatorCPUSeconds ?? other.generatorCPUSeconds
        serverCPUSeconds = serverCPUSeconds ?? other.serverCPUSeconds
    }
}

/// Drives the requests of one event loop: request numbers `lane`, `lane + lanes`, `lane + 2 lanes`, …
/// of the global schedule, over this loop's share of the connections.
///
/// Request `i` is due at `start + i / rate`. An idle connection sends the next due request; when no
/// connection is idle, due requests wait (they are late, and their latency counts from the due
/// time, so a stalled server or too few connections show in the percentiles instead of silently
/// lowering the rate — the coordinated-omission correction). One timer wakes the loop at the next
/// due time while a connection is idle. Everything runs on `loop`; no locks.
final class Driver: NIOScheduledCallbackHandler {
    /// One connection's state; `handler` is nil while (re)connecting.
    private struct Slot {
        var handler: ResponseHandler?
        /// Bumped on every (re)connect, so events from an old channel are ignored.
        var generation = 0
        /// The request on the wire, or -1.
        var inflight = -1
        var sentNanos: UInt64 = 0
        var idle = false
    }

    private let loop: any EventLoop
    private let config: RunConfig
    private let lane: Int
    private let lanes: Int
    private let isFirstLane: Bool
    private let nanosPerRequest: Double
    private let warmupCount: Int
    private let totalCount: Int
    /// A send later than this after its due time counts as delayed: 1 ms past the tick.
    private let delayThreshold: UInt64

    private var slots: [Slot]
    /// Slot numbers of idle connections (a stack: the most recently used goes first).
    private var idle: [Int] = []
    /// The next request number of this lane to send.
    private var next: Int
    private var startNanos: UInt64 = 0
    private var timerArmed = false
    /// The measured window is over (no request is due after it); the run ends once all are answered.
    private var windowClosed = false
    private var finished = false
    private var inflightCount = 0
    private var completions = 0
    private var windowStartCompletions = 0
    private var generatorCPUAtStart: Double?
    private var serverCPUAtStart: Double?
    private var result = DriverResult()
    private var connectPromise: EventLoopPromise<Void>?
    private var pendingConnects = 0
    private var runPromise: EventLoopPromise<DriverResult>?

    /// - Parameters:
    ///   - lane: this driver's index among `lanes` drivers (one per event loop).
    ///   - connections: this driver's share of the connections.
    init(loop: any EventLoop, config: RunConfig, lane: Int, lanes: Int, connections: Int) {
        self.loop = loop
        self.config = config
        self.lane = lane
        self.lanes = lanes
        self.isFirstLane = lane == 0
        self.nanosPerRequest = 1e9 / config.rate
        self.warmupCount = config.warmupCount
        self.totalCount = config.totalCount
        self.delayThreshold = 1_000_000 + config.tickNanos
        self.slots = Array(repeating: Slot(), count: connections)
        self.next = lane
    }

    // MARK: - Connections

    /// Opens every connection; fails if any cannot be opened.
    func connectAll() -> EventLoopFuture<Void> {
        let promise = loop.makePromise(of: Void.self)
        connectPromise = promise
        pendingConnects = slots.count
        for slot in slots.indices { connect(slot) }
        return promise.futureResult
    }

    private func connect(_ slot: Int) {
        slots[slot].generation += 1
        slots[slot].handler = nil
        slots[slot].idle = false
        let generation = slots[slot].generation
        let bound = NIOLoopBound(self, eventLoop: loop)
        let headRequests = config.headRequests
        ClientBootstrap(group: loop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture(withResultOf: {
                    let handler = ResponseHandler(
                        driver: bound.value, slot: slot, generation: generation, headRequests: headRequests
                    )
                    try channel.pipeline.syncOperations.addHandler(handler)
                })
            }
            .connect(host: config.host, port: config.port)
            .assumeIsolated()
            .whenFailure { error in self.connectFailed(slot: slot, generation: generation, error: error) }
    }

    /// The handler's channel is up: the slot becomes idle.
    func connectionActive(slot: Int, generation: Int, handler: ResponseHandler) {
        guard slots[slot].generation == generation, slots[slot].handler !== handler else { return }
        if finished {
            handler.close()
            return
        }
        slots[slot].handler = handler
        makeIdle(slot)
        if let promise = connectPromise {
            pendingConnects -= 1
            if pendingConnects == 0 {
                connectPromise = nil
                promise.succeed()
            }
        } else {
            pump(now: NIODeadline.now().uptimeNanoseconds)
        }
    }

    private func connectFailed(slot: Int, generation: Int, error: any Error) {
        guard slots[slot].generation == generation else { return }
        if let promise = connectPromise {
            connectPromise = nil
            promise.fail(error)
            return
        }
        result.connectionErrors += 1
        reconnectLater(slot)
    }

    /// The channel closed or failed: a request on it is lost (a socket error), unless it was idle and
    /// the server closed it, which is a reconnect.
    func connectionClosed(slot: Int, generation: Int, error: (any Error)?) {
        guard slots[slot].generation == generation, !finished else { return }
        slots[slot].generation += 1  // ignore further events from the old channel
        slots[slot].handler = nil
        if slots[slot].idle {
            slots[slot].idle = false
            idle.removeAll { $0 == slot }
        }
        let lost = slots[slot].inflight
        if lost >= 0 {
            slots[slot].inflight = -1
            inflightCount -= 1
            if lost >= warmupCount { result.socketErrors += 1 }
        }
        if lost >= 0 || error != nil {
            result.connectionErrors += 1
            reconnectLater(slot)
        } else {
            result.reconnects += 1
            connect(slot)
        }
        finishIfDone(now: NIODeadline.now().uptimeNanoseconds)
    }

    private func reconnectLater(_ slot: Int) {
        guard !finished else { return }
        loop.assumeIsolated().scheduleTask(in: .milliseconds(50)) {
            if !self.finished { self.connect(slot) }
        }
    }

    private func makeIdle(_ slot: Int) {
        slots[slot].idle = true
        idle.append(slot)
    }

    // MARK: - Schedule

    /// Runs the schedule from `startNanos` (monotonic, `NIODeadline` nanoseconds) and completes after
    /// the last response or the drain timeout.
    func run(startNanos: UInt64) -> EventLoopFuture<DriverResult> {
        let promise = loop.makePromise(of: DriverResult.self)
        runPromise = promise
        self.startNanos = startNanos
        let isolated = loop.assumeIsolated()
        let windowStart = intendedNanos(warmupCount)
        let windowEnd = intendedNanos(totalCount)
        isolated.scheduleTask(deadline: .uptimeNanoseconds(windowStart)) { self.windowStarted() }
        isolated.scheduleTask(deadline: .uptimeNanoseconds(windowEnd)) { self.windowEnded() }
        let drainNanos = UInt64(max(0, config.drainSeconds) * 1e9)
        isolated.scheduleTask(deadline: .uptimeNanoseconds(windowEnd + drainNanos)) {
            self.finish(now: NIODeadline.now().uptimeNanoseconds)
        }
        armTimer()
        return promise.futureResult
    }

    @inline(__always)
    private func intendedNanos(_ request: Int) -> UInt64 {
        startNanos + UInt64(Double(request) * nanosPerRequest)
    }

    /// Sends every due request that has an idle connection, then arms the timer for the next one.
    private func pump(now: UInt64) {
        guard !finished else { return }
        while next < totalCount, let slot = idle.last {
            let due = intendedNanos(next)
            if due > now { break }
            idle.removeLast()
            slots[slot].idle = false
            slots[slot].inflight = next
            slots[slot].sentNanos = now
            inflightCount += 1
            if next >= warmupCount, now - due > delayThreshold { result.delayedSends += 1 }
            slots[slot].handler?.send(config.requests[next % config.requests.count])
            next += lanes
        }
        armTimer()
    }

    private func armTimer() {
        guard !timerArmed, !finished, next < totalCount, !idle.isEmpty else { return }
        var wake = intendedNanos(next)
        if config.tickNanos > 1 {
            let sinceStart = wake - startNanos
            wake = startNanos + (sinceStart + config.tickNanos - 1) / config.tickNanos * config.tickNanos
        }
        do {
            try loop.assumeIsolated().scheduleCallback(at: .uptimeNanoseconds(wake), handler: self)
            timerArmed = true
        } catch {
            // The loop is shutting down; nothing more to send.
        }
    }

    func handleScheduledCallback(eventLoop: some EventLoop) {
        timerArmed = false
        pump(now: NIODeadline.now().uptimeNanoseconds)
    }

    /// A complete response arrived on `slot`.
    func responseReceived(slot: Int, generation: Int, status: Int, close: Bool) {
        guard slots[slot].generation == generation else { return }
        let now = NIODeadline.now().uptimeNanoseconds
        let request = slots[slot].inflight
        guard request >= 0 else {
            // A response nobody asked for: the connection is out of step.
            let handler = slots[slot].handler
            connectionClosed(slot: slot, generation: generation, error: ResponseParseError.badStatusLine)
            handler?.close()
            return
        }
        slots[slot].inflight = -1
        inflightCount -= 1
        completions += 1
        if request >= warmupCount {
            result.completed += 1
            let due = intendedNanos(request)
            _ = result.corrected.record(now > due ? (now - due) / 1000 : 0)
            let sent = slots[slot].sentNanos
            _ = result.fromSend.record(now > sent ? (now - sent) / 1000 : 0)
            result.statusCounts[status, default: 0] += 1
            if !(200..<300).contains(status) { result.non2xx += 1 }
        }
        if close {
            // The server ends the connection after this response; its close event reconnects.
            slots[slot].handler?.close()
        } else {
            makeIdle(slot)
            pump(now: now)
        }
        finishIfDone(now: now)
    }

    private func windowStarted() {
        windowStartCompletions = completions
        if isFirstLane {
            generatorCPUAtStart = processCPUSeconds(pid: nil)
            serverCPUAtStart = config.serverPID.flatMap { processCPUSeconds(pid: $0) }
        }
    }

    /// The last request's due time: the measured window's figures are in; the run ends when every
    /// request is answered (requests still waiting for a connection go out during the drain).
    private func windowEnded() {
        result.completionsInWindow = completions - windowStartCompletions
        if isFirstLane {
            if let start = generatorCPUAtStart, let end = processCPUSeconds(pid: nil) {
                result.generatorCPUSeconds = end - start
            }
            if let start = serverCPUAtStart, let pid = config.serverPID, let end = processCPUSeconds(pid: pid) {
                result.serverCPUSeconds = end - start
            }
        }
        windowClosed = true
        finishIfDone(now: NIODeadline.now().uptimeNanoseconds)
    }

    private func finishIfDone(now: UInt64) {
        if windowClosed, next >= totalCount, inflightCount == 0 { finish(now: now) }
    }

    /// Records what is still unanswered as late, closes the connections and completes the run.
    private func finish(now: UInt64) {
        guard !finished else { return }
        finished = true
        for slot in slots.indices {
            let request = slots[slot].inflight
            if request >= warmupCount {
                result.late += 1
                let due = intendedNanos(request)
                _ = result.corrected.record(now > due ? (now - due) / 1000 : 0)
            }
            slots[slot].inflight = -1
            slots[slot].handler?.close()
            slots[slot].handler = nil
        }
        var request = next
        while request < totalCount {
            if request >= warmupCount {
                result.late += 1
                let due = intendedNanos(request)
                _ = result.corrected.record(now > due ? (now - due) / 1000 : 0)
            }
            request += lanes
        }
        // Measured requests of this lane: lane + k * lanes in warmupCount..<totalCount.
        let firstMeasured =
            warmupCount <= lane
            ? lane : warmupCount + (lanes - (warmupCount - lane) % lanes) % lanes
        result.scheduled = firstMeasured < totalCount ? (totalCount - 1 - firstMeasured) / lanes + 1 : 0
        runPromise?.succeed(result)
        runPromise = nil
    }
}

/// The per-channel handler: parses responses and reports them, and the channel's end, to the driver.
final class ResponseHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let driver: Driver
    private let slot: Int
    private let generation: Int
    private var parser: ResponseParser
    private var context: ChannelHandlerContext?
    /// Bytes of a response that arrived split over reads.
    private var pending: ByteBuffer?
    private var reportedClose = false

    init(driver: Driver, slot: Int, generation: Int, headRequests: Bool) {
        self.driver = driver
        self.slot = slot
        self.generation = generation
        self.parser = ResponseParser(headRequest: headRequests)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive {
            driver.connectionActive(slot: slot, generation: generation, handler: self)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        driver.connectionActive(slot: slot, generation: generation, handler: self)
        context.fireChannelActive()
    }

    /// Writes one pre-encoded request.
    func send(_ request: ByteBuffer) {
        context?.writeAndFlush(wrapOutboundOut(request), promise: nil)
    }

    func close() {
        context?.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        if var previous = pending {
            pending = nil
            previous.writeBuffer(&buffer)
            buffer = previous
        }
        do {
            while buffer.readableBytes > 0 {
                switch try parser.parse(&buffer) {
                case .needMore:
                    if buffer.readableBytes > 0 { pending = buffer }
                    return
                case .complete(let status, let close):
                    driver.responseReceived(slot: slot, generation: generation, status: status, close: close)
                }
            }
        } catch {
            reportClose(error: error)
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        reportClose(error: nil)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        reportClose(error: error)
        context.close(promise: nil)
    }

    private func reportClose(error: (any Error)?) {
        guard !reportedClose else { return }
        reportedClose = true
        driver.connectionClosed(slot: slot, generation: generation, error: error)
    }
}
