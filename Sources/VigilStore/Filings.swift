public import Foundation
public import VigilDomain

/// A report the provider node is to file with the Centre, as a match's action recorded it.
public struct NewFiling: Sendable, Hashable {
    /// The report's `provider_reference` (unique on the node; the Centre refuses a second report
    /// with it, which is what makes a resend after a lost answer safe).
    public var reference: String
    /// The list whose policy filed it.
    public var listId: Int64?
    /// The report (unsigned: the filing worker signs it when it sends it).
    public var report: Report
    /// The entries the content matched.
    public var matches: [FilingMatch]

    /// A filing.
    public init(reference: String, listId: Int64?, report: Report, matches: [FilingMatch]) {
        self.reference = reference
        self.listId = listId
        self.report = report
        self.matches = matches
    }
}

/// A filing as stored on the provider node: the report, where it is, and what the Centre said.
public struct StoredFiling: Sendable, Hashable {
    /// The filing's id on this node.
    public var id: Int64
    /// The report's `provider_reference`.
    public var reference: String
    /// The list whose policy filed it.
    public var listId: Int64?
    /// Where it is.
    public var state: FilingState
    /// The report as it will be (or was) sent.
    public var report: Report
    /// The entries the content matched.
    public var matches: [FilingMatch]
    /// What the report lacks (for `incomplete`).
    public var problems: [ReportProblem]
    /// When it was recorded, RFC 3339.
    public var createdAt: String
    /// When it last changed.
    public var updatedAt: String
    /// Attempts to send it so far.
    public var attempts: Int
    /// When it is next sent (for `queued`).
    public var nextAttemptAt: String?
    /// Why the last attempt failed, or why the Centre refused it.
    public var lastError: String?
    /// The Centre's id of the report, once filed.
    public var centreReportId: Int64?
    /// When the Centre accepted it.
    public var filedAt: String?
    /// What the Centre last said about it.
    public var centreStatus: CentreReportStatus?
    /// When the Centre was last asked.
    public var checkedAt: String?

    /// A stored filing.
    public init(
        id: Int64, reference: String, listId: Int64?, state: FilingState, report: Report, matches: [FilingMatch], problems: [ReportProblem],
        createdAt: String, updatedAt: String, attempts: Int, nextAttemptAt: String?, lastError: String?, centreReportId: Int64?,
        filedAt: String?, centreStatus: CentreReportStatus?, checkedAt: String?
    ) {
        self.id = id
        self.reference = reference
        self.listId = listId
        self.state = state
        self.report = report
        self.matches = matches
        self.problems = problems
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.lastError = lastError
        self.centreReportId = centreReportId
        self.filedAt = filedAt
        self.centreStatus = centreStatus
        self.checkedAt = checkedAt
    }
}

/// What one attempt to send a filing came to.
public enum FilingAttempt: Sendable, Hashable {
    /// The Centre holds it under this id.
    case filed(centreReportId: Int64)
    /// It failed in a way that may pass: try again at this time (nil: the attempts are used up).
    case retry(error: String, at: Date?)
    /// The Centre refused it for good.
    case rejected(error: String)
}

/// The provider node's reports to the Centre: recorded by a match's action in the same transaction
/// as its webhook messages, sent (with retries) by the filing worker, then followed.
public protocol FilingStore: Sendable {
    /// Records webhook messages and filings in one transaction (a filing is `queued` when its
    /// report is complete, else `incomplete` with its problems); returns their ids.
    func recordActions(messages: [OutboxMessage], filings: [NewFiling]) async throws(StoreError) -> (messages: [Int64], filings: [Int64])
    /// One filing.
    func filing(id: Int64) async throws(StoreError) -> StoredFiling?
    /// Filings by id, after `after`, at most `limit`, optionally in one state.
    func filings(state: FilingState?, after: Int64, limit: Int) async throws(StoreError) -> [StoredFiling]
    /// Queued filings due at `now`, oldest first.
    func dueFilings(now: Date, limit: Int) async throws(StoreError) -> [StoredFiling]
    /// Records an attempt's result (filed, to retry, or rejected).
    func recordAttempt(filingId: Int64, _ attempt: FilingAttempt) async throws(StoreError) -> StoredFiling
    /// Filed filings whose status was last read before `before` (or never), least recently read first.
    func filingsToCheck(before: Date, limit: Int) async throws(StoreError) -> [StoredFiling]
    /// Records what the Centre said about a filed report.
    func recordCentreStatus(filingId: Int64, _ status: CentreReportStatus) async throws(StoreError)
    /// Replaces an `incomplete` filing's report with `report`: `queued` when it has no problems
    /// (then due now), else still `incomplete` with the new problems. `state_changed` when the
    /// filing is no longer incomplete.
    func completeFiling(id: Int64, report: Report) async throws(StoreError) -> StoredFiling
}
