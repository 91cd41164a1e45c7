public import Foundation
import GRDB
public import VigilDomain

// Retention on SQLite: the authorities' preservation requests (migration v14), the facts the
// retention rule reads, and the deletion of a report with everything of it.

extension SQLiteStore {
    static func registerRetentionMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v14-retention") { db in
            try db.execute(
                sql: """
                    CREATE TABLE report_preservations (
                        report_id INTEGER NOT NULL REFERENCES reports(id),
                        requested_by TEXT NOT NULL,
                        until TEXT NOT NULL,
                        reason TEXT NOT NULL,
                        set_at TEXT NOT NULL,
                        PRIMARY KEY (report_id, requested_by)
                    );
                    CREATE INDEX reports_by_updated_at ON reports(updated_at);
                    """)
        }
    }

    /// The retention facts of the reports `ids` (those that exist), by id.
    static func retentionFacts(_ db: Database, ids: [Int64]) throws -> [RetentionFacts] {
        var facts: [RetentionFacts] = []
        for id in ids {
            guard let row = try Row.fetchOne(db, sql: "SELECT received_at, updated_at FROM reports WHERE id = ?", arguments: [id]) else { continue }
            var actions: [String?] = [row[0], row[1]]
            var holds: [String] = []
            for referral in try Row.fetchAll(
                db, sql: "SELECT created_at, acknowledged_at, outcome_at, hold_set_at, hold_until FROM referrals WHERE report_id = ?",
                arguments: [id])
            {
                actions += [referral[0], referral[1], referral[2], referral[3]]
                if let until: String = referral[4] { holds.append(until) }
            }
            let preserved = try String.fetchAll(db, sql: "SELECT until FROM report_preservations WHERE report_id = ?", arguments: [id])
            facts.append(StoreRules.retentionFacts(reportId: id, actions: actions, holdsUntil: holds, preservedUntil: preserved))
        }
        return facts
    }
}

extension SQLiteTransaction {
    func setPreservation(reportId: Int64, _ preservation: Preservation, requestedBy: String) throws(StoreError) -> StoredPreservation {
        guard try report(id: reportId) != nil else { throw .reportNotFound(reportId) }
        try database {
            try db.execute(
                sql: """
                    INSERT INTO report_preservations (report_id, requested_by, until, reason, set_at) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT(report_id, requested_by) DO UPDATE SET until = excluded.until, reason = excluded.reason, set_at = excluded.set_at
                    """,
                arguments: [reportId, requestedBy, preservation.until, preservation.reason, stamp])
        }
        return StoredPreservation(reportId: reportId, requestedBy: requestedBy, preservation: preservation, setAt: stamp)
    }

