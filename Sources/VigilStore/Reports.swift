public import VigilDomain

/// A report as the Centre stores it: the provider's signed report and where it is in the Centre's work.
public struct StoredReport: Sendable, Hashable {
    /// The Centre's id for it.
    public var id: Int64
    /// The provider organisation that filed it.
    public var organisationId: Int64
    /// The report, as filed.
    public var report: Report
    /// The provider's signature over it (nil for a channel without signatures: ``channel``).
    public var signature: SignedReport.Signature?
    /// How it reached the Centre.
    public var channel: ReportChannel
    /// Where it is.
    public var state: ReportState
    /// Whether it was classified known material automatically (every file matched a confirmed indicator).
    public var classifiedAutomatically: Bool
    /// The confirmed indicators each file matched at the Centre on intake, by file reference.
    public var centreMatches: [String: [String]]
    /// An analyst's decision waiting for a supervisor (state `awaiting_review`), or the last
    /// request for information (state `information_requested`).
    public var pendingDecision: AssessmentDecision?
    /// Who took the pending decision (an audit actor name), to keep a supervisor from approving their own.
    public var decidedBy: String?
    /// When the Centre received it, RFC 3339.
    public var receivedAt: String
    /// When it last changed, RFC 3339.
    public var updatedAt: String

    /// A stored report.
    public init(
        id: Int64, organisationId: Int64, report: Report, signature: SignedReport.Signature?, channel: ReportChannel = .signed, state: ReportState,
        classifiedAutomatically: Bool, centreMatches: [String: [String]] = [:], pendingDecision: AssessmentDecision?, decidedBy: String?,
        receivedAt: String, updatedAt: String
    ) {
        self.channel = channel
        self.id = id
        self.organisationId = organisationId
        self.report = report
        self.signature = signature
        self.state = state
        self.classifiedAutomatically = classifiedAutomatically
        self.centreMatches = centreMatches
        self.pendingDecision = pendingDecision
        self.decidedBy = decidedBy
        self.receivedAt = receivedAt
        self.updatedAt = updatedAt
    }
}

/// A report to store: checked, its signature verified.
public struct NewReport: Sendable, Hashable {
    /// The provider organisation filing it.
    public var organisationId: Int64
    /// The report.
    public var report: Report
    /// Its verified signature (nil for a channel without signatures).
    public var signature: SignedReport.Signature?
    /// How it reached the Centre.
    public var channel: ReportChannel
    /// The state it starts in.
    public var state: ReportState
    /// Whether it was classified automatically.
    public var classifiedAutomatically: Bool
    /// The confirmed indicators each file matched at the Centre, by file reference.
    public var centreMatches: [String: [String]]
    /// The report's canonical JSON (``ReportCoding/canonicalJSON(_:)``), when the caller computed
    /// it already (to verify the signature); otherwise the store computes it.
    public var canonicalJSON: [UInt8]?
    /// The bytes of the report's files that came with it (sealed), stored in the same transaction.
    public var files: [NewReportFile]

    /// A report to store.
    public init(
        organisationId: Int64, report: Report, signature: SignedReport.Signature?, channel: ReportChannel = .signed, state: ReportState,
        classifiedAutomatically: Bool, centreMatches: [String: [String]] = [:], canonicalJSON: [UInt8]? = nil, files: [NewReportFile] = []
    ) {
        self.channel = channel
        self.centreMatches = centreMatches
        self.files = files
        self.canonicalJSON = canonicalJSON
        self.organisationId = organisationId
        self.report = report
        self.signature = signature
        self.state = state
        self.classifiedAutomatically = classifiedAutomatically
    }
}

/// Which reports to read.
public struct ReportQuery: Sendable, Hashable {
    /// The order of the answer.
    public enum Order: Sendable, Hashable {
        /// By id (the order of arrival), after ``ReportQuery/afterId``.
        case arrival
        /// The assessment queue's order: urgent first, then the oldest.
        case queue
    }

    /// Only this organisation's reports, if set.
    public var organisationId: Int64?
    /// Only reports in one of these states, if set.
    public var states: Set<ReportState>?
    /// Only reports with a larger id (for ``Order/arrival`` paging).
    public var afterId: Int64
    /// At most this many (1 to 1,000).
    public var limit: Int
    /// The order.
    public var order: Order

