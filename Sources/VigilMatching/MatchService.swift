import Crypto
import Foundation
public import VigilDomain
public import VigilHash
public import VigilStore

/// The one place where a lookup's answer is decided, for every API (`/v1`, its direct fast path,
/// and the HMA routes): which lists are searched, which hits count, and what the matched lists'
/// policies do.
///
/// The rules, in order:
/// 1. Lists: the chosen ones (``ListChoice``), never deleted ones; unless the request includes
///    disabled ones, only lists whose kill switch is on and whose staged rollout includes the
///    content (unless bypassed).
/// 2. Hits: the index's, then checked against each entry itself (from the engine's
///    ``EntryCache``, which the change feed keeps true, else the store): not deleted, on one of those
///    lists, within that list's radius (index list tags are ids modulo 65,536, so two lists can
///    share a tag), and not disabled at the clock's now (unless disabled ones are included).
/// 3. Actions: each matched list's policy is reported, its webhook message recorded in the
///    outbox and, when the policy files reports, a filing recorded for the Centre (``FilingDraft``);
///    content that matched a `quarantine` list or that a classifier scored at a review threshold
///    is queued for review (``ReviewRule``, one item per piece of content), all in one
///    transaction, durably, before the answer is sent.
///
/// **The rollout key** is chosen once, here: the content's PDQ hash when the lookup has one (a file,
/// a PDQ lookup), otherwise its first digest. So a file and a lookup of its PDQ hash get the
/// same answer from a list at 50 %, whichever API asks.
public struct MatchService: Sendable {
    /// The indexes and cached list settings.
    public let engine: MatchEngine
    let store: any ListStore & ActionStore & FilingStore & ReviewStore & TransactionalStore
    let clock: any WallClock
    /// The provider's details for the reports a match files (nil: no Centre is configured; a
    /// filing is then recorded incomplete, its problems naming what is missing).
    let filingProfile: FilingProfile?

    /// A service over `engine`, reading entries from and recording actions in `store`.
    public init(
        engine: MatchEngine, store: any ListStore & ActionStore & FilingStore & ReviewStore & TransactionalStore,
        clock: any WallClock = SystemClock(),
        filingProfile: FilingProfile? = nil
    ) {
        self.engine = engine
        self.store = store
        self.clock = clock
        self.filingProfile = filingProfile
    }

    /// The hashes a filed report gives for content looked up by `pdq` (its own hash, not a
    /// dihedral variant) and `digests`.
    public static func reportHashes(pdq: PDQHash?, digests: [(type: SignalType, hex: String)]) -> [FileHash] {
        var hashes: [FileHash] = []
        for digest in digests {
            switch digest.type {
            case .md5: hashes.append(FileHash(algorithm: .md5, value: digest.hex))
            case .sha256: hashes.append(FileHash(algorithm: .sha256, value: digest.hex))
            default: continue
            }
        }
        if let pdq { hashes.append(FileHash(algorithm: .pdq, value: pdq.hex)) }
        return hashes
    }

    /// The staged-rollout key of a piece of content: its PDQ hash in hex when it has one, else for
    /// a video the SHA-256 of its canonical vPDQ text (so an uploaded video and a lookup of its vPDQ
    /// value get the same answer), else its first digest (empty when it has none of them).
    public static func rolloutKey(pdq: PDQHash?, vpdq: [VPDQFeature] = [], digests: [(type: SignalType, hex: String)]) -> String {
        if let pdq { return pdq.hex }
        if !vpdq.isEmpty { return SHA256.hash(data: Data(VPDQText.format(vpdq).utf8)).map { String(format: "%02x", $0) }.joined() }
        return digests.first?.hex ?? ""
    }

    /// Staged rollout: a deterministic bucket in [0, 1) per (list, content key), so the same
    /// content always gets the same answer while a list is ramped up.
    public static func rolloutIncludes(_ key: String, list: HashList) -> Bool {
        if list.enabledRatio >= 1 { return true }
        if list.enabledRatio <= 0 { return false }
        let digest = SHA256.hash(data: Data((list.name + "\u{0}" + key).utf8))
        let bucket = digest.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return Double(bucket) / 18_446_744_073_709_551_616.0 < list.enabledRatio
    }

