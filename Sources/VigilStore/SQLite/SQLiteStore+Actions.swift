public import Foundation
import GRDB
public import VigilDomain

extension SQLiteStore: ActionPolicyStore, OutboxStore {
    static func registerOutboxMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v2-actions-outbox") { db in
            try db.execute(
                sql: """
                    CREATE TABLE list_actions (
                        list_id INTEGER PRIMARY KEY REFERENCES lists(id),
                        action TEXT NOT NULL,
                        webhook_url TEXT,
                        secret TEXT,
                        updated_at TEXT NOT NULL
                    );
                    CREATE TABLE outbox (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        url TEXT NOT NULL,
                        secret TEXT NOT NULL,
                        body BLOB NOT NULL,
                        created_at TEXT NOT NULL,
                        attempts INTEGER NOT NULL DEFAULT 0,
                        next_attempt_at TEXT NOT NULL,
                        delivered_at TEXT,
                        failed_at TEXT,
                        last_error TEXT
                    );
                    CREATE INDEX outbox_due ON outbox(next_attempt_at) WHERE delivered_at IS NULL AND failed_at IS NULL;
                    """)
        }
    }

    /// Organisations' webhooks (the Centre's notices to police and Europol) and the outbox rows
    /// that go to them.
    static func registerOrganisationWebhooksMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v16-organisation-webhooks") { db in
            try db.execute(
                sql: """
                    ALTER TABLE outbox ADD COLUMN organisation_id INTEGER REFERENCES organisations(id);
                    CREATE TABLE organisation_webhooks (
                        organisation_id INTEGER PRIMARY KEY REFERENCES organisations(id),
                        url TEXT NOT NULL,
                        secret TEXT NOT NULL,
                        updated_at TEXT NOT NULL
                    );
                    """)
        }
    }

    public func policies() async throws(StoreError) -> [Int64: ActionPolicy] {
        let records = try await read { db in try PolicyRecord.fetchAll(db) }
        var policies: [Int64: ActionPolicy] = [:]
        for record in records { policies[record.listId] = try record.policy() }
        return policies
    }

    public func dueDeliveries(now: Date, limit: Int) async throws(StoreError) -> [OutboxDelivery] {
        let cutoff = now.rfc3339
        let orphaned = """
            delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= ?
                AND NOT EXISTS (SELECT 1 FROM list_actions a WHERE a.list_id = outbox.list_id AND a.secret IS NOT NULL)
                AND NOT EXISTS (SELECT 1 FROM organisation_webhooks w WHERE w.organisation_id = outbox.organisation_id)
            """
        // The secret is read from the policy now: messages whose policy is gone cannot be signed,
        // and fail. Checked with a read first, so that an idle worker's polls take no write lock.
        let anyOrphaned = try await read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM outbox WHERE \(orphaned))", arguments: [cutoff]) ?? false
        }
        if anyOrphaned {
            try await writeDatabase { db in
                try db.execute(
                    sql: "UPDATE outbox SET failed_at = ?, last_error = ? WHERE \(orphaned)", arguments: [cutoff, StoreRules.policyGone, cutoff])
            }
        }
        return try await read { db in
            try DeliveryRecord.fetchAll(
                db,
                sql: DeliveryRecord.query + """
                     WHERE o.delivered_at IS NULL AND o.failed_at IS NULL AND o.next_attempt_at <= ? AND COALESCE(a.secret, w.secret) IS NOT NULL
                    ORDER BY o.id LIMIT ?
                    """,
                arguments: [cutoff, max(0, limit)]
            ).map(\.delivery)
        }
    }

    public func claimDue(ids: [Int64], now: Date, leaseUntil: Date) async throws(StoreError) -> Set<Int64> {
        let cutoff = now.rfc3339
        let lease = leaseUntil.rfc3339
        // The single writer: a message still due when the claim runs is this worker's.
        return try await writeDatabase { db in
            var claimed: Set<Int64> = []
            for id in ids {
                try db.execute(
                    sql: """
                        UPDATE outbox SET next_attempt_at = ? WHERE id = ? AND delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= ?
                        """, arguments: [lease, id, cutoff])
                if db.changesCount == 1 { claimed.insert(id) }
            }
            return claimed
        }
    }

    public func markDelivered(_ id: Int64, at: Date) async throws(StoreError) {
        let when = at.rfc3339
        try await writeDatabase { db in
            try db.execute(sql: "UPDATE outbox SET delivered_at = ?, attempts = attempts + 1 WHERE id = ?", arguments: [when, id])
        }
    }

    public func markFailed(_ id: Int64, error: String, retryAt: Date?) async throws(StoreError) {
        let now = clock.now().rfc3339
        let next = retryAt?.rfc3339
        try await writeDatabase { db in
            if let next {
                try db.execute(
                    sql: "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?",
                    arguments: [error, next, id])
            } else {
                try db.execute(
                    sql: "UPDATE outbox SET attempts = attempts + 1, last_error = ?, failed_at = ? WHERE id = ?",
                    arguments: [error, now, id])
            }
        }
    }

    public func delivery(_ id: Int64) async throws(StoreError) -> OutboxDelivery? {
        try await read { db in try DeliveryRecord.fetchOne(db, sql: DeliveryRecord.query + " WHERE o.id = ?", arguments: [id]) }?.delivery
    }
}

