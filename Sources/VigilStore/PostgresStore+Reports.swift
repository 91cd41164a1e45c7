public import Foundation
import PostgresNIO
public import VigilDomain

// The Centre's reports, signing keys, referrals, report files and CyberTipline submissions on
// PostgreSQL (not yet: each throws ``StoreError/notOnPostgres(_:)``).

extension PostgresTransaction {
    func fileReport(_ report: NewReport) throws(StoreError) -> StoredReport { throw .notOnPostgres("filing a report at the Centre") }
    func fileKeys(notWrappedBy masterKeyId: String, afterId: Int64, limit: Int) throws(StoreError) -> [WrappedFileKey] {
        throw .notOnPostgres("the report files' keys")
    }
    func rewrapFileKeys(_ keys: [WrappedFileKey]) throws(StoreError) { throw .notOnPostgres("re-wrapping the report files' keys") }
    func report(id: Int64) throws(StoreError) -> StoredReport? { throw .notOnPostgres("the Centre's reports") }
    func updateReport(id: Int64, from expected: ReportState, to state: ReportState, pendingDecision: AssessmentDecision?, decidedBy: String?)
        throws(StoreError) -> StoredReport
    { throw .notOnPostgres("assessing a report") }
    func markClassifiedAutomatically(id: Int64) throws(StoreError) { throw .notOnPostgres("assessing a report") }
    func registerSigningKey(_ key: SigningKey) throws(StoreError) -> SigningKey { throw .notOnPostgres("signing keys") }
    func signingKey(id: String) throws(StoreError) -> SigningKey? { throw .notOnPostgres("signing keys") }
    func revokeSigningKey(id: String) throws(StoreError) { throw .notOnPostgres("signing keys") }
    func createReferrals(reportId: Int64, recipients: [ReferralRecipient], outcomeDueAfter: Double) throws(StoreError) -> [StoredReferral] {
        throw .notOnPostgres("referrals")
    }
    func referral(id: Int64) throws(StoreError) -> StoredReferral? { throw .notOnPostgres("referrals") }
    func acknowledgeReferral(id: Int64) throws(StoreError) -> StoredReferral { throw .notOnPostgres("referrals") }
    func setReferralOutcome(id: Int64, _ outcome: ReferralOutcome, detail: String?) throws(StoreError) -> StoredReferral {
        throw .notOnPostgres("referrals")
    }
    func setReferralHold(id: Int64, _ hold: Hold?) throws(StoreError) -> StoredReferral { throw .notOnPostgres("referrals") }
    func openSubmission(organisationId: Int64, reportXML: [UInt8]) throws(StoreError) -> Int64 { throw .notOnPostgres("CyberTipline submissions") }
    func submission(id: Int64) throws(StoreError) -> StoredSubmission? { throw .notOnPostgres("CyberTipline submissions") }
    func addSubmissionFile(submissionId: Int64, fileId: String, uploadName: String?, file: NewReportFile) throws(StoreError) {
        throw .notOnPostgres("CyberTipline submissions")
    }
    func setSubmissionFileDetails(submissionId: Int64, fileId: String, detailsXML: [UInt8]) throws(StoreError) {
        throw .notOnPostgres("CyberTipline submissions")
    }
    func closeSubmission(id: Int64, state: String, reportId: Int64?) throws(StoreError) { throw .notOnPostgres("CyberTipline submissions") }
}

extension PostgresStore: ReportStore, ReferralStore, ReportFileStore {
    public func report(id: Int64) async throws(StoreError) -> StoredReport? { throw .notOnPostgres("the Centre's reports") }
    public func reports(_ query: ReportQuery) async throws(StoreError) -> [StoredReport] { throw .notOnPostgres("the Centre's reports") }
    public func signingKey(id: String) async throws(StoreError) -> SigningKey? { throw .notOnPostgres("signing keys") }
    public func signingKeys(organisationId: Int64) async throws(StoreError) -> [SigningKey] { throw .notOnPostgres("signing keys") }
    public func referral(id: Int64) async throws(StoreError) -> StoredReferral? { throw .notOnPostgres("referrals") }
    public func referrals(reportId: Int64) async throws(StoreError) -> [StoredReferral] { throw .notOnPostgres("referrals") }
    public func referrals(_ query: ReferralQuery) async throws(StoreError) -> [StoredReferral] { throw .notOnPostgres("referrals") }
    public func reportFiles(reportId: Int64) async throws(StoreError) -> [ReportFileInfo] { throw .notOnPostgres("report files") }
    public func reportFile(reportId: Int64, reference: String) async throws(StoreError) -> StoredReportFile? {
        throw .notOnPostgres("report files")
    }
    public func fileKeyCounts() async throws(StoreError) -> [String: Int] { throw .notOnPostgres("report files") }
}
