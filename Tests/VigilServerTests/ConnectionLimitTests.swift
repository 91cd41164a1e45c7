import Configuration
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Testing
import VigilDomain
import VigilMedia
import VigilStore

@testable import VigilServer

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Real connections to a node listening on loopback: the request-head timeout, the idle timeout
/// and the connection cap. These are the only server tests that wait for time to pass (network
/// timeouts cannot be faked); each timeout is short and each wait bounded.
@Suite("Connection limits", .serialized)
struct ConnectionLimitTests {
    /// Runs the node on a free loopback port while `body` runs.
    static func withLiveNode(_ node: TestNode, _ limits: ConnectionLimits, _ body: @Sendable (Int) async throws -> Void) async throws {
        var settings = node.settings
        settings.host = "127.0.0.1"
        settings.port = 0
        settings.connections = limits
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        var live = node
        live.settings = settings
        let app = buildApplication(node: live.node) { channel in
            portSink.yield(channel.localAddress?.port ?? 0)
        }
        let services = ServiceGroup(configuration: .init(services: [app], logger: Logger(label: "connection-limit-tests")))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await services.run() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            try await body(port)
            await services.triggerGracefulShutdown()
            try await group.waitForAll()
        }
    }

    /// A client that sends half a request head, or nothing, is disconnected after the head timeout.
    @Test(.timeLimit(.minutes(1))) func halfAHeadIsClosedAfterTheHeadTimeout() async throws {
        let node = try await TestNode.make()
        let limits = ConnectionLimits(maxConnections: 100, idleTimeout: .seconds(30), headTimeout: .milliseconds(500))
        try await Self.withLiveNode(node, limits) { port in
            for opening in ["GET /health HTTP/1.1\r\nHost: loc", ""] {
                let started = ContinuousClock.now
                let answer = try await RawConnection.blocking {
                    let connection = try RawConnection(port: port)
                    defer { connection.disconnect() }
                    connection.write(opening)
                    return connection.readUntilClosed(timeout: .seconds(20))
                }
                let elapsed = ContinuousClock.now - started
                #expect(answer.closed, "\(opening.debugDescription)")
                #expect(answer.bytes.isEmpty)
                #expect(elapsed >= .milliseconds(400) && elapsed < .seconds(5), "closed after \(elapsed)")
            }
            // A head that arrives in time starts the request: its body may take longer than the
            // head timeout (the idle timeout watches it from then on).
            let key = try #require(node.keys[.match])
            let answer = try await RawConnection.blocking {
                let connection = try RawConnection(port: port)
                defer { connection.disconnect() }
                let body = #"{"type":"pdq","value":"\#(bridgeHash)"}"#
                connection.write(
                    "POST /v1/match/hash HTTP/1.1\r\nHost: loc\r\nAuthorization: Bearer \(key)\r\nContent-Type: application/json\r\n"
                        + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n")
                Thread.sleep(forTimeInterval: 1)
                connection.write(body)
                return connection.readUntilClosed(timeout: .seconds(20))
            }
            #expect(String(decoding: answer.bytes, as: UTF8.self).hasPrefix("HTTP/1.1 200"))
        }
    }

    /// A keep-alive connection left idle after its answer is closed after the idle timeout.
    @Test(.timeLimit(.minutes(1))) func anIdleKeepAliveConnectionIsClosed() async throws {
        let node = try await TestNode.make()
        let limits = ConnectionLimits(maxConnections: 100, idleTimeout: .milliseconds(500), headTimeout: .seconds(30))
        try await Self.withLiveNode(node, limits) { port in
            let (answer, closed, elapsed) = try await RawConnection.blocking {
                let connection = try RawConnection(port: port)
                defer { connection.disconnect() }
                connection.write("GET /health HTTP/1.1\r\nHost: loc\r\n\r\n")
                let answer = connection.readResponse(timeout: .seconds(10))
                let started = ContinuousClock.now
                let rest = connection.readUntilClosed(timeout: .seconds(20))
                return (answer, rest.closed && rest.bytes.isEmpty, ContinuousClock.now - started)
            }
            #expect(answer?.hasPrefix("HTTP/1.1 200") == true)
            #expect(closed)
            #expect(elapsed >= .milliseconds(400) && elapsed < .seconds(5), "closed after \(elapsed)")
        }
    }

    /// At the cap a further connection is not served; once one closes it is, and so are
    /// authenticated requests.
    @Test(.timeLimit(.minutes(1))) func pastTheCapConnectionsWaitUntilOthersClose() async throws {
        let node = try await TestNode.make()
        let key = try #require(node.keys[.match])
        let limits = ConnectionLimits(maxConnections: 2, idleTimeout: .seconds(30), headTimeout: .seconds(30))
        try await Self.withLiveNode(node, limits) { port in
            let health = "GET /health HTTP/1.1\r\nHost: loc\r\n\r\n"
            let (first, second) = try await RawConnection.blocking { (try RawConnection(port: port), try RawConnection(port: port)) }
            for connection in [first, second] {
                let answer = try await RawConnection.blocking {
                    connection.write(health)
                    return connection.readResponse(timeout: .seconds(10))
                }
                #expect(answer?.hasPrefix("HTTP/1.1 200") == true)
            }
            // Both held open: a third connection is made by the kernel but not served.
            let third = try await RawConnection.blocking { try RawConnection(port: port) }
            let waiting = try await RawConnection.blocking {
                third.write(health)
                let served = first.readResponse(timeout: .seconds(10), sending: health)
                return (served, third.readResponse(timeout: .milliseconds(500)))
            }
            #expect(waiting.0?.hasPrefix("HTTP/1.1 200") == true, "the held connections are still served")
            #expect(waiting.1 == nil, "the third connection is not served at the cap")

            first.disconnect()
            let answered = try await RawConnection.blocking { third.readResponse(timeout: .seconds(10)) }
            #expect(answered?.hasPrefix("HTTP/1.1 200") == true)
            second.disconnect()
            let lookup = try await RawConnection.blocking {
                let connection = try RawConnection(port: port)
                defer { connection.disconnect() }
                let body = #"{"type":"pdq","value":"\#(bridgeHash)"}"#
                connection.write(
                    "POST /v1/match/hash HTTP/1.1\r\nHost: loc\r\nAuthorization: Bearer \(key)\r\nContent-Type: application/json\r\n"
                        + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)")
                return connection.readResponse(timeout: .seconds(10))
            }
            #expect(lookup?.hasPrefix("HTTP/1.1 200") == true)
            third.disconnect()
        }
    }

    @Test func theCapStaysBelowTheOpenFileLimit() throws {
        #expect(ConnectionLimits().fitting(openFileLimit: 1_048_576).maxConnections == 10_000)
        #expect(ConnectionLimits().fitting(openFileLimit: 4096).maxConnections == 4096 - ConnectionLimits.reservedDescriptors)
        #expect(ConnectionLimits(maxConnections: 50).fitting(openFileLimit: 100).maxConnections == 1)
        let raised = try OpenFileLimit.raiseToHardLimit()
        var limit = rlimit()
        #expect(getrlimit(Self.openFiles, &limit) == 0)
        #expect(raised == Int(limit.rlim_cur))
        #expect(limit.rlim_cur == limit.rlim_max)
    }

    #if canImport(Glibc)
    static let openFiles = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
    static let openFiles = RLIMIT_NOFILE
    #endif

    @Test func limitsAreConfigurable() async throws {
        let defaults = try await NodeConfiguration.load(environment: [:])
        #expect(defaults.server.connections == ConnectionLimits())
        #expect(defaults.server.connections.headTimeout == .seconds(10))
        #expect(defaults.server.hashing == HashingLimits())
        #expect(defaults.server.maxPixelsPerInputByte == 100_000)
        #expect(defaults.server.decodeLimits.maxPixels == 50_000_000)

        let environment = [
            "VIGIL_HTTP_MAX_CONNECTIONS": "500", "VIGIL_HTTP_IDLE_TIMEOUT_SECONDS": "5", "VIGIL_HTTP_HEAD_TIMEOUT_SECONDS": "2.5",
            "VIGIL_HASHING_THREADS": "3", "VIGIL_HASHING_QUEUE": "0", "VIGIL_DECODE_MAX_PIXELS_PER_BYTE": "20000",
        ]
        let configured = try await NodeConfiguration.load(environment: environment)
        #expect(configured.server.connections == ConnectionLimits(maxConnections: 500, idleTimeout: .seconds(5), headTimeout: .milliseconds(2500)))
        #expect(configured.server.hashing == HashingLimits(threads: 3, queue: 0))
        #expect(configured.server.maxPixelsPerInputByte == 20_000)

        for (variable, value, key) in [
            ("VIGIL_HTTP_MAX_CONNECTIONS", "0", "http.max-connections"), ("VIGIL_HTTP_IDLE_TIMEOUT_SECONDS", "-1", "http.idle-timeout-seconds"),
            ("VIGIL_HTTP_HEAD_TIMEOUT_SECONDS", "601", "http.head-timeout-seconds"), ("VIGIL_HASHING_THREADS", "0", "hashing.threads"),
            ("VIGIL_HASHING_QUEUE", "-1", "hashing.queue"), ("VIGIL_DECODE_MAX_PIXELS_PER_BYTE", "0", "decode.max-pixels-per-byte"),
            ("VIGIL_HASHING_THREADS", "many", "hashing.threads"),
        ] {
            await #expect { try await NodeConfiguration.load(environment: [variable: value]) } throws: { error in
                (error as? ConfigurationError)?.key == key
            }
        }
    }
}

