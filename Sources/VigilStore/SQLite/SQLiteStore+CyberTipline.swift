import Foundation
import GRDB

// CyberTipline submissions on SQLite.

extension SQLiteStore {
    static func registerCyberTiplineMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v11-cybertipline") { db in
            try db.execute(
                sql: """
                    CREATE TABLE cybertipline_submissions (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        organisation_id INTEGER NOT NULL REFERENCES organisations(id),
                        report_xml BLOB NOT NULL,
                        state TEXT NOT NULL,
                        opened_at TEXT NOT NULL,
                        last_changed_at TEXT NOT NULL,
                        closed_at TEXT,
                        report_id INTEGER REFERENCES reports(id)
                    );
                    CREATE TABLE cybertipline_files (
                        submission_id INTEGER NOT NULL REFERENCES cybertipline_submissions(id),
                        file_id TEXT NOT NULL,
                        upload_name TEXT,
                        media_type TEXT,
                        size INTEGER NOT NULL,
                        md5 TEXT NOT NULL,
                        sha256 TEXT NOT NULL,
                        pdq TEXT,
                        pdq_quality INTEGER,
                        master_key_id TEXT NOT NULL,
                        wrapped_key BLOB NOT NULL,
                        ciphertext BLOB NOT NULL,
                        uploaded_at TEXT NOT NULL,
                        details_xml BLOB,
                        PRIMARY KEY (submission_id, file_id)
                    );
                    """)
        }
    }
}

extension SQLiteTransaction {
    func openSubmission(organisationId: Int64, reportXML: [UInt8]) throws(StoreError) -> Int64 {
        try database {
            try db.execute(
                sql: """
                    INSERT INTO cybertipline_submissions (organisation_id, report_xml, state, opened_at, last_changed_at)
                    VALUES (?, ?, ?, ?, ?)
                    """,
                arguments: [organisationId, Data(reportXML), StoreRules.openSubmission, stamp, stamp])
            return db.lastInsertedRowID
        }
    }

    func submission(id: Int64) throws(StoreError) -> StoredSubmission? {
        try database {
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT id, organisation_id, report_xml, state, opened_at, last_changed_at, closed_at, report_id
                        FROM cybertipline_submissions WHERE id = ?
                        """, arguments: [id])
            else { return nil }
            let files = try Row.fetchAll(
                db,
                sql: """
                    SELECT file_id, upload_name, media_type, size, md5, sha256, pdq, pdq_quality, master_key_id, wrapped_key, ciphertext,
                        uploaded_at, details_xml
                    FROM cybertipline_files WHERE submission_id = ? ORDER BY uploaded_at, rowid
                    """, arguments: [id]
            ).map { file in
                let wrapped: Data = file[9]
                let ciphertext: Data = file[10]
                let details: Data? = file[12]
                return StoredSubmissionFile(
                    fileId: file[0], uploadName: file[1],
                    file: NewReportFile(
                        reference: file[0], mediaType: file[2], size: file[3],
                        hashes: ContentHashes(md5: file[4], sha256: file[5], pdq: file[6], pdqQuality: file[7]),
                        sealed: SealedContent(masterKeyId: file[8], wrappedKey: Array(wrapped), ciphertext: Array(ciphertext))),
                    uploadedAt: file[11], detailsXML: details.map { Array($0) })
            }
            let xml: Data = row[2]
            return StoredSubmission(
                id: row[0], organisationId: row[1], reportXML: Array(xml), state: row[3], openedAt: row[4], lastChangedAt: row[5], closedAt: row[6],
                reportId: row[7], files: files)
        }
    }

    func addSubmissionFile(submissionId: Int64, fileId: String, uploadName: String?, file: NewReportFile) throws(StoreError) {
        try database {
            try db.execute(
                sql: """
                    INSERT INTO cybertipline_files (submission_id, file_id, upload_name, media_type, size, md5, sha256, pdq, pdq_quality,
                        master_key_id, wrapped_key, ciphertext, uploaded_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    submissionId, fileId, uploadName, file.mediaType, file.size, file.hashes.md5, file.hashes.sha256, file.hashes.pdq,
                    file.hashes.pdqQuality, file.sealed.masterKeyId, Data(file.sealed.wrappedKey), Data(file.sealed.ciphertext), stamp,
                ])
            try db.execute(sql: "UPDATE cybertipline_submissions SET last_changed_at = ? WHERE id = ?", arguments: [stamp, submissionId])
        }
    }

    func setSubmissionFileDetails(submissionId: Int64, fileId: String, detailsXML: [UInt8]) throws(StoreError) {
        try database {
            try db.execute(
                sql: "UPDATE cybertipline_files SET details_xml = ? WHERE submission_id = ? AND file_id = ?",
                arguments: [Data(detailsXML), submissionId, fileId])
        }
        if db.changesCount == 0 { throw StoreRules.submissionFileMissing(submissionId, fileId) }
        try database {
            try db.execute(sql: "UPDATE cybertipline_submissions SET last_changed_at = ? WHERE id = ?", arguments: [stamp, submissionId])
        }
    }

    func closeSubmission(id: Int64, state: String, reportId: Int64?) throws(StoreError) {
        try database {
            try db.execute(
                sql: "UPDATE cybertipline_submissions SET state = ?, closed_at = ?, report_id = ? WHERE id = ? AND state = ?",
                arguments: [state, stamp, reportId, id, StoreRules.openSubmission])
        }
        if db.changesCount == 0 { throw StoreRules.submissionNotOpen(id) }
        // The files now live with the report (or, retracted, nowhere).
        try database { try db.execute(sql: "DELETE FROM cybertipline_files WHERE submission_id = ?", arguments: [id]) }
    }
}
