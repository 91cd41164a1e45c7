import Foundation
import PostgresNIO

// CyberTipline submissions on PostgreSQL (not yet: each throws ``StoreError/notOnPostgres(_:)``).

extension PostgresTransaction {
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
