import Foundation
public import Logging
import Metrics
public import ServiceLifecycle
import VigilDomain
import VigilExchange
import VigilMatching
public import VigilStore

/// How the node sends verdicts' feedback to the exchanges.
public struct FeedbackSettings: Sendable, Hashable {
    /// The first back-off after a failed attempt (seconds); it doubles with each failure.
    public var baseDelaySeconds: Double
    /// The longest back-off (seconds).
    public var maxDelaySeconds: Double
    /// Attempts before a message that keeps failing is given up.
    public var maxAttempts: Int
    /// How long a claimed message is this worker's before another may take it (seconds): longer
    /// than one send can take (the clients' `timeout_seconds`, 60 by default, per request).
    public var leaseSeconds: Double
    /// How often the worker looks for messages that are due (seconds).
    public var pollSeconds: Double

    /// Settings; the defaults: 5 s doubling up to an hour, given up after 10 attempts.
    public init(
        baseDelaySeconds: Double = 5, maxDelaySeconds: Double = 3_600, maxAttempts: Int = 10, leaseSeconds: Double = 600, pollSeconds: Double = 5
    ) {
        self.baseDelaySeconds = baseDelaySeconds
        self.maxDelaySeconds = maxDelaySeconds
        self.maxAttempts = maxAttempts
        self.leaseSeconds = leaseSeconds
        self.pollSeconds = pollSeconds
    }
}

/// Sends the feedback messages verdicts wrote (``VerdictService``) to the services of the exchanges
/// that brought the entries, through the kinds' ``ExchangeFeedbackMaker``s, with the exchange's own
/// credential or its kind's.
///
/// A message is claimed under a lease (so no other worker, here or on another node, sends it
/// meanwhile), sent, and its outcome recorded: `sent`; tried again after a back-off through the
/// node's clock when the service was unavailable, rate-limiting (at least its `Retry-After`) or
/// refused the credential (which may be set later); given up, with the reason, when the service
/// refused the request (a 4xx), the entry lacks the ids the service needs, the exchange was
/// deleted, or the attempts ran out. A message is sent once per delivery id; a node that stops
/// between the send and the record sends it again after the lease (at least once).
///
/// Every failed attempt is logged and counted (`vigil_feedback_attempt_failures_total{exchange}`);
/// a round that cannot read or write the store is logged, counted
/// (`vigil_feedback_round_failures_total`) and recorded in ``NodeExchanges/feedbackRounds`` (`/ready`).
public struct FeedbackWorker: Service {
    let store: any NodeStore
    let service: ExchangeService
    let exchanges: NodeExchanges
    let settings: FeedbackSettings
    let clock: any WallClock
    let logger: Logger
    let failedRounds = Counter(label: "vigil_feedback_round_failures_total")

    /// The worker of `node`.
    public init(node: Node, settings: FeedbackSettings = FeedbackSettings(), logger: Logger = Logger(label: "vigil.feedback")) {
        self.store = node.store
        self.service = ExchangeService(node: node)
        self.exchanges = node.exchanges
        self.settings = settings
        self.clock = node.clock
        self.logger = logger
    }

    /// Sends the messages due now (claimed 20 at a time); returns how many the services took.
    @discardableResult
    public func sendDue() async throws(StoreError) -> Int {
        var sent = 0
        for _ in 0..<10 {
            let now = clock.now()
            let lease = now.addingTimeInterval(settings.leaseSeconds)
            let claimed = try await store.write { tx throws(StoreError) in try tx.claimFeedback(now: now, limit: 20, leaseUntil: lease) }
            for message in claimed where try await deliver(message) { sent += 1 }
            if claimed.count < 20 { break }
        }
        return sent
    }

