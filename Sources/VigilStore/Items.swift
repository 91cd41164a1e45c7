public import VigilDomain

/// An item: one file as the Centre knows it across reports, by its hashes, with its classification.
public struct StoredItem: Sendable, Hashable {
    /// The item's id.
    public var id: Int64
    /// SHA-256, when a report gave or the Centre computed it.
    public var sha256: String?
    /// MD5, when known.
    public var md5: String?
    /// PDQ, when known.
    public var pdq: String?
    /// The classification, once an analyst gave one.
    public var verdict: ItemVerdict?
    /// Who classified it (an audit actor name).
    public var classifiedBy: String?
    /// When, RFC 3339.
    public var classifiedAt: String?
    /// How many reports carried it (the re-report count).
    public var reportCount: Int
    /// Whether it is viral (flagged by a provider, or carried by many reports): its reports are bundled.
    public var viral: Bool
    /// When it was first reported, RFC 3339.
    public var firstSeenAt: String

    /// An item.
    public init(
        id: Int64, sha256: String?, md5: String?, pdq: String?, verdict: ItemVerdict?, classifiedBy: String?, classifiedAt: String?,
        reportCount: Int, viral: Bool, firstSeenAt: String
    ) {
        self.id = id
        self.sha256 = sha256
        self.md5 = md5
        self.pdq = pdq
        self.verdict = verdict
        self.classifiedBy = classifiedBy
        self.classifiedAt = classifiedAt
        self.reportCount = reportCount
        self.viral = viral
        self.firstSeenAt = firstSeenAt
    }
}

/// A file of a report to link: its reference and the hashes it is known by (declared or computed).
public struct LinkedFile: Sendable, Hashable {
    /// The file's reference in its report.
    public var reference: String
    /// SHA-256, lower-case hex.
    public var sha256: String?
    /// MD5, lower-case hex.
    public var md5: String?
    /// PDQ, lower-case hex.
    public var pdq: String?
    /// Whether the provider flagged it viral.
    public var flaggedViral: Bool

    /// A file.
    public init(reference: String, sha256: String?, md5: String?, pdq: String?, flaggedViral: Bool = false) {
        self.reference = reference
        self.sha256 = sha256
        self.md5 = md5
        self.pdq = pdq
        self.flaggedViral = flaggedViral
    }
}

/// Where a report landed once linked.
public struct ReportLinks: Sendable, Hashable {
    /// Its case (an incident): the smallest report id of the case.
    public var caseId: Int64
    /// Its files' items, by file reference.
    public var items: [String: StoredItem]

    /// Links.
    public init(caseId: Int64, items: [String: StoredItem]) {
        self.caseId = caseId
        self.items = items
    }
}

/// The Centre's items and cases (read side; linking and classifying go through the unit of work).
public protocol ItemStore: Sendable {
    /// The items of report `reportId`, by file reference.
    func items(reportId: Int64) async throws(StoreError) -> [String: StoredItem]
    /// The item with this id, or nil.
    func item(id: Int64) async throws(StoreError) -> StoredItem?
    /// The case of report `reportId` and every report in it (ids ascending), or nil when the report has none.
    func reportCase(of reportId: Int64) async throws(StoreError) -> (caseId: Int64, reports: [Int64])?
}

/// A proposal to add a confirmed item's hashes to an indicator list, and its review.
public struct ItemProposal: Sendable, Hashable {
    /// Where it stands.
    public enum State: String, Sendable, Hashable, Codable {
        /// Waiting for a supervisor.
        case proposed
        /// Approved: the entries are on the list.
        case approved
        /// Rejected: nothing was added.
        case rejected
    }

    /// The proposal's id.
    public var id: Int64
    /// The item.
    public var itemId: Int64
    /// The list it goes to.
    public var list: String
    /// The report it was confirmed in (provenance).
    public var reportId: Int64?
    /// Who proposed it (an audit actor name).
    public var proposedBy: String
    /// When, RFC 3339.
    public var proposedAt: String
    /// Where it stands.
    public var state: State
    /// Who reviewed it.
    public var reviewedBy: String?
    /// When, RFC 3339.
    public var reviewedAt: String?
    /// The list entries it added, once approved.
    public var entryIds: [Int64]

    /// A proposal.
    public init(
        id: Int64, itemId: Int64, list: String, reportId: Int64?, proposedBy: String, proposedAt: String, state: State, reviewedBy: String?,
        reviewedAt: String?, entryIds: [Int64]
    ) {
        self.id = id
        self.itemId = itemId
        self.list = list
        self.reportId = reportId
        self.proposedBy = proposedBy
        self.proposedAt = proposedAt
        self.state = state
        self.reviewedBy = reviewedBy
        self.reviewedAt = reviewedAt
        self.entryIds = entryIds
    }
}
