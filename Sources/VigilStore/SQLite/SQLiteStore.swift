import Crypto
import Foundation
public import GRDB
import Synchronization
public import VigilDomain

/// The embedded default store: SQLite through GRDB, WAL mode, `synchronous = FULL` so that every
/// acknowledged write survives a power cut.
///
/// Every change goes through the unit of work (``write(_:)``, one write transaction on GRDB's
/// single writer); the protocols' async methods are thin wrappers over it. The hot reads (entries
/// by id, the change feed) read directly.
public final class SQLiteStore: TransactionalStore {
    /// The database, for the other parts of the store (and tests).
    public let pool: DatabasePool
    /// Where every stored time comes from.
    let clock: any WallClock
    /// Read-only connections for the point reads of match answers (see ``entries(ids:)``).
    private let pointReaders: [DatabaseQueue]
    private let nextPointReader = Atomic<Int>(0)
    /// The items' PDQ hashes in memory, for linking (filled by the first write that links a report).
    let itemPDQ = ItemPDQIndex()
    /// The number of the last write transaction begun.
    private let transactions = Atomic<UInt64>(0)

    /// Opens (creating if needed) the database at `path` and migrates it to the current schema.
    /// Stored times (`created_at`, tombstones, outbox attempts…) are read from `clock`.
    public init(path: String, clock: any WallClock = SystemClock()) throws(StoreError) {
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA foreign_keys = ON")
            // Deleted rows (a report's sealed files at the end of retention) are overwritten, not left in free pages.
            try db.execute(sql: "PRAGMA secure_delete = ON")
        }
        configuration.busyMode = .timeout(10)
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            try Self.migrator.migrate(pool)
            var readOnly = Configuration()
            readOnly.readonly = true
            readOnly.busyMode = .timeout(10)
            readOnly.label = "vigil.point-reader"
            let count = max(2, min(8, ProcessInfo.processInfo.activeProcessorCount))
            pointReaders = try (0..<count).map { _ in try DatabaseQueue(path: path, configuration: readOnly) }
        } catch {
            throw StoreError.from(error)
        }
        self.clock = clock
    }

    /// The schema's migrations, in order. A migration, once released, never changes: a new one is added.
    static let migrator: DatabaseMigrator = {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-lists-entries-keys") { db in
            try db.execute(
                sql: """
                    CREATE TABLE lists (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        name TEXT NOT NULL UNIQUE,
                        kind TEXT NOT NULL,
                        match_radius INTEGER NOT NULL,
                        enabled_ratio REAL NOT NULL,
                        enabled INTEGER NOT NULL,
                        live_entries INTEGER NOT NULL DEFAULT 0,
                        created_at TEXT NOT NULL,
                        updated_at TEXT NOT NULL
                    );
                    CREATE TABLE entries (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        list_id INTEGER NOT NULL REFERENCES lists(id),
                        signal_type TEXT NOT NULL,
                        value TEXT NOT NULL,
                        source_organisation TEXT,
                        source_item_id TEXT,
                        submitted_by TEXT,
                        confirmed_by TEXT,
                        decision_reference TEXT,
                        confirmed_at TEXT,
                        note TEXT,
                        disabled_until TEXT,
                        created_at TEXT NOT NULL,
                        deleted_at TEXT
                    );
                    CREATE INDEX entries_by_value ON entries(signal_type, value);
                    CREATE INDEX entries_by_list ON entries(list_id, id);
                    CREATE TABLE changes (
                        sequence INTEGER PRIMARY KEY AUTOINCREMENT,
                        kind TEXT NOT NULL,
                        entry_id INTEGER NOT NULL,
                        list_id INTEGER NOT NULL,
                        signal_type TEXT NOT NULL,
                        value TEXT NOT NULL,
                        at TEXT NOT NULL
                    );
                    CREATE TABLE api_keys (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        prefix TEXT NOT NULL,
                        secret_sha256 BLOB NOT NULL UNIQUE,
                        organisation TEXT NOT NULL,
                        scopes TEXT NOT NULL,
                        label TEXT NOT NULL,
                        created_at TEXT NOT NULL,
                        revoked_at TEXT
                    );
                    """)
        }
        registerOutboxMigration(&migrator)
        registerSignalTypeSettingsMigration(&migrator)
        migrator.registerMigration("v4-organisations") { db in
            // Each distinct organisation name of the keys becomes a provider organisation; the keys
            // table is rebuilt to refer to it (SQLite cannot add a NOT NULL reference in place).
            try db.execute(
                sql: """
                    CREATE TABLE organisations (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        name TEXT NOT NULL UNIQUE,
                        kind TEXT NOT NULL,
                        member_state TEXT,
                        created_at TEXT NOT NULL
                    );
                    INSERT INTO organisations (name, kind, member_state, created_at)
                        SELECT organisation, 'provider', NULL, MIN(created_at) FROM api_keys GROUP BY organisation ORDER BY MIN(id);
                    CREATE TABLE api_keys_new (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        prefix TEXT NOT NULL,
                        secret_sha256 BLOB NOT NULL UNIQUE,
                        organisation_id INTEGER NOT NULL REFERENCES organisations(id),
                        scopes TEXT NOT NULL,
                        label TEXT NOT NULL,
                        created_at TEXT NOT NULL,
                        revoked_at TEXT
                    );
                    INSERT INTO api_keys_new (id, prefix, secret_sha256, organisation_id, scopes, label, created_at, revoked_at)
                        SELECT k.id, k.prefix, k.secret_sha256, o.id, k.scopes, k.label, k.created_at, k.revoked_at
                        FROM api_keys k JOIN organisations o ON o.name = k.organisation;
                    DROP TABLE api_keys;
                    ALTER TABLE api_keys_new RENAME TO api_keys;
                    CREATE INDEX api_keys_by_organisation ON api_keys(organisation_id);
                    """)
        }
        migrator.registerMigration("v5-audit-events") { db in
            try db.execute(
                sql: """
                    CREATE TABLE audit_events (
                        sequence INTEGER PRIMARY KEY,
                        actor TEXT NOT NULL,
                        organisation TEXT,
                        action TEXT NOT NULL,
                        object TEXT NOT NULL,
                        at TEXT NOT NULL,
                        detail TEXT,
                        prev_hash BLOB NOT NULL,
                        hash BLOB NOT NULL
                    );
                    """)
        }
        migrator.registerMigration("v6-outbox-policy-reference") { db in
            // Outbox rows refer to their list's policy instead of holding a copy of its secret.
            // Pending rows find their policy by address and secret; a row whose policy is gone
            // keeps no reference and fails permanently when it comes due.
            try db.execute(
                sql: """
                    ALTER TABLE outbox ADD COLUMN list_id INTEGER REFERENCES lists(id);
                    UPDATE outbox SET list_id = (
                        SELECT MIN(a.list_id) FROM list_actions a WHERE a.webhook_url = outbox.url AND a.secret = outbox.secret);
                    ALTER TABLE outbox DROP COLUMN secret;
                    """)
        }
        registerReportsMigration(&migrator)
        registerReferralsMigration(&migrator)
        registerReportFilesMigration(&migrator)
        registerReportChannelsMigration(&migrator)
        registerCyberTiplineMigration(&migrator)
        registerItemsMigration(&migrator)
        registerRetentionMigration(&migrator)
        registerItemProposalsMigration(&migrator)
        registerOrganisationWebhooksMigration(&migrator)
        registerFilingsMigration(&migrator)
        registerEntryContentMigration(&migrator)
        registerExchangesMigration(&migrator)
        registerReviewsMigration(&migrator)
        registerExchangeKindCredentialsMigration(&migrator)
        registerVerdictsMigration(&migrator)
        return migrator
    }()

    // MARK: The unit of work

    /// Runs `body` in one GRDB write transaction (on the single writer, so writers never
    /// interleave), with the clock read once when it begins; see ``TransactionalStore/write(_:)``.
    public func write<T: Sendable>(_ body: @escaping @Sendable (any StoreTransaction) throws(StoreError) -> T) async throws(StoreError) -> T {
        let clock = self.clock
        let itemPDQ = self.itemPDQ
        let serial = transactions.add(1, ordering: .relaxed).newValue
        do {
            return try await pool.write { db in
                try body(SQLiteTransaction(db: db, now: clock.now(), itemPDQ: itemPDQ, serial: serial))
            }
        } catch {
            throw StoreError.from(error)
        }
    }

    /// Runs `body` in one GRDB write transaction on the writer's queue and calls `completion` there,
    /// right after the commit (or the rollback); see ``TransactionalStore/write(_:completion:)``.
    public func write<T: Sendable>(
        _ body: @escaping @Sendable (any StoreTransaction) throws(StoreError) -> T,
        completion: @escaping @Sendable (Result<T, StoreError>) -> Void
    ) {
        let clock = self.clock
        let itemPDQ = self.itemPDQ
        let serial = transactions.add(1, ordering: .relaxed).newValue
        pool.asyncWrite { db in
            try body(SQLiteTransaction(db: db, now: clock.now(), itemPDQ: itemPDQ, serial: serial))
        } completion: { _, result in
            completion(result.mapError(StoreError.from))
        }
    }

    /// A write transaction on the database itself (for the outbox's bookkeeping).
    func writeDatabase<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(StoreError) -> T {
        do {
            return try await pool.write(body)
        } catch {
            throw StoreError.from(error)
        }
    }

    /// A read transaction (one snapshot).
    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(StoreError) -> T {
        do {
            return try await pool.read(body)
        } catch {
            throw StoreError.from(error)
        }
    }

    // MARK: Hot reads

    /// Reads a few entries by primary key on the calling thread.
    ///
    /// This is the hot path of every match answer. Through the pool, each read waited for a
    /// reader, hopped to its queue and back, and ran BEGIN/COMMIT around one prepared-from-text
    /// SELECT, costing far more than the read itself. Here a dedicated read-only connection (one
    /// of a few, taken in turn) runs one cached statement per id on the caller's thread. Each
    /// SELECT is its own snapshot (WAL readers never wait for the writer), and the critical
    /// section never suspends, so waiting for a busy connection is bounded by one short read.
    private func pointRead(_ ids: [Int64]) throws(StoreError) -> [Int64: StoredEntry] {
        try onPointReader { db in
            let statement = try db.cachedStatement(sql: "SELECT \(Self.entryColumns) FROM entries WHERE id = ?")
            var found: [Int64: StoredEntry] = [:]
            for id in ids {
                if let row = try Row.fetchOne(statement, arguments: [id]) {
                    let entry = try Self.storedEntry(row)
                    found[entry.id] = entry
                }
            }
            return found
        }
    }

    /// Runs a short read on one of the dedicated read-only connections (taken in turn), on the
    /// calling thread: each statement its own snapshot, no hop to a reader's queue, no BEGIN/COMMIT.
    func onPointReader<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        let reader = pointReaders[(nextPointReader.wrappingAdd(1, ordering: .relaxed).oldValue & Int.max) % pointReaders.count]
        do {
            return try reader.inDatabase(body)
        } catch {
            throw StoreError.from(error)
        }
    }

    /// The entry columns ``storedEntry(_:)`` reads, in this order. Rows are read by position:
    /// reading by name makes GRDB lower-case the name on every access, which was most of the cost
    /// of decoding a row.
    static let entryColumns = """
        id, list_id, signal_type, value, source_organisation, source_item_id, submitted_by, confirmed_by, \
        decision_reference, confirmed_at, note, disabled_until, created_at, deleted_at, content_id, metadata
        """

    /// An entry from a row of ``entryColumns``.
    static func storedEntry(_ row: Row) throws -> StoredEntry {
        guard let type = SignalType(rawValue: row[2]) else { throw StoreError.internal("an entry has an unknown signal type") }
        return StoredEntry(
            id: row[0], listId: row[1], type: type, value: row[3],
            provenance: Provenance(
                sourceOrganisation: row[4], sourceItemId: row[5], submittedBy: row[6], confirmedBy: row[7],
                decisionReference: row[8], confirmedAt: row[9], note: row[10], metadata: row[15]),
            disabledUntil: row[11], createdAt: row[12], deletedAt: row[13], contentId: row[14])
    }
}

