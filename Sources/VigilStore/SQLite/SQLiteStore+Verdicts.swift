import Foundation
import GRDB
import VigilDomain

// Verdicts on entries and their feedback messages on SQLite (migration v22-verdicts); the rules
// are ``StoreTransaction``'s (Verdicts.swift).

extension SQLiteStore: VerdictStore {
    /// Migration v22 (`v22-verdicts`): which exchange brought each entry (`exchange_entries`,
    /// filled for the entries fetched before it by list and source organisation), the verdicts
    /// (one per entry and reviewer) and the feedback messages (their ids are the delivery ids).
    static func registerVerdictsMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v22-verdicts") { db in
            try db.execute(
                sql: """
                    CREATE TABLE exchange_entries (
                        entry_id INTEGER PRIMARY KEY,
                        exchange_id INTEGER NOT NULL
                    );
                    INSERT OR IGNORE INTO exchange_entries (entry_id, exchange_id)
                        SELECT e.id, x.id FROM entries e JOIN exchanges x ON x.list_id = e.list_id
                        WHERE (x.kind = 'fb_threatexchange' AND e.source_organisation = 'ThreatExchange')
                            OR (x.kind = 'ncmec' AND e.source_organisation = 'NCMEC')
                            OR (x.kind = 'stopncii' AND e.source_organisation = 'StopNCII')
                        ORDER BY x.id;
                    CREATE TABLE entry_verdicts (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        entry_id INTEGER NOT NULL REFERENCES entries(id),
                        list_id INTEGER NOT NULL,
                        reviewer TEXT NOT NULL,
                        organisation TEXT,
                        verdict TEXT NOT NULL,
                        created_at TEXT NOT NULL,
                        updated_at TEXT NOT NULL,
                        UNIQUE (entry_id, reviewer)
                    );
                    CREATE TABLE exchange_feedback (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        verdict_id INTEGER NOT NULL REFERENCES entry_verdicts(id),
                        entry_id INTEGER NOT NULL,
                        exchange_id INTEGER NOT NULL,
                        verdict TEXT NOT NULL,
                        state TEXT NOT NULL,
                        attempts INTEGER NOT NULL DEFAULT 0,
                        next_attempt_at TEXT,
                        last_error TEXT,
                        sent_at TEXT,
                        created_at TEXT NOT NULL
                    );
                    CREATE INDEX exchange_feedback_due ON exchange_feedback(next_attempt_at, id) WHERE state = 'pending';
                    CREATE INDEX exchange_feedback_by_verdict ON exchange_feedback(verdict_id, id);
                    """)
        }
    }

    static let feedbackColumns = """
        f.id, f.verdict_id, f.entry_id, f.exchange_id, x.name, f.verdict, f.state, f.attempts, f.next_attempt_at, f.last_error, f.sent_at, \
        f.created_at
        """

    static func fetchFeedback(_ db: Database, where clause: String, arguments: StatementArguments) throws -> [StoredFeedback] {
        try Row.fetchAll(
            db, sql: "SELECT \(feedbackColumns) FROM exchange_feedback f LEFT JOIN exchanges x ON x.id = f.exchange_id WHERE \(clause)",
            arguments: arguments
        ).map { row throws in
            guard let verdict = EntryVerdictKind(rawValue: row[5]), let state = FeedbackState(rawValue: row[6]) else {
                throw StoreError.internal("a feedback message has an unknown verdict or state")
            }
            return StoredFeedback(
                id: row[0], verdictId: row[1], entryId: row[2], exchangeId: row[3], exchangeName: row[4], verdict: verdict, state: state,
                attempts: row[7], nextAttemptAt: row[8], lastError: row[9], sentAt: row[10], createdAt: row[11])
        }
    }

    static func fetchVerdicts(_ db: Database, where clause: String, arguments: StatementArguments) throws -> [StoredEntryVerdict] {
        try Row.fetchAll(
            db,
            sql: "SELECT id, entry_id, list_id, reviewer, organisation, verdict, created_at, updated_at FROM entry_verdicts WHERE \(clause)",
            arguments: arguments
        ).map { row throws in
            guard let verdict = EntryVerdictKind(rawValue: row[5]) else { throw StoreError.internal("a verdict is of an unknown kind") }
            let id: Int64 = row[0]
            let feedback = try fetchFeedback(db, where: "f.verdict_id = ? ORDER BY f.id DESC LIMIT 1", arguments: [id]).first
            return StoredEntryVerdict(
                id: id, entryId: row[1], listId: row[2], reviewer: row[3], organisation: row[4], verdict: verdict, createdAt: row[6],
                updatedAt: row[7], feedback: feedback)
        }
    }

    public func verdicts(entryId: Int64) async throws(StoreError) -> [StoredEntryVerdict] {
        try await read { db in try Self.fetchVerdicts(db, where: "entry_id = ? ORDER BY id", arguments: [entryId]) }
    }

    public func feedback(id: Int64) async throws(StoreError) -> StoredFeedback? {
        try await read { db in try Self.fetchFeedback(db, where: "f.id = ?", arguments: [id]).first }
    }
}

