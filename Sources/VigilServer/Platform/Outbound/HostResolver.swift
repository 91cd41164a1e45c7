import Foundation
import NIOPosix
import Synchronization
public import VigilDomain

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns a host name into the addresses a connection to it may go to. The node checks every
/// address against its ``AddressPolicy`` and then connects to a checked one only, so tests (and
/// deployments with their own naming) can point names anywhere by giving another resolver.
public protocol HostResolver: Sendable {
    /// The addresses of `host`, in the order they should be tried.
    ///
    /// - Throws: ``HostResolutionError`` when the name does not resolve.
    func addresses(of host: String) async throws -> [IPAddress]
}

/// A name that did not resolve (the resolver's reason in words).
public struct HostResolutionError: Error, Sendable, CustomStringConvertible {
    /// The name.
    public var host: String
    /// Why, as the resolver says it (`Name or service not known`).
    public var reason: String

    /// Creates an error.
    public init(host: String, reason: String) {
        self.host = host
        self.reason = reason
    }

    /// The name and the reason.
    public var description: String { "\(host) does not resolve (\(reason))" }
}

/// The system's resolver (`getaddrinfo`, with `/etc/hosts` and the configured DNS), run on NIO's
/// blocking-I/O thread pool so that the event loops never wait for it. A caller that is cancelled
/// (the fetch's deadline passed) stops waiting at once; the lookup finishes on its own thread.
public struct SystemHostResolver: HostResolver {
    /// Creates the resolver.
    public init() {}

    /// The addresses `getaddrinfo` gives for `host` (IPv4 and IPv6 as configured), duplicates removed.
    public func addresses(of host: String) async throws -> [IPAddress] {
        let waiter = Waiter()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[IPAddress], any Error>) in
                waiter.wait(continuation)
                NIOThreadPool.singleton.submit { state in
                    waiter.resume(state == .active ? Result { try Self.lookUp(host) } : .failure(CancellationError()))
                }
            }
        } onCancel: {
            waiter.resume(.failure(CancellationError()))
        }
    }

    /// The waiting caller, resumed once: by the lookup or by cancellation, whichever comes first.
    private final class Waiter: Sendable {
        private enum State {
            case idle
            case waiting(CheckedContinuation<[IPAddress], any Error>)
            case finished(Result<[IPAddress], any Error>)
            case resumed
        }
        private let state = Mutex<State>(.idle)

        func wait(_ continuation: CheckedContinuation<[IPAddress], any Error>) {
            let finished: Result<[IPAddress], any Error>? = state.withLock { state in
                guard case .finished(let result) = state else {
                    state = .waiting(continuation)
                    return nil
                }
                state = .resumed
                return result
            }
            // Cancelled before the continuation existed: resume it now.
            if let finished { continuation.resume(with: finished) }
        }

        func resume(_ result: Result<[IPAddress], any Error>) {
            let waiting: CheckedContinuation<[IPAddress], any Error>? = state.withLock { state in
                switch state {
                case .idle:
                    state = .finished(result)
                    return nil
                case .waiting(let continuation):
                    state = .resumed
                    return continuation
                case .finished, .resumed:
                    return nil
                }
            }
            waiting?.resume(with: result)
        }
    }

    /// One blocking `getaddrinfo` call.
    static func lookUp(_ host: String) throws -> [IPAddress] {
        var hints = addrinfo()
        #if canImport(Darwin)
        hints.ai_socktype = SOCK_STREAM
        #else
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #endif
        hints.ai_flags = AI_ADDRCONFIG
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &list)
        guard status == 0 else {
            let reason = gai_strerror(status).map { String(cString: $0) } ?? "error \(status)"
            throw HostResolutionError(host: host, reason: reason)
        }
        defer { freeaddrinfo(list) }
        var addresses: [IPAddress] = []
        var next = list
        while let info = next {
            next = info.pointee.ai_next
            guard let socketAddress = info.pointee.ai_addr else { continue }
            var bytes: [UInt8] = []
            switch info.pointee.ai_family {
            case AF_INET:
                bytes = socketAddress.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer in
                    withUnsafeBytes(of: pointer.pointee.sin_addr) { Array($0) }
                }
            case AF_INET6:
                bytes = socketAddress.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                    withUnsafeBytes(of: pointer.pointee.sin6_addr) { Array($0) }
                }
            default: continue
            }
            if let address = IPAddress(bytes: bytes), !addresses.contains(address) { addresses.append(address) }
        }
        guard !addresses.isEmpty else { throw HostResolutionError(host: host, reason: "no IPv4 or IPv6 address") }
        return addresses
    }
}
