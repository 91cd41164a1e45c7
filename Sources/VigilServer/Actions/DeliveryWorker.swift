import AsyncHTTPClient
import Crypto
import Foundation
public import Logging
import Metrics
import NIOCore
import NIOHTTP1
public import ServiceLifecycle
public import VigilDomain
import VigilHex
public import VigilStore

/// Delivers the transactional outbox: signed webhook POSTs with retries and exponential backoff.
/// Messages are read from the database, so a restart resumes where it stopped; a message is marked
/// delivered only after its receiver answered 2xx.
///
/// Every delivery goes through the ``OutboundConnector``: the webhook's host is resolved, every
/// address checked against `addresses` (loopback, private and link-local ones only with
/// `webhooks.allow-private`; metadata addresses never), and the POST connects to a checked
/// address only. Redirects are not followed: a 3xx answer is a failed delivery.
public struct DeliveryWorker: Service {
    let store: any ActionStore
    let connector: OutboundConnector
    let interval: Duration
    let baseDelay: Double
    let maxAttempts: Int
    let clock: any WallClock
    let logger: Logger
    let failedRounds = Counter(label: "vigil_outbox_round_failures_total")
    let failedDeliveries = Counter(label: "vigil_outbox_delivery_failures_total")

    /// Creates a worker. `baseDelay` seconds doubles with each failed attempt (capped at an hour);
    /// after `maxAttempts` failures a message is kept as failed, for people to look at.
    /// `addresses` says which addresses webhooks may go to (public only by default) and `resolver`
    /// how their hosts are resolved.
    public init(
        store: any ActionStore, addresses: AddressPolicy = AddressPolicy(setting: "webhooks.allow-private"),
        resolver: any HostResolver = SystemHostResolver(), interval: Duration = .milliseconds(250),
        baseDelay: Double = 2, maxAttempts: Int = 15, clock: any WallClock = SystemClock(), logger: Logger = Logger(label: "vigil.outbox")
    ) {
        self.clock = clock
        self.store = store
        self.connector = OutboundConnector(policy: addresses, resolver: resolver)
        self.interval = interval
        self.baseDelay = baseDelay
        self.maxAttempts = maxAttempts
        self.logger = logger
    }

    /// How long one webhook POST may take, in seconds.
    static let requestTimeLimit: Double = 10

    /// The signature header value for `body` sent at `timestamp`: `sha256=` and the hex HMAC-SHA256
    /// of `"<timestamp>.<body>"` under `secret`.
    public static func signature(body: [UInt8], timestamp: String, secret: String) -> String {
        let key = SymmetricKey(data: Data(secret.utf8))
        let mac = HMAC<SHA256>.authenticationCode(for: Data(timestamp.utf8) + Data(".".utf8) + Data(body), using: key)
        return "sha256=" + Hex.encode(mac)
    }

    /// Delivers what is due now (up to 100 messages, claimed 10 at a time); returns how many were delivered.
    @discardableResult
    public func deliverDue() async throws -> Int {
        let now = clock.now()
        var delivered = 0
        // A batch is claimed for as long as it can take (each POST's time limit), plus a margin: no
        // other worker, here or on another node, sends it meanwhile; if this node stops first, its
        // messages are due again when the lease ends.
        let batch = 10
        let leaseUntil = now.addingTimeInterval(Double(batch) * Self.requestTimeLimit + 60)
        for _ in 0..<10 {
            let claimed = try await store.claimDeliveries(now: now, limit: batch, leaseUntil: leaseUntil)
            for message in claimed where try await deliver(message, at: now) { delivered += 1 }
            if claimed.count < batch { break }
        }
        return delivered
    }

    /// Sends one claimed message and records the outcome; whether its receiver took it.
    private func deliver(_ message: OutboxDelivery, at now: Date) async throws -> Bool {
        var failure: String?
        do {
            try await post(message, at: now)
        } catch let error as OutboundError {
            failure = error.description
        } catch {
            failure = "the delivery failed: \(type(of: error))"
        }
        if let failure {
            let attempts = message.attempts + 1
            let retryAt = attempts >= maxAttempts ? nil : now.addingTimeInterval(min(3600, baseDelay * pow(2, Double(attempts - 1))))
            failedDeliveries.increment()
            try await store.markFailed(message.id, error: failure, retryAt: retryAt)
            logger.warning("webhook delivery failed", metadata: ["delivery": "\(message.id)", "attempt": "\(attempts)", "error": "\(failure)"])
            return false
        }
        try await store.markDelivered(message.id, at: clock.now())
        return true
    }

    /// Posts `message` to its webhook at a checked address; returns when the receiver answered 2xx.
    ///
    /// - Throws: ``OutboundError`` saying why not.
    private func post(_ message: OutboxDelivery, at now: Date) async throws {
        let url: OutboundURL
        do throws(OutboundURLError) {
            url = try OutboundURL(message.url)
        } catch {
            throw OutboundError.invalidURL(error)
        }
        let destination = try await connector.check(url)
        let timestamp = String(Int(now.timeIntervalSince1970))
        var request = HTTPClientRequest(url: url.description)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "X-Vigil-Delivery", value: String(message.id))
        request.headers.add(name: "X-Vigil-Timestamp", value: timestamp)
        request.headers.add(name: "X-Vigil-Signature", value: Self.signature(body: message.body, timestamp: timestamp, secret: message.secret))
        request.body = .bytes(ByteBuffer(bytes: message.body))
        let deadline = NIODeadline.now() + .seconds(Int64(Self.requestTimeLimit))
        do {
            try await connector.withClient(for: destination) { client in
                let response = try await client.execute(request, deadline: deadline)
                let code = Int(response.status.code)
                if (300..<400).contains(code) { throw OutboundError.redirectRefused(code) }
                guard (200..<300).contains(code) else { throw OutboundError.status(code) }
            }
        } catch let error as OutboundError {
            throw error
        } catch {
            throw OutboundConnector.describe(error, url: url, connectTimeout: connector.connectTimeout)
        }
    }

    /// Delivers until graceful shutdown.
    public func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                while !Task.isCancelled {
                    do {
                        try await deliverDue()
                    } catch {
                        // The store failed: nothing was lost (undelivered rows stay), but say so.
                        failedRounds.increment()
                        logger.error("outbox delivery round failed", metadata: ["error": "\(error)"])
                    }
                    try await Task.sleep(for: interval)
                }
            }
        } catch is CancellationError {
            // Undelivered messages stay in the outbox for the next start.
        }
    }
}
