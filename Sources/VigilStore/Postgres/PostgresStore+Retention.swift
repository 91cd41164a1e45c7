public import Foundation
import PostgresNIO
public import VigilDomain

// Retention on PostgreSQL: the authorities' preservation requests, the facts the retention rule
// reads (three statements for a page of reports, not three per report), and the deletion of a
// report with everything of it; SQLite's semantics (SQLiteStore+Retention.swift).

extension PostgresTransaction {
    /// Refuses a report that does not exist with `reportNotFound`.
    private func requireReport(_ id: Int64) throws(StoreError) {
        guard try session.value("SELECT 1 FROM reports WHERE id = \(id)", as: Int32.self) != nil else { throw .reportNotFound(id) }
    }

    func setPreservation(reportId: Int64, _ preservation: Preservation, requestedBy: String) throws(StoreError) -> StoredPreservation {
        try requireReport(reportId)
        try session.execute(
            """
            INSERT INTO report_preservations (report_id, requested_by, until, reason, set_at)
            VALUES (\(reportId), \(requestedBy), \(preservation.until), \(preservation.reason), \(stamp))
            ON CONFLICT (report_id, requested_by) DO UPDATE SET until = excluded.until, reason = excluded.reason, set_at = excluded.set_at
            """)
        return StoredPreservation(reportId: reportId, requestedBy: requestedBy, preservation: preservation, setAt: stamp)
    }

    func withdrawPreservation(reportId: Int64, requestedBy: String) throws(StoreError) -> StoredPreservation? {
        guard
            let row = try session.rows(
                "DELETE FROM report_preservations WHERE report_id = \(reportId) AND requested_by = \(requestedBy) RETURNING until, reason, set_at"
            ).first
        else { return nil }
        let (until, reason, setAt) = try row.decoded((String, String, String).self)
        return StoredPreservation(
            reportId: reportId, requestedBy: requestedBy, preservation: Preservation(until: until, reason: reason), setAt: setAt)
    }

    func retentionFacts(reportIds: [Int64]) throws(StoreError) -> [RetentionFacts] {
        try PostgresStore.retentionFacts(session, ids: reportIds)
    }

    func deleteReport(id: Int64) throws(StoreError) -> DeletedReport {
        try requireReport(id)
        // Items stay (hashes and a classification, no content); the report no longer counts on
        // them: once per file linked to each.
        let items = try session.rows("DELETE FROM report_items WHERE report_id = \(id) RETURNING item_id").map {
            (row: PostgresRow) throws(StoreError) -> Int64 in try row.column(0)
        }
        if !items.isEmpty {
            try session.execute(
                """
                UPDATE items SET report_count = GREATEST(0, report_count - gone.n)
                FROM (SELECT i AS item_id, COUNT(*) AS n FROM unnest(\(items)::bigint[]) AS i GROUP BY i) AS gone WHERE items.id = gone.item_id
                """)
        }
        // A case is named by its smallest report id: a case named after this report is renamed.
        if let caseId = try session.value("DELETE FROM report_cases WHERE report_id = \(id) RETURNING case_id", as: Int64.self), caseId == id {
            try session.execute(
                "UPDATE report_cases SET case_id = (SELECT MIN(report_id) FROM report_cases WHERE case_id = \(caseId)) WHERE case_id = \(caseId)")
        }
        // The rest in one statement (each foreign key is checked at its end, when the rows
        // referring to the report are gone too). A finished CyberTipline submission keeps the XML
        // it was filed with: it goes too.
        guard
            let row = try session.rows(
                """
                WITH keys AS (DELETE FROM report_link_keys WHERE report_id = \(id)),
                referrals AS (DELETE FROM referrals WHERE report_id = \(id) RETURNING 1),
                files AS (DELETE FROM report_files WHERE report_id = \(id) RETURNING 1),
                preservations AS (DELETE FROM report_preservations WHERE report_id = \(id)),
                submissions AS (DELETE FROM cybertipline_submissions WHERE report_id = \(id) RETURNING id),
                submission_files AS (DELETE FROM cybertipline_files WHERE submission_id IN (SELECT id FROM submissions)),
                report AS (DELETE FROM reports WHERE id = \(id))
                SELECT (SELECT COUNT(*) FROM files), (SELECT COUNT(*) FROM referrals)
                """
            ).first
        else { throw .internal("deleting report \(id) answered nothing") }
        let (files, referrals) = try row.decoded((Int, Int).self)
        return DeletedReport(reportId: id, files: files, items: items.count, referrals: referrals)
    }

