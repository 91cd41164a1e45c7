import Crypto
public import Foundation
public import GRDB
import Synchronization
public import VigilDomain

/// The embedded default store: SQLite through GRDB, WAL mode, `synchronous = FULL` so that every
/// acknowledged write survives a power cut.
public final class SQLiteStore: ListStore, KeyStore {
    /// The database, for the other parts of the store (and tests).
    public let pool: DatabasePool
    private let clock: any WallClock
    /// Read-only connections for the point reads of match answers (see ``entries(ids:)``).
    private let pointReaders: [DatabaseQueue]
    private let nextPointReader = Atomic<Int>(0)

    /// Opens (creating if needed) the database at `path` and migrates it to the current schema.
    public init(path: String, clock: any WallClock = SystemClock()) throws(StoreError) {
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA foreign_keys = ON")
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
            throw .database(String(describing: error))
        }
        self.clock = clock
    }

    static let migrator: DatabaseMigrator = {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-lists-entries-keys") { db in
            try db.execute(sql: """
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
        return migrator
    }()

    func writeTransaction<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(StoreError) -> T {
        try await write(body)
    }

    func readTransaction<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(StoreError) -> T {
        try await read(body)
    }

    private func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(StoreError) -> T {
        do {
            return try await pool.write(body)
        } catch let error as StoreError {
            throw error
        } catch {
            throw .database(String(describing: error))
        }
    }

    private func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(StoreError) -> T {
        do {
            return try await pool.read(body)
        } catch let error as StoreError {
            throw error
        } catch {
            throw .database(String(describing: error))
        }
    }

    /// Reads a few entries by primary key on the calling thread.
    ///
    /// This is the hot path of every match answer. Through the pool, each read waited for a
    /// reader, hopped to its queue and back, and ran BEGIN/COMMIT around one prepared-from-text
    /// SELECT, costing far more than the read itself. Here a dedicated read-only connection (one
    /// of a few, taken in turn) runs one cached statement per id on the caller's thread. Each
    /// SELECT is its own snapshot (WAL readers never wait for the writer), and the critical
    /// section never suspends, so waiting for a busy connection is bounded by one short read.
    private func pointRead(_ ids: [Int64]) throws(StoreError) -> [Int64: StoredEntry] {
        let reader = pointReaders[(nextPointReader.wrappingAdd(1, ordering: .relaxed).oldValue & Int.max) % pointReaders.count]
        do {
            return try reader.inDatabase { db in
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
        } catch let error as StoreError {
            throw error
        } catch {
            throw .database(String(describing: error))
        }
    }

    // MARK: Lists

    private static func storedList(_ row: Row) throws -> StoredList {
        guard let kind = ListKind(rawValue: row["kind"]) else { throw StoreError.database("unknown list kind in row") }
        let list = HashList(
            name: row["name"], kind: kind, matchRadius: row["match_radius"], enabledRatio: row["enabled_ratio"],
            enabled: row["enabled"])
        return StoredList(
            id: row["id"], list: list, createdAt: row["created_at"], updatedAt: row["updated_at"],
            entryCount: row["live_entries"])
    }

    private static let listQuery = "SELECT * FROM lists"

    private static func fetchList(_ db: Database, named name: String) throws -> StoredList {
        guard let row = try Row.fetchOne(db, sql: listQuery + " WHERE name = ?", arguments: [name]) else {
            throw StoreError.listNotFound(name)
        }
        return try storedList(row)
    }

    public func createList(_ list: HashList) async throws(StoreError) -> StoredList {
        do { try list.validate() } catch { throw .invalid(error.description) }
        let now = clock.now().rfc3339
        return try await write { db in
            if try Row.fetchOne(db, sql: "SELECT id FROM lists WHERE name = ?", arguments: [list.name]) != nil {
                throw StoreError.listExists(list.name)
            }
            try db.execute(
                sql: """
                    INSERT INTO lists (name, kind, match_radius, enabled_ratio, enabled, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [list.name, list.kind.rawValue, list.matchRadius, list.enabledRatio, list.enabled, now, now])
            return try Self.fetchList(db, named: list.name)
        }
    }

    public func lists() async throws(StoreError) -> [StoredList] {
        try await read { db in
            try Row.fetchAll(db, sql: Self.listQuery + " ORDER BY name").map(Self.storedList)
        }
    }

    public func list(named name: String) async throws(StoreError) -> StoredList {
        try await read { db in try Self.fetchList(db, named: name) }
    }

    public func updateList(named name: String, _ update: ListUpdate) async throws(StoreError) -> StoredList {
        let now = clock.now().rfc3339
        return try await write { db in
            let stored = try Self.fetchList(db, named: name)
            var list = stored.list
            if let newName = update.name { list.name = newName }
            if let kind = update.kind { list.kind = kind }
            if let radius = update.matchRadius { list.matchRadius = radius }
            if let ratio = update.enabledRatio { list.enabledRatio = ratio }
            if let enabled = update.enabled { list.enabled = enabled }
            do throws(ListValidationError) { try list.validate() } catch { throw StoreError.invalid(error.description) }
            if list.name != name, try Row.fetchOne(db, sql: "SELECT id FROM lists WHERE name = ?", arguments: [list.name]) != nil {
                throw StoreError.listExists(list.name)
            }
            // Entries, the change feed and action policies refer to the list by id, so a rename
            // is this one row.
            try db.execute(
                sql: "UPDATE lists SET name = ?, kind = ?, match_radius = ?, enabled_ratio = ?, enabled = ?, updated_at = ? WHERE id = ?",
                arguments: [list.name, list.kind.rawValue, list.matchRadius, list.enabledRatio, list.enabled, now, stored.id])
            return try Self.fetchList(db, named: list.name)
        }
    }

    public func deleteList(named name: String) async throws(StoreError) {
        let now = clock.now().rfc3339
        try await write { db in
            let list = try Self.fetchList(db, named: name)
            try db.execute(
                sql: """
                    INSERT INTO changes (kind, entry_id, list_id, signal_type, value, at)
                    SELECT 'remove', id, list_id, signal_type, value, ? FROM entries WHERE list_id = ? AND deleted_at IS NULL ORDER BY id
                    """,
                arguments: [now, list.id])
            try db.execute(sql: "UPDATE entries SET deleted_at = ? WHERE list_id = ? AND deleted_at IS NULL", arguments: [now, list.id])
            try db.execute(sql: "UPDATE lists SET live_entries = 0 WHERE id = ?", arguments: [list.id])
            // The list row goes; its entries stay as tombstones (for audits and provenance of past matches).
            try db.execute(sql: "UPDATE lists SET name = name || '~deleted~' || id, enabled = 0, updated_at = ? WHERE id = ?", arguments: [now, list.id])
        }
    }

    // MARK: Entries

    public func apply(_ records: [IndicatorRecord], toList name: String) async throws(StoreError) -> [Int64] {
        let now = clock.now().rfc3339
        return try await write { db in
            let list = try Self.fetchList(db, named: name)
            var added: [Int64] = []
            var removed = 0
            let insert = try db.makeStatement(sql: """
                INSERT INTO entries (list_id, signal_type, value, source_organisation, source_item_id, submitted_by,
                    confirmed_by, decision_reference, confirmed_at, note, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            let change = try db.makeStatement(sql: """
                INSERT INTO changes (kind, entry_id, list_id, signal_type, value, at) VALUES (?, ?, ?, ?, ?, ?)
                """)
            for record in records {
                switch record.action {
                case .add:
                    let p = record.provenance
                    try insert.execute(arguments: [
                        list.id, record.type.rawValue, record.value, p.sourceOrganisation, p.sourceItemId, p.submittedBy,
                        p.confirmedBy, p.decisionReference, p.confirmedAt, p.note, now,
                    ])
                    let id = db.lastInsertedRowID
                    try change.execute(arguments: ["add", id, list.id, record.type.rawValue, record.value, now])
                    added.append(id)
                case .delete:
                    let ids = try Int64.fetchAll(
                        db, sql: "SELECT id FROM entries WHERE list_id = ? AND signal_type = ? AND value = ? AND deleted_at IS NULL",
                        arguments: [list.id, record.type.rawValue, record.value])
                    for id in ids {
                        removed += 1
                        try db.execute(sql: "UPDATE entries SET deleted_at = ? WHERE id = ?", arguments: [now, id])
                        try change.execute(arguments: ["remove", id, list.id, record.type.rawValue, record.value, now])
                    }
                }
            }
            try db.execute(sql: "UPDATE lists SET live_entries = live_entries + ? WHERE id = ?", arguments: [added.count - removed, list.id])
            return added
        }
    }

    public func removeItems(sourceOrganisation: String, itemIds: [String], fromList name: String) async throws(StoreError) -> Int {
        guard !itemIds.isEmpty else { return 0 }
        let now = clock.now().rfc3339
        return try await write { db in
            let list = try Self.fetchList(db, named: name)
            var removed = 0
            for itemId in itemIds {
                let rows = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT id, signal_type, value FROM entries
                        WHERE list_id = ? AND source_organisation = ? AND source_item_id = ? AND deleted_at IS NULL
                        """,
                    arguments: [list.id, sourceOrganisation, itemId])
                for row in rows {
                    let id: Int64 = row["id"]
                    try db.execute(sql: "UPDATE entries SET deleted_at = ? WHERE id = ?", arguments: [now, id])
                    try db.execute(
                        sql: "INSERT INTO changes (kind, entry_id, list_id, signal_type, value, at) VALUES ('remove', ?, ?, ?, ?, ?)",
                        arguments: [id, list.id, row["signal_type"] as String, row["value"] as String, now])
                    removed += 1
                }
            }
            try db.execute(sql: "UPDATE lists SET live_entries = live_entries - ? WHERE id = ?", arguments: [removed, list.id])
            return removed
        }
    }

    public func removeEntry(_ id: Int64, fromList name: String) async throws(StoreError) {
        let now = clock.now().rfc3339
        try await write { db in
            let list = try Self.fetchList(db, named: name)
            guard let row = try Row.fetchOne(
                db, sql: "SELECT signal_type, value FROM entries WHERE id = ? AND list_id = ? AND deleted_at IS NULL",
                arguments: [id, list.id])
            else { throw StoreError.entryNotFound(id) }
            try db.execute(sql: "UPDATE entries SET deleted_at = ? WHERE id = ?", arguments: [now, id])
            try db.execute(sql: "UPDATE lists SET live_entries = live_entries - 1 WHERE id = ?", arguments: [list.id])
            try db.execute(
                sql: "INSERT INTO changes (kind, entry_id, list_id, signal_type, value, at) VALUES ('remove', ?, ?, ?, ?, ?)",
                arguments: [id, list.id, row["signal_type"] as String, row["value"] as String, now])
        }
    }

    public func editEntry(_ id: Int64, inList name: String, _ edit: EntryEdit) async throws(StoreError) -> StoredEntry {
        var assignments: [String] = []
        var values: [(any DatabaseValueConvertible)?] = []
        if let until = edit.disabledUntil {
            assignments.append("disabled_until = ?")
            values.append(until?.rfc3339)
        }
        if let note = edit.note {
            assignments.append("note = ?")
            values.append(note)
        }
        let setClause = assignments.isEmpty ? "id = id" : assignments.joined(separator: ", ")
        let arguments = StatementArguments(values)
        return try await write { db in
            let list = try Self.fetchList(db, named: name)
            try db.execute(
                sql: "UPDATE entries SET \(setClause) WHERE id = ? AND list_id = ? AND deleted_at IS NULL",
                arguments: arguments + [id, list.id])
            guard db.changesCount == 1, let row = try Row.fetchOne(db, sql: "SELECT \(Self.entryColumns) FROM entries WHERE id = ?", arguments: [id]) else {
                throw StoreError.entryNotFound(id)
            }
            return try Self.storedEntry(row)
        }
    }

    /// The entry columns ``storedEntry(_:)`` reads, in this order. Rows are read by position:
    /// reading by name makes GRDB lower-case the name on every access, which was most of the cost
    /// of decoding a row.
    static let entryColumns = """
        id, list_id, signal_type, value, source_organisation, source_item_id, submitted_by, confirmed_by, \
        decision_reference, confirmed_at, note, disabled_until, created_at, deleted_at
        """

    /// An entry from a row of ``entryColumns``.
    private static func storedEntry(_ row: Row) throws -> StoredEntry {
        guard let type = SignalType(rawValue: row[2]) else { throw StoreError.database("unknown signal type in row") }
        return StoredEntry(
            id: row[0], listId: row[1], type: type, value: row[3],
            provenance: Provenance(
                sourceOrganisation: row[4], sourceItemId: row[5], submittedBy: row[6], confirmedBy: row[7],
                decisionReference: row[8], confirmedAt: row[9], note: row[10]),
            disabledUntil: row[11], createdAt: row[12], deletedAt: row[13])
    }

    public func entries(ofList name: String, afterId: Int64, limit: Int) async throws(StoreError) -> [StoredEntry] {
        try await read { db in
            let list = try Self.fetchList(db, named: name)
            return try Row.fetchAll(
                db, sql: "SELECT \(Self.entryColumns) FROM entries WHERE list_id = ? AND id > ? AND deleted_at IS NULL ORDER BY id LIMIT ?",
                arguments: [list.id, afterId, max(0, min(limit, 10_000))]
            ).map(Self.storedEntry)
        }
    }

    /// At most this many ids are read with ``entries(ids:)``'s point-read path.
    static let pointReadLimit = 32

    public func entries(ids: [Int64]) async throws(StoreError) -> [Int64: StoredEntry] {
        guard !ids.isEmpty else { return [:] }
        if ids.count <= Self.pointReadLimit { return try pointRead(ids) }
        return try await read { db in
            var found: [Int64: StoredEntry] = [:]
            for chunk in stride(from: 0, to: ids.count, by: 500) {
                let part = Array(ids[chunk..<min(ids.count, chunk + 500)])
                let marks = Array(repeating: "?", count: part.count).joined(separator: ",")
                for row in try Row.fetchAll(db, sql: "SELECT \(Self.entryColumns) FROM entries WHERE id IN (\(marks))", arguments: StatementArguments(part)) {
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
                    throw StoreError.database("unknown change in feed")
                }
                return EntryChange(sequence: row[0], kind: kind, entryId: row[2], listId: row[3], type: type, value: row[5])
            }
        }
    }

    // MARK: Keys

    static func digest(_ secret: String) -> Data {
        Data(SHA256.hash(data: Data(secret.utf8)))
    }

    public func createKey(organisation: String, scopes: Set<Scope>, label: String) async throws(StoreError) -> (secret: String, info: APIKeyInfo) {
        guard !organisation.isEmpty, organisation.utf8.count <= 200 else {
            throw .invalid("organisation must be 1-200 characters")
        }
        guard !scopes.isEmpty else { throw .invalid("a key needs at least one scope: \(Scope.allCases.map(\.rawValue).joined(separator: ", "))") }
        var random = SystemRandomNumberGenerator()
        let bytes = (0..<24).map { _ in UInt8.random(in: 0...255, using: &random) }
        let secret = "vk_" + bytes.map { String(format: "%02x", $0) }.joined()
        let prefix = String(secret.prefix(11))
        let now = clock.now().rfc3339
        let scopeText = scopes.map(\.rawValue).sorted().joined(separator: ",")
        let info = try await write { db in
            try db.execute(
                sql: "INSERT INTO api_keys (prefix, secret_sha256, organisation, scopes, label, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [prefix, Self.digest(secret), organisation, scopeText, label, now])
            return APIKeyInfo(
                id: db.lastInsertedRowID, prefix: prefix, organisation: organisation, scopes: scopes.sorted { $0.rawValue < $1.rawValue },
                label: label, createdAt: now, revokedAt: nil)
        }
        return (secret, info)
    }

    public func verify(secret: String) async throws(StoreError) -> Principal? {
        guard secret.hasPrefix("vk_"), secret.utf8.count == 51 else { return nil }
        let digest = Self.digest(secret)
        return try await read { db in
            guard let row = try Row.fetchOne(
                db, sql: "SELECT id, organisation, scopes FROM api_keys WHERE secret_sha256 = ? AND revoked_at IS NULL", arguments: [digest])
            else { return nil }
            let scopes = Set((row["scopes"] as String).split(separator: ",").compactMap { Scope(rawValue: String($0)) })
            return Principal(keyId: row["id"], organisationId: 0, organisation: row["organisation"], kind: .provider, scopes: scopes)
        }
    }

    public func keys() async throws(StoreError) -> [APIKeyInfo] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM api_keys ORDER BY id").map { row in
                APIKeyInfo(
                    id: row["id"], prefix: row["prefix"], organisation: row["organisation"],
                    scopes: (row["scopes"] as String).split(separator: ",").compactMap { Scope(rawValue: String($0)) },
                    label: row["label"], createdAt: row["created_at"], revokedAt: row["revoked_at"])
            }
        }
    }

    public func revokeKey(id: Int64) async throws(StoreError) {
        let now = clock.now().rfc3339
        try await write { db in
            try db.execute(sql: "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", arguments: [now, id])
            if db.changesCount == 0 { throw StoreError.invalid("no live key has id \(id)") }
        }
    }
}
