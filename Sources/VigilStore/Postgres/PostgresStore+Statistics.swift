public import Foundation
import PostgresNIO
public import VigilDomain

// The rows of the Centre's statistics on PostgreSQL: five aggregate statements in one snapshot,
// as on SQLite (SQLiteStore+Statistics.swift); SQL counts the reports by group and measures the
// durations (in whole milliseconds, from the stored RFC 3339 times); Swift computes the figures.

extension PostgresStore: ReportStatisticsStore {
    /// Milliseconds since 1970 of the RFC 3339 time in `column` (exact: `timestamptz` keeps
    /// microseconds and `EXTRACT` answers a `numeric`).
    static func epochMilliseconds(_ column: String) -> String {
        "ROUND(EXTRACT(EPOCH FROM (\(column))::timestamptz) * 1000)::bigint"
    }

    /// Milliseconds from the RFC 3339 time in `start` to the one in `end`.
    static func milliseconds(from start: String, to end: String) -> String {
        "ROUND((EXTRACT(EPOCH FROM (\(end))::timestamptz) - EXTRACT(EPOCH FROM (\(start))::timestamptz)) * 1000)::bigint"
    }

    public func statisticsRows(_ query: StatisticsQuery) async throws(StoreError) -> StatisticsRows {
        // The reports of the window (and of the organisation, in that scope), as conditions on `r`;
        // the referrals' recipients (in the referrals scope), as a condition on `f`. Every
        // statement binds the same values, in this order.
        var binds = PostgresBindings()
        var conditions: [String] = []
        if let from = query.window.from {
            binds.append(from.rfc3339)
            conditions.append("r.received_at COLLATE \"C\" >= $\(binds.count)")
        }
        if let to = query.window.to {
            binds.append(to.rfc3339)
            conditions.append("r.received_at COLLATE \"C\" < $\(binds.count)")
        }
        var referralConditions: [String] = []
        var readsReports = true
        switch query.scope {
        case .all:
            break
        case .organisation(let id):
            binds.append(id)
            conditions.append("r.organisation_id = $\(binds.count)")
        case .referrals(let recipients):
            readsReports = false
            if let recipients {
                guard !recipients.isEmpty else { return StatisticsRows() }
                binds.append(recipients.map(\.description).sorted())
                referralConditions.append("f.recipient = ANY($\(binds.count)::text[])")
            }
        }
        func whereClause(_ list: [String], and extra: [String] = []) -> String {
            let all = list + extra
            return all.isEmpty ? "" : "WHERE " + all.joined(separator: " AND ")
        }
        let bound = binds
        let withReports = readsReports
        func statement(_ sql: String) -> PostgresQuery {
            PostgresQuery(unsafeSQL: sql, binds: bound)
        }
        let groups = statement(
            """
            SELECT r.organisation_id, o.name, r.type, r.state, r.classified_automatically, COUNT(*)
            FROM reports r JOIN organisations o ON o.id = r.organisation_id \(whereClause(conditions))
            GROUP BY r.organisation_id, o.name, r.type, r.state, r.classified_automatically
            """)
        // Each report's case (an incident); a report filed before linking existed is its own.
        let incidents = statement(
            """
            SELECT DISTINCT r.organisation_id, r.type, COALESCE(c.case_id, r.id)
            FROM reports r LEFT JOIN report_cases c ON c.report_id = r.id \(whereClause(conditions))
            """)
        let decisions = statement(
            """
            SELECT \(Self.milliseconds(from: "r.received_at", to: "r.updated_at")) FROM reports r
            \(whereClause(conditions, and: ["r.state IN ('forwarded', 'unfounded')", "NOT r.classified_automatically"]))
            """)
        let referred = statement(
            """
            SELECT \(Self.milliseconds(from: "r.received_at", to: "MIN(f.created_at COLLATE \"C\")")) FROM reports r JOIN referrals f ON f.report_id = r.id
            \(whereClause(conditions)) GROUP BY r.id
            """)
        let referrals = statement(
            """
            SELECT f.recipient, f.acknowledged_at IS NOT NULL, f.outcome, \(Self.epochMilliseconds("f.outcome_due_at")),
                \(Self.epochMilliseconds("f.outcome_at")), f.hold_do_not_inform, f.hold_do_not_remove, f.hold_until
            FROM referrals f JOIN reports r ON r.id = f.report_id \(whereClause(conditions, and: referralConditions))
            """)
        return try await snapshot { session throws(StoreError) in
            var rows = StatisticsRows()
            if withReports {
                rows.reports = try session.rows(groups).map { (row: PostgresRow) throws(StoreError) -> StatisticsRows.ReportGroup in
                    let (organisationId, name, type, state, automatic, count) = try row.decoded((Int64, String, String, String, Bool, Int).self)
                    return try StoreRules.reportGroup(
                        organisationId: organisationId, organisationName: name, type: type, state: state, classifiedAutomatically: automatic,
                        count: count)
                }
                rows.incidents = try session.rows(incidents).map { (row: PostgresRow) throws(StoreError) -> StatisticsRows.Incident in
                    let (organisationId, type, caseId) = try row.decoded((Int64, String, Int64).self)
                    return try StoreRules.incident(organisationId: organisationId, type: type, caseId: caseId)
                }
                rows.decisionMilliseconds = try session.rows(decisions).map { (row: PostgresRow) throws(StoreError) -> Int64 in try row.column(0) }
                rows.referralMilliseconds = try session.rows(referred).map { (row: PostgresRow) throws(StoreError) -> Int64 in try row.column(0) }
            }
            rows.referrals = try session.rows(referrals).map { (row: PostgresRow) throws(StoreError) -> StatisticsRows.Referral in
                let (recipient, acknowledged, outcome, due, posted, doNotInform, doNotRemove, holdUntil) = try row.decoded(
                    (String, Bool, String?, Int64, Int64?, Bool?, Bool?, String?).self)
                return try StoreRules.statisticsReferral(
                    recipient: recipient, acknowledged: acknowledged, outcome: outcome, outcomeDueMilliseconds: due, outcomeMilliseconds: posted,
                    doNotInform: doNotInform, doNotRemove: doNotRemove, holdUntil: holdUntil)
            }
            return rows
        }
    }
}
