public import Foundation
import PostgresNIO
public import VigilDomain

// The Centre's items, cases and linking, item proposals, retention and statistics on PostgreSQL
// (not yet: each throws ``StoreError/notOnPostgres(_:)``).

extension PostgresTransaction {
    func linkReport(reportId: Int64, files: [LinkedFile], keys: [String]) throws(StoreError) -> ReportLinks {
        throw .notOnPostgres("linking reports")
    }
    func classifyItem(id: Int64, verdict: ItemVerdict, by actor: String) throws(StoreError) -> StoredItem { throw .notOnPostgres("items") }
    func item(id: Int64) throws(StoreError) -> StoredItem? { throw .notOnPostgres("items") }
    func proposeItem(id: Int64, toList list: String, reportId: Int64?, by actor: String) throws(StoreError) -> ItemProposal {
        throw .notOnPostgres("item proposals")
    }
    func itemProposal(id: Int64) throws(StoreError) -> ItemProposal? { throw .notOnPostgres("item proposals") }
    func reviewItemProposal(id: Int64, approved: Bool, by actor: String, entryIds: [Int64]) throws(StoreError) -> ItemProposal {
        throw .notOnPostgres("item proposals")
    }
    func setPreservation(reportId: Int64, _ preservation: Preservation, requestedBy: String) throws(StoreError) -> StoredPreservation {
        throw .notOnPostgres("retention")
    }
    func withdrawPreservation(reportId: Int64, requestedBy: String) throws(StoreError) -> StoredPreservation? { throw .notOnPostgres("retention") }
    func retentionFacts(reportIds: [Int64]) throws(StoreError) -> [RetentionFacts] { throw .notOnPostgres("retention") }
    func deleteReport(id: Int64) throws(StoreError) -> DeletedReport { throw .notOnPostgres("retention") }
    func deleteExpiredSubmission(id: Int64, lastChangedAt: String) throws(StoreError) -> Int? { throw .notOnPostgres("retention") }
}

extension PostgresStore: ItemStore, RetentionStore, ReportStatisticsStore {
    public func items(reportId: Int64) async throws(StoreError) -> [String: StoredItem] { throw .notOnPostgres("items") }
    public func item(id: Int64) async throws(StoreError) -> StoredItem? { throw .notOnPostgres("items") }
    public func reportCase(of reportId: Int64) async throws(StoreError) -> (caseId: Int64, reports: [Int64])? { throw .notOnPostgres("cases") }
    public func retentionFacts(changedBy: Date, afterId: Int64, limit: Int) async throws(StoreError) -> [RetentionFacts] {
        throw .notOnPostgres("retention")
    }
    public func preservations(reportId: Int64) async throws(StoreError) -> [StoredPreservation] { throw .notOnPostgres("retention") }
    public func openSubmissions(afterId: Int64, limit: Int) async throws(StoreError) -> [OpenSubmissionTimes] {
        throw .notOnPostgres("CyberTipline submissions")
    }
    public func statisticsRows(_ query: StatisticsQuery) async throws(StoreError) -> StatisticsRows { throw .notOnPostgres("statistics") }
}
