public import Foundation
public import VigilDomain

/// A message waiting in (or delivered from) the transactional outbox.
public struct OutboxDelivery: Sendable, Hashable {
    /// The delivery's id (also sent as `X-Vigil-Delivery`).
    public var id: Int64
    /// The list whose action policy the message was recorded for.
    public var listId: Int64?
    /// Where it goes.
    public var url: String
    /// The signing secret: the list's policy's current secret, read when the delivery is read
    /// (outbox rows hold no copy of it). Empty when the policy no longer has one.
    public var secret: String
    /// The JSON body.
    public var body: [UInt8]
    /// Attempts made so far.
    public var attempts: Int
    /// When it was delivered, if it was.
    public var deliveredAt: String?
    /// When it was given up, if it was.
    public var failedAt: String?
    /// The last failure, if any.
    public var lastError: String?

    /// Creates a delivery's record.
    public init(
        id: Int64, listId: Int64?, url: String, secret: String, body: [UInt8], attempts: Int, deliveredAt: String?, failedAt: String?,
        lastError: String?
    ) {
        self.id = id
        self.listId = listId
        self.url = url
        self.secret = secret
        self.body = body
        self.attempts = attempts
        self.deliveredAt = deliveredAt
        self.failedAt = failedAt
        self.lastError = lastError
    }
}

/// A message to put in the outbox: a webhook event for a list's action policy.
///
/// The message names the list, not the secret: the outbox keeps no copy of the webhook secret.
/// At delivery time the secret is read from the list's current policy, so a rotated secret signs
/// the pending deliveries with the new secret, and a delivery whose policy (or its secret) was
/// removed before it went out fails permanently, with a `last_error` that says so.
public struct OutboxMessage: Sendable, Hashable {
    /// The list whose action policy this message follows (nil for an organisation's webhook).
    public var listId: Int64?
    /// The organisation whose webhook this message goes to (nil for a list's policy): the
    /// Centre's notices of referrals to police and Europol.
    public var organisationId: Int64?
    /// Where it goes (the policy's or organisation's webhook address when the message was recorded).
    public var url: String
    /// The JSON body.
    public var body: [UInt8]

    /// A message following a list's action policy.
    public init(listId: Int64, url: String, body: [UInt8]) {
        self.listId = listId
        self.organisationId = nil
        self.url = url
        self.body = body
    }

    /// A message to an organisation's webhook, signed with its secret.
    public init(organisationId: Int64, url: String, body: [UInt8]) {
        self.listId = nil
        self.organisationId = organisationId
        self.url = url
        self.body = body
    }
}

/// An organisation's webhook: where the Centre posts its notices (a new referral, for police and
/// Europol), signed with the secret as list policies' webhooks are.
public struct OrganisationWebhook: Sendable, Hashable {
    /// The organisation.
    public var organisationId: Int64
    /// The address (http or https).
    public var url: String
    /// The signing secret.
    public var secret: String

    /// A webhook.
    public init(organisationId: Int64, url: String, secret: String) {
        self.organisationId = organisationId
        self.url = url
        self.secret = secret
    }
}

/// Action policies: what to do when a list matches, and where to post the event.
public protocol ActionPolicyStore: Sendable {
    /// Sets (or, with nil, clears) a list's action policy.
    func setPolicy(_ policy: ActionPolicy?, forList name: String) async throws(StoreError)
    /// Every list's policy, by list id.
    func policies() async throws(StoreError) -> [Int64: ActionPolicy]
}

/// The transactional outbox: a message is durably recorded before anything is acknowledged, and
/// delivered (with retries) afterwards, so none is lost across restarts.
public protocol OutboxStore: Sendable {
    /// Records messages in one transaction; returns their ids.
    func enqueue(_ messages: [OutboxMessage]) async throws(StoreError) -> [Int64]
    /// Undelivered messages whose next attempt is due at `now`, oldest first, each with its list's
    /// current secret. Due messages whose policy (or its secret) is gone are failed permanently
    /// first, with a `lastError` that says so, and are not returned.
    func dueDeliveries(now: Date, limit: Int) async throws(StoreError) -> [OutboxDelivery]
    /// Claims up to `limit` of the messages due at `now` (oldest first) for one worker: each is not
    /// due again until `leaseUntil`, so no other worker, on this node or another, takes it
    /// meanwhile; the worker marks it delivered or failed (which sets when it is due next). A worker
    /// that stops before that leaves the message to be claimed again once the lease has passed:
    /// delivery is at least once, and receivers deduplicate on its id (`X-Vigil-Delivery`). Due
    /// messages whose policy is gone are failed first, as ``dueDeliveries(now:limit:)`` does.
    /// (Implemented once, below, over ``claimDue(ids:now:leaseUntil:)``.)
    func claimDeliveries(now: Date, limit: Int, leaseUntil: Date) async throws(StoreError) -> [OutboxDelivery]
    /// Of `ids`, claims those still undelivered, unfailed and due at `now`, until `leaseUntil`, in one
    /// step that no other worker's claim interleaves with; returns the ids claimed (the others were
    /// claimed by another worker, or finished, meanwhile).
    func claimDue(ids: [Int64], now: Date, leaseUntil: Date) async throws(StoreError) -> Set<Int64>
    /// Marks a delivery done.
    func markDelivered(_ id: Int64, at: Date) async throws(StoreError)
    /// Records a failed attempt and when to try again (nil: give up).
    func markFailed(_ id: Int64, error: String, retryAt: Date?) async throws(StoreError)
    /// One delivery, for status and tests.
    func delivery(_ id: Int64) async throws(StoreError) -> OutboxDelivery?
}

extension OutboxStore {
    /// The claim as both stores make it: a read first (failing orphans as it goes), so that an idle
    /// worker's polls write nothing, then the claim of what is still due.
    public func claimDeliveries(now: Date, limit: Int, leaseUntil: Date) async throws(StoreError) -> [OutboxDelivery] {
        let due = try await dueDeliveries(now: now, limit: limit)
        guard !due.isEmpty else { return [] }
        let claimed = try await claimDue(ids: due.map(\.id), now: now, leaseUntil: leaseUntil)
        return due.filter { claimed.contains($0.id) }
    }
}

/// Action policies and the outbox together (what the match engine and the delivery worker hold).
public typealias ActionStore = ActionPolicyStore & OutboxStore