extension SQLiteStore: AuditStore {
    public func auditEvents(after sequence: Int64, limit: Int) async throws(StoreError) -> [StoredAuditEvent] {
        try await read { db in
            try AuditRecord.filter(AuditRecord.CodingKeys.sequence > sequence).order(AuditRecord.CodingKeys.sequence)
                .limit(max(0, min(limit, 10_000))).fetchAll(db)
        }.map(\.stored)
    }

    public func verifyAuditChain() async throws(StoreError) -> AuditChainReport {
        try await read { db in
            // One read transaction: the whole chain is checked as of one snapshot.
            try AuditChain.verify(
                page: { (after: Int64) throws(StoreError) -> [StoredAuditEvent] in
                    do {
                        return try AuditRecord.filter(AuditRecord.CodingKeys.sequence > after).order(AuditRecord.CodingKeys.sequence)
                            .limit(1000).fetchAll(db).map(\.stored)
                    } catch { throw StoreError.from(error) }
                },
                around: { (range: ClosedRange<Int64>) throws(StoreError) -> [StoredAuditEvent] in
                    do {
                        return try AuditRecord.filter(range.contains(AuditRecord.CodingKeys.sequence)).fetchAll(db).map(\.stored)
                    } catch { throw StoreError.from(error) }
                },
                hashExists: { (hash: [UInt8]) throws(StoreError) -> Bool in
                    do {
                        return try AuditRecord.filter(AuditRecord.CodingKeys.hash == Data(hash)).fetchCount(db) > 0
                    } catch { throw StoreError.from(error) }
                })
        }
    }
}

extension SQLiteStore: SignalTypeSettingsStore {
    static func registerSignalTypeSettingsMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v3-signal-type-settings") { db in
            try db.execute(
                sql: """
                    CREATE TABLE signal_type_settings (
                        name TEXT PRIMARY KEY,
                        enabled_ratio REAL NOT NULL,
                        updated_at TEXT NOT NULL
                    );
                    """)
        }
    }

    public func signalTypeRatios() async throws(StoreError) -> [String: Double] {
        let records = try await read { db in try SignalTypeSettingRecord.fetchAll(db) }
        return Dictionary(records.map { ($0.name, $0.enabledRatio) }, uniquingKeysWith: { _, last in last })
    }
}

extension SQLiteTransaction {
    func setOrganisationWebhook(organisationId: Int64, _ webhook: OrganisationWebhook?) throws(StoreError) {
        guard try organisation(id: organisationId) != nil else { throw .organisationNotFound(id: organisationId) }
        try database {
            if let webhook {
                try db.execute(
                    sql: "INSERT OR REPLACE INTO organisation_webhooks (organisation_id, url, secret, updated_at) VALUES (?, ?, ?, ?)",
                    arguments: [organisationId, webhook.url, webhook.secret, stamp])
            } else {
                try db.execute(sql: "DELETE FROM organisation_webhooks WHERE organisation_id = ?", arguments: [organisationId])
            }
        }
    }

    func webhooks(for recipient: ReferralRecipient) throws(StoreError) -> [OrganisationWebhook] {
        let condition: String
        var arguments: StatementArguments = []
        switch recipient {
        case .police(let state):
            condition = "o.kind = 'police' AND o.member_state = ?"
            arguments = [state.rawValue]
        case .europol:
            condition = "o.kind = 'europol'"
        }
        return try database {
            try Row.fetchAll(
                db,
                sql:
                    "SELECT w.organisation_id, w.url, w.secret FROM organisation_webhooks w JOIN organisations o ON o.id = w.organisation_id WHERE \(condition) ORDER BY w.organisation_id",
                arguments: arguments
            ).map { OrganisationWebhook(organisationId: $0[0], url: $0[1], secret: $0[2]) }
        }
    }
}
