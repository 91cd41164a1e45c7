public import Foundation
import PostgresNIO
public import VigilDomain

// The Centre's items, cases and linking, and item proposals on PostgreSQL: SQLite's semantics
// (SQLiteStore+Items.swift; the rules both follow are in StoreRules+Items.swift) in as few round
// trips as they allow, since each statement is one. An item's PDQ is also stored as 16 chunks of
// 16 bits (`item_pdq_chunks`, for an indexed lookup in SQL); linking finds near-duplicates by the
// same chunks in memory (`ItemPDQIndex`, caught up from `items` in each write transaction).

extension PostgresTransaction {
    /// The item columns ``storedItem(_:)`` reads, in this order.
    static let itemColumns = "id, sha256, md5, pdq, classification, member_states, classified_by, classified_at, report_count, viral, first_seen_at"

    static func storedItem(_ row: PostgresRow) throws(StoreError) -> StoredItem {
        let (id, sha256, md5, pdq, classification, states, classifiedBy, classifiedAt, count, viral, firstSeenAt) = try row.decoded(
            (Int64, String?, String?, String?, String?, String, String?, String?, Int, Bool, String).self)
        return StoredItem(
            id: id, sha256: sha256, md5: md5, pdq: pdq, verdict: StoreRules.verdict(classification: classification, memberStates: states),
            classifiedBy: classifiedBy, classifiedAt: classifiedAt, reportCount: count, viral: viral, firstSeenAt: firstSeenAt)
    }

    static func fetchItem(_ session: PostgresSession, id: Int64) throws(StoreError) -> StoredItem? {
        try session.rows("SELECT \(unescaped: itemColumns) FROM items WHERE id = \(id)").first.map(storedItem)
    }

    static let proposalColumns = "id, item_id, list_name, report_id, proposed_by, proposed_at, state, reviewed_by, reviewed_at, entry_ids"

    static func itemProposal(_ row: PostgresRow) throws(StoreError) -> ItemProposal {
        let (id, itemId, list, reportId, proposedBy, proposedAt, state, reviewedBy, reviewedAt, entries) = try row.decoded(
            (Int64, Int64, String, Int64?, String, String, String, String?, String?, String).self)
        return ItemProposal(
            id: id, itemId: itemId, list: list, reportId: reportId, proposedBy: proposedBy, proposedAt: proposedAt,
            state: try StoreRules.proposalState(state), reviewedBy: reviewedBy, reviewedAt: reviewedAt, entryIds: StoreRules.entryIds(entries))
    }

    // MARK: Linking

