import Foundation
import GRDB
import VigilDomain

/// One write transaction of a ``SQLiteStore``: the unit of work over GRDB's `Database`.
struct SQLiteTransaction: StoreTransaction {
    let db: Database
    let now: Date
    /// `now` as stored.
    let stamp: String
    /// The items' PDQ hashes in memory (the store's one index, used by the writer alone).
    let itemPDQ: ItemPDQIndex
    /// This transaction's number (the store's, from 1).
    let serial: UInt64

    init(db: Database, now: Date, itemPDQ: ItemPDQIndex, serial: UInt64) {
        self.db = db
        self.now = now
        self.stamp = now.rfc3339
        self.itemPDQ = itemPDQ
        self.serial = serial
    }

    /// Runs database work, turning its errors into ``StoreError``s.
    private func run<T>(_ body: () throws -> T) throws(StoreError) -> T {
        do { return try body() } catch { throw StoreError.from(error) }
    }

    // MARK: Lists

    static func fetchList(_ db: Database, named name: String) throws(StoreError) -> StoredList {
        // A deleted list keeps its row under an internal name (`name~deleted~id`, which no valid
        // name can take); it is gone for every caller, so that name finds nothing either.
        guard StoreRules.isReachableListName(name) else { throw .listNotFound(name) }
        let record: ListRecord?
        do { record = try ListRecord.filter(ListRecord.CodingKeys.name == name).fetchOne(db) } catch { throw StoreError.from(error) }
        guard let record else { throw .listNotFound(name) }
        return try record.stored()
    }

    func list(named name: String) throws(StoreError) -> StoredList {
        try Self.fetchList(db, named: name)
    }

    func list(id: Int64) throws(StoreError) -> StoredList? {
        try run { try ListRecord.fetchOne(db, key: id) }?.stored()
    }

    private func listExists(_ name: String) throws(StoreError) -> Bool {
        try run { try ListRecord.filter(ListRecord.CodingKeys.name == name).fetchCount(db) > 0 }
    }

