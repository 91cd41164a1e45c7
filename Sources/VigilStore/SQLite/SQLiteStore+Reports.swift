import Foundation
import GRDB
public import VigilDomain

// The Centre's reports and the providers' signing keys on SQLite.

extension SQLiteStore {
    static func registerReportsMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v7-reports") { db in
            try db.execute(
                sql: """
                    CREATE TABLE signing_keys (
                        key_id TEXT PRIMARY KEY,
                        organisation_id INTEGER NOT NULL REFERENCES organisations(id),
                        public_key BLOB NOT NULL,
                        created_at TEXT NOT NULL,
                        revoked_at TEXT
                    );
                    CREATE INDEX signing_keys_by_organisation ON signing_keys(organisation_id);
                    CREATE TABLE reports (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        organisation_id INTEGER NOT NULL REFERENCES organisations(id),
                        provider_reference TEXT NOT NULL,
                        type TEXT NOT NULL,
                        urgent INTEGER NOT NULL,
                        state TEXT NOT NULL,
                        classified_automatically INTEGER NOT NULL,
                        report_json BLOB NOT NULL,
                        signing_key_id TEXT NOT NULL REFERENCES signing_keys(key_id),
                        signature TEXT NOT NULL,
                        centre_matches TEXT NOT NULL,
                        pending_decision TEXT,
                        decided_by TEXT,
                        received_at TEXT NOT NULL,
                        updated_at TEXT NOT NULL,
                        UNIQUE (organisation_id, provider_reference)
                    );
                    CREATE INDEX reports_by_state ON reports(state, urgent DESC, id);
                    """)
        }
    }

    /// Reports may arrive by a channel without signatures (NCMEC's CyberTipline protocol): the
    /// signature columns become optional, and a `channel` column says which; a check keeps a
    /// signed report from losing its signature.
    static func registerReportChannelsMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v10-report-channels") { db in
            try db.execute(
                sql: """
                    CREATE TABLE reports_new (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        organisation_id INTEGER NOT NULL REFERENCES organisations(id),
                        provider_reference TEXT NOT NULL,
                        type TEXT NOT NULL,
                        urgent INTEGER NOT NULL,
                        state TEXT NOT NULL,
                        classified_automatically INTEGER NOT NULL,
                        report_json BLOB NOT NULL,
                        signing_key_id TEXT REFERENCES signing_keys(key_id),
                        signature TEXT,
                        centre_matches TEXT NOT NULL,
                        pending_decision TEXT,
                        decided_by TEXT,
                        received_at TEXT NOT NULL,
                        updated_at TEXT NOT NULL,
                        channel TEXT NOT NULL DEFAULT 'signed',
                        UNIQUE (organisation_id, provider_reference),
                        CHECK ((channel = 'signed') = (signing_key_id IS NOT NULL AND signature IS NOT NULL))
                    );
                    INSERT INTO reports_new (id, organisation_id, provider_reference, type, urgent, state, classified_automatically,
                        report_json, signing_key_id, signature, centre_matches, pending_decision, decided_by, received_at, updated_at, channel)
                    SELECT id, organisation_id, provider_reference, type, urgent, state, classified_automatically,
                        report_json, signing_key_id, signature, centre_matches, pending_decision, decided_by, received_at, updated_at, 'signed'
                    FROM reports;
                    DROP TABLE reports;
                    ALTER TABLE reports_new RENAME TO reports;
                    CREATE INDEX reports_by_state ON reports(state, urgent DESC, id);
                    """)
        }
    }

    /// The report columns ``storedReport(_:)`` reads, in this order.
    static let reportColumns = """
        id, organisation_id, report_json, signing_key_id, signature, state, classified_automatically, pending_decision, decided_by, \
        received_at, updated_at, centre_matches, channel
        """

    /// A report from a row of ``reportColumns``.
    static func storedReport(_ row: Row) throws -> StoredReport {
        let json: Data = row[2]
        return try StoreRules.storedReport(
            id: row[0], organisationId: row[1], json: Array(json), keyId: row[3], signature: row[4], state: row[5],
            classifiedAutomatically: row[6], pendingDecision: row[7], decidedBy: row[8], receivedAt: row[9], updatedAt: row[10],
            matches: row[11], channel: row[12])
    }

    static func signingKey(_ row: Row) -> SigningKey {
        let publicKey: Data = row[2]
        return SigningKey(keyId: row[0], organisationId: row[1], publicKey: Array(publicKey), createdAt: row[3], revokedAt: row[4])
    }

    static let signingKeyColumns = "key_id, organisation_id, public_key, created_at, revoked_at"
}

