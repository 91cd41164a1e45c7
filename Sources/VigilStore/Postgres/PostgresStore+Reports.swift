public import Foundation
import NIOCore
import PostgresNIO
public import VigilDomain

// The Centre's reports and the providers' signing keys on PostgreSQL: the same checks as SQLite's
// (StoreRules), each change in as few statements as it takes.

extension PostgresTransaction {
    /// The report columns ``storedReport(_:)`` reads, in this order.
    static let reportColumns = """
        id, organisation_id, report_json, signing_key_id, signature, state, classified_automatically, pending_decision, decided_by, \
        received_at, updated_at, centre_matches, channel
        """

    /// A report from a row of ``reportColumns``.
    static func storedReport(_ row: PostgresRow) throws(StoreError) -> StoredReport {
        let (id, organisationId, keyId, signature, state, classified, pending, decidedBy, receivedAt, updatedAt, matches, channel) =
            try (
                row.column(0, as: Int64.self), row.column(1, as: Int64.self), row.column(3, as: String?.self), row.column(4, as: String?.self),
                row.column(5, as: String.self), row.column(6, as: Bool.self), row.column(7, as: String?.self), row.column(8, as: String?.self),
                row.column(9, as: String.self), row.column(10, as: String.self), row.column(11, as: String.self), row.column(12, as: String.self)
            )
        return try StoreRules.storedReport(
            id: id, organisationId: organisationId, json: try row.bytes(2) ?? [], keyId: keyId, signature: signature, state: state,
            classifiedAutomatically: classified, pendingDecision: pending, decidedBy: decidedBy, receivedAt: receivedAt, updatedAt: updatedAt,
            matches: matches, channel: channel)
    }

    static func fetchReport(_ session: PostgresSession, id: Int64) throws(StoreError) -> StoredReport? {
        try session.rows("SELECT \(unescaped: reportColumns) FROM reports WHERE id = \(id)").first.map(storedReport)
    }

    static let signingKeyColumns = "key_id, organisation_id, public_key, created_at, revoked_at"

    static func signingKey(_ row: PostgresRow) throws(StoreError) -> SigningKey {
        let (keyId, organisationId) = (try row.column(0, as: String.self), try row.column(1, as: Int64.self))
        return SigningKey(
            keyId: keyId, organisationId: organisationId, publicKey: try row.bytes(2) ?? [], createdAt: try row.column(3),
            revokedAt: try row.column(4))
    }

    static func fetchSigningKey(_ session: PostgresSession, id: String) throws(StoreError) -> SigningKey? {
        try session.rows("SELECT \(unescaped: signingKeyColumns) FROM signing_keys WHERE key_id = \(id)").first.map(signingKey)
    }

    func fileReport(_ new: NewReport) throws(StoreError) -> StoredReport {
        let type = try StoreRules.reportType(new)
        let json = ByteBuffer(bytes: StoreRules.reportJSON(new))
        let matches = try StoreRules.matchesJSON(new.centreMatches)
        let reference = new.report.providerReference
        // One round trip for a new report: the insert skips a filed reference, which is then looked up.
        guard
            let id = try session.value(
                """
                INSERT INTO reports (organisation_id, provider_reference, type, urgent, state, classified_automatically, report_json,
                    signing_key_id, signature, centre_matches, received_at, updated_at, channel)
                VALUES (\(new.organisationId), \(reference), \(type.rawValue), \(new.report.urgent), \(new.state.rawValue),
                    \(new.classifiedAutomatically), \(json), \(new.signature?.keyId), \(new.signature?.value), \(matches), \(stamp), \(stamp),
                    \(new.channel.rawValue))
                ON CONFLICT (organisation_id, provider_reference) DO NOTHING
                RETURNING id
                """, as: Int64.self)
        else {
            guard
                let existing = try session.value(
                    "SELECT id FROM reports WHERE organisation_id = \(new.organisationId) AND provider_reference = \(reference)", as: Int64.self)
            else { throw .internal("report \(reference) was neither written nor found") }
            throw .reportExists(reference: reference, existing: existing)
        }
        try insertReportFiles(new.files, reportId: id)
        return StoreRules.filed(new, id: id, at: stamp)
    }

