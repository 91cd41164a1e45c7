import Foundation
import GRDB
public import VigilDomain

// The provider node's review queue on SQLite (migration v20-reviews): items queued by a match's
// actions (quarantine lists, the classifier), decided once by a person.

extension SQLiteStore: ReviewStore {
    static func registerReviewsMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v20-reviews") { db in
            try db.execute(
                sql: """
                    CREATE TABLE reviews (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        state TEXT NOT NULL,
                        reasons BLOB NOT NULL,
                        hashes BLOB NOT NULL,
                        media_type TEXT,
                        created_at TEXT NOT NULL,
                        outcome TEXT,
                        decided_by TEXT,
                        decided_organisation TEXT,
                        decided_at TEXT,
                        note TEXT
                    );
                    CREATE INDEX reviews_by_state ON reviews(state, id);
                    """)
        }
    }

    public func review(id: Int64) async throws(StoreError) -> StoredReview? {
        try await read { db in try Self.fetchReviews(db, where: "id = ?", arguments: [id]).first }
    }

    public func reviews(state: ReviewState?, after: ReviewCursor?, limit: Int) async throws(StoreError) -> [StoredReview] {
        let limit = max(0, limit)
        return try await read { db in
            // Open before decided ('open' > 'decided', so state descending), then by id.
            var clauses: [String] = []
            var arguments: StatementArguments = []
            if let state {
                clauses.append("state = ?")
                arguments += [state.rawValue]
            }
            if let after {
                clauses.append("(state < ? OR (state = ? AND id > ?))")
                arguments += [after.state.rawValue, after.state.rawValue, after.id]
            }
            let condition = clauses.isEmpty ? "1" : clauses.joined(separator: " AND ")
            arguments += [limit]
            return try Self.fetchReviews(db, where: "\(condition) ORDER BY state DESC, id LIMIT ?", arguments: arguments)
        }
    }

    static let reviewColumns = "id, state, reasons, hashes, media_type, created_at, outcome, decided_by, decided_organisation, decided_at, note"

    static func fetchReviews(_ db: Database, where clause: String, arguments: StatementArguments) throws -> [StoredReview] {
        try Row.fetchAll(db, sql: "SELECT \(reviewColumns) FROM reviews WHERE \(clause)", arguments: arguments).map { row in
            let id: Int64 = row[0]
            let stateName: String = row[1]
            let outcomeName: String? = row[6]
            return try ReviewRows.review(
                id: id, state: stateName, reasons: row[2] as Data, hashes: row[3] as Data, mediaType: row[4], createdAt: row[5],
                outcome: outcomeName, by: row[7], organisation: row[8], at: row[9], note: row[10])
        }
    }
}

extension SQLiteTransaction {
    func queueReview(_ review: NewReview) throws(StoreError) -> Int64 {
        try StoreRules.check(review)
        let reasons = try StoreRules.json(review.reasons)
        let hashes = try StoreRules.json(review.hashes)
        return try database {
            try db.execute(
                sql: "INSERT INTO reviews (state, reasons, hashes, media_type, created_at) VALUES ('open', ?, ?, ?, ?)",
                arguments: [reasons, hashes, review.mediaType, stamp])
            return db.lastInsertedRowID
        }
    }

    func decideReview(id: Int64, _ decision: ReviewDecision) throws(StoreError) -> StoredReview {
        try StoreRules.check(decision)
        // One statement decides only an open item: of many deciders, the first one's change is made.
        let changed = try database {
            try db.execute(
                sql: """
                    UPDATE reviews SET state = 'decided', outcome = ?, decided_by = ?, decided_organisation = ?, decided_at = ?, note = ?
                    WHERE id = ? AND state = 'open'
                    """,
                arguments: [decision.outcome.rawValue, decision.by, decision.organisation, stamp, decision.note, id])
            return db.changesCount
        }
        let review = try database { try SQLiteStore.fetchReviews(db, where: "id = ?", arguments: [id]).first }
        guard let review else { throw .reviewNotFound(id) }
        guard changed == 1 else {
            throw .reviewDecided(id, as: review.decision?.outcome.rawValue ?? "decided", by: review.decision?.by ?? "someone")
        }
        return review
    }
}

/// Rows of the review queue as both stores read them.
enum ReviewRows {
    static func review(
        id: Int64, state stateName: String, reasons: Data, hashes: Data, mediaType: String?, createdAt: String, outcome: String?, by: String?,
        organisation: String?, at: String?, note: String?
    ) throws(StoreError) -> StoredReview {
        guard let state = ReviewState(rawValue: stateName) else { throw .internal("review \(id) has state \(stateName)") }
        var decision: ReviewDecision?
        if let outcome {
            guard let parsed = ReviewOutcome(rawValue: outcome), let by, let at else { throw .internal("review \(id) has a broken decision") }
            decision = ReviewDecision(outcome: parsed, by: by, organisation: organisation, at: at, note: note)
        }
        let decoder = ReportCoding.decoder()
        do {
            return StoredReview(
                id: id, state: state, reasons: try decoder.decode([ReviewReason].self, from: reasons),
                hashes: try decoder.decode([FileHash].self, from: hashes), mediaType: mediaType, createdAt: createdAt, decision: decision)
        } catch {
            throw .internal("review \(id) could not be read", underlying: error)
        }
    }
}