extension SQLiteTransaction {
    /// Runs a GRDB call, turning its errors into ``StoreError``.
    func database<T>(_ body: () throws -> T) throws(StoreError) -> T {
        do { return try body() } catch { throw StoreError.from(error) }
    }

    func fileReport(_ new: NewReport) throws(StoreError) -> StoredReport {
        let type = try StoreRules.reportType(new)
        // Intake's statements are prepared once per connection (cached): preparing them per report
        // (SQLite's parser and GRDB's authorizer) cost more than running them.
        let existing = try database {
            try Int64.fetchOne(
                db.cachedStatement(sql: "SELECT id FROM reports WHERE organisation_id = ? AND provider_reference = ?"),
                arguments: [new.organisationId, new.report.providerReference])
        }
        if let existing { throw .reportExists(reference: new.report.providerReference, existing: existing) }
        let json = Data(StoreRules.reportJSON(new))
        let matches = try StoreRules.matchesJSON(new.centreMatches)
        let id = try database {
            try db.cachedStatement(
                sql: """
                    INSERT INTO reports (organisation_id, provider_reference, type, urgent, state, classified_automatically, report_json,
                        signing_key_id, signature, centre_matches, received_at, updated_at, channel)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """
            ).execute(
                arguments: [
                    new.organisationId, new.report.providerReference, type.rawValue, new.report.urgent, new.state.rawValue,
                    new.classifiedAutomatically, json, new.signature?.keyId, new.signature?.value, matches, stamp, stamp, new.channel.rawValue,
                ])
            return db.lastInsertedRowID
        }
        for file in new.files { try insertReportFile(file, reportId: id) }
        return StoreRules.filed(new, id: id, at: stamp)
    }

    func report(id: Int64) throws(StoreError) -> StoredReport? {
        try database {
            try Row.fetchOne(db, sql: "SELECT \(SQLiteStore.reportColumns) FROM reports WHERE id = ?", arguments: [id]).map(SQLiteStore.storedReport)
        }
    }

    func updateReport(id: Int64, from expected: ReportState, to state: ReportState, pendingDecision: AssessmentDecision?, decidedBy: String?)
        throws(StoreError) -> StoredReport
    {
        guard let current = try report(id: id) else { throw .reportNotFound(id) }
        try StoreRules.checkState(of: current, expected: expected)
        let pendingText = try StoreRules.decisionJSON(pendingDecision)
        try database {
            try db.execute(
                sql: "UPDATE reports SET state = ?, pending_decision = ?, decided_by = ?, updated_at = ? WHERE id = ?",
                arguments: [state.rawValue, pendingText, decidedBy, stamp, id])
        }
        return StoreRules.updated(current, to: state, pendingDecision: pendingDecision, decidedBy: decidedBy, at: stamp)
    }

    func markClassifiedAutomatically(id: Int64) throws(StoreError) {
        try database { try db.execute(sql: "UPDATE reports SET classified_automatically = 1 WHERE id = ?", arguments: [id]) }
        if db.changesCount == 0 { throw .reportNotFound(id) }
    }

    func registerSigningKey(_ key: SigningKey) throws(StoreError) -> SigningKey {
        try StoreRules.check(key)
        guard try organisation(id: key.organisationId) != nil else { throw .organisationNotFound(id: key.organisationId) }
        if try signingKey(id: key.keyId) != nil { throw StoreRules.signingKeyExists(key.keyId) }
        try database {
            try db.execute(
                sql: "INSERT INTO signing_keys (key_id, organisation_id, public_key, created_at) VALUES (?, ?, ?, ?)",
                arguments: [key.keyId, key.organisationId, Data(key.publicKey), stamp])
        }
        return StoreRules.registered(key, at: stamp)
    }

    func signingKey(id: String) throws(StoreError) -> SigningKey? {
        try database {
            try Row.fetchOne(db, sql: "SELECT \(SQLiteStore.signingKeyColumns) FROM signing_keys WHERE key_id = ?", arguments: [id])
                .map(SQLiteStore.signingKey)
        }
    }

