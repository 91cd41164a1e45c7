import Foundation
import GRDB

// The files of the Centre's reports on SQLite: one row per file with its hashes and its sealed
// bytes (a BLOB), written in the report's own transaction.

extension SQLiteStore {
    static func registerReportFilesMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v9-report-files") { db in
            try db.execute(
                sql: """
                    CREATE TABLE report_files (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        report_id INTEGER NOT NULL REFERENCES reports(id),
                        reference TEXT NOT NULL,
                        media_type TEXT,
                        size INTEGER NOT NULL,
                        md5 TEXT NOT NULL,
                        sha256 TEXT NOT NULL,
                        pdq TEXT,
                        pdq_quality INTEGER,
                        master_key_id TEXT NOT NULL,
                        wrapped_key BLOB NOT NULL,
                        ciphertext BLOB NOT NULL,
                        received_at TEXT NOT NULL,
                        UNIQUE (report_id, reference)
                    );
                    CREATE INDEX report_files_by_sha256 ON report_files(sha256);
                    CREATE INDEX report_files_by_md5 ON report_files(md5);
                    CREATE INDEX report_files_by_master_key ON report_files(master_key_id, id);
                    """)
        }
    }

    /// The columns ``reportFileInfo(_:)`` reads, in this order.
    static let reportFileColumns = "id, report_id, reference, media_type, size, md5, sha256, pdq, pdq_quality, master_key_id, received_at"

    static func reportFileInfo(_ row: Row) -> ReportFileInfo {
        ReportFileInfo(
            id: row[0], reportId: row[1], reference: row[2], mediaType: row[3], size: row[4],
            hashes: ContentHashes(md5: row[5], sha256: row[6], pdq: row[7], pdqQuality: row[8]), masterKeyId: row[9], receivedAt: row[10])
    }
}

extension SQLiteTransaction {
    func insertReportFile(_ file: NewReportFile, reportId: Int64) throws(StoreError) {
        try database {
            try db.cachedStatement(
                sql: """
                    INSERT INTO report_files (report_id, reference, media_type, size, md5, sha256, pdq, pdq_quality, master_key_id,
                        wrapped_key, ciphertext, received_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """
            ).execute(
                arguments: [
                    reportId, file.reference, file.mediaType, file.size, file.hashes.md5, file.hashes.sha256, file.hashes.pdq,
                    file.hashes.pdqQuality, file.sealed.masterKeyId, Data(file.sealed.wrappedKey), Data(file.sealed.ciphertext), stamp,
                ])
        }
    }

    func fileKeys(notWrappedBy masterKeyId: String, afterId: Int64, limit: Int) throws(StoreError) -> [WrappedFileKey] {
        try database {
            try Row.fetchAll(
                db,
                sql: "SELECT id, master_key_id, wrapped_key FROM report_files WHERE id > ? AND master_key_id <> ? ORDER BY id LIMIT ?",
                arguments: [afterId, masterKeyId, max(1, limit)]
            ).map { row in
                let wrapped: Data = row[2]
                return WrappedFileKey(fileId: row[0], masterKeyId: row[1], wrappedKey: Array(wrapped))
            }
        }
    }

    func rewrapFileKeys(_ keys: [WrappedFileKey]) throws(StoreError) {
        for key in keys {
            try database {
                try db.execute(
                    sql: "UPDATE report_files SET master_key_id = ?, wrapped_key = ? WHERE id = ?",
                    arguments: [key.masterKeyId, Data(key.wrappedKey), key.fileId])
            }
            if db.changesCount == 0 { throw StoreRules.reportFileMissing(key.fileId) }
        }
    }
}

extension SQLiteStore: ReportFileStore {
    public func reportFiles(reportId: Int64) async throws(StoreError) -> [ReportFileInfo] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.reportFileColumns) FROM report_files WHERE report_id = ? ORDER BY id", arguments: [reportId])
                .map(Self.reportFileInfo)
        }
    }

    public func reportFile(reportId: Int64, reference: String) async throws(StoreError) -> StoredReportFile? {
        try await read { db in
            try Row.fetchOne(
                db, sql: "SELECT \(Self.reportFileColumns), wrapped_key, ciphertext FROM report_files WHERE report_id = ? AND reference = ?",
                arguments: [reportId, reference]
            ).map { row in
                let wrapped: Data = row[11]
                let ciphertext: Data = row[12]
                return StoredReportFile(
                    info: Self.reportFileInfo(row),
                    sealed: SealedContent(masterKeyId: row[9], wrappedKey: Array(wrapped), ciphertext: Array(ciphertext)))
            }
        }
    }

    public func fileKeyCounts() async throws(StoreError) -> [String: Int] {
        try await read { db in
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT master_key_id, COUNT(*) FROM report_files GROUP BY master_key_id") {
                counts[row[0]] = row[1]
            }
            return counts
        }
    }
}