// MARK: Lists, entries and the change feed

extension SQLiteStore {
    /// v18: content with several signals (HMA's content item): `content_id` ties an entry to the
    /// first entry of its content (NULL: the entry is its own content); `metadata` keeps the
    /// submitter's JSON metadata (``Provenance/metadata``).
    static func registerEntryContentMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v18-entry-content") { db in
            try db.execute(
                sql: """
                    ALTER TABLE entries ADD COLUMN content_id INTEGER;
                    ALTER TABLE entries ADD COLUMN metadata TEXT;
                    CREATE INDEX entries_by_content ON entries(content_id) WHERE content_id IS NOT NULL;
                    """)
        }
    }
}

extension SQLiteStore: ListStore {
    public func lists() async throws(StoreError) -> [StoredList] {
        let records = try await read { db in try ListRecord.order(ListRecord.CodingKeys.name).fetchAll(db) }
        var lists: [StoredList] = []
        lists.reserveCapacity(records.count)
        for record in records { lists.append(try record.stored()) }
        return lists
    }

    public func list(named name: String) async throws(StoreError) -> StoredList {
        try await read { db in try SQLiteTransaction.fetchList(db, named: name) }
    }

    public func entries(ofList name: String, afterId: Int64, limit: Int) async throws(StoreError) -> [StoredEntry] {
        try await read { db in
            let list = try SQLiteTransaction.fetchList(db, named: name)
            return try Row.fetchAll(
                db, sql: "SELECT \(Self.entryColumns) FROM entries WHERE list_id = ? AND id > ? AND deleted_at IS NULL ORDER BY id LIMIT ?",
                arguments: [list.id, afterId, max(0, min(limit, 10_000))]
            ).map(Self.storedEntry)
        }
    }

