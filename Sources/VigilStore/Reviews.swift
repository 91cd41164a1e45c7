import Foundation
public import VigilDomain

/// A piece of content in the provider node's review queue.
public struct StoredReview: Sendable, Hashable {
    /// Its id on this node.
    public var id: Int64
    /// Open or decided.
    public var state: ReviewState
    /// Why it is there.
    public var reasons: [ReviewReason]
    /// The content's digests and perceptual hash (never its bytes).
    public var hashes: [FileHash]
    /// Its media type, when known.
    public var mediaType: String?
    /// When it was queued, RFC 3339.
    public var createdAt: String
    /// The reviewer's decision (for `decided`).
    public var decision: ReviewDecision?

    /// A stored item.
    public init(
        id: Int64, state: ReviewState, reasons: [ReviewReason], hashes: [FileHash], mediaType: String?, createdAt: String, decision: ReviewDecision?
    ) {
        self.id = id
        self.state = state
        self.reasons = reasons
        self.hashes = hashes
        self.mediaType = mediaType
        self.createdAt = createdAt
        self.decision = decision
    }
}

/// Where a page of the review queue continues: open items come first, then decided ones, each by id.
public struct ReviewCursor: Sendable, Hashable {
    /// The state of the last item of the previous page.
    public var state: ReviewState
    /// Its id.
    public var id: Int64

    /// A cursor after item `id` in `state`.
    public init(state: ReviewState, id: Int64) {
        self.state = state
        self.id = id
    }

    /// `open.12`, as the API passes it.
    public var text: String { "\(state.rawValue).\(id)" }

    /// Reads `open.12` or `decided.40` (nil for anything else).
    public init?(text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let state = ReviewState(rawValue: String(parts[0])), (1...18).contains(parts[1].count),
            parts[1].allSatisfy(\.isASCII), parts[1].allSatisfy(\.isNumber), let id = Int64(parts[1])
        else { return nil }
        self.init(state: state, id: id)
    }
}

/// The provider node's review queue: content a classifier scored above a threshold, or that matched
/// a quarantine list, waiting for a person's decision. A decision is recorded once.
public protocol ReviewStore: Sendable {
    /// One item.
    func review(id: Int64) async throws(StoreError) -> StoredReview?
    /// A page of items: open ones first, then decided ones, each by id, after `after`; only
    /// those in `state` when given.
    func reviews(state: ReviewState?, after: ReviewCursor?, limit: Int) async throws(StoreError) -> [StoredReview]
}

extension StoreRules {
    /// Checks an item before it is queued: at least one reason, and its hashes.
    static func check(_ review: NewReview) throws(StoreError) {
        guard !review.reasons.isEmpty else { throw StoreError.invalid("a review item needs a reason") }
        guard review.reasons.count <= 64, review.hashes.count <= 16 else {
            throw StoreError.invalid("a review item holds at most 64 reasons and 16 hashes")
        }
        if let mediaType = review.mediaType, mediaType.utf8.count > 128 { throw StoreError.invalid("media_type is over 128 bytes") }
    }

    /// Checks a decision's note.
    static func check(_ decision: ReviewDecision) throws(StoreError) {
        if let note = decision.note, note.unicodeScalars.count > ReviewDecision.maxNoteCharacters {
            throw StoreError.invalid("note is over \(ReviewDecision.maxNoteCharacters) characters")
        }
        guard (1...256).contains(decision.by.utf8.count) else { throw StoreError.invalid("a decision names who made it") }
    }
}

extension ReviewStore where Self: TransactionalStore {
    /// Queues items in one transaction; returns their ids, in order.
    public func queueReviews(_ reviews: [NewReview]) async throws(StoreError) -> [Int64] {
        guard !reviews.isEmpty else { return [] }
        return try await write { tx throws(StoreError) in try reviews.map { review throws(StoreError) in try tx.queueReview(review) } }
    }

    /// Records a decision on an open item with its audit event, in one transaction: `review_not_found`
    /// when there is none, `review_decided` when it was decided already (by anyone: the first decision stands).
    public func decideReview(id: Int64, _ decision: ReviewDecision) async throws(StoreError) -> StoredReview {
        try StoreRules.check(decision)
        return try await write { tx throws(StoreError) in
            let decided = try tx.decideReview(id: id, decision)
            try tx.appendAudit(
                AuditEvent(
                    actor: decision.by, organisation: decision.organisation, action: "review.decide", object: "review:\(id)",
                    at: tx.now.rfc3339Text, detail: decision.outcome.rawValue))
            return decided
        }
    }
}

extension FilingStore where Self: TransactionalStore & ReviewStore {
    /// Records a match's webhook messages, filings and review items in one transaction.
    public func recordActions(messages: [OutboxMessage], filings: [NewFiling], reviews: [NewReview]) async throws(StoreError) -> (
        messages: [Int64], filings: [Int64], reviews: [Int64]
    ) {
        try await write { tx throws(StoreError) in
            (
                try tx.enqueue(messages), try filings.map { filing throws(StoreError) in try tx.recordFiling(filing) },
                try reviews.map { review throws(StoreError) in try tx.queueReview(review) }
            )
        }
    }
}

extension StoreError {
    /// No review item has this id.
    public static func reviewNotFound(_ id: Int64) -> StoreError {
        StoreError(code: .reviewNotFound, message: "no review item has id \(id); list them with GET /v1/reviews")
    }

    /// The item was decided already.
    public static func reviewDecided(_ id: Int64, as outcome: String, by actor: String) -> StoreError {
        StoreError(code: .reviewDecided, message: "review item \(id) was decided already (\(outcome), by \(actor)); a decision is recorded once")
    }
}
