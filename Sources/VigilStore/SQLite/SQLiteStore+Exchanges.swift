import Foundation
import GRDB
public import VigilDomain

// Exchanges on SQLite (migration v19): one row per exchange with its settings, sealed credential,
// checkpoint and fetch status; the rules that change them are ``StoreTransaction``'s (Exchanges.swift).

extension SQLiteStore: ExchangeStore {
    static func registerExchangesMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v19-exchanges") { db in
            try db.execute(
                sql: """
                    CREATE TABLE exchanges (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        name TEXT NOT NULL UNIQUE,
                        kind TEXT NOT NULL,
                        list_id INTEGER NOT NULL REFERENCES lists(id),
                        settings TEXT NOT NULL,
                        credential_key_id TEXT,
                        credential_wrapped_key BLOB,
                        credential_ciphertext BLOB,
                        enabled INTEGER NOT NULL,
                        interval_seconds INTEGER NOT NULL,
                        checkpoint_state TEXT,
                        checkpoint_ts INTEGER,
                        fetched_items INTEGER NOT NULL DEFAULT 0,
                        running_since TEXT,
                        lease_owner TEXT,
                        lease_expires_at TEXT,
                        last_fetch_complete_at TEXT,
                        last_fetch_succeeded INTEGER,
                        last_success_at TEXT,
                        up_to_date INTEGER NOT NULL DEFAULT 0,
                        last_error TEXT,
                        failures INTEGER NOT NULL DEFAULT 0,
                        next_fetch_at TEXT,
                        created_at TEXT NOT NULL,
                        updated_at TEXT NOT NULL
                    );
                    CREATE INDEX entries_by_source ON entries(list_id, source_organisation, source_item_id) WHERE deleted_at IS NULL;
                    """)
        }
    }

    static let exchangeColumns = """
        e.id, e.name, e.kind, e.list_id, l.name, e.settings, e.credential_key_id, e.credential_wrapped_key, e.credential_ciphertext, \
        e.enabled, e.interval_seconds, e.checkpoint_state, e.checkpoint_ts, e.fetched_items, e.running_since, e.lease_owner, \
        e.lease_expires_at, e.last_fetch_complete_at, e.last_fetch_succeeded, e.last_success_at, e.up_to_date, e.last_error, \
        e.failures, e.next_fetch_at, e.created_at, e.updated_at
        """

    static func fetchExchanges(_ db: Database, where clause: String, arguments: StatementArguments) throws -> [StoredExchange] {
        try Row.fetchAll(db, sql: "SELECT \(exchangeColumns) FROM exchanges e JOIN lists l ON l.id = e.list_id WHERE \(clause)", arguments: arguments)
            .map { row throws in
                let keyId: String? = row[6]
                let wrapped: Data? = row[7]
                let ciphertext: Data? = row[8]
                var credential: SealedContent?
                if let keyId, let wrapped, let ciphertext {
                    credential = SealedContent(masterKeyId: keyId, wrappedKey: Array(wrapped), ciphertext: Array(ciphertext))
                }
                let state = ExchangeFetchState(
                    checkpointState: row[11], checkpointTimestamp: row[12], fetchedItems: row[13], runningSince: row[14], leaseOwner: row[15],
                    leaseExpiresAt: row[16], lastFetchCompleteAt: row[17], lastFetchSucceeded: row[18], lastSuccessAt: row[19], upToDate: row[20],
                    lastError: row[21], failures: row[22], nextFetchAt: row[23])
                return StoredExchange(
                    id: row[0], name: row[1], kind: row[2], listId: row[3], listName: row[4], settings: try StoreRules.settings(fromJSON: row[5]),
                    credential: credential, enabled: row[9], intervalSeconds: row[10], state: state, createdAt: row[24], updatedAt: row[25])
            }
    }

    public func exchanges() async throws(StoreError) -> [StoredExchange] {
        try await read { db in try Self.fetchExchanges(db, where: "1 ORDER BY e.name", arguments: []) }
    }

    public func exchange(named name: String) async throws(StoreError) -> StoredExchange {
        let found = try await read { db in try Self.fetchExchanges(db, where: "e.name = ?", arguments: [name]).first }
        guard let found else { throw .exchangeNotFound(name) }
        return found
    }

    /// Migration v21 (its identifier assigned as `v21-entry-verdicts`): the credentials set per
    /// exchange kind (HMA's `POST /c/exchanges/api/{api}`), sealed as an exchange's own.
    static func registerExchangeKindCredentialsMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v21-entry-verdicts") { db in
            try db.execute(
                sql: """
                    CREATE TABLE exchange_kind_credentials (
                        kind TEXT PRIMARY KEY,
                        credential_key_id TEXT NOT NULL,
                        credential_wrapped_key BLOB NOT NULL,
                        credential_ciphertext BLOB NOT NULL,
                        updated_at TEXT NOT NULL
                    )
                    """)
        }
    }

    static func fetchKindCredentials(_ db: Database, where clause: String, arguments: StatementArguments) throws -> [String: SealedContent] {
        var found: [String: SealedContent] = [:]
        for row in try Row.fetchAll(
            db, sql: "SELECT kind, credential_key_id, credential_wrapped_key, credential_ciphertext FROM exchange_kind_credentials WHERE \(clause)",
            arguments: arguments)
        {
            let kind: String = row[0]
            let keyId: String = row[1]
            let wrapped: Data = row[2]
            let ciphertext: Data = row[3]
            found[kind] = SealedContent(masterKeyId: keyId, wrappedKey: Array(wrapped), ciphertext: Array(ciphertext))
        }
        return found
    }

    public func exchangeKindCredentials() async throws(StoreError) -> [String: SealedContent] {
        try await read { db in try Self.fetchKindCredentials(db, where: "1", arguments: []) }
    }
}