    func deleteExpiredSubmission(id: Int64, lastChangedAt: String) throws(StoreError) -> Int? {
        guard
            try session.value(
                "SELECT 1 FROM cybertipline_submissions WHERE id = \(id) AND state = 'open' AND last_changed_at = \(lastChangedAt)", as: Int32.self)
                != nil
        else { return nil }
        guard
            let files = try session.value(
                """
                WITH gone AS (DELETE FROM cybertipline_files WHERE submission_id = \(id) RETURNING 1),
                submission AS (DELETE FROM cybertipline_submissions WHERE id = \(id))
                SELECT COUNT(*) FROM gone
                """, as: Int.self)
        else { throw .internal("deleting submission \(id) answered nothing") }
        return files
    }
}

extension PostgresStore: RetentionStore {
    /// The retention facts of the reports `ids` (those that exist), by id: three statements.
    static func retentionFacts(_ session: PostgresSession, ids: [Int64]) throws(StoreError) -> [RetentionFacts] {
        guard !ids.isEmpty else { return [] }
        var times: [Int64: (received: String?, updated: String?)] = [:]
        for row in try session.rows("SELECT id, received_at, updated_at FROM reports WHERE id = ANY(\(ids)::bigint[])") {
            let (id, received, updated) = try row.decoded((Int64, String?, String?).self)
            times[id] = (received, updated)
        }
        var actions: [Int64: [String?]] = [:]
        var holds: [Int64: [String]] = [:]
        for row in try session.rows(
            """
            SELECT report_id, created_at, acknowledged_at, outcome_at, hold_set_at, hold_until FROM referrals
            WHERE report_id = ANY(\(ids)::bigint[]) ORDER BY id
            """)
        {
            let (report, created, acknowledged, outcome, holdSet, holdUntil) = try row.decoded(
                (Int64, String?, String?, String?, String?, String?).self)
            actions[report, default: []] += [created, acknowledged, outcome, holdSet]
            if let holdUntil { holds[report, default: []].append(holdUntil) }
        }
        var preserved: [Int64: [String]] = [:]
        for row in try session.rows(
            "SELECT report_id, until FROM report_preservations WHERE report_id = ANY(\(ids)::bigint[]) ORDER BY report_id, requested_by")
        {
            let (report, until) = try row.decoded((Int64, String).self)
            preserved[report, default: []].append(until)
        }
        return ids.compactMap { id in
            guard let (received, updated) = times[id] else { return nil }
            return StoreRules.retentionFacts(
                reportId: id, actions: [received, updated] + (actions[id] ?? []), holdsUntil: holds[id] ?? [], preservedUntil: preserved[id] ?? [])
        }
    }

    public func retentionFacts(changedBy: Date, afterId: Int64, limit: Int) async throws(StoreError) -> [RetentionFacts] {
        let cutoff = changedBy.rfc3339
        let page = StoreRules.retentionPage(limit)
        return try await snapshot { session throws(StoreError) in
            // Stored times are RFC 3339 text of one shape: compared byte by byte, whatever the database's collation.
            let ids = try session.rows(
                "SELECT id FROM reports WHERE updated_at COLLATE \"C\" <= \(cutoff) AND id > \(afterId) ORDER BY id LIMIT \(page)"
            ).map { (row: PostgresRow) throws(StoreError) -> Int64 in try row.column(0) }
            return try Self.retentionFacts(session, ids: ids)
        }
    }

    public func preservations(reportId: Int64) async throws(StoreError) -> [StoredPreservation] {
        try await read { session throws(StoreError) in
            try session.rows(
                """
                SELECT report_id, requested_by, until, reason, set_at FROM report_preservations WHERE report_id = \(reportId)
                ORDER BY set_at COLLATE "C", requested_by
                """
            ).map { (row: PostgresRow) throws(StoreError) -> StoredPreservation in
                let (report, requestedBy, until, reason, setAt) = try row.decoded((Int64, String, String, String, String).self)
                return StoredPreservation(
                    reportId: report, requestedBy: requestedBy, preservation: Preservation(until: until, reason: reason), setAt: setAt)
            }
        }
    }

    public func openSubmissions(afterId: Int64, limit: Int) async throws(StoreError) -> [OpenSubmissionTimes] {
        let page = StoreRules.retentionPage(limit)
        return try await read { session throws(StoreError) in
            try session.rows(
                """
                SELECT s.id, s.opened_at, s.last_changed_at, (SELECT COUNT(*) FROM cybertipline_files f WHERE f.submission_id = s.id)
                FROM cybertipline_submissions s WHERE s.state = 'open' AND s.id > \(afterId) ORDER BY s.id LIMIT \(page)
                """
            ).map { (row: PostgresRow) throws(StoreError) -> OpenSubmissionTimes in
                let (id, openedAt, lastChangedAt, files) = try row.decoded((Int64, String, String, Int).self)
                return OpenSubmissionTimes(id: id, openedAt: openedAt, lastChangedAt: lastChangedAt, files: files)
            }
        }
    }
}