    /// Sends one claimed message and records the outcome (with an audit event when it is final); whether the service took it.
    func deliver(_ message: StoredFeedback) async throws(StoreError) -> Bool {
        let attempt = try await attempt(message)
        let exchange = message.exchangeName ?? "exchange:\(message.exchangeId)"
        let stored = try await store.write { tx throws(StoreError) in
            let stored = try tx.recordFeedbackAttempt(id: message.id, attempt)
            switch attempt {
            case .sent:
                try tx.appendAudit(
                    ListService.event(
                        .system, "entry.feedback", "entry:\(message.entryId)", at: tx.now,
                        detail: "feedback \(message.id) (\(message.verdict.rawValue)) sent to exchange \(exchange)"))
            case .givenUp(let error):
                try tx.appendAudit(
                    ListService.event(
                        .system, "entry.feedback", "entry:\(message.entryId)", at: tx.now,
                        detail: "feedback \(message.id) (\(message.verdict.rawValue)) to exchange \(exchange) given up: \(error.prefix(500))"))
            case .retry: break
            }
            return stored
        }
        let metadata: Logger.Metadata = [
            "feedback": "\(message.id)", "entry": "\(message.entryId)", "exchange": "\(exchange)", "attempt": "\(stored.attempts)",
        ]
        switch attempt {
        case .sent:
            Counter(label: "vigil_feedback_sent_total", dimensions: [("exchange", exchange)]).increment()
            logger.info("feedback sent to an exchange", metadata: metadata)
            return true
        case .retry(let error, let at):
            Counter(label: "vigil_feedback_attempt_failures_total", dimensions: [("exchange", exchange)]).increment()
            logger.warning(
                "sending feedback to an exchange failed (tried again later)",
                metadata: metadata.merging(["error": "\(error)", "retry": "\(at.rfc3339)"], uniquingKeysWith: { $1 }))
        case .givenUp(let error):
            Counter(label: "vigil_feedback_attempt_failures_total", dimensions: [("exchange", exchange)]).increment()
            Counter(label: "vigil_feedback_given_up_total", dimensions: [("exchange", exchange)]).increment()
            logger.error("feedback to an exchange was given up", metadata: metadata.merging(["error": "\(error)"], uniquingKeysWith: { $1 }))
        }
        return false
    }

    /// One attempt to send `message`; the store's failures are thrown (the round records them).
    func attempt(_ message: StoredFeedback) async throws(StoreError) -> FeedbackAttempt {
        guard let name = message.exchangeName else { return .givenUp(error: "the exchange that brought the entry was deleted") }
        let exchange: StoredExchange
        do throws(StoreError) {
            exchange = try await store.exchange(named: name)
        } catch  where error.code == .exchangeNotFound {
            return .givenUp(error: "the exchange that brought the entry was deleted")
        }
        guard let entry = try await store.entries(ids: [message.entryId])[message.entryId] else {
            return .givenUp(error: "entry \(message.entryId) is not in the store")
        }
        guard let maker = exchanges.registry.makers[exchange.kind] as? any ExchangeFeedbackMaker else {
            return .givenUp(error: "exchanges of kind \(exchange.kind) take no feedback on this node")
        }
        let kindCredential = exchange.credential == nil ? try await store.exchangeKindCredentials()[exchange.kind] : nil
        do throws(ExchangeError) {
            let credential = try service.credential(of: exchange, kindCredential: kindCredential)
            try await maker.sendFeedback(
                VerdictService.exchangeVerdict(message.verdict),
                on: FeedbackSubject(type: entry.type, value: entry.value, provenance: entry.provenance),
                settings: exchange.settings, credential: credential)
            return .sent
        } catch {
            return outcome(of: error, attempts: message.attempts + 1)
        }
    }

    /// What a failed attempt (the `attempts`-th) comes to: tried again after a back-off when it may
    /// pass and attempts are left, else given up with the reason.
    func outcome(of error: ExchangeError, attempts: Int) -> FeedbackAttempt {
        var retryAfter: Int?
        switch error {
        case .unavailable, .unauthorized: break
        case .rateLimited(let seconds): retryAfter = seconds
        case .malformed, .misconfigured: return .givenUp(error: error.description)
        }
        guard attempts < settings.maxAttempts else { return .givenUp(error: "given up after \(attempts) attempts: \(error.description)") }
        let backOff = min(settings.maxDelaySeconds, settings.baseDelaySeconds * pow(2, Double(attempts - 1)))
        return .retry(error: error.description, at: clock.now().addingTimeInterval(max(backOff, Double(retryAfter ?? 0))))
    }

    /// One round: send what is due; a store failure is logged, counted and recorded.
    public func round() async {
        let health = exchanges.feedbackRounds
        do throws(StoreError) {
            try await sendDue()
            health.succeeded(at: clock.now())
        } catch {
            failedRounds.increment()
            health.failed(error, at: clock.now())
            logger.error("feedback round failed (retried next round)", metadata: ["error": "\(String(reflecting: error))"])
        }
    }

    /// Sends until graceful shutdown (woken at once by a verdict that wrote a message); messages not
    /// sent yet stay in the database for the next start.
    public func run() async throws {
        let poll = Duration.milliseconds(Int64(settings.pollSeconds * 1_000))
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await round()
                await exchanges.feedbackWake.wait(upTo: poll)
            }
        }
    }
}
