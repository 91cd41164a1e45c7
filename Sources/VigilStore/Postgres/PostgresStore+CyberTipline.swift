import Foundation
import NIOCore
import PostgresNIO

// CyberTipline submissions on PostgreSQL: each change is one statement (a data-modifying WITH
// where it touches two tables).

extension PostgresTransaction {
    func openSubmission(organisationId: Int64, reportXML: [UInt8]) throws(StoreError) -> Int64 {
        guard
            let id = try session.value(
                """
                INSERT INTO cybertipline_submissions (organisation_id, report_xml, state, opened_at, last_changed_at)
                VALUES (\(organisationId), \(ByteBuffer(bytes: reportXML)), \(StoreRules.openSubmission), \(stamp), \(stamp))
                RETURNING id
                """, as: Int64.self)
        else { throw .internal("a submission was written but no id came back") }
        return id
    }

    func submission(id: Int64) throws(StoreError) -> StoredSubmission? {
        guard
            let row = try session.rows(
                """
                SELECT id, organisation_id, report_xml, state, opened_at, last_changed_at, closed_at, report_id
                FROM cybertipline_submissions WHERE id = \(id)
                """
            ).first
        else { return nil }
        let files = try session.rows(
            """
            SELECT file_id, upload_name, media_type, size, md5, sha256, pdq, pdq_quality, master_key_id, wrapped_key, ciphertext,
                uploaded_at, details_xml
            FROM cybertipline_files WHERE submission_id = \(id) ORDER BY uploaded_at, upload_order
            """
        ).map { (file: PostgresRow) throws(StoreError) -> StoredSubmissionFile in
            let (fileId, uploadName, mediaType, size, md5, sha256, pdq, quality, masterKeyId) = try file.decoded(
                (String, String?, String?, Int, String, String, String?, Int?, String).self)
            return StoredSubmissionFile(
                fileId: fileId, uploadName: uploadName,
                file: NewReportFile(
                    reference: fileId, mediaType: mediaType, size: size,
                    hashes: ContentHashes(md5: md5, sha256: sha256, pdq: pdq, pdqQuality: quality),
                    sealed: SealedContent(masterKeyId: masterKeyId, wrappedKey: try file.bytes(9) ?? [], ciphertext: try file.bytes(10) ?? [])),
                uploadedAt: try file.column(11), detailsXML: try file.bytes(12))
        }
        let (submissionId, organisationId) = try (row.column(0, as: Int64.self), row.column(1, as: Int64.self))
        return StoredSubmission(
            id: submissionId, organisationId: organisationId, reportXML: try row.bytes(2) ?? [], state: try row.column(3),
            openedAt: try row.column(4), lastChangedAt: try row.column(5), closedAt: try row.column(6), reportId: try row.column(7), files: files)
    }

    func addSubmissionFile(submissionId: Int64, fileId: String, uploadName: String?, file: NewReportFile) throws(StoreError) {
        try session.execute(
            """
            WITH added AS (
                INSERT INTO cybertipline_files (submission_id, file_id, upload_name, media_type, size, md5, sha256, pdq, pdq_quality,
                    master_key_id, wrapped_key, ciphertext, uploaded_at)
                VALUES (\(submissionId), \(fileId), \(uploadName), \(file.mediaType), \(file.size), \(file.hashes.md5), \(file.hashes.sha256),
                    \(file.hashes.pdq), \(file.hashes.pdqQuality), \(file.sealed.masterKeyId), \(ByteBuffer(bytes: file.sealed.wrappedKey)),
                    \(ByteBuffer(bytes: file.sealed.ciphertext)), \(stamp))
                RETURNING submission_id
            )
            UPDATE cybertipline_submissions SET last_changed_at = \(stamp) WHERE id IN (SELECT submission_id FROM added)
            """)
    }

    func setSubmissionFileDetails(submissionId: Int64, fileId: String, detailsXML: [UInt8]) throws(StoreError) {
        let changed = try session.execute(
            """
            WITH described AS (
                UPDATE cybertipline_files SET details_xml = \(ByteBuffer(bytes: detailsXML))
                WHERE submission_id = \(submissionId) AND file_id = \(fileId)
                RETURNING submission_id
            )
            UPDATE cybertipline_submissions SET last_changed_at = \(stamp) WHERE id IN (SELECT submission_id FROM described)
            """)
        if changed == 0 { throw StoreRules.submissionFileMissing(submissionId, fileId) }
    }

    func closeSubmission(id: Int64, state: String, reportId: Int64?) throws(StoreError) {
        // The files now live with the report (or, retracted, nowhere).
        let closed = try session.rows(
            """
            WITH closed AS (
                UPDATE cybertipline_submissions SET state = \(state), closed_at = \(stamp), report_id = \(reportId)
                WHERE id = \(id) AND state = \(StoreRules.openSubmission)
                RETURNING id
            ), removed AS (
                DELETE FROM cybertipline_files WHERE submission_id IN (SELECT id FROM closed)
            )
            SELECT count(*) FROM closed
            """)
        let count = try closed.first.map { (row: PostgresRow) throws(StoreError) -> Int64 in try row.column(0) } ?? 0
        if count == 0 { throw StoreRules.submissionNotOpen(id) }
    }
}
