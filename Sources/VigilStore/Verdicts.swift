public import Foundation
import VigilDomain

// Verdicts on entries, and the feedback they send to the exchange that supplied the entry: a
// reviewer's verdict is one row per (entry, reviewer); where the entry came from an exchange whose
// service takes feedback, the same transaction writes a feedback message (its id is the delivery
// id) that the feedback worker sends with retries. The rules are written once here over the unit
// of work; each store only reads and writes the rows.

/// What a reviewer says about a matched entry.
public enum EntryVerdictKind: String, Sendable, Hashable, CaseIterable, Codable {
    /// The match is what the list says it is.
    case truePositive = "true_positive"
    /// It is not (the entry is wrong, or matches benign content).
    case falsePositive = "false_positive"
    /// The entry was seen matching, not judged.
    case seen
}

/// Where a feedback message stands.
public enum FeedbackState: String, Sendable, Hashable, CaseIterable, Codable {
    /// Waiting to be sent (or to be tried again).
    case pending
    /// The service took it.
    case sent
    /// Not sent: the service refused it for good, or the attempts ran out (``StoredFeedback/lastError`` says why).
    case givenUp = "given_up"
    /// Not sent: the reviewer changed the verdict before it went out (the new verdict has its own message).
    case superseded
}

/// A verdict to record: `reviewer` is the authenticated caller (never a field of a request body).
public struct NewEntryVerdict: Sendable, Hashable {
    /// The entry judged.
    public var entryId: Int64
    /// Who judged it (the principal's name, e.g. `key:7`).
    public var reviewer: String
    /// The reviewer's organisation, if known.
    public var organisation: String?
    /// The verdict.
    public var verdict: EntryVerdictKind

    /// A verdict.
    public init(entryId: Int64, reviewer: String, organisation: String?, verdict: EntryVerdictKind) {
        self.entryId = entryId
        self.reviewer = reviewer
        self.organisation = organisation
        self.verdict = verdict
    }
}

/// A feedback message to an exchange's service, as stored: its id is the delivery id.
public struct StoredFeedback: Sendable, Hashable {
    /// The delivery id (one per message; a verdict's message is sent at most once by its id).
    public var id: Int64
    /// The verdict it carries (the row in ``StoredEntryVerdict``).
    public var verdictId: Int64
    /// The entry it is about.
    public var entryId: Int64
    /// The exchange that supplied the entry.
    public var exchangeId: Int64
    /// That exchange's name now (nil: it was deleted, and the message cannot be sent).
    public var exchangeName: String?
    /// The verdict sent.
    public var verdict: EntryVerdictKind
    /// Where it stands.
    public var state: FeedbackState
    /// Attempts made so far.
    public var attempts: Int
    /// When it is next tried (for `pending`), RFC 3339.
    public var nextAttemptAt: String?
    /// Why the last attempt failed, or why it was given up.
    public var lastError: String?
    /// When the service took it.
    public var sentAt: String?
    /// When it was written (with its verdict).
    public var createdAt: String

    /// A stored message.
    public init(
        id: Int64, verdictId: Int64, entryId: Int64, exchangeId: Int64, exchangeName: String?, verdict: EntryVerdictKind, state: FeedbackState,
        attempts: Int, nextAttemptAt: String?, lastError: String?, sentAt: String?, createdAt: String
    ) {
        self.id = id
        self.verdictId = verdictId
        self.entryId = entryId
        self.exchangeId = exchangeId
        self.exchangeName = exchangeName
        self.verdict = verdict
        self.state = state
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.lastError = lastError
        self.sentAt = sentAt
        self.createdAt = createdAt
    }
}

/// A reviewer's verdict on an entry, as stored, with its latest feedback message.
public struct StoredEntryVerdict: Sendable, Hashable {
    /// The verdict's id.
    public var id: Int64
    /// The entry judged.
    public var entryId: Int64
    /// The entry's list.
    public var listId: Int64
    /// Who judged it.
    public var reviewer: String
    /// The reviewer's organisation.
    public var organisation: String?
    /// The verdict (the latest this reviewer gave).
    public var verdict: EntryVerdictKind
    /// When this reviewer first gave a verdict on the entry, RFC 3339.
    public var createdAt: String
    /// When the verdict was last changed (the injected clock's time), RFC 3339.
    public var updatedAt: String
    /// The message sending the current verdict to the entry's exchange; nil when none was written
    /// (the entry came from no exchange, or its service takes no such feedback).
    public var feedback: StoredFeedback?

