import Foundation
import GRDB
public import VigilDomain

// Items and cases on SQLite. An item's PDQ is also stored as 16 chunks of 16 bits
// (`item_pdq_chunks`): two hashes at most 15 bits apart share at least one chunk exactly
// (pigeonhole). Linking finds near-duplicates by the same chunks in memory (`ItemPDQIndex`), then
// checks them bit by bit; the table keeps the chunks for an indexed lookup in SQL.

extension SQLiteStore {
    static func registerItemsMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v13-items-cases") { db in
            try db.execute(
                sql: """
                    CREATE TABLE items (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        sha256 TEXT,
                        md5 TEXT,
                        pdq TEXT,
                        classification TEXT,
                        member_states TEXT NOT NULL DEFAULT '',
                        classified_by TEXT,
                        classified_at TEXT,
                        report_count INTEGER NOT NULL DEFAULT 0,
                        viral INTEGER NOT NULL DEFAULT 0,
                        first_seen_at TEXT NOT NULL
                    );
                    CREATE INDEX items_by_sha256 ON items(sha256);
                    CREATE INDEX items_by_md5 ON items(md5);
                    CREATE TABLE item_pdq_chunks (chunk INTEGER NOT NULL, item_id INTEGER NOT NULL REFERENCES items(id));
                    CREATE INDEX item_pdq_chunks_by_chunk ON item_pdq_chunks(chunk);
                    CREATE TABLE report_items (
                        report_id INTEGER NOT NULL REFERENCES reports(id),
                        reference TEXT NOT NULL,
                        item_id INTEGER NOT NULL REFERENCES items(id),
                        PRIMARY KEY (report_id, reference)
                    );
                    CREATE INDEX report_items_by_item ON report_items(item_id);
                    CREATE TABLE report_cases (report_id INTEGER PRIMARY KEY REFERENCES reports(id), case_id INTEGER NOT NULL);
                    CREATE INDEX report_cases_by_case ON report_cases(case_id);
                    CREATE TABLE report_link_keys (key TEXT NOT NULL, report_id INTEGER NOT NULL REFERENCES reports(id));
                    CREATE INDEX report_link_keys_by_key ON report_link_keys(key);
                    """)
        }
    }

    static let itemColumns = "id, sha256, md5, pdq, classification, member_states, classified_by, classified_at, report_count, viral, first_seen_at"

    static func storedItem(_ row: Row) -> StoredItem {
        StoredItem(
            id: row[0], sha256: row[1], md5: row[2], pdq: row[3], verdict: StoreRules.verdict(classification: row[4], memberStates: row[5]),
            classifiedBy: row[6], classifiedAt: row[7], reportCount: row[8],
            viral: row[9], firstSeenAt: row[10])
    }
}

extension SQLiteTransaction {
    /// At most this many keys per statement of ``linkReport(reportId:files:keys:)``'s case lookup and
    /// key insert (each count is its own cached statement).
    private static let keysPerStatement = 8