/// A plain TCP client on loopback (blocking calls: run them through ``blocking(_:)``, off the
/// cooperative pool that the node in the same process answers on).
final class RawConnection: Sendable {
    let descriptor: Int32

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Runs blocking socket work on NIO's thread pool.
    static func blocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive(work)
    }

    init(port: Int) throws {
        #if canImport(Glibc)
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        descriptor = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard descriptor >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            _ = close(descriptor)
            throw Failure(description: "connect: errno \(errno)")
        }
    }

    func write(_ text: String) {
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { return }
            sent += count
        }
    }

    /// Waits up to `timeout` for bytes: nil on timeout, [] when the peer closed.
    private func receive(until deadline: ContinuousClock.Instant) -> [UInt8]? {
        let left = deadline - ContinuousClock.now
        guard left > .zero else { return nil }
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000)
        guard poll(&poller, 1, max(1, milliseconds)) > 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        return count > 0 ? Array(buffer[0..<count]) : []
    }

    /// Everything until the peer closes (`closed`) or `timeout` passes.
    func readUntilClosed(timeout: Duration) -> (bytes: [UInt8], closed: Bool) {
        let deadline = ContinuousClock.now + timeout
        var bytes: [UInt8] = []
        while let chunk = receive(until: deadline) {
            if chunk.isEmpty { return (bytes, true) }
            bytes += chunk
        }
        return (bytes, false)
    }

    /// One whole response (head and `Content-Length` body), after sending `request` if given;
    /// nil when none arrives within `timeout`.
    func readResponse(timeout: Duration, sending request: String? = nil) -> String? {
        if let request { write(request) }
        let deadline = ContinuousClock.now + timeout
        var bytes: [UInt8] = []
        while let chunk = receive(until: deadline), !chunk.isEmpty {
            bytes += chunk
            let text = String(decoding: bytes, as: UTF8.self)
            guard let end = text.range(of: "\r\n\r\n") else { continue }
            let length =
                text[..<end.lowerBound].split(separator: "\r\n")
                .first { $0.lowercased().hasPrefix("content-length:") }
                .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
            if text.utf8.count - text.utf8.distance(from: text.utf8.startIndex, to: end.upperBound) >= length { return text }
        }
        return nil
    }

    /// Closes the connection (the descriptor itself is released with the object).
    func disconnect() {
        _ = shutdown(descriptor, Int32(SHUT_RDWR))
    }

    deinit {
        _ = close(descriptor)
    }
}