    func createList(_ list: HashList) throws(StoreError) -> StoredList {
        try StoreRules.check(list)
        if try listExists(list.name) { throw .listExists(list.name) }
        try run {
            try db.execute(
                sql: """
                    INSERT INTO lists (name, kind, match_radius, enabled_ratio, enabled, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [list.name, list.kind.rawValue, list.matchRadius, list.enabledRatio, list.enabled, stamp, stamp])
        }
        return try self.list(named: list.name)
    }

    func updateList(named name: String, _ update: ListUpdate) throws(StoreError) -> StoredList {
        let stored = try list(named: name)
        let list = try StoreRules.updated(stored.list, with: update)
        if list.name != name, try listExists(list.name) { throw .listExists(list.name) }
        // Entries, the change feed and action policies refer to the list by id, so a rename is this one row.
        try run {
            try db.execute(
                sql: "UPDATE lists SET name = ?, kind = ?, match_radius = ?, enabled_ratio = ?, enabled = ?, updated_at = ? WHERE id = ?",
                arguments: [list.name, list.kind.rawValue, list.matchRadius, list.enabledRatio, list.enabled, stamp, stored.id])
        }
        return try self.list(named: list.name)
    }

    func deleteList(named name: String) throws(StoreError) {
        let list = try list(named: name)
        try run {
            try db.execute(
                sql: """
                    INSERT INTO changes (kind, entry_id, list_id, signal_type, value, at)
                    SELECT 'remove', id, list_id, signal_type, value, ? FROM entries WHERE list_id = ? AND deleted_at IS NULL ORDER BY id
                    """,
                arguments: [stamp, list.id])
            try db.execute(sql: "UPDATE entries SET deleted_at = ? WHERE list_id = ? AND deleted_at IS NULL", arguments: [stamp, list.id])
            try db.execute(sql: "UPDATE lists SET live_entries = 0 WHERE id = ?", arguments: [list.id])
            // The list row stays, renamed, with its entries as tombstones (for audits and the provenance of past matches).
            try db.execute(
                sql: "UPDATE lists SET name = name || '~deleted~' || id, enabled = 0, updated_at = ? WHERE id = ?", arguments: [stamp, list.id])
        }
    }

    // MARK: Entries

    func apply(_ records: [IndicatorRecord], toList name: String) throws(StoreError) -> [Int64] {
        let list = try list(named: name)
        return try run {
            var added: [Int64] = []
            var removed = 0
            let insert = try db.cachedStatement(
                sql: """
                    INSERT INTO entries (list_id, signal_type, value, source_organisation, source_item_id, submitted_by,
                        confirmed_by, decision_reference, confirmed_at, note, created_at, metadata, content_id)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            // The first entry of each content key: the content id of the others with that key.
            var contents: [String: Int64] = [:]
            let change = try db.cachedStatement(
                sql: "INSERT INTO changes (kind, entry_id, list_id, signal_type, value, at) VALUES (?, ?, ?, ?, ?, ?)")
            for record in records {
                switch record.action {
                case .add:
                    let p = record.provenance
                    let content = record.contentKey.flatMap { contents[$0] }
                    try insert.execute(arguments: [
                        list.id, record.type.rawValue, record.value, p.sourceOrganisation, p.sourceItemId, p.submittedBy,
                        p.confirmedBy, p.decisionReference, p.confirmedAt, p.note, stamp, p.metadata, content,
                    ])
                    let id = db.lastInsertedRowID
                    if let key = record.contentKey, content == nil { contents[key] = id }
                    try change.execute(arguments: ["add", id, list.id, record.type.rawValue, record.value, stamp])
                    added.append(id)
                case .delete:
                    let ids = try Int64.fetchAll(
                        db, sql: "SELECT id FROM entries WHERE list_id = ? AND signal_type = ? AND value = ? AND deleted_at IS NULL",
                        arguments: [list.id, record.type.rawValue, record.value])
                    for id in ids {
                        removed += 1
                        try db.execute(sql: "UPDATE entries SET deleted_at = ? WHERE id = ?", arguments: [stamp, id])
                        try change.execute(arguments: ["remove", id, list.id, record.type.rawValue, record.value, stamp])
                    }
                }
            }
            try db.execute(sql: "UPDATE lists SET live_entries = live_entries + ? WHERE id = ?", arguments: [added.count - removed, list.id])
            return added
        }
    }

    func removeItems(sourceOrganisation: String, itemIds: [String], fromList name: String) throws(StoreError) -> Int {
        guard !itemIds.isEmpty else { return 0 }
        let list = try list(named: name)
        return try run {
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
                    let id: Int64 = row[0]
                    let type: String = row[1]
                    let value: String = row[2]
                    try db.execute(sql: "UPDATE entries SET deleted_at = ? WHERE id = ?", arguments: [stamp, id])
                    try db.execute(
                        sql: "INSERT INTO changes (kind, entry_id, list_id, signal_type, value, at) VALUES ('remove', ?, ?, ?, ?, ?)",
                        arguments: [id, list.id, type, value, stamp])
                    removed += 1
                }
            }
            try db.execute(sql: "UPDATE lists SET live_entries = live_entries - ? WHERE id = ?", arguments: [removed, list.id])
            return removed
        }
    }

    func removeEntry(_ id: Int64, fromList name: String) throws(StoreError) {
        let list = try list(named: name)
        let row = try run {
            try Row.fetchOne(
                db, sql: "SELECT signal_type, value FROM entries WHERE id = ? AND list_id = ? AND deleted_at IS NULL", arguments: [id, list.id])
        }
        guard let row else { throw .entryNotFound(id) }
        try run {
            let type: String = row[0]
            let value: String = row[1]
            try db.execute(sql: "UPDATE entries SET deleted_at = ? WHERE id = ?", arguments: [stamp, id])
            try db.execute(sql: "UPDATE lists SET live_entries = live_entries - 1 WHERE id = ?", arguments: [list.id])
            try db.execute(
                sql: "INSERT INTO changes (kind, entry_id, list_id, signal_type, value, at) VALUES ('remove', ?, ?, ?, ?, ?)",
                arguments: [id, list.id, type, value, stamp])
        }
    }

    func editEntry(_ id: Int64, inList name: String, _ edit: EntryEdit) throws(StoreError) -> StoredEntry {
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
        let list = try list(named: name)
        let changed = try run {
            try db.execute(
                sql: "UPDATE entries SET \(setClause) WHERE id = ? AND list_id = ? AND deleted_at IS NULL",
                arguments: StatementArguments(values) + [id, list.id])
            return db.changesCount
        }
        guard changed == 1, let entry = try entries(ids: [id])[id] else { throw .entryNotFound(id) }
        // In the feed, so that every node's copy of the entry in memory is dropped (see EntryChange.Kind.edit).
        try run {
            try db.execute(
                sql: "INSERT INTO changes (kind, entry_id, list_id, signal_type, value, at) VALUES ('edit', ?, ?, ?, ?, ?)",
                arguments: [id, list.id, entry.type.rawValue, entry.value, stamp])
        }
        return entry
    }

    func entries(ids: [Int64]) throws(StoreError) -> [Int64: StoredEntry] {
        try run {
            let statement = try db.cachedStatement(sql: "SELECT \(SQLiteStore.entryColumns) FROM entries WHERE id = ?")
            var found: [Int64: StoredEntry] = [:]
            for id in ids {
                if let row = try Row.fetchOne(statement, arguments: [id]) {
                    let entry = try SQLiteStore.storedEntry(row)
                    found[entry.id] = entry
                }
            }
            return found
        }
    }

    // MARK: Organisations and keys

    func createOrganisation(_ organisation: NewOrganisation) throws(StoreError) -> Organisation {
        try StoreRules.check(organisation)
        if try self.organisation(named: organisation.name) != nil { throw .organisationExists(organisation.name) }
        let id = try run {
            try db.execute(
                sql: "INSERT INTO organisations (name, kind, member_state, created_at) VALUES (?, ?, ?, ?)",
                arguments: [organisation.name, organisation.kind.rawValue, organisation.memberState?.rawValue, stamp])
            return db.lastInsertedRowID
        }
        return Organisation(id: id, name: organisation.name, kind: organisation.kind, memberState: organisation.memberState, createdAt: stamp)
    }

    func organisation(id: Int64) throws(StoreError) -> Organisation? {
        try run { try OrganisationRecord.fetchOne(db, key: id) }?.organisation()
    }

    func organisation(named name: String) throws(StoreError) -> Organisation? {
        try run { try OrganisationRecord.filter(OrganisationRecord.CodingKeys.name == name).fetchOne(db) }?.organisation()
    }

    func createKey(organisationId: Int64, prefix: String, secretSHA256: [UInt8], scopes: Set<Scope>, label: String) throws(StoreError)
        -> APIKeyInfo
    {
        guard let organisation = try organisation(id: organisationId) else { throw .organisationNotFound(id: organisationId) }
        try StoreRules.checkKey(scopes: scopes, label: label, for: organisation)
        let id = try run {
            try db.execute(
                sql: "INSERT INTO api_keys (prefix, secret_sha256, organisation_id, scopes, label, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [prefix, Data(secretSHA256), organisationId, Scopes.encode(scopes), label, stamp])
            return db.lastInsertedRowID
        }
        return APIKeyInfo(
            id: id, prefix: prefix, organisationId: organisationId, organisation: organisation.name,
            scopes: scopes.sorted { $0.rawValue < $1.rawValue },
            label: label, createdAt: stamp, revokedAt: nil)
    }

    func revokeKey(id: Int64) throws(StoreError) {
        let changed = try run {
            try db.execute(sql: "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", arguments: [stamp, id])
            return db.changesCount
        }
        if changed == 0 { throw .keyNotFound(id) }
    }

    // MARK: Action policies and the outbox

    func setPolicy(_ policy: ActionPolicy?, forList name: String) throws(StoreError) {
        try StoreRules.check(policy)
        let list = try list(named: name)
        try run {
            try db.execute(sql: "DELETE FROM list_actions WHERE list_id = ?", arguments: [list.id])
            if let policy {
                try db.execute(
                    sql: "INSERT INTO list_actions (list_id, action, webhook_url, secret, file_report, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                    arguments: [list.id, policy.action.rawValue, policy.webhookURL, policy.secret, policy.fileReport, stamp])
            }
        }
    }

    func policy(listId: Int64) throws(StoreError) -> ActionPolicy? {
        try run { try PolicyRecord.fetchOne(db, key: listId) }?.policy()
    }

    func enqueue(_ messages: [OutboxMessage]) throws(StoreError) -> [Int64] {
        try run {
            let insert = try db.cachedStatement(
                sql: "INSERT INTO outbox (list_id, organisation_id, url, body, created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?)")
            var ids: [Int64] = []
            for message in messages {
                try insert.execute(arguments: [message.listId, message.organisationId, message.url, Data(message.body), stamp, stamp])
                ids.append(db.lastInsertedRowID)
            }
            return ids
        }
    }

    // MARK: Audit

    @discardableResult
    func appendAudit(_ event: AuditEvent) throws(StoreError) -> StoredAuditEvent {
        try AuditChain.validate(event)
        return try run {
            // Both statements cached (prepared once per connection): every change appends an event.
            let last = try Row.fetchOne(db.cachedStatement(sql: "SELECT sequence, hash FROM audit_events ORDER BY sequence DESC LIMIT 1"))
            let sequence = (last.map { $0[0] as Int64 } ?? 0) + 1
            let prevHash = last.map { [UInt8]($0[1] as Data) } ?? AuditChain.genesis
            let hash = AuditChain.hash(prevHash: prevHash, sequence: sequence, event)
            try db.cachedStatement(
                sql: """
                    INSERT INTO audit_events (sequence, actor, organisation, action, object, at, detail, prev_hash, hash)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """
            ).execute(
                arguments: [
                    sequence, event.actor, event.organisation, event.action, event.object, event.at, event.detail, Data(prevHash), Data(hash),
                ])
            return StoredAuditEvent(sequence: sequence, event: event, prevHash: prevHash, hash: hash)
        }
    }

    // MARK: Signal type settings

    func setSignalTypeRatio(_ ratio: Double, for name: String) throws(StoreError) {
        try StoreRules.checkSignalTypeRatio(ratio)
        try run {
            try db.execute(
                sql: """
                    INSERT INTO signal_type_settings (name, enabled_ratio, updated_at) VALUES (?, ?, ?)
                    ON CONFLICT(name) DO UPDATE SET enabled_ratio = excluded.enabled_ratio, updated_at = excluded.updated_at
                    """,
                arguments: [name, ratio, stamp])
        }
    }
}