    /// A query.
    public init(organisationId: Int64? = nil, states: Set<ReportState>? = nil, afterId: Int64 = 0, limit: Int = 100, order: Order = .arrival) {
        self.organisationId = organisationId
        self.states = states
        self.afterId = afterId
        self.limit = limit
        self.order = order
    }
}

/// The Centre's reports and the providers' signing keys. Changes go through the unit of work
/// (``StoreTransaction/fileReport(_:)`` and friends) with their audit events.
public protocol ReportStore: Sendable {
    /// The report with this id, or nil.
    func report(id: Int64) async throws(StoreError) -> StoredReport?
    /// Reports as `query` asks.
    func reports(_ query: ReportQuery) async throws(StoreError) -> [StoredReport]
    /// The signing key with this id (revoked ones included), or nil.
    func signingKey(id: String) async throws(StoreError) -> SigningKey?
    /// An organisation's signing keys, oldest first.
    func signingKeys(organisationId: Int64) async throws(StoreError) -> [SigningKey]
}

/// A forwarded report's referral to one recipient, and what the recipient did with it.
public struct StoredReferral: Sendable, Hashable {
    /// The referral's id.
    public var id: Int64
    /// The report.
    public var reportId: Int64
    /// Who receives it.
    public var recipient: ReferralRecipient
    /// When it was made, RFC 3339.
    public var createdAt: String
    /// When the outcome is due (one month later), RFC 3339.
    public var outcomeDueAt: String
    /// When the recipient acknowledged it, if it did.
    public var acknowledgedAt: String?
    /// The outcome, once posted.
    public var outcome: ReferralOutcome?
    /// The outcome's detail, for the Centre and the provider.
    public var outcomeDetail: String?
    /// When the outcome was posted.
    public var outcomeAt: String?
    /// The recipient's hold, if it placed one.
    public var hold: Hold?
    /// When the hold was placed.
    public var holdSetAt: String?

    /// A referral.
    public init(
        id: Int64, reportId: Int64, recipient: ReferralRecipient, createdAt: String, outcomeDueAt: String, acknowledgedAt: String? = nil,
        outcome: ReferralOutcome? = nil, outcomeDetail: String? = nil, outcomeAt: String? = nil, hold: Hold? = nil, holdSetAt: String? = nil
    ) {
        self.id = id
        self.reportId = reportId
        self.recipient = recipient
        self.createdAt = createdAt
        self.outcomeDueAt = outcomeDueAt
        self.acknowledgedAt = acknowledgedAt
        self.outcome = outcome
        self.outcomeDetail = outcomeDetail
        self.outcomeAt = outcomeAt
        self.hold = hold
        self.holdSetAt = holdSetAt
    }
}

/// Which referrals to read.
public struct ReferralQuery: Sendable, Hashable {
    /// Only these recipients' referrals, if set (a police force sees its Member State's).
    public var recipients: Set<ReferralRecipient>?
    /// Only referrals not acknowledged yet, urgent reports' first, then the oldest (a police
    /// force's work list); otherwise every referral by id.
    public var unacknowledgedOnly: Bool
    /// Only referrals with a larger id.
    public var afterId: Int64
    /// At most this many (1 to 1,000).
    public var limit: Int

    /// A query.
    public init(recipients: Set<ReferralRecipient>? = nil, unacknowledgedOnly: Bool = false, afterId: Int64 = 0, limit: Int = 100) {
        self.recipients = recipients
        self.unacknowledgedOnly = unacknowledgedOnly
        self.afterId = afterId
        self.limit = limit
    }
}

/// The referrals of forwarded reports.
public protocol ReferralStore: Sendable {
    /// The referral with this id, or nil.
    func referral(id: Int64) async throws(StoreError) -> StoredReferral?
    /// The referrals of one report, by id.
    func referrals(reportId: Int64) async throws(StoreError) -> [StoredReferral]
    /// Referrals as `query` asks.
    func referrals(_ query: ReferralQuery) async throws(StoreError) -> [StoredReferral]
}
