public import Foundation
public import VigilDomain

// Retention: what the store keeps about why a report is still kept (authorities' preservation
// requests), what the retention rule reads (``RetentionFacts``), and what deleting a report took
// with it. Deleting goes through the unit of work (``StoreTransaction/deleteReport(id:)``) with its
// audit event; the rule itself is VigilDomain's ``RetentionRule``.

/// An authority's preservation request as stored (one per report and requesting organisation; a
/// new request from the same organisation replaces its earlier one).
public struct StoredPreservation: Sendable, Hashable {
    /// The report kept.
    public var reportId: Int64
    /// The organisation that asked (its name).
    public var requestedBy: String
    /// Until when and why.
    public var preservation: Preservation
    /// When it was recorded, RFC 3339.
    public var setAt: String

    /// A stored request.
    public init(reportId: Int64, requestedBy: String, preservation: Preservation, setAt: String) {
        self.reportId = reportId
        self.requestedBy = requestedBy
        self.preservation = preservation
        self.setAt = setAt
    }
}

/// What deleting one report removed with it.
public struct DeletedReport: Sendable, Hashable {
    /// The report's id.
    public var reportId: Int64
    /// Its stored files (sealed bytes) deleted.
    public var files: Int
    /// Its items (their `report_count` decremented; the items themselves stay: hashes and a
    /// classification, no content).
    public var items: Int
    /// Its referrals deleted.
    public var referrals: Int

    /// A deletion's summary.
    public init(reportId: Int64, files: Int, items: Int, referrals: Int) {
        self.reportId = reportId
        self.files = files
        self.items = items
        self.referrals = referrals
    }
}

/// A CyberTipline submission that is still open, with the times its lifetime is counted from.
public struct OpenSubmissionTimes: Sendable, Hashable {
    /// The submission's id.
    public var id: Int64
    /// When it was opened, RFC 3339.
    public var openedAt: String
    /// When it last changed, RFC 3339.
    public var lastChangedAt: String
    /// How many files it holds.
    public var files: Int

    /// Times.
    public init(id: Int64, openedAt: String, lastChangedAt: String, files: Int) {
        self.id = id
        self.openedAt = openedAt
        self.lastChangedAt = lastChangedAt
        self.files = files
    }
}

/// The reads retention needs (a dry run reads only these).
public protocol RetentionStore: Sendable {
    /// The retention facts of up to `limit` reports with an id above `afterId` that changed last
    /// at or before `changedBy` (only those can have expired), by id.
    func retentionFacts(changedBy: Date, afterId: Int64, limit: Int) async throws(StoreError) -> [RetentionFacts]
    /// The preservation requests standing for report `reportId` (ended ones included), oldest first.
    func preservations(reportId: Int64) async throws(StoreError) -> [StoredPreservation]
    /// Up to `limit` open CyberTipline submissions with an id above `afterId`, by id.
    func openSubmissions(afterId: Int64, limit: Int) async throws(StoreError) -> [OpenSubmissionTimes]
}
