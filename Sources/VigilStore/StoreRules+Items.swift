import Foundation
import VigilDomain

// The checks, computations and encodings of the Centre's items, cases, proposals, retention and
// statistics that both stores make: each store calls these and keeps only its SQL.

extension StoreRules {
    // MARK: Items and cases

    /// An item's Member States as its row keeps them (raw values, sorted, comma-separated).
    static func memberStatesText(_ verdict: ItemVerdict) -> String {
        verdict.memberStates.map(\.rawValue).sorted().joined(separator: ",")
    }

    /// An item's verdict from its row's `classification` and `member_states` (nil when unclassified).
    static func verdict(classification: String?, memberStates: String) -> ItemVerdict? {
        guard let classification, let known = ItemClassification(rawValue: classification) else { return nil }
        return ItemVerdict(classification: known, memberStates: memberStates.split(separator: ",").compactMap { MemberState(rawValue: String($0)) })
    }

    /// Whether a new item, counted once for the report that brings it, is viral: the viral rule of
    /// an existing item's count (flagged, or carried by ``ReportLinking/viralReports`` reports) from zero.
    static func newItemIsViral(_ file: LinkedFile) -> Bool {
        file.flaggedViral || 1 >= ReportLinking.viralReports
    }

    /// A report's link keys with its items' (`item:ID`, in file order, once each): a viral item is
    /// bundled, not a link between the people who shared it.
    static func linkKeys(_ keys: [String], items: [StoredItem]) -> [String] {
        var linkKeys = keys
        for item in items where !item.viral && !linkKeys.contains("item:\(item.id)") { linkKeys.append("item:\(item.id)") }
        return linkKeys
    }

    /// The case of report `reportId` once the cases sharing one of its keys merge: the smallest id
    /// among them and the report's own (a case is named by its smallest report id).
    static func caseId(of reportId: Int64, merging cases: Set<Int64>) -> Int64 {
        min(cases.min() ?? reportId, reportId)
    }

    /// The item to classify, refused when there is none (`itemNotFound`) or when it was classified
    /// already (`itemClassified`, naming the verdict and who gave it).
    static func classifiable(_ item: StoredItem?, id: Int64) throws(StoreError) -> StoredItem {
        guard let item else { throw .itemNotFound(id) }
        if let existing = item.verdict { throw .itemClassified(id, as: existing.classification.rawValue, by: item.classifiedBy ?? "?") }
        return item
    }

    // MARK: Proposals

    /// A proposal's list entries as its row keeps them (ids, comma-separated).
    static func entryIdsText(_ ids: [Int64]) -> String {
        ids.map(String.init).joined(separator: ",")
    }

    /// A proposal's list entries from its row.
    static func entryIds(_ text: String) -> [Int64] {
        text.split(separator: ",").compactMap { Int64($0) }
    }

    /// A proposal's state from its row; `internal` when it is unknown.
    static func proposalState(_ text: String) throws(StoreError) -> ItemProposal.State {
        guard let state = ItemProposal.State(rawValue: text) else { throw .internal("a proposal has an unknown state") }
        return state
    }

    /// Proposal `id` as a review leaves it, refused when there is none (`invalid`) or when it was
    /// reviewed already (`conflict`: a proposal is reviewed once).
    static func reviewed(_ proposal: ItemProposal?, id: Int64, approved: Bool, by actor: String, at stamp: String, entryIds: [Int64])
        throws(StoreError) -> ItemProposal
    {
        guard var proposal else { throw .invalid("no proposal has id \(id)") }
        guard proposal.state == .proposed else {
            throw StoreError(code: .conflict, message: "proposal \(id) was \(proposal.state.rawValue) already; it is reviewed once")
        }
        proposal.state = approved ? .approved : .rejected
        proposal.reviewedBy = actor
        proposal.reviewedAt = stamp
        proposal.entryIds = entryIds
        return proposal
    }

    // MARK: Retention and statistics

    /// How many reports or submissions one page of retention's reads holds, from the caller's limit.
    static func retentionPage(_ limit: Int) -> Int {
        max(1, min(limit, 1_000))
    }

    /// A report's retention facts from its stored times (RFC 3339 text; those that are not times
    /// are left out): its receipt, last change and referrals' actions, its referrals' holds' ends,
    /// and its preservation requests' ends.
    static func retentionFacts(reportId: Int64, actions: [String?], holdsUntil: [String], preservedUntil: [String]) -> RetentionFacts {
        RetentionFacts(
            reportId: reportId, actions: actions.compactMap { $0.flatMap(RFC3339.date(from:)) },
            holdsUntil: holdsUntil.compactMap(RFC3339.date(from:)),
            preservedUntil: preservedUntil.compactMap(RFC3339.date(from:)))
    }

    /// A time read as milliseconds since 1970.
    static func date(milliseconds: Int64) -> Date {
        Date(timeIntervalSince1970: Double(milliseconds) / 1_000)
    }

    /// A statistics group of reports from its row; `internal` when its type or state is unknown.
    static func reportGroup(organisationId: Int64, organisationName: String, type: String, state: String, classifiedAutomatically: Bool, count: Int)
        throws(StoreError) -> StatisticsRows.ReportGroup
    {
        guard let type = ReportType(rawValue: type), let state = ReportState(rawValue: state) else {
            throw .internal("a report has an unknown type or state")
        }
        return StatisticsRows.ReportGroup(
            organisationId: organisationId, organisationName: organisationName, type: type, state: state,
            classifiedAutomatically: classifiedAutomatically, count: count)
    }

    /// A report's incident from its row; `internal` when its type is unknown.
    static func incident(organisationId: Int64, type: String, caseId: Int64) throws(StoreError) -> StatisticsRows.Incident {
        guard let type = ReportType(rawValue: type) else { throw .internal("a report has an unknown type") }
        return StatisticsRows.Incident(organisationId: organisationId, type: type, caseId: caseId)
    }

    /// A referral's statistics row from its columns (times as milliseconds since 1970; a hold only
    /// where one is in place); `internal` when its recipient or outcome is unknown.
    static func statisticsReferral(
        recipient: String, acknowledged: Bool, outcome: String?, outcomeDueMilliseconds: Int64, outcomeMilliseconds: Int64?, doNotInform: Bool?,
        doNotRemove: Bool?, holdUntil: String?
    ) throws(StoreError) -> StatisticsRows.Referral {
        guard let known = ReferralRecipient(recipient) else { throw .internal("a referral has an unknown recipient") }
        var posted: ReferralOutcome?
        if let outcome {
            guard let value = ReferralOutcome(rawValue: outcome) else { throw .internal("a referral has an unknown outcome") }
            posted = value
        }
        let hold = holdUntil.map { Hold(doNotInform: doNotInform ?? false, doNotRemove: doNotRemove ?? false, until: $0) }
        return StatisticsRows.Referral(
            recipient: known, acknowledged: acknowledged, outcome: posted, outcomeDueAt: date(milliseconds: outcomeDueMilliseconds),
            outcomeAt: outcomeMilliseconds.map(date(milliseconds:)), hold: hold)
    }
}