    /// At most this many ids are read with ``entries(ids:)``'s point-read path.
    static let pointReadLimit = 32

    public func entries(ofContent content: Int64, inList listId: Int64) async throws(StoreError) -> [StoredEntry] {
        try await read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT \(Self.entryColumns) FROM entries
                    WHERE list_id = ? AND ((id = ? AND content_id IS NULL) OR content_id = ?) AND deleted_at IS NULL ORDER BY id
                    """,
                arguments: [listId, content, content]
            ).map(Self.storedEntry)
        }
    }

    public func entries(ids: [Int64]) async throws(StoreError) -> [Int64: StoredEntry] {
        guard !ids.isEmpty else { return [:] }
        if ids.count <= Self.pointReadLimit { return try pointRead(ids) }
        return try await read { db in
            var found: [Int64: StoredEntry] = [:]
            for chunk in stride(from: 0, to: ids.count, by: 500) {
                let part = Array(ids[chunk..<min(ids.count, chunk + 500)])
                let marks = Array(repeating: "?", count: part.count).joined(separator: ",")
                for row in try Row.fetchAll(
                    db, sql: "SELECT \(Self.entryColumns) FROM entries WHERE id IN (\(marks))", arguments: StatementArguments(part))
                {
                    let entry = try Self.storedEntry(row)
                    found[entry.id] = entry
                }
            }
            return found
        }
    }

    public func changes(after sequence: Int64, limit: Int) async throws(StoreError) -> [EntryChange] {
        try await read { db in
            try Row.fetchAll(
                db, sql: "SELECT sequence, kind, entry_id, list_id, signal_type, value FROM changes WHERE sequence > ? ORDER BY sequence LIMIT ?",
                arguments: [sequence, max(1, limit)]
            ).map { row in
                // By position, as ``storedEntry(_:)`` reads entries.
                guard let kind = EntryChange.Kind(rawValue: row[1]), let type = SignalType(rawValue: row[4]) else {
                    throw StoreError.internal("the change feed holds an unknown change")
                }
                return EntryChange(sequence: row[0], kind: kind, entryId: row[2], listId: row[3], type: type, value: row[5])
            }
        }
    }
}

// MARK: Organisations and keys

extension SQLiteStore: OrganisationStore, KeyStore {
    public func organisations() async throws(StoreError) -> [Organisation] {
        let records = try await read { db in try OrganisationRecord.order(OrganisationRecord.CodingKeys.name).fetchAll(db) }
        var organisations: [Organisation] = []
        for record in records { organisations.append(try record.organisation()) }
        return organisations
    }

    public func organisation(id: Int64) async throws(StoreError) -> Organisation? {
        try await read { db in try OrganisationRecord.fetchOne(db, key: id) }?.organisation()
    }

    public func organisation(named name: String) async throws(StoreError) -> Organisation? {
        try await read { db in try OrganisationRecord.filter(OrganisationRecord.CodingKeys.name == name).fetchOne(db) }?.organisation()
    }

    public func verify(secret: String) async throws(StoreError) -> Principal? {
        guard KeySecret.hasKeyShape(secret) else { return nil }
        let digest = Data(KeySecret.digest(secret))
        return try await read { db in try PrincipalRecord.fetchOne(db, sql: PrincipalRecord.query, arguments: [digest]) }?.principal()
    }

    public func keys() async throws(StoreError) -> [APIKeyInfo] {
        try await read { db in try KeyRecord.fetchAll(db, sql: KeyRecord.query + " ORDER BY k.id") }.map(\.info)
    }

}
