public import Foundation
import PostgresNIO
public import VigilDomain

// The Centre's referrals of forwarded reports on PostgreSQL: each change is one statement that
// returns the referral as changed.

extension PostgresTransaction {
    static let referralColumns = """
        id, report_id, recipient, created_at, outcome_due_at, acknowledged_at, outcome, outcome_detail, outcome_at, hold_do_not_inform, \
        hold_do_not_remove, hold_until, hold_set_at
        """

    /// A referral from a row of ``referralColumns``.
    static func storedReferral(_ row: PostgresRow) throws(StoreError) -> StoredReferral {
        let (id, reportId, recipient, createdAt, dueAt, acknowledgedAt, outcome, detail, outcomeAt, doNotInform, doNotRemove, until, setAt) =
            try row.decoded((Int64, Int64, String, String, String, String?, String?, String?, String?, Bool?, Bool?, String?, String?).self)
        return try StoreRules.storedReferral(
            id: id, reportId: reportId, recipient: recipient, createdAt: createdAt, outcomeDueAt: dueAt, acknowledgedAt: acknowledgedAt,
            outcome: outcome, outcomeDetail: detail, outcomeAt: outcomeAt, holdDoNotInform: doNotInform, holdDoNotRemove: doNotRemove,
            holdUntil: until, holdSetAt: setAt)
    }

    func createReferrals(reportId: Int64, recipients: [ReferralRecipient], outcomeDueAfter: Double) throws(StoreError) -> [StoredReferral] {
        guard !recipients.isEmpty else { return [] }
        let due = StoreRules.outcomeDue(at: now, after: outcomeDueAfter)
        // One statement for all: identities are taken in the order the SELECT yields its rows
        // (ORDER BY o), so the ids, sorted, are the recipients' in order.
        let rows = try session.rows(
            """
            INSERT INTO referrals (report_id, recipient, created_at, outcome_due_at)
            SELECT \(reportId), r.recipient, \(stamp), \(due) FROM unnest(\(recipients.map(\.description))::text[]) WITH ORDINALITY AS r(recipient, o)
            ORDER BY r.o
            RETURNING id
            """)
        let ids = try rows.map { (row: PostgresRow) throws(StoreError) -> Int64 in try row.column(0) }.sorted()
        guard ids.count == recipients.count else { throw .internal("\(recipients.count) referrals were written but \(ids.count) ids came back") }
        return zip(ids, recipients).map { id, recipient in
            StoredReferral(id: id, reportId: reportId, recipient: recipient, createdAt: stamp, outcomeDueAt: due)
        }
    }

    func referral(id: Int64) throws(StoreError) -> StoredReferral? {
        try session.rows("SELECT \(unescaped: Self.referralColumns) FROM referrals WHERE id = \(id)").first.map(Self.storedReferral)
    }

    /// Runs `UPDATE referrals SET <assignments> WHERE id = <id>` and returns the referral as changed.
    private func changeReferral(_ id: Int64, set assignments: PostgresQuery) throws(StoreError) -> StoredReferral {
        var query: PostgresQuery = "UPDATE referrals SET "
        query.sql += assignments.sql
        query.binds = assignments.binds
        query.binds.append(id)
        query.sql += " WHERE id = $\(query.binds.count) RETURNING \(Self.referralColumns)"
        guard let row = try session.rows(query).first else { throw .referralNotFound(id) }
        return try Self.storedReferral(row)
    }

    func acknowledgeReferral(id: Int64) throws(StoreError) -> StoredReferral {
        try changeReferral(id, set: "acknowledged_at = COALESCE(acknowledged_at, \(stamp))")
    }

    func setReferralOutcome(id: Int64, _ outcome: ReferralOutcome, detail: String?) throws(StoreError) -> StoredReferral {
        try changeReferral(
            id,
            set: """
                outcome = \(outcome.rawValue), outcome_detail = \(detail), outcome_at = \(stamp), acknowledged_at = COALESCE(acknowledged_at, \(stamp))
                """)
    }

    func setReferralHold(id: Int64, _ hold: Hold?) throws(StoreError) -> StoredReferral {
        let setAt: String? = hold == nil ? nil : stamp
        return try changeReferral(
            id,
            set: """
                hold_do_not_inform = \(hold?.doNotInform), hold_do_not_remove = \(hold?.doNotRemove), hold_until = \(hold?.until),
                hold_set_at = \(setAt)
                """)
    }
}

extension PostgresStore: ReferralStore {
    public func referral(id: Int64) async throws(StoreError) -> StoredReferral? {
        try await read { session throws(StoreError) in
            try session.rows("SELECT \(unescaped: PostgresTransaction.referralColumns) FROM referrals WHERE id = \(id)").first.map(
                PostgresTransaction.storedReferral)
        }
    }

    public func referrals(reportId: Int64) async throws(StoreError) -> [StoredReferral] {
        try await read { session throws(StoreError) in
            try session.rows("SELECT \(unescaped: PostgresTransaction.referralColumns) FROM referrals WHERE report_id = \(reportId) ORDER BY id").map(
                PostgresTransaction.storedReferral)
        }
    }

    public func referrals(_ query: ReferralQuery) async throws(StoreError) -> [StoredReferral] {
        let columns = PostgresTransaction.referralColumns.split(separator: ",").map { "r." + $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .joined(separator: ", ")
        var sql: PostgresQuery = "SELECT \(unescaped: columns) FROM referrals r JOIN reports p ON p.id = r.report_id WHERE r.id > \(query.afterId)"
        if let recipients = query.recipients {
            guard !recipients.isEmpty else { return [] }
            sql.binds.append(recipients.map(\.description).sorted())
            sql.sql += " AND r.recipient = ANY($\(sql.binds.count))"
        }
        if query.unacknowledgedOnly { sql.sql += " AND r.acknowledged_at IS NULL" }
        sql.binds.append(StoreRules.pageSize(query.limit))
        sql.sql += " ORDER BY \(query.unacknowledgedOnly ? "p.urgent DESC, r.id" : "r.id") LIMIT $\(sql.binds.count)"
        let bound = sql
        return try await read { session throws(StoreError) in try session.rows(bound).map(PostgresTransaction.storedReferral) }
    }
}