    func revokeSigningKey(id: String) throws(StoreError) {
        try database {
            try db.execute(sql: "UPDATE signing_keys SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL", arguments: [stamp, id])
        }
        if db.changesCount == 0 { throw .signingKeyNotFound(id) }
    }
}

extension SQLiteStore: ReportStore {
    public func report(id: Int64) async throws(StoreError) -> StoredReport? {
        try await read { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.reportColumns) FROM reports WHERE id = ?", arguments: [id]).map(Self.storedReport)
        }
    }

    public func reports(_ query: ReportQuery) async throws(StoreError) -> [StoredReport] {
        var conditions = ["id > ?"]
        var arguments: StatementArguments = [query.afterId]
        if let organisation = query.organisationId {
            conditions.append("organisation_id = ?")
            _ = arguments.append(contentsOf: [organisation])
        }
        if let states = query.states {
            guard !states.isEmpty else { return [] }
            conditions.append("state IN (\(Array(repeating: "?", count: states.count).joined(separator: ",")))")
            _ = arguments.append(contentsOf: StatementArguments(states.map(\.rawValue).sorted()))
        }
        let order = query.order == .queue ? "urgent DESC, id" : "id"
        _ = arguments.append(contentsOf: [StoreRules.pageSize(query.limit)])
        let sql = "SELECT \(Self.reportColumns) FROM reports WHERE \(conditions.joined(separator: " AND ")) ORDER BY \(order) LIMIT ?"
        let bound = arguments
        return try await read { db in try Row.fetchAll(db, sql: sql, arguments: bound).map(Self.storedReport) }
    }

    public func signingKey(id: String) async throws(StoreError) -> SigningKey? {
        // Intake looks a key up for every report: one cached statement on a point reader (a pool
        // read hopped to a reader's queue and ran BEGIN/COMMIT around it).
        try onPointReader { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT \(Self.signingKeyColumns) FROM signing_keys WHERE key_id = ?"), arguments: [id])
                .map(Self.signingKey)
        }
    }

    public func signingKeys(organisationId: Int64) async throws(StoreError) -> [SigningKey] {
        try await read { db in
            try Row.fetchAll(
                db, sql: "SELECT \(Self.signingKeyColumns) FROM signing_keys WHERE organisation_id = ? ORDER BY created_at, key_id",
                arguments: [organisationId]
            ).map(Self.signingKey)
        }
    }
}

// MARK: Referrals

extension SQLiteStore {
    static func registerReferralsMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v8-referrals") { db in
            try db.execute(
                sql: """
                    CREATE TABLE referrals (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        report_id INTEGER NOT NULL REFERENCES reports(id),
                        recipient TEXT NOT NULL,
                        created_at TEXT NOT NULL,
                        outcome_due_at TEXT NOT NULL,
                        acknowledged_at TEXT,
                        outcome TEXT,
                        outcome_detail TEXT,
                        outcome_at TEXT,
                        hold_do_not_inform INTEGER,
                        hold_do_not_remove INTEGER,
                        hold_until TEXT,
                        hold_set_at TEXT,
                        UNIQUE (report_id, recipient)
                    );
                    CREATE INDEX referrals_by_recipient ON referrals(recipient, id);
                    """)
        }
    }

    static let referralColumns = """
        id, report_id, recipient, created_at, outcome_due_at, acknowledged_at, outcome, outcome_detail, outcome_at, hold_do_not_inform, \
        hold_do_not_remove, hold_until, hold_set_at
        """

    static func storedReferral(_ row: Row) throws -> StoredReferral {
        try StoreRules.storedReferral(
            id: row[0], reportId: row[1], recipient: row[2], createdAt: row[3], outcomeDueAt: row[4], acknowledgedAt: row[5], outcome: row[6],
            outcomeDetail: row[7], outcomeAt: row[8], holdDoNotInform: row[9], holdDoNotRemove: row[10], holdUntil: row[11], holdSetAt: row[12])
    }
}

extension SQLiteTransaction {
    private func run<T>(_ body: () throws -> T) throws(StoreError) -> T {
        do { return try body() } catch { throw StoreError.from(error) }
    }

