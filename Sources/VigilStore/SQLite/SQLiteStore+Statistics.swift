import Foundation
import GRDB
public import VigilDomain

// The rows of the Centre's statistics on SQLite: SQL counts the reports by group and measures the
// durations (in whole milliseconds, from the stored RFC 3339 times); Swift computes the figures.

extension SQLiteStore: ReportStatisticsStore {
    /// Milliseconds from the time in `start` to the time in `end` (both RFC 3339 columns):
    /// `julianday` is exact to well under a millisecond over the years that matter, so rounding
    /// gives the stored times' exact difference.
    static func milliseconds(from start: String, to end: String) -> String {
        "CAST(ROUND((julianday(\(end)) - julianday(\(start))) * 86400000.0) AS INTEGER)"
    }

    /// Milliseconds since 1970 of the time in `column`.
    static func epochMilliseconds(_ column: String) -> String {
        "CAST(ROUND((julianday(\(column)) - 2440587.5) * 86400000.0) AS INTEGER)"
    }

    public func statisticsRows(_ query: StatisticsQuery) async throws(StoreError) -> StatisticsRows {
        // The reports of the window (and of the organisation, in that scope), as conditions on `r`;
        // the referrals' recipients (in the referrals scope), as a condition on `f`.
        var conditions: [String] = []
        var values: [(any DatabaseValueConvertible)?] = []
        if let from = query.window.from {
            conditions.append("r.received_at >= ?")
            values.append(from.rfc3339)
        }
        if let to = query.window.to {
            conditions.append("r.received_at < ?")
            values.append(to.rfc3339)
        }
        var referralConditions: [String] = []
        var referralValues: [(any DatabaseValueConvertible)?] = []
        var readsReports = true
        switch query.scope {
        case .all:
            break
        case .organisation(let id):
            conditions.append("r.organisation_id = ?")
            values.append(id)
        case .referrals(let recipients):
            readsReports = false
            if let recipients {
                guard !recipients.isEmpty else { return StatisticsRows() }
                referralConditions.append("f.recipient IN (\(Array(repeating: "?", count: recipients.count).joined(separator: ",")))")
                referralValues = recipients.map(\.description).sorted().map { $0 }
            }
        }
        let reportConditions = conditions
        let withReports = readsReports
        let reportArguments = StatementArguments(values)
        let referralArguments = StatementArguments(values + referralValues)
        func whereClause(_ list: [String], and extra: [String] = []) -> String {
            let all = list + extra
            return all.isEmpty ? "" : "WHERE " + all.joined(separator: " AND ")
        }
        let groupsSQL = """
            SELECT r.organisation_id, o.name, r.type, r.state, r.classified_automatically, COUNT(*)
            FROM reports r JOIN organisations o ON o.id = r.organisation_id \(whereClause(reportConditions))
            GROUP BY r.organisation_id, o.name, r.type, r.state, r.classified_automatically
            """
        // Each report's case (an incident); a report filed before linking existed is its own.
        let incidentsSQL = """
            SELECT DISTINCT r.organisation_id, r.type, COALESCE(c.case_id, r.id)
            FROM reports r LEFT JOIN report_cases c ON c.report_id = r.id \(whereClause(reportConditions))
            """
        let decisionsSQL = """
            SELECT \(Self.milliseconds(from: "r.received_at", to: "r.updated_at")) FROM reports r
            \(whereClause(reportConditions, and: ["r.state IN ('forwarded', 'unfounded')", "r.classified_automatically = 0"]))
            """
        let referredSQL = """
            SELECT \(Self.milliseconds(from: "r.received_at", to: "MIN(f.created_at)")) FROM reports r JOIN referrals f ON f.report_id = r.id
            \(whereClause(reportConditions)) GROUP BY r.id
            """
        let referralsSQL = """
            SELECT f.recipient, f.acknowledged_at IS NOT NULL, f.outcome, \(Self.epochMilliseconds("f.outcome_due_at")),
                \(Self.epochMilliseconds("f.outcome_at")), f.hold_do_not_inform, f.hold_do_not_remove, f.hold_until
            FROM referrals f JOIN reports r ON r.id = f.report_id \(whereClause(reportConditions, and: referralConditions))
            """
        return try await read { db in
            var rows = StatisticsRows()
            if withReports {
                rows.reports = try Row.fetchAll(db, sql: groupsSQL, arguments: reportArguments).map { row in
                    try StoreRules.reportGroup(
                        organisationId: row[0], organisationName: row[1], type: row[2], state: row[3], classifiedAutomatically: row[4], count: row[5])
                }
                rows.incidents = try Row.fetchAll(db, sql: incidentsSQL, arguments: reportArguments).map { row in
                    try StoreRules.incident(organisationId: row[0], type: row[1], caseId: row[2])
                }
                rows.decisionMilliseconds = try Int64.fetchAll(db, sql: decisionsSQL, arguments: reportArguments)
                rows.referralMilliseconds = try Int64.fetchAll(db, sql: referredSQL, arguments: reportArguments)
            }
            rows.referrals = try Row.fetchAll(db, sql: referralsSQL, arguments: referralArguments).map { row in
                try StoreRules.statisticsReferral(
                    recipient: row[0], acknowledged: row[1], outcome: row[2], outcomeDueMilliseconds: row[3], outcomeMilliseconds: row[4],
                    doNotInform: row[5], doNotRemove: row[6], holdUntil: row[7])
            }
            return rows
        }
    }
}