    /// A stored verdict.
    public init(
        id: Int64, entryId: Int64, listId: Int64, reviewer: String, organisation: String?, verdict: EntryVerdictKind, createdAt: String,
        updatedAt: String, feedback: StoredFeedback?
    ) {
        self.id = id
        self.entryId = entryId
        self.listId = listId
        self.reviewer = reviewer
        self.organisation = organisation
        self.verdict = verdict
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.feedback = feedback
    }
}

/// What one attempt to send a feedback message came to.
public enum FeedbackAttempt: Sendable, Hashable {
    /// The service took it.
    case sent
    /// It failed in a way that may pass: try again at this time.
    case retry(error: String, at: Date)
    /// It failed for good (the service refused it, or the attempts ran out).
    case givenUp(error: String)
}

/// The verdicts' and feedback messages' reads (their writes go through the unit of work).
public protocol VerdictStore: Sendable {
    /// The verdicts on an entry, by id, each with its latest feedback message.
    func verdicts(entryId: Int64) async throws(StoreError) -> [StoredEntryVerdict]
    /// One feedback message, or nil.
    func feedback(id: Int64) async throws(StoreError) -> StoredFeedback?
}

/// The verdicts' rules, written once over the unit of work for every store.
extension StoreTransaction {
    /// Records `new` on entry `new.entryId` of list `listName`, one verdict per (entry, reviewer):
    /// a second verdict by the same reviewer replaces the first (its `createdAt` stays, `updatedAt`
    /// moves); the same verdict again changes nothing and writes no message. When the verdict
    /// changes, a message of the earlier verdict not sent yet is `superseded`, and, when the entry
    /// came from an exchange and `takesFeedback(exchange kind, verdict)`, a new message is written,
    /// due now. Returns the verdict as stored and whether anything changed.
    /// `entryNotFound` when the list has no such entry (live or deleted).
    public func recordVerdict(
        _ new: NewEntryVerdict, inList listName: String, takesFeedback: (String, EntryVerdictKind) -> Bool
    ) throws(StoreError) -> (verdict: StoredEntryVerdict, changed: Bool) {
        guard !new.reviewer.isEmpty, new.reviewer.utf8.count <= 1_024 else { throw .invalid("a verdict needs its reviewer (1-1024 bytes)") }
        let list = try list(named: listName)
        guard let entry = try entries(ids: [new.entryId])[new.entryId], entry.listId == list.id else { throw .entryNotFound(new.entryId) }
        if let existing = try verdict(entryId: entry.id, reviewer: new.reviewer), existing.verdict == new.verdict {
            return (existing, false)
        }
        let verdictId = try saveVerdict(new, listId: list.id)
        try supersedePendingFeedback(verdictId: verdictId)
        if let exchange = try exchangeOfEntry(entry.id), takesFeedback(exchange.kind, new.verdict) {
            _ = try insertFeedback(verdictId: verdictId, entryId: entry.id, exchangeId: exchange.id, verdict: new.verdict)
        }
        guard let stored = try verdict(entryId: entry.id, reviewer: new.reviewer) else {
            throw .internal("a verdict was written but does not read back")
        }
        return (stored, true)
    }

    /// Claims up to `limit` pending messages due at `now`, oldest first, for one worker: each is
    /// not due again until `leaseUntil`, so no other worker (on this node or another) takes it
    /// meanwhile. A worker that stops before recording the attempt leaves the message to be
    /// claimed again after the lease: delivery is at least once.
    public func claimFeedback(now: Date, limit: Int, leaseUntil: Date) throws(StoreError) -> [StoredFeedback] {
        var claimed = try dueFeedback(now: now, limit: limit)
        for index in claimed.indices {
            claimed[index].nextAttemptAt = leaseUntil.rfc3339
            try saveFeedback(claimed[index])
        }
        return claimed
    }

    /// Records what an attempt to send message `id` came to: `sent` (whatever its state, as it was
    /// sent), or, for a message still pending, a retry at a time or its giving up. Returns it as
    /// changed; `invalid` when there is no such message.
    @discardableResult
    public func recordFeedbackAttempt(id: Int64, _ attempt: FeedbackAttempt) throws(StoreError) -> StoredFeedback {
        guard var message = try feedback(id: id) else { throw .invalid("there is no feedback message \(id)") }
        message.attempts += 1
        switch attempt {
        case .sent:
            message.state = .sent
            message.sentAt = now.rfc3339
            message.nextAttemptAt = nil
            message.lastError = nil
        case .retry(let error, let at):
            message.lastError = String(error.prefix(2_000))
            if message.state == .pending { message.nextAttemptAt = at.rfc3339 }
        case .givenUp(let error):
            message.lastError = String(error.prefix(2_000))
            if message.state == .pending {
                message.state = .givenUp
                message.nextAttemptAt = nil
            }
        }
        try saveFeedback(message)
        return message
    }
}