extension SQLiteTransaction {
    func createExchange(_ new: NewExchange) throws(StoreError) -> StoredExchange {
        try StoreRules.check(new)
        let list = try list(named: new.list)
        let settings = try StoreRules.settingsJSON(new.settings)
        let taken = try database { try Int.fetchOne(db, sql: "SELECT count(*) FROM exchanges WHERE name = ?", arguments: [new.name]) ?? 0 }
        guard taken == 0 else { throw .exchangeExists(new.name) }
        try database {
            try db.execute(
                sql: """
                    INSERT INTO exchanges (name, kind, list_id, settings, credential_key_id, credential_wrapped_key, credential_ciphertext,
                        enabled, interval_seconds, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    new.name, new.kind, list.id, settings, new.credential?.masterKeyId, new.credential.map { Data($0.wrappedKey) },
                    new.credential.map { Data($0.ciphertext) }, new.enabled, new.intervalSeconds, stamp, stamp,
                ])
        }
        return try exchange(named: new.name)
    }

    func exchange(named name: String) throws(StoreError) -> StoredExchange {
        let found = try database { try SQLiteStore.fetchExchanges(db, where: "e.name = ?", arguments: [name]).first }
        guard let found else { throw .exchangeNotFound(name) }
        return found
    }

    func saveExchange(_ exchange: StoredExchange) throws(StoreError) {
        let settings = try StoreRules.settingsJSON(exchange.settings)
        let s = exchange.state
        let changed = try database {
            try db.execute(
                sql: """
                    UPDATE exchanges SET settings = ?, credential_key_id = ?, credential_wrapped_key = ?, credential_ciphertext = ?, enabled = ?,
                        interval_seconds = ?, checkpoint_state = ?, checkpoint_ts = ?, fetched_items = ?, running_since = ?, lease_owner = ?,
                        lease_expires_at = ?, last_fetch_complete_at = ?, last_fetch_succeeded = ?, last_success_at = ?, up_to_date = ?,
                        last_error = ?, failures = ?, next_fetch_at = ?, updated_at = ?
                    WHERE id = ?
                    """,
                arguments: [
                    settings, exchange.credential?.masterKeyId, exchange.credential.map { Data($0.wrappedKey) },
                    exchange.credential.map { Data($0.ciphertext) }, exchange.enabled, exchange.intervalSeconds, s.checkpointState,
                    s.checkpointTimestamp, s.fetchedItems, s.runningSince, s.leaseOwner, s.leaseExpiresAt, s.lastFetchCompleteAt,
                    s.lastFetchSucceeded, s.lastSuccessAt, s.upToDate, s.lastError, s.failures, s.nextFetchAt, exchange.updatedAt, exchange.id,
                ])
            return db.changesCount
        }
        guard changed == 1 else { throw .exchangeNotFound(exchange.name) }
    }

    func deleteExchange(named name: String) throws(StoreError) {
        let changed = try database {
            try db.execute(sql: "DELETE FROM exchanges WHERE name = ?", arguments: [name])
            return db.changesCount
        }
        guard changed == 1 else { throw .exchangeNotFound(name) }
    }

    func exchangeKindCredential(_ kind: String) throws(StoreError) -> SealedContent? {
        try database { try SQLiteStore.fetchKindCredentials(db, where: "kind = ?", arguments: [kind])[kind] }
    }

    func setExchangeKindCredential(_ credential: SealedContent?, for kind: String) throws(StoreError) {
        try database {
            if let credential {
                try db.execute(
                    sql: """
                        INSERT INTO exchange_kind_credentials (kind, credential_key_id, credential_wrapped_key, credential_ciphertext, updated_at)
                        VALUES (?, ?, ?, ?, ?)
                        ON CONFLICT (kind) DO UPDATE SET credential_key_id = excluded.credential_key_id,
                            credential_wrapped_key = excluded.credential_wrapped_key, credential_ciphertext = excluded.credential_ciphertext,
                            updated_at = excluded.updated_at
                        """,
                    arguments: [kind, credential.masterKeyId, Data(credential.wrappedKey), Data(credential.ciphertext), stamp])
            } else {
                try db.execute(sql: "DELETE FROM exchange_kind_credentials WHERE kind = ?", arguments: [kind])
            }
        }
    }
}
