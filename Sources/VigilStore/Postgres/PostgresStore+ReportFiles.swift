import Foundation
import NIOCore
import PostgresNIO

// The files of the Centre's reports on PostgreSQL: one row per file with its hashes and its sealed
// bytes (`bytea`), written in the report's own transaction.

extension PostgresTransaction {
    /// The columns ``reportFileInfo(_:)`` reads, in this order.
    static let reportFileColumns = "id, report_id, reference, media_type, size, md5, sha256, pdq, pdq_quality, master_key_id, received_at"

    static func reportFileInfo(_ row: PostgresRow) throws(StoreError) -> ReportFileInfo {
        let (id, reportId, reference, mediaType, size, md5, sha256, pdq, quality, masterKeyId, receivedAt) = try row.decoded(
            (Int64, Int64, String, String?, Int, String, String, String?, Int?, String, String).self)
        return ReportFileInfo(
            id: id, reportId: reportId, reference: reference, mediaType: mediaType, size: size,
            hashes: ContentHashes(md5: md5, sha256: sha256, pdq: pdq, pdqQuality: quality), masterKeyId: masterKeyId, receivedAt: receivedAt)
    }

    /// A file's plain columns, as `jsonb_to_recordset` reads them (absent values are JSON null).
    struct FileRow: Encodable {
        var reference: String
        var mediaType: String?
        var size: Int
        var md5: String
        var sha256: String
        var pdq: String?
        var pdqQuality: Int?
        var masterKeyId: String

        init(_ file: NewReportFile, reference: String) {
            self.reference = reference
            mediaType = file.mediaType
            size = file.size
            md5 = file.hashes.md5
            sha256 = file.hashes.sha256
            pdq = file.hashes.pdq
            pdqQuality = file.hashes.pdqQuality
            masterKeyId = file.sealed.masterKeyId
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(reference, forKey: .reference)
            try container.encode(mediaType, forKey: .mediaType)
            try container.encode(size, forKey: .size)
            try container.encode(md5, forKey: .md5)
            try container.encode(sha256, forKey: .sha256)
            try container.encode(pdq, forKey: .pdq)
            try container.encode(pdqQuality, forKey: .pdqQuality)
            try container.encode(masterKeyId, forKey: .masterKeyId)
        }

        enum CodingKeys: String, CodingKey {
            case reference = "r"
            case mediaType = "t"
            case size = "s"
            case md5 = "m"
            case sha256 = "h"
            case pdq = "p"
            case pdqQuality = "q"
            case masterKeyId = "k"
        }

        /// The rows as the JSON text bound to `jsonb_to_recordset`.
        static func json(_ rows: [FileRow]) throws(StoreError) -> String {
            do { return String(decoding: try JSONEncoder().encode(rows), as: UTF8.self) } catch {
                throw .internal("the files could not be written as JSON", underlying: error)
            }
        }

        /// The record type `jsonb_to_recordset` reads these rows as.
        static let recordType = "r text, t text, s bigint, m text, h text, p text, q integer, k text"
    }

    /// Writes a report's files, in order, in one statement (none for none).
    func insertReportFiles(_ files: [NewReportFile], reportId: Int64) throws(StoreError) {
        guard !files.isEmpty else { return }
        let json = try FileRow.json(files.map { FileRow($0, reference: $0.reference) })
        let wrapped = files.map { ByteBuffer(bytes: $0.sealed.wrappedKey) }
        let ciphertexts = files.map { ByteBuffer(bytes: $0.sealed.ciphertext) }
        // Identities are taken in the order the SELECT yields its rows (ORDER BY f.o): the files'.
        try session.execute(
            """
            INSERT INTO report_files (report_id, reference, media_type, size, md5, sha256, pdq, pdq_quality, master_key_id,
                wrapped_key, ciphertext, received_at)
            SELECT \(reportId), f.r, f.t, f.s, f.m, f.h, f.p, f.q, f.k, f.w, f.c, \(stamp)
            FROM ROWS FROM (jsonb_to_recordset(\(json)::jsonb) AS (\(unescaped: FileRow.recordType)), unnest(\(wrapped)::bytea[]),
                unnest(\(ciphertexts)::bytea[])) WITH ORDINALITY AS f(r, t, s, m, h, p, q, k, w, c, o)
            ORDER BY f.o
            """)
    }

    func fileKeys(notWrappedBy masterKeyId: String, afterId: Int64, limit: Int) throws(StoreError) -> [WrappedFileKey] {
        try session.rows(
            """
            SELECT id, master_key_id, wrapped_key FROM report_files WHERE id > \(afterId) AND master_key_id <> \(masterKeyId)
            ORDER BY id LIMIT \(max(1, limit))
            """
        ).map { (row: PostgresRow) throws(StoreError) -> WrappedFileKey in
            WrappedFileKey(fileId: try row.column(0), masterKeyId: try row.column(1), wrappedKey: try row.bytes(2) ?? [])
        }
    }

    func rewrapFileKeys(_ keys: [WrappedFileKey]) throws(StoreError) {
        guard !keys.isEmpty else { return }
        // One statement for the batch; a missing file is refused by its id, as SQLite does (the
        // first one in the batch's order), and the transaction rolls back.
        let ids = keys.map(\.fileId)
        let updated = try session.rows(
            """
            UPDATE report_files f SET master_key_id = k.m, wrapped_key = k.w
            FROM unnest(\(ids)::bigint[], \(keys.map(\.masterKeyId))::text[], \(keys.map { ByteBuffer(bytes: $0.wrappedKey) })::bytea[]) AS k(i, m, w)
            WHERE f.id = k.i
            RETURNING f.id
            """)
        let found = Set(try updated.map { (row: PostgresRow) throws(StoreError) -> Int64 in try row.column(0) })
        if let missing = ids.first(where: { !found.contains($0) }) { throw StoreRules.reportFileMissing(missing) }
    }
}

extension PostgresStore: ReportFileStore {
    public func reportFiles(reportId: Int64) async throws(StoreError) -> [ReportFileInfo] {
        try await read { session throws(StoreError) in
            try session.rows(
                "SELECT \(unescaped: PostgresTransaction.reportFileColumns) FROM report_files WHERE report_id = \(reportId) ORDER BY id"
            ).map(PostgresTransaction.reportFileInfo)
        }
    }

    public func reportFile(reportId: Int64, reference: String) async throws(StoreError) -> StoredReportFile? {
        try await read { session throws(StoreError) in
            try session.rows(
                """
                SELECT \(unescaped: PostgresTransaction.reportFileColumns), wrapped_key, ciphertext FROM report_files
                WHERE report_id = \(reportId) AND reference = \(reference)
                """
            ).first.map { (row: PostgresRow) throws(StoreError) -> StoredReportFile in
                let info = try PostgresTransaction.reportFileInfo(row)
                return StoredReportFile(
                    info: info,
                    sealed: SealedContent(masterKeyId: info.masterKeyId, wrappedKey: try row.bytes(11) ?? [], ciphertext: try row.bytes(12) ?? []))
            }
        }
    }

    public func fileKeyCounts() async throws(StoreError) -> [String: Int] {
        try await read { session throws(StoreError) in
            var counts: [String: Int] = [:]
            for row in try session.rows("SELECT master_key_id, COUNT(*) FROM report_files GROUP BY master_key_id") {
                let (key, count) = try row.decoded((String, Int).self)
                counts[key] = count
            }
            return counts
        }
    }
}