    func linkReport(reportId: Int64, files: [LinkedFile], keys: [String]) throws(StoreError) -> ReportLinks {
        // Before this transaction makes any item: the committed items' PDQs, caught up (it holds
        // the writer lock, so every item committed by any node is visible to this read).
        let session = self.session
        try itemPDQ.prepare(for: serial) { (from: Int64) throws(StoreError) -> [(id: Int64, pdq: String?)] in
            try session.rows("SELECT id, pdq FROM items WHERE id > \(from) ORDER BY id").map {
                (row: PostgresRow) throws(StoreError) -> (id: Int64, pdq: String?) in try row.decoded((Int64, String?).self)
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
        // holding a key is in one case already, so one report per key names its case: one
        // statement for all the keys, one indexed lookup each.
        var cases: Set<Int64> = []
        if !linkKeys.isEmpty {
            for row in try session.rows(
                """
                SELECT (SELECT c.case_id FROM report_link_keys k JOIN report_cases c ON c.report_id = k.report_id WHERE k.key = u.key LIMIT 1)
                FROM unnest(\(linkKeys)::text[]) AS u(key)
                """)
            {
                if let found = try row.column(0, as: Int64?.self) { cases.insert(found) }
            }
        }
        let caseId = StoreRules.caseId(of: reportId, merging: cases)
        let others = cases.filter { $0 != caseId }.sorted()
        if !others.isEmpty {
            try session.execute("UPDATE report_cases SET case_id = \(caseId) WHERE case_id = ANY(\(others)::bigint[])")
        }
        // The report's case and its keys, in one statement.
        try session.execute(
            """
            WITH placed AS (
                INSERT INTO report_cases (report_id, case_id) VALUES (\(reportId), \(caseId))
                ON CONFLICT (report_id) DO UPDATE SET case_id = excluded.case_id
            )
            INSERT INTO report_link_keys (key, report_id)
            SELECT u.key, \(reportId) FROM unnest(\(linkKeys)::text[]) WITH ORDINALITY AS u(key, o) ORDER BY u.o
            """)
        return ReportLinks(caseId: caseId, items: items)
    }

    /// Links one file of report `reportId` to its item (found again, or new) and counts the report
    /// on it: the item as it is afterwards.
    private func linkItem(_ file: LinkedFile, reportId: Int64) throws(StoreError) -> StoredItem {
        let hash = file.pdq.flatMap(ItemPDQIndex.hash)
        guard let id = try findItem(file, pdq: hash) else { return try createItem(file, pdq: hash, reportId: reportId) }
        // Links the file; records hashes the item did not have yet (a later report may bring the
        // bytes, and so the SHA-256) and, when the report was not counted on it yet (the link is
        // new), counts it: one statement answering the row.
        guard
            let row = try session.rows(
                """
                WITH linked AS (
                    INSERT INTO report_items (report_id, reference, item_id) VALUES (\(reportId), \(file.reference), \(id))
                    ON CONFLICT DO NOTHING RETURNING 1
                ), counted AS (SELECT COUNT(*) AS n FROM linked)
                UPDATE items SET sha256 = COALESCE(sha256, \(file.sha256)), md5 = COALESCE(md5, \(file.md5)),
                    report_count = report_count + counted.n,
                    viral = viral OR (counted.n > 0 AND (\(file.flaggedViral) OR report_count + 1 >= \(ReportLinking.viralReports)))
                FROM counted WHERE id = \(id) RETURNING \(unescaped: Self.itemColumns)
                """
            ).first
        else { throw .internal("item \(id) vanished while a report was linked to it") }
        return try Self.storedItem(row)
    }

    /// The item of a file: the one with its SHA-256, else its MD5, else a PDQ within the radius (the
    /// smallest id of each); nil when there is none.
    private func findItem(_ file: LinkedFile, pdq hash: ItemPDQIndex.Hash?) throws(StoreError) -> Int64? {
        if file.sha256 != nil || file.md5 != nil,
            let id = try session.value(
                """
                SELECT COALESCE((SELECT id FROM items WHERE sha256 = \(file.sha256) ORDER BY id LIMIT 1),
                    (SELECT id FROM items WHERE md5 = \(file.md5) ORDER BY id LIMIT 1))
                """, as: Int64?.self) ?? nil
        {
            return id
        }
        // In memory: what the 16 indexed lookups of `item_pdq_chunks` and the check bit by bit answer.
        guard let hash else { return nil }
        return itemPDQ.nearest(hash, within: ReportLinking.samePDQRadius)
    }

    /// A new item for `file`, counted once for report `reportId`, with its PDQ's chunks: one statement.
    private func createItem(_ file: LinkedFile, pdq hash: ItemPDQIndex.Hash?, reportId: Int64) throws(StoreError) -> StoredItem {
        // Written as it is once the report is counted on it (the count and the viral rule of an
        // existing item's update, from zero), so the new row needs no second write.
        let viral = StoreRules.newItemIsViral(file)
        let pdq = hash == nil ? nil : file.pdq
        let chunks = hash.map { ItemPDQIndex.chunks($0).map { Int32(truncatingIfNeeded: $0) } } ?? []
        guard
            let row = try session.rows(
                """
                WITH made AS (
                    INSERT INTO items (sha256, md5, pdq, first_seen_at, report_count, viral)
                    VALUES (\(file.sha256), \(file.md5), \(pdq), \(stamp), 1, \(viral)) RETURNING id
                ), chunked AS (
                    INSERT INTO item_pdq_chunks (chunk, item_id) SELECT c, made.id FROM made, unnest(\(chunks)::integer[]) AS c
                ), linked AS (
                    INSERT INTO report_items (report_id, reference, item_id) SELECT \(reportId), \(file.reference), made.id FROM made
                    ON CONFLICT DO NOTHING RETURNING 1
                )
                SELECT made.id, EXISTS (SELECT 1 FROM linked) FROM made
                """
            ).first
        else { throw .internal("an item was written but no id came back") }
        let (id, counted) = try row.decoded((Int64, Bool).self)
        if let hash { itemPDQ.add(id: id, hash: hash) }
        var item = StoredItem(
            id: id, sha256: file.sha256, md5: file.md5, pdq: pdq, verdict: nil, classifiedBy: nil, classifiedAt: nil, reportCount: 1, viral: viral,
            firstSeenAt: stamp)
        if !counted {
            // The report was counted on it already (not the case for a report's new item, whose
            // references are distinct): as the item was before the count.
            try session.execute("UPDATE items SET report_count = 0, viral = FALSE WHERE id = \(id)")
            item.reportCount = 0
            item.viral = false
        }
        return item
    }

    // MARK: Classifying and proposals

    func classifyItem(id: Int64, verdict: ItemVerdict, by actor: String) throws(StoreError) -> StoredItem {
        var item = try StoreRules.classifiable(Self.fetchItem(session, id: id), id: id)
        try session.execute(
            """
            UPDATE items SET classification = \(verdict.classification.rawValue), member_states = \(StoreRules.memberStatesText(verdict)),
                classified_by = \(actor), classified_at = \(stamp) WHERE id = \(id) AND classification IS NULL
            """)
        item.verdict = verdict
        item.classifiedBy = actor
        item.classifiedAt = stamp
        return item
    }

    func item(id: Int64) throws(StoreError) -> StoredItem? {
        try Self.fetchItem(session, id: id)
    }

    func proposeItem(id: Int64, toList list: String, reportId: Int64?, by actor: String) throws(StoreError) -> ItemProposal {
        guard try item(id: id) != nil else { throw .itemNotFound(id) }
        guard
            let proposalId = try session.value(
                """
                INSERT INTO item_proposals (item_id, list_name, report_id, proposed_by, proposed_at, state)
                VALUES (\(id), \(list), \(reportId), \(actor), \(stamp), 'proposed') RETURNING id
                """, as: Int64.self)
        else { throw .internal("a proposal was written but no id came back") }
        return ItemProposal(
            id: proposalId, itemId: id, list: list, reportId: reportId, proposedBy: actor, proposedAt: stamp, state: .proposed, reviewedBy: nil,
            reviewedAt: nil, entryIds: [])
    }

    func itemProposal(id: Int64) throws(StoreError) -> ItemProposal? {
        try session.rows("SELECT \(unescaped: Self.proposalColumns) FROM item_proposals WHERE id = \(id)").first.map(Self.itemProposal)
    }

    func reviewItemProposal(id: Int64, approved: Bool, by actor: String, entryIds: [Int64]) throws(StoreError) -> ItemProposal {
        let proposal = try StoreRules.reviewed(itemProposal(id: id), id: id, approved: approved, by: actor, at: stamp, entryIds: entryIds)
        try session.execute(
            """
            UPDATE item_proposals SET state = \(proposal.state.rawValue), reviewed_by = \(actor), reviewed_at = \(stamp),
                entry_ids = \(StoreRules.entryIdsText(entryIds)) WHERE id = \(id) AND state = 'proposed'
            """)
        return proposal
    }
}

extension PostgresStore: ItemStore {
    public func items(reportId: Int64) async throws(StoreError) -> [String: StoredItem] {
        let columns = PostgresTransaction.itemColumns.split(separator: ",").map { "i." + $0.trimmingCharacters(in: .whitespaces) }.joined(
            separator: ", ")
        return try await read { session throws(StoreError) in
            var items: [String: StoredItem] = [:]
            for row in try session.rows(
                "SELECT \(unescaped: columns), r.reference FROM report_items r JOIN items i ON i.id = r.item_id WHERE r.report_id = \(reportId)")
            {
                items[try row.column(11, as: String.self)] = try PostgresTransaction.storedItem(row)
            }
            return items
        }
    }

    public func item(id: Int64) async throws(StoreError) -> StoredItem? {
        try await read { session throws(StoreError) in try PostgresTransaction.fetchItem(session, id: id) }
    }

    public func reportCase(of reportId: Int64) async throws(StoreError) -> (caseId: Int64, reports: [Int64])? {
        let rows = try await read { session throws(StoreError) -> [[Int64]] in
            try session.rows(
                """
                SELECT case_id, report_id FROM report_cases
                WHERE case_id = (SELECT case_id FROM report_cases WHERE report_id = \(reportId)) ORDER BY report_id
                """
            ).map { (row: PostgresRow) throws(StoreError) -> [Int64] in
                let (caseId, report) = try row.decoded((Int64, Int64).self)
                return [caseId, report]
            }
        }
        guard let first = rows.first else { return nil }
        return (first[0], rows.map { $0[1] })
    }
}