    func withdrawPreservation(reportId: Int64, requestedBy: String) throws(StoreError) -> StoredPreservation? {
        try database {
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT until, reason, set_at FROM report_preservations WHERE report_id = ? AND requested_by = ?",
                    arguments: [reportId, requestedBy])
            else { return nil }
            try db.execute(sql: "DELETE FROM report_preservations WHERE report_id = ? AND requested_by = ?", arguments: [reportId, requestedBy])
            return StoredPreservation(
                reportId: reportId, requestedBy: requestedBy, preservation: Preservation(until: row[0], reason: row[1]), setAt: row[2])
        }
    }

    func retentionFacts(reportIds: [Int64]) throws(StoreError) -> [RetentionFacts] {
        try database { try SQLiteStore.retentionFacts(db, ids: reportIds) }
    }

    func deleteReport(id: Int64) throws(StoreError) -> DeletedReport {
        guard try report(id: id) != nil else { throw .reportNotFound(id) }
        return try database {
            // Items stay (hashes and a classification, no content); the report no longer counts on them.
            let items = try Int64.fetchAll(db, sql: "SELECT item_id FROM report_items WHERE report_id = ?", arguments: [id])
            for item in items {
                try db.execute(sql: "UPDATE items SET report_count = MAX(0, report_count - 1) WHERE id = ?", arguments: [item])
            }
            try db.execute(sql: "DELETE FROM report_items WHERE report_id = ?", arguments: [id])
            // A case is named by its smallest report id: a case named after this report is renamed.
            let caseId = try Int64.fetchOne(db, sql: "SELECT case_id FROM report_cases WHERE report_id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM report_cases WHERE report_id = ?", arguments: [id])
            if let caseId, caseId == id,
                let next = try Int64.fetchOne(db, sql: "SELECT MIN(report_id) FROM report_cases WHERE case_id = ?", arguments: [caseId])
            {
                try db.execute(sql: "UPDATE report_cases SET case_id = ? WHERE case_id = ?", arguments: [next, caseId])
            }
            try db.execute(sql: "DELETE FROM report_link_keys WHERE report_id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM referrals WHERE report_id = ?", arguments: [id])
            let referrals = db.changesCount
            try db.execute(sql: "DELETE FROM report_files WHERE report_id = ?", arguments: [id])
            let files = db.changesCount
            try db.execute(sql: "DELETE FROM report_preservations WHERE report_id = ?", arguments: [id])
            // A finished CyberTipline submission keeps the XML it was filed with: it goes too.
            try db.execute(
                sql: "DELETE FROM cybertipline_files WHERE submission_id IN (SELECT id FROM cybertipline_submissions WHERE report_id = ?)",
                arguments: [id])
            try db.execute(sql: "DELETE FROM cybertipline_submissions WHERE report_id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM reports WHERE id = ?", arguments: [id])
            return DeletedReport(reportId: id, files: files, items: items.count, referrals: referrals)
        }
    }

    func deleteExpiredSubmission(id: Int64, lastChangedAt: String) throws(StoreError) -> Int? {
        try database {
            guard
                try Int64.fetchOne(
                    db, sql: "SELECT id FROM cybertipline_submissions WHERE id = ? AND state = 'open' AND last_changed_at = ?",
                    arguments: [id, lastChangedAt]) != nil
            else { return nil }
            try db.execute(sql: "DELETE FROM cybertipline_files WHERE submission_id = ?", arguments: [id])
            let files = db.changesCount
            try db.execute(sql: "DELETE FROM cybertipline_submissions WHERE id = ?", arguments: [id])
            return files
        }
    }
}

extension SQLiteStore: RetentionStore {
    public func retentionFacts(changedBy: Date, afterId: Int64, limit: Int) async throws(StoreError) -> [RetentionFacts] {
        let cutoff = changedBy.rfc3339
        return try await read { db in
            let ids = try Int64.fetchAll(
                db, sql: "SELECT id FROM reports WHERE updated_at <= ? AND id > ? ORDER BY id LIMIT ?",
                arguments: [cutoff, afterId, StoreRules.retentionPage(limit)])
            return try Self.retentionFacts(db, ids: ids)
        }
    }

    public func preservations(reportId: Int64) async throws(StoreError) -> [StoredPreservation] {
        try await read { db in
            try Row.fetchAll(
                db, sql: "SELECT report_id, requested_by, until, reason, set_at FROM report_preservations WHERE report_id = ? ORDER BY set_at",
                arguments: [reportId]
            ).map { row in
                StoredPreservation(reportId: row[0], requestedBy: row[1], preservation: Preservation(until: row[2], reason: row[3]), setAt: row[4])
            }
        }
    }

    public func openSubmissions(afterId: Int64, limit: Int) async throws(StoreError) -> [OpenSubmissionTimes] {
        try await read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT s.id, s.opened_at, s.last_changed_at, (SELECT COUNT(*) FROM cybertipline_files f WHERE f.submission_id = s.id)
                    FROM cybertipline_submissions s WHERE s.state = 'open' AND s.id > ? ORDER BY s.id LIMIT ?
                    """, arguments: [afterId, StoreRules.retentionPage(limit)]
            ).map { OpenSubmissionTimes(id: $0[0], openedAt: $0[1], lastChangedAt: $0[2], files: $0[3]) }
        }
    }
}
