import Foundation
import NIOCore
import PostgresNIO
import VigilDomain

// A PostgreSQL write transaction's entries: adds (in batches, with their feed rows and the list's
// count in one statement), deletions, edits and reads.

extension PostgresTransaction {

    func apply(_ records: [IndicatorRecord], toList name: String) throws(StoreError) -> [Int64] {
        let list = try list(named: name)
        var added: [Int64] = []
        var removed = 0
        // Adds go in batches: one INSERT … SELECT FROM unnest(…) RETURNING per batch of the same
        // list, with the feed's rows written from the ids it returns.
        var pending: [IndicatorRecord] = []
        // Content keys: the first entry of each key, and the later entries that belong to it.
        var contents: [String: Int64] = [:]
        var members: [Int64: [Int64]] = [:]
        func flush() throws(StoreError) {
            guard !pending.isEmpty else { return }
            let ids = try insert(pending, list: list.id)
            for (record, id) in zip(pending, ids) {
                guard let key = record.contentKey else { continue }
                if let first = contents[key] { members[first, default: []].append(id) } else { contents[key] = id }
            }
            added += ids
            pending.removeAll(keepingCapacity: true)
        }
        for record in records {
            switch record.action {
            case .add:
                pending.append(record)
                if pending.count == 1000 { try flush() }
            case .delete:
                try flush()
                let rows = try session.rows(
                    """
                    UPDATE entries SET deleted_at = \(stamp)
                    WHERE list_id = \(list.id) AND signal_type = \(record.type.rawValue)
                        AND md5(value) = md5(\(record.value)) AND value = \(record.value) AND deleted_at IS NULL
                    RETURNING id
                    """)
                let ids = try rows.map { (row: PostgresRow) throws(StoreError) -> Int64 in try row.column(0) }.sorted()
                try feed(kind: "remove", ids: ids, list: list.id, type: record.type.rawValue, value: record.value)
                removed += ids.count
            }
        }
        try flush()
        for (first, ids) in members.sorted(by: { $0.key < $1.key }) {
            try session.execute("UPDATE entries SET content_id = \(first) WHERE id = ANY(\(ids))")
        }
        if removed > 0 {
            try session.execute("UPDATE lists SET live_entries = live_entries - \(removed) WHERE id = \(list.id)")
        }
        countChanged(list: list.id, by: added.count - removed)
        return added
    }

    /// One entry to insert, as `jsonb_to_recordset` reads it (absent provenance is JSON null).
    private struct EntryRow: Encodable {
        var t: String
        var v: String
        var so: String?
        var si: String?
        var sb: String?
        var cb: String?
        var dr: String?
        var ca: String?
        var n: String?
        var m: String?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(t, forKey: .t)
            try container.encode(v, forKey: .v)
            try container.encode(so, forKey: .so)
            try container.encode(si, forKey: .si)
            try container.encode(sb, forKey: .sb)
            try container.encode(cb, forKey: .cb)
            try container.encode(dr, forKey: .dr)
            try container.encode(ca, forKey: .ca)
            try container.encode(n, forKey: .n)
            try container.encode(m, forKey: .m)
        }