    /// The lists a request searches (rule 1).
    public func lists(for request: MatchRequest) throws(MatchError) -> [StoredList] {
        let live = engine.lists.values.filter { !$0.isDeleted }
        var chosen: [StoredList]
        switch request.lists {
        case .all:
            chosen = Array(live)
        case .named(let names):
            let byName = Dictionary(live.map { ($0.list.name, $0) }, uniquingKeysWith: { a, _ in a })
            chosen = []
            for name in names {
                guard let list = byName[name] else { throw .unknownList(name) }
                chosen.append(list)
            }
        case .filter(let names):
            chosen = live.filter { names.contains($0.list.name) }
        }
        guard !request.includeDisabled else { return chosen }
        return chosen.filter { $0.list.enabled && (request.bypassRollout || Self.rolloutIncludes(request.rolloutKey, list: $0.list)) }
    }

    /// The matches of a request under rules 1 and 2 (no actions): PDQ hits nearest first, then
    /// digest hits in the request's order.
    public func find(_ request: MatchRequest) async throws -> [MatchedEntry] {
        guard engine.isReady else { throw MatchError.notReady }
        let lists = try lists(for: request)
        guard !lists.isEmpty else { return [] }
        var hits = request.pdq.isEmpty ? [] : try engine.matchPDQ(variants: request.pdq, lists: lists)
        if !request.vpdq.isEmpty { hits += try engine.matchVPDQ(request.vpdq, lists: lists) }
        for digest in request.digests {
            hits += try engine.matchDigest(digest.type, hex: digest.hex).map { EngineMatch(entryId: $0, listId: 0, distance: 0, variant: "orig") }
        }
        return try await confirm(hits, lists: lists, request: request)
    }

    /// Rule 2 for hits found outside the hash indexes (a conversation's text indicators): each
    /// entry checked against the lists `request` searches (rule 1), in the hits' order.
    public func confirm(_ hits: [EngineMatch], request: MatchRequest) async throws -> [MatchedEntry] {
        guard engine.isReady else { throw MatchError.notReady }
        let lists = try lists(for: request)
        guard !lists.isEmpty else { return [] }
        return try await confirm(hits, lists: lists, request: request)
    }