    func linkReport(reportId: Int64, files: [LinkedFile], keys: [String]) throws(StoreError) -> ReportLinks {
        // Every statement cached (prepared once per connection) and as few as the rule allows: intake
        // runs these for every report, in its group commit's one writer.
        try database {
            // Before this transaction makes any item: the committed items' PDQs, caught up.
            try itemPDQ.prepare(for: serial) { from in
                try Row.fetchAll(db.cachedStatement(sql: "SELECT id, pdq FROM items WHERE id > ? ORDER BY id"), arguments: [from]).map {
                    (id: $0[0], pdq: $0[1])
                }
            }
            var items: [String: StoredItem] = [:]
            var linked: [StoredItem] = []
            for file in files {
                let stored = try linkItem(file, reportId: reportId)
                items[file.reference] = stored
                linked.append(stored)
            }
            let linkKeys = StoreRules.linkKeys(keys, items: linked)
            // The cases sharing a key merge into one, named by its smallest report id. Every report
            // holding a key is in one case already (the second one merged them), so one report per
            // key names its case: a key shared by many reports costs one indexed lookup, not one per report.
            var cases: Set<Int64> = []
            for start in stride(from: 0, to: linkKeys.count, by: Self.keysPerStatement) {
                let group = Array(linkKeys[start..<min(start + Self.keysPerStatement, linkKeys.count)])
                let lookup = Array(
                    repeating: "(SELECT c.case_id FROM report_link_keys k JOIN report_cases c ON c.report_id = k.report_id WHERE k.key = ? LIMIT 1)",
                    count: group.count)
                guard
                    let row = try Row.fetchOne(
                        db.cachedStatement(sql: "SELECT " + lookup.joined(separator: ", ")), arguments: StatementArguments(group))
                else { continue }
                for column in 0..<group.count {
                    if let found: Int64 = row[column] { cases.insert(found) }
                }
            }
            let caseId = StoreRules.caseId(of: reportId, merging: cases)
            for other in cases where other != caseId {
                try db.cachedStatement(sql: "UPDATE report_cases SET case_id = ? WHERE case_id = ?").execute(arguments: [caseId, other])
            }
            try db.cachedStatement(sql: "INSERT OR REPLACE INTO report_cases (report_id, case_id) VALUES (?, ?)").execute(arguments: [
                reportId, caseId,
            ])
            for start in stride(from: 0, to: linkKeys.count, by: Self.keysPerStatement) {
                let group = linkKeys[start..<min(start + Self.keysPerStatement, linkKeys.count)]
                var arguments = StatementArguments()
                for key in group { _ = arguments.append(contentsOf: [key, reportId]) }
                let values = Array(repeating: "(?, ?)", count: group.count).joined(separator: ", ")
                try db.cachedStatement(sql: "INSERT INTO report_link_keys (key, report_id) VALUES \(values)").execute(arguments: arguments)
            }
            return ReportLinks(caseId: caseId, items: items)
        }
    }

    /// Links one file of report `reportId` to its item (found again, or new) and counts the report
    /// on it: the item as it is afterwards.
    private func linkItem(_ file: LinkedFile, reportId: Int64) throws -> StoredItem {
        let hash = file.pdq.flatMap(ItemPDQIndex.hash)
        guard let id = try findItem(file, pdq: hash) else { return try createItem(file, pdq: hash, reportId: reportId) }
        try db.cachedStatement(sql: "INSERT OR IGNORE INTO report_items (report_id, reference, item_id) VALUES (?, ?, ?)").execute(
            arguments: [reportId, file.reference, id])
        // Records hashes the item did not have yet (a later report may bring the bytes, and so the
        // SHA-256) and, when the report was not counted on it yet, counts it: one statement answering the row.
        let row: Row?
        if db.changesCount > 0 {
            row = try Row.fetchOne(
                db.cachedStatement(
                    sql: """
                        UPDATE items SET sha256 = COALESCE(sha256, ?), md5 = COALESCE(md5, ?), report_count = report_count + 1,
                            viral = viral OR ? OR report_count + 1 >= ?
                        WHERE id = ? RETURNING \(SQLiteStore.itemColumns)
                        """), arguments: [file.sha256, file.md5, file.flaggedViral, ReportLinking.viralReports, id])
        } else {
            row = try Row.fetchOne(
                db.cachedStatement(
                    sql: "UPDATE items SET sha256 = COALESCE(sha256, ?), md5 = COALESCE(md5, ?) WHERE id = ? RETURNING \(SQLiteStore.itemColumns)"),
                arguments: [file.sha256, file.md5, id])
        }
        guard let row else { throw StoreError.internal("item \(id) vanished while a report was linked to it") }
        return SQLiteStore.storedItem(row)
    }