    func createReferrals(reportId: Int64, recipients: [ReferralRecipient], outcomeDueAfter: Double) throws(StoreError) -> [StoredReferral] {
        let due = StoreRules.outcomeDue(at: now, after: outcomeDueAfter)
        var created: [StoredReferral] = []
        for recipient in recipients {
            let id = try run {
                try db.execute(
                    sql: "INSERT INTO referrals (report_id, recipient, created_at, outcome_due_at) VALUES (?, ?, ?, ?)",
                    arguments: [reportId, recipient.description, stamp, due])
                return db.lastInsertedRowID
            }
            created.append(StoredReferral(id: id, reportId: reportId, recipient: recipient, createdAt: stamp, outcomeDueAt: due))
        }
        return created
    }

    func referral(id: Int64) throws(StoreError) -> StoredReferral? {
        try run {
            try Row.fetchOne(db, sql: "SELECT \(SQLiteStore.referralColumns) FROM referrals WHERE id = ?", arguments: [id])
                .map(SQLiteStore.storedReferral)
        }
    }

    private func changeReferral(_ id: Int64, sql: String, _ arguments: StatementArguments) throws(StoreError) -> StoredReferral {
        try run { try db.execute(sql: sql, arguments: arguments) }
        guard let referral = try referral(id: id) else { throw .referralNotFound(id) }
        return referral
    }

    func acknowledgeReferral(id: Int64) throws(StoreError) -> StoredReferral {
        try changeReferral(id, sql: "UPDATE referrals SET acknowledged_at = COALESCE(acknowledged_at, ?) WHERE id = ?", [stamp, id])
    }

    func setReferralOutcome(id: Int64, _ outcome: ReferralOutcome, detail: String?) throws(StoreError) -> StoredReferral {
        try changeReferral(
            id,
            sql: "UPDATE referrals SET outcome = ?, outcome_detail = ?, outcome_at = ?, acknowledged_at = COALESCE(acknowledged_at, ?) WHERE id = ?",
            [outcome.rawValue, detail, stamp, stamp, id])
    }

    func setReferralHold(id: Int64, _ hold: Hold?) throws(StoreError) -> StoredReferral {
        try changeReferral(
            id, sql: "UPDATE referrals SET hold_do_not_inform = ?, hold_do_not_remove = ?, hold_until = ?, hold_set_at = ? WHERE id = ?",
            [hold?.doNotInform, hold?.doNotRemove, hold?.until, hold == nil ? nil : stamp, id])
    }
}

extension SQLiteStore: ReferralStore {
    public func referral(id: Int64) async throws(StoreError) -> StoredReferral? {
        try await read { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.referralColumns) FROM referrals WHERE id = ?", arguments: [id]).map(Self.storedReferral)
        }
    }

    public func referrals(reportId: Int64) async throws(StoreError) -> [StoredReferral] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.referralColumns) FROM referrals WHERE report_id = ? ORDER BY id", arguments: [reportId])
                .map(Self.storedReferral)
        }
    }

    public func referrals(_ query: ReferralQuery) async throws(StoreError) -> [StoredReferral] {
        var conditions = ["r.id > ?"]
        var arguments: StatementArguments = [query.afterId]
        if let recipients = query.recipients {
            guard !recipients.isEmpty else { return [] }
            conditions.append("r.recipient IN (\(Array(repeating: "?", count: recipients.count).joined(separator: ",")))")
            _ = arguments.append(contentsOf: StatementArguments(recipients.map(\.description).sorted()))
        }
        if query.unacknowledgedOnly { conditions.append("r.acknowledged_at IS NULL") }
        _ = arguments.append(contentsOf: [StoreRules.pageSize(query.limit)])
        let columns = Self.referralColumns.split(separator: ",").map { "r." + $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .joined(separator: ", ")
        let sql = """
            SELECT \(columns) FROM referrals r JOIN reports p ON p.id = r.report_id
            WHERE \(conditions.joined(separator: " AND ")) ORDER BY \(query.unacknowledgedOnly ? "p.urgent DESC, r.id" : "r.id") LIMIT ?
            """
        let bound = arguments
        return try await read { db in try Row.fetchAll(db, sql: sql, arguments: bound).map(Self.storedReferral) }
    }
}