    func report(id: Int64) throws(StoreError) -> StoredReport? {
        try Self.fetchReport(session, id: id)
    }

    func updateReport(id: Int64, from expected: ReportState, to state: ReportState, pendingDecision: AssessmentDecision?, decidedBy: String?)
        throws(StoreError) -> StoredReport
    {
        guard let current = try report(id: id) else { throw .reportNotFound(id) }
        try StoreRules.checkState(of: current, expected: expected)
        let pendingText = try StoreRules.decisionJSON(pendingDecision)
        try session.execute(
            """
            UPDATE reports SET state = \(state.rawValue), pending_decision = \(pendingText), decided_by = \(decidedBy), updated_at = \(stamp)
            WHERE id = \(id)
            """)
        return StoreRules.updated(current, to: state, pendingDecision: pendingDecision, decidedBy: decidedBy, at: stamp)
    }

    func markClassifiedAutomatically(id: Int64) throws(StoreError) {
        if try session.execute("UPDATE reports SET classified_automatically = TRUE WHERE id = \(id)") == 0 { throw .reportNotFound(id) }
    }

    func registerSigningKey(_ key: SigningKey) throws(StoreError) -> SigningKey {
        try StoreRules.check(key)
        guard try organisation(id: key.organisationId) != nil else { throw .organisationNotFound(id: key.organisationId) }
        let inserted = try session.execute(
            """
            INSERT INTO signing_keys (key_id, organisation_id, public_key, created_at)
            VALUES (\(key.keyId), \(key.organisationId), \(ByteBuffer(bytes: key.publicKey)), \(stamp))
            ON CONFLICT (key_id) DO NOTHING
            """)
        if inserted == 0 { throw StoreRules.signingKeyExists(key.keyId) }
        return StoreRules.registered(key, at: stamp)
    }

    func signingKey(id: String) throws(StoreError) -> SigningKey? {
        try Self.fetchSigningKey(session, id: id)
    }

    func revokeSigningKey(id: String) throws(StoreError) {
        if try session.execute("UPDATE signing_keys SET revoked_at = \(stamp) WHERE key_id = \(id) AND revoked_at IS NULL") == 0 {
            throw .signingKeyNotFound(id)
        }
    }
}

extension PostgresStore: ReportStore {
    public func report(id: Int64) async throws(StoreError) -> StoredReport? {
        try await read { session throws(StoreError) in try PostgresTransaction.fetchReport(session, id: id) }
    }

    public func reports(_ query: ReportQuery) async throws(StoreError) -> [StoredReport] {
        var sql: PostgresQuery = "SELECT \(unescaped: PostgresTransaction.reportColumns) FROM reports WHERE id > \(query.afterId)"
        if let organisation = query.organisationId {
            sql.binds.append(organisation)
            sql.sql += " AND organisation_id = $\(sql.binds.count)"
        }
        if let states = query.states {
            guard !states.isEmpty else { return [] }
            sql.binds.append(states.map(\.rawValue).sorted())
            sql.sql += " AND state = ANY($\(sql.binds.count))"
        }
        sql.binds.append(StoreRules.pageSize(query.limit))
        sql.sql += " ORDER BY \(query.order == .queue ? "urgent DESC, id" : "id") LIMIT $\(sql.binds.count)"
        let bound = sql
        return try await read { session throws(StoreError) in try session.rows(bound).map(PostgresTransaction.storedReport) }
    }

    public func signingKey(id: String) async throws(StoreError) -> SigningKey? {
        try await read { session throws(StoreError) in try PostgresTransaction.fetchSigningKey(session, id: id) }
    }

    public func signingKeys(organisationId: Int64) async throws(StoreError) -> [SigningKey] {
        try await read { session throws(StoreError) in
            try session.rows(
                """
                SELECT \(unescaped: PostgresTransaction.signingKeyColumns) FROM signing_keys WHERE organisation_id = \(organisationId)
                ORDER BY created_at, key_id
                """
            ).map(PostgresTransaction.signingKey)
        }
    }
}