    /// The item of a file: the one with its SHA-256, else its MD5, else a PDQ within the radius (the
    /// smallest id of each); nil when there is none.
    private func findItem(_ file: LinkedFile, pdq hash: ItemPDQIndex.Hash?) throws -> Int64? {
        if file.sha256 != nil || file.md5 != nil,
            let id = try Int64.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT COALESCE((SELECT id FROM items WHERE sha256 = ? ORDER BY id LIMIT 1), (SELECT id FROM items WHERE md5 = ? ORDER BY id LIMIT 1))
                        """), arguments: [file.sha256, file.md5])
        {
            return id
        }
        // In memory: what the 16 indexed lookups of `item_pdq_chunks` and the check bit by bit answer.
        guard let hash else { return nil }
        return itemPDQ.nearest(hash, within: ReportLinking.samePDQRadius)
    }

    /// A new item for `file`, counted once for report `reportId`, with its PDQ's chunks.
    private func createItem(_ file: LinkedFile, pdq hash: ItemPDQIndex.Hash?, reportId: Int64) throws -> StoredItem {
        // Written as it is once the report is counted on it (the count and the viral rule of an
        // existing item's update, from zero), so the new row needs no second write.
        let viral = StoreRules.newItemIsViral(file)
        let pdq = hash == nil ? nil : file.pdq
        try db.cachedStatement(sql: "INSERT INTO items (sha256, md5, pdq, first_seen_at, report_count, viral) VALUES (?, ?, ?, ?, 1, ?)").execute(
            arguments: [file.sha256, file.md5, pdq, stamp, viral])
        let id = db.lastInsertedRowID
        if let hash {
            itemPDQ.add(id: id, hash: hash)
            let chunks = ItemPDQIndex.chunks(hash)
            var arguments = StatementArguments()
            for chunk in chunks { _ = arguments.append(contentsOf: [chunk, id]) }
            let values = Array(repeating: "(?, ?)", count: chunks.count).joined(separator: ", ")
            try db.cachedStatement(sql: "INSERT INTO item_pdq_chunks (chunk, item_id) VALUES \(values)").execute(arguments: arguments)
        }
        var item = StoredItem(
            id: id, sha256: file.sha256, md5: file.md5, pdq: pdq, verdict: nil, classifiedBy: nil, classifiedAt: nil, reportCount: 1, viral: viral,
            firstSeenAt: stamp)
        try db.cachedStatement(sql: "INSERT OR IGNORE INTO report_items (report_id, reference, item_id) VALUES (?, ?, ?)").execute(
            arguments: [reportId, file.reference, id])
        if db.changesCount == 0 {
            // The report was counted on it already (not the case for a report's new item, whose
            // references are distinct): as the item was before the count.
            try db.cachedStatement(sql: "UPDATE items SET report_count = 0, viral = 0 WHERE id = ?").execute(arguments: [id])
            item.reportCount = 0
            item.viral = false
        }
        return item
    }

    func classifyItem(id: Int64, verdict: ItemVerdict, by actor: String) throws(StoreError) -> StoredItem {
        let current = try database {
            try Row.fetchOne(db, sql: "SELECT \(SQLiteStore.itemColumns) FROM items WHERE id = ?", arguments: [id]).map(SQLiteStore.storedItem)
        }
        var item = try StoreRules.classifiable(current, id: id)
        let states = StoreRules.memberStatesText(verdict)
        try database {
            try db.execute(
                sql:
                    "UPDATE items SET classification = ?, member_states = ?, classified_by = ?, classified_at = ? WHERE id = ? AND classification IS NULL",
                arguments: [verdict.classification.rawValue, states, actor, stamp, id])
        }
        item.verdict = verdict
        item.classifiedBy = actor
        item.classifiedAt = stamp
        return item
    }
}

extension SQLiteStore: ItemStore {
    public func items(reportId: Int64) async throws(StoreError) -> [String: StoredItem] {
        try await read { db in
            var items: [String: StoredItem] = [:]
            let columns = Self.itemColumns.split(separator: ",").map { "i." + $0.trimmingCharacters(in: .whitespaces) }.joined(separator: ", ")
            for row in try Row.fetchAll(
                db, sql: "SELECT \(columns), r.reference FROM report_items r JOIN items i ON i.id = r.item_id WHERE r.report_id = ?",
                arguments: [reportId])
            {
                let reference: String = row[11]
                items[reference] = Self.storedItem(row)
            }
            return items
        }
    }

    public func item(id: Int64) async throws(StoreError) -> StoredItem? {
        try await read { db in try Row.fetchOne(db, sql: "SELECT \(Self.itemColumns) FROM items WHERE id = ?", arguments: [id]).map(Self.storedItem) }
    }

    public func reportCase(of reportId: Int64) async throws(StoreError) -> (caseId: Int64, reports: [Int64])? {
        try await read { db in
            guard let caseId = try Int64.fetchOne(db, sql: "SELECT case_id FROM report_cases WHERE report_id = ?", arguments: [reportId]) else {
                return nil
            }
            let reports = try Int64.fetchAll(db, sql: "SELECT report_id FROM report_cases WHERE case_id = ? ORDER BY report_id", arguments: [caseId])
            return (caseId, reports)
        }
    }
}

// MARK: Proposals

extension SQLiteStore {
    static func registerItemProposalsMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v15-item-proposals") { db in
            try db.execute(
                sql: """
                    CREATE TABLE item_proposals (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        item_id INTEGER NOT NULL REFERENCES items(id),
                        list_name TEXT NOT NULL,
                        report_id INTEGER,
                        proposed_by TEXT NOT NULL,
                        proposed_at TEXT NOT NULL,
                        state TEXT NOT NULL,
                        reviewed_by TEXT,
                        reviewed_at TEXT,
                        entry_ids TEXT NOT NULL DEFAULT ''
                    );
                    CREATE INDEX item_proposals_by_state ON item_proposals(state, id);
                    """)
        }
    }

    static let proposalColumns = "id, item_id, list_name, report_id, proposed_by, proposed_at, state, reviewed_by, reviewed_at, entry_ids"

    static func itemProposal(_ row: Row) throws -> ItemProposal {
        ItemProposal(
            id: row[0], itemId: row[1], list: row[2], reportId: row[3], proposedBy: row[4], proposedAt: row[5],
            state: try StoreRules.proposalState(row[6]),
            reviewedBy: row[7], reviewedAt: row[8], entryIds: StoreRules.entryIds(row[9]))
    }
}

extension SQLiteTransaction {
    func item(id: Int64) throws(StoreError) -> StoredItem? {
        try database {
            try Row.fetchOne(db, sql: "SELECT \(SQLiteStore.itemColumns) FROM items WHERE id = ?", arguments: [id]).map(SQLiteStore.storedItem)
        }
    }

    func proposeItem(id: Int64, toList list: String, reportId: Int64?, by actor: String) throws(StoreError) -> ItemProposal {
        guard try item(id: id) != nil else { throw .itemNotFound(id) }
        let proposalId = try database {
            try db.execute(
                sql: "INSERT INTO item_proposals (item_id, list_name, report_id, proposed_by, proposed_at, state) VALUES (?, ?, ?, ?, ?, 'proposed')",
                arguments: [id, list, reportId, actor, stamp])
            return db.lastInsertedRowID
        }
        return ItemProposal(
            id: proposalId, itemId: id, list: list, reportId: reportId, proposedBy: actor, proposedAt: stamp, state: .proposed, reviewedBy: nil,
            reviewedAt: nil, entryIds: [])
    }

    func itemProposal(id: Int64) throws(StoreError) -> ItemProposal? {
        try database {
            try Row.fetchOne(db, sql: "SELECT \(SQLiteStore.proposalColumns) FROM item_proposals WHERE id = ?", arguments: [id])
                .map(SQLiteStore.itemProposal)
        }
    }

    func reviewItemProposal(id: Int64, approved: Bool, by actor: String, entryIds: [Int64]) throws(StoreError) -> ItemProposal {
        let proposal = try StoreRules.reviewed(itemProposal(id: id), id: id, approved: approved, by: actor, at: stamp, entryIds: entryIds)
        try database {
            try db.execute(
                sql: "UPDATE item_proposals SET state = ?, reviewed_by = ?, reviewed_at = ?, entry_ids = ? WHERE id = ? AND state = 'proposed'",
                arguments: [proposal.state.rawValue, actor, stamp, StoreRules.entryIdsText(entryIds), id])
        }
        return proposal
    }
}