    /// Rule 2: the hits whose entry is live, on one of `lists`, within its radius and (unless the
    /// request includes disabled ones) not disabled now.
    func confirm(_ hits: [EngineMatch], lists: [StoredList], request: MatchRequest) async throws -> [MatchedEntry] {
        guard !hits.isEmpty else { return [] }
        // From memory where the entry cache holds them (the feed keeps it true), else from the store.
        let store = store
        let entries = try await engine.entryCache.entries(ids: hits.map(\.entryId)) { ids async throws(StoreError) in
            try await store.entries(ids: ids)
        }
        let searched = Dictionary(lists.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let now = clock.now()
        var matches: [MatchedEntry] = []
        for hit in hits {
            guard let entry = entries[hit.entryId], entry.deletedAt == nil, let list = searched[entry.listId],
                hit.distance <= list.list.matchRadius, request.includeDisabled || !entry.isDisabled(at: now)
            else { continue }
            matches.append(MatchedEntry(list: list, entry: entry, distance: hit.distance, variant: hit.variant, video: hit.video))
        }
        return matches
    }

    /// Applies the matched lists' action policies (rule 3): one webhook message per list with a
    /// webhook, and one filing per list whose policy files reports (a report of the content's
    /// `hashes`, with what `subject` says about the upload), recorded in one transaction; returns
    /// the actions, lists by name.
    public func act(
        on matches: [MatchedEntry], query: [String: String], hashes: [FileHash] = [], subject: FilingContext? = nil
    ) async throws -> [ActionTaken] {
        try await record(on: matches, query: query, hashes: hashes, subject: subject).actions
    }

    /// Rule 3 in full: the matched lists' actions (``act(on:query:hashes:subject:)``) and the review
    /// item of the content when a matched list quarantines it or `scored` reaches a review
    /// threshold (``ReviewRule``), all recorded in one transaction before this returns.
    public func record(
        on matches: [MatchedEntry], query: [String: String], hashes: [FileHash] = [], subject: FilingContext? = nil,
        scored: ScoredContent? = nil, mediaType: String? = nil
    ) async throws -> (actions: [ActionTaken], review: QueuedReview?) {
        let policies = engine.policies
        // The hot path (no match, no classifier scores) does nothing more.
        guard scored != nil || (!matches.isEmpty && !policies.isEmpty) else { return ([], nil) }
        var actions: [ActionTaken] = []
        var messages: [(Int, OutboxMessage)] = []
        var filings: [(Int, NewFiling)] = []
        var quarantined: [(list: String, entryIds: [Int64])] = []
        let now = clock.now()
        let at = now.formatted(.iso8601)
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        for (name, matched) in Dictionary(grouping: matches, by: \.list.list.name).sorted(by: { $0.key < $1.key }) {
            guard let id = matched.first?.list.id, let policy = policies[id] else { continue }
            actions.append(ActionTaken(list: name, action: policy.action, deliveryId: nil))
            if policy.action == .quarantine { quarantined.append((name, matched.map(\.entry.id))) }
            // The message refers to the list's policy for its secret (read when it is delivered).
            if let url = policy.webhookURL, policy.secret != nil {
                let event = WebhookEvent(
                    event: "match", list: name, action: policy.action.rawValue, query: query, matches: matched.map(WebhookMatch.init),
                    at: at)
                messages.append((actions.count - 1, OutboxMessage(listId: id, url: url, body: [UInt8](try encoder.encode(event)))))
            }
            if policy.fileReport {
                let reference = "vigil-\(UUID().uuidString.lowercased())"
                let found = matched.map {
                    FilingMatch(list: name, entryId: $0.entry.id, source: $0.entry.provenance.sourceOrganisation, distance: $0.distance)
                }
                let report = FilingDraft.report(
                    reference: reference, profile: filingProfile, hashes: hashes, matches: found, context: subject ?? FilingContext(), now: now)
                filings.append((actions.count - 1, NewFiling(reference: reference, listId: id, report: report, matches: found)))
            }
        }
        let reasons = ReviewRule.reasons(
            quarantined: quarantined, classifier: scored?.classifier, scores: scored?.scores ?? [:],
            thresholds: scored?.thresholds ?? ReviewThresholds())
        let reviews = reasons.isEmpty ? [] : [NewReview(reasons: reasons, hashes: hashes, mediaType: mediaType)]
        guard !messages.isEmpty || !filings.isEmpty || !reviews.isEmpty else { return (actions, nil) }
        let ids = try await store.recordActions(messages: messages.map(\.1), filings: filings.map(\.1), reviews: reviews)
        for ((index, _), id) in zip(messages, ids.messages) { actions[index].deliveryId = id }
        for ((index, _), id) in zip(filings, ids.filings) { actions[index].filingId = id }
        return (actions, ids.reviews.first.map { QueuedReview(id: $0, reasons: reasons) })
    }

    /// Finds the matches and applies the actions: the whole answer to a lookup.
    public func match(_ request: MatchRequest, query: [String: String]) async throws -> MatchOutcome {
        let matches = try await find(request)
        let recorded = try await record(
            on: matches, query: query, hashes: Self.reportHashes(pdq: request.pdq.first, digests: request.digests), subject: request.subject)
        return MatchOutcome(query: query, matches: matches, actions: recorded.actions, review: recorded.review)
    }
}

/// One match as a webhook carries it.
struct WebhookMatch: Codable {
    var list: String
    var entryId: Int64
    var type: String
    var value: String
    var distance: Int
    var variant: String
    var provenance: Provenance
    /// For a vpdq entry: the share of the query's frames that matched it, in percent.
    var queryMatchPercent: Double?
    /// For a vpdq entry: the share of its frames that matched the query, in percent.
    var comparedMatchPercent: Double?

    init(_ match: MatchedEntry) {
        list = match.list.list.name
        entryId = match.entry.id
        type = match.entry.type.rawValue
        value = match.entry.value
        distance = match.distance
        variant = match.variant
        provenance = match.entry.provenance
        queryMatchPercent = match.video?.queryMatchPercent
        comparedMatchPercent = match.video?.comparedMatchPercent
    }
}

/// The body posted to a list's webhook.
struct WebhookEvent: Codable {
    var event: String
    var list: String
    var action: String
    var query: [String: String]
    var matches: [WebhookMatch]
    var at: String
}