extension SQLiteTransaction {
    func linkEntries(_ entryIds: [Int64], toExchange exchangeId: Int64) throws(StoreError) {
        guard !entryIds.isEmpty else { return }
        try database {
            let statement = try db.cachedStatement(sql: "INSERT OR IGNORE INTO exchange_entries (entry_id, exchange_id) VALUES (?, ?)")
            for id in entryIds { try statement.execute(arguments: [id, exchangeId]) }
        }
    }

    func exchangeOfEntry(_ entryId: Int64) throws(StoreError) -> StoredExchange? {
        try database {
            try SQLiteStore.fetchExchanges(
                db, where: "e.id = (SELECT exchange_id FROM exchange_entries WHERE entry_id = ?)", arguments: [entryId]
            ).first
        }
    }

    func verdict(entryId: Int64, reviewer: String) throws(StoreError) -> StoredEntryVerdict? {
        try database { try SQLiteStore.fetchVerdicts(db, where: "entry_id = ? AND reviewer = ?", arguments: [entryId, reviewer]).first }
    }

    func saveVerdict(_ verdict: NewEntryVerdict, listId: Int64) throws(StoreError) -> Int64 {
        try database {
            try db.execute(
                sql: """
                    INSERT INTO entry_verdicts (entry_id, list_id, reviewer, organisation, verdict, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (entry_id, reviewer) DO UPDATE SET organisation = excluded.organisation, verdict = excluded.verdict,
                        updated_at = excluded.updated_at
                    """,
                arguments: [verdict.entryId, listId, verdict.reviewer, verdict.organisation, verdict.verdict.rawValue, stamp, stamp])
            guard
                let id = try Int64.fetchOne(
                    db, sql: "SELECT id FROM entry_verdicts WHERE entry_id = ? AND reviewer = ?", arguments: [verdict.entryId, verdict.reviewer])
            else { throw StoreError.internal("a verdict was written but has no id") }
            return id
        }
    }

    func supersedePendingFeedback(verdictId: Int64) throws(StoreError) {
        try database {
            try db.execute(
                sql: "UPDATE exchange_feedback SET state = 'superseded', next_attempt_at = NULL WHERE verdict_id = ? AND state = 'pending'",
                arguments: [verdictId])
        }
    }

    func insertFeedback(verdictId: Int64, entryId: Int64, exchangeId: Int64, verdict: EntryVerdictKind) throws(StoreError) -> Int64 {
        try database {
            try db.execute(
                sql: """
                    INSERT INTO exchange_feedback (verdict_id, entry_id, exchange_id, verdict, state, attempts, next_attempt_at, created_at)
                    VALUES (?, ?, ?, ?, 'pending', 0, ?, ?)
                    """,
                arguments: [verdictId, entryId, exchangeId, verdict.rawValue, stamp, stamp])
            return db.lastInsertedRowID
        }
    }

    func feedback(id: Int64) throws(StoreError) -> StoredFeedback? {
        try database { try SQLiteStore.fetchFeedback(db, where: "f.id = ?", arguments: [id]).first }
    }

    func dueFeedback(now: Date, limit: Int) throws(StoreError) -> [StoredFeedback] {
        try database {
            try SQLiteStore.fetchFeedback(
                db, where: "f.state = 'pending' AND f.next_attempt_at <= ? ORDER BY f.next_attempt_at, f.id LIMIT ?",
                arguments: [now.rfc3339, max(0, limit)])
        }
    }

    func saveFeedback(_ feedback: StoredFeedback) throws(StoreError) {
        let changed = try database {
            try db.execute(
                sql: "UPDATE exchange_feedback SET state = ?, attempts = ?, next_attempt_at = ?, last_error = ?, sent_at = ? WHERE id = ?",
                arguments: [
                    feedback.state.rawValue, feedback.attempts, feedback.nextAttemptAt, feedback.lastError, feedback.sentAt, feedback.id,
                ])
            return db.changesCount
        }
        guard changed == 1 else { throw .invalid("there is no feedback message \(feedback.id)") }
    }
}