        enum CodingKeys: String, CodingKey { case t, v, so, si, sb, cb, dr, ca, n, m }
    }

    /// Inserts entries (in order), their feed rows and the list's new count in one statement;
    /// returns their ids, in order.
    private func insert(_ records: [IndicatorRecord], list: Int64) throws(StoreError) -> [Int64] {
        let rows = records.map { record in
            let p = record.provenance
            return EntryRow(
                t: record.type.rawValue, v: record.value, so: p.sourceOrganisation, si: p.sourceItemId, sb: p.submittedBy, cb: p.confirmedBy,
                dr: p.decisionReference, ca: p.confirmedAt, n: p.note, m: p.metadata)
        }
        let json: String
        do { json = String(decoding: try JSONEncoder().encode(rows), as: UTF8.self) } catch {
            throw .internal("entries could not be written as JSON", underlying: error)
        }
        // Identities are taken in the order the SELECT yields its rows (ORDER BY o), so the ids,
        // sorted, are the records' in order; the feed's rows are written in id order from what the
        // insert returns, and the list's count moves by as many. One round trip, where three
        // statements would each wait for their answer with the writer lock held.
        let returned = try session.rows(
            """
            WITH added AS (
                INSERT INTO entries (list_id, signal_type, value, source_organisation, source_item_id, submitted_by, confirmed_by,
                    decision_reference, confirmed_at, note, created_at, metadata)
                SELECT \(list), r.t, r.v, r.so, r.si, r.sb, r.cb, r.dr, r.ca, r.n, \(stamp), r.m
                FROM ROWS FROM (jsonb_to_recordset(\(json)::jsonb)
                    AS (t text, v text, so text, si text, sb text, cb text, dr text, ca text, n text, m text)) WITH ORDINALITY
                    AS r(t, v, so, si, sb, cb, dr, ca, n, m, o)
                ORDER BY r.o
                RETURNING id, signal_type, value
            ), fed AS (
                INSERT INTO changes (kind, entry_id, list_id, signal_type, value, at)
                SELECT 'add', id, \(list), signal_type, value, \(stamp) FROM added ORDER BY id
            ), counted AS (
                UPDATE lists SET live_entries = live_entries + (SELECT count(*) FROM added) WHERE id = \(list)
            )
            SELECT id FROM added
            """)
        let ids = try returned.map { (row: PostgresRow) throws(StoreError) -> Int64 in try row.column(0) }.sorted()
        guard ids.count == records.count else { throw .internal("\(records.count) entries were written but \(ids.count) ids came back") }
        return ids
    }

    /// Writes the feed's rows for entries of one value.
    private func feed(kind: String, ids: [Int64], list: Int64, type: String, value: String) throws(StoreError) {
        guard !ids.isEmpty else { return }
        try session.execute(
            """
            INSERT INTO changes (kind, entry_id, list_id, signal_type, value, at)
            SELECT \(kind), i, \(list), \(type), \(value), \(stamp) FROM unnest(\(ids)::bigint[]) WITH ORDINALITY AS r(i, o) ORDER BY o
            """)
    }

    func removeItems(sourceOrganisation: String, itemIds: [String], fromList name: String) throws(StoreError) -> Int {
        guard !itemIds.isEmpty else { return 0 }
        let list = try list(named: name)
        // One statement for every item (an exchange's page replaces thousands of items at once):
        // the tombstones and their feed rows, in id order.
        let rows = try session.rows(
            """
            WITH gone AS (
                UPDATE entries SET deleted_at = \(stamp)
                WHERE list_id = \(list.id) AND source_organisation = \(sourceOrganisation) AND source_item_id = ANY(\(itemIds)::text[])
                    AND deleted_at IS NULL
                RETURNING id, signal_type, value
            ), fed AS (
                INSERT INTO changes (kind, entry_id, list_id, signal_type, value, at)
                SELECT 'remove', id, \(list.id), signal_type, value, \(stamp) FROM gone ORDER BY id
            )
            SELECT count(*) FROM gone
            """)
        let removed = Int(try rows.first?.column(0, as: Int64.self) ?? 0)
        try session.execute("UPDATE lists SET live_entries = live_entries - \(removed) WHERE id = \(list.id)")
        countChanged(list: list.id, by: -removed)
        return removed
    }

    func removeEntry(_ id: Int64, fromList name: String) throws(StoreError) {
        let list = try list(named: name)
        guard
            let row = try session.rows(
                "UPDATE entries SET deleted_at = \(stamp) WHERE id = \(id) AND list_id = \(list.id) AND deleted_at IS NULL RETURNING signal_type, value"
            ).first
        else { throw .entryNotFound(id) }
        let (type, value) = try row.decoded((String, String).self)
        try session.execute("UPDATE lists SET live_entries = live_entries - 1 WHERE id = \(list.id)")
        countChanged(list: list.id, by: -1)
        try feed(kind: "remove", ids: [id], list: list.id, type: type, value: value)
    }

    func editEntry(_ id: Int64, inList name: String, _ edit: EntryEdit) throws(StoreError) -> StoredEntry {
        let list = try list(named: name)
        var query: PostgresQuery = "UPDATE entries SET id = id"
        if let until = edit.disabledUntil {
            let text = until?.rfc3339
            query.sql += ", disabled_until = $\(query.binds.count + 1)"
            query.binds.append(text)
        }
        if let note = edit.note {
            query.sql += ", note = $\(query.binds.count + 1)"
            query.binds.append(note)
        }
        query.sql += " WHERE id = $\(query.binds.count + 1) AND list_id = $\(query.binds.count + 2) AND deleted_at IS NULL"
        query.binds.append(id)
        query.binds.append(list.id)
        guard try session.execute(query) == 1, let entry = try entries(ids: [id])[id] else { throw .entryNotFound(id) }
        // In the feed, so that every node's copy of the entry in memory is dropped (see EntryChange.Kind.edit).
        try feed(kind: "edit", ids: [id], list: list.id, type: entry.type.rawValue, value: entry.value)
        return entry
    }

    func entries(ids: [Int64]) throws(StoreError) -> [Int64: StoredEntry] {
        try Self.fetchEntries(session, ids: ids)
    }
}
