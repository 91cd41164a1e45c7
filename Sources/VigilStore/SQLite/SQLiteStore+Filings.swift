public import Foundation
import GRDB
public import VigilDomain

// The provider node's filings on SQLite (migration v17): a match's action records them with its
// webhook messages; the filing worker sends them and records what the Centre said.

extension SQLiteStore: FilingStore {
    static func registerFilingsMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v17-filings") { db in
            try db.execute(
                sql: """
                    ALTER TABLE list_actions ADD COLUMN file_report INTEGER NOT NULL DEFAULT 0;
                    CREATE TABLE filings (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        reference TEXT NOT NULL UNIQUE,
                        list_id INTEGER REFERENCES lists(id),
                        state TEXT NOT NULL,
                        report BLOB NOT NULL,
                        matches BLOB NOT NULL,
                        problems BLOB NOT NULL,
                        created_at TEXT NOT NULL,
                        updated_at TEXT NOT NULL,
                        attempts INTEGER NOT NULL DEFAULT 0,
                        next_attempt_at TEXT,
                        last_error TEXT,
                        centre_report_id INTEGER,
                        filed_at TEXT,
                        centre_status BLOB,
                        checked_at TEXT
                    );
                    CREATE INDEX filings_due ON filings(next_attempt_at) WHERE state = 'queued';
                    CREATE INDEX filings_to_check ON filings(checked_at) WHERE state = 'filed';
                    """)
        }
    }

    public func filing(id: Int64) async throws(StoreError) -> StoredFiling? {
        try await read { db in try Self.fetchFiling(db, id: id) }
    }

    public func filings(state: FilingState?, after: Int64, limit: Int) async throws(StoreError) -> [StoredFiling] {
        try await read { db in
            if let state {
                return try Self.fetchFilings(
                    db, where: "state = ? AND id > ? ORDER BY id LIMIT ?", arguments: [state.rawValue, after, max(0, limit)])
            }
            return try Self.fetchFilings(db, where: "id > ? ORDER BY id LIMIT ?", arguments: [after, max(0, limit)])
        }
    }

    public func dueFilings(now: Date, limit: Int) async throws(StoreError) -> [StoredFiling] {
        let cutoff = now.rfc3339
        return try await read { db in
            try Self.fetchFilings(
                db, where: "state = 'queued' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?", arguments: [cutoff, max(0, limit)])
        }
    }

    public func recordAttempt(filingId: Int64, _ attempt: FilingAttempt) async throws(StoreError) -> StoredFiling {
        try await writeDatabase { db in
            let stamp = self.clock.now().rfc3339
            guard try Self.fetchFiling(db, id: filingId) != nil else { throw StoreError.filingNotFound(filingId) }
            switch attempt {
            case .filed(let reportId):
                try db.execute(
                    sql: """
                        UPDATE filings SET state = 'filed', attempts = attempts + 1, next_attempt_at = NULL, last_error = NULL,
                            centre_report_id = ?, filed_at = ?, updated_at = ? WHERE id = ?
                        """, arguments: [reportId, stamp, stamp, filingId])
            case .retry(let error, let at):
                try db.execute(
                    sql: """
                        UPDATE filings SET state = ?, attempts = attempts + 1, next_attempt_at = ?, last_error = ?, updated_at = ? WHERE id = ?
                        """,
                    arguments: [at == nil ? FilingState.failed.rawValue : FilingState.queued.rawValue, at?.rfc3339, error, stamp, filingId])
            case .rejected(let error):
                try db.execute(
                    sql: """
                        UPDATE filings SET state = 'rejected', attempts = attempts + 1, next_attempt_at = NULL, last_error = ?, updated_at = ?
                        WHERE id = ?
                        """, arguments: [error, stamp, filingId])
            }
            guard let filing = try Self.fetchFiling(db, id: filingId) else { throw StoreError.filingNotFound(filingId) }
            return filing
        }
    }

    public func filingsToCheck(before: Date, limit: Int) async throws(StoreError) -> [StoredFiling] {
        let cutoff = before.rfc3339
        return try await read { db in
            try Self.fetchFilings(
                db, where: "state = 'filed' AND (checked_at IS NULL OR checked_at < ?) ORDER BY checked_at IS NOT NULL, checked_at, id LIMIT ?",
                arguments: [cutoff, max(0, limit)])
        }
    }

    public func recordCentreStatus(filingId: Int64, _ status: CentreReportStatus) async throws(StoreError) {
        let json = try StoreRules.json(status)
        try await writeDatabase { db in
            let stamp = self.clock.now().rfc3339
            try db.execute(
                sql: "UPDATE filings SET centre_status = ?, checked_at = ?, updated_at = ? WHERE id = ?", arguments: [json, stamp, stamp, filingId])
            guard db.changesCount == 1 else { throw StoreError.filingNotFound(filingId) }
        }
    }

    // MARK: Rows

    static let filingColumns = """
        id, reference, list_id, state, report, matches, problems, created_at, updated_at, attempts, next_attempt_at, last_error,
        centre_report_id, filed_at, centre_status, checked_at
        """

    static func fetchFiling(_ db: Database, id: Int64) throws -> StoredFiling? {
        try fetchFilings(db, where: "id = ?", arguments: [id]).first
    }

    static func fetchFilings(_ db: Database, where clause: String, arguments: StatementArguments) throws -> [StoredFiling] {
        let decoder = ReportCoding.decoder()
        return try Row.fetchAll(db, sql: "SELECT \(filingColumns) FROM filings WHERE \(clause)", arguments: arguments).map { row in
            let stateName: String = row[3]
            guard let state = FilingState(rawValue: stateName) else { throw StoreError.internal("filing \(row[0] as Int64) has state \(stateName)") }
            let status: Data? = row[14]
            return StoredFiling(
                id: row[0], reference: row[1], listId: row[2], state: state, report: try decoder.decode(Report.self, from: row[4] as Data),
                matches: try decoder.decode([FilingMatch].self, from: row[5] as Data),
                problems: try decoder.decode([ReportProblem].self, from: row[6] as Data), createdAt: row[7], updatedAt: row[8], attempts: row[9],
                nextAttemptAt: row[10], lastError: row[11], centreReportId: row[12], filedAt: row[13],
                centreStatus: try status.map { try decoder.decode(CentreReportStatus.self, from: $0) }, checkedAt: row[15])
        }
    }
}

extension SQLiteTransaction {
    /// Records a filing: `queued` (due now) when its report is complete, else `incomplete`.
    func recordFiling(_ filing: NewFiling) throws(StoreError) -> Int64 {
        let problems = ReportValidation.problems(filing.report)
        let report = try StoreRules.json(filing.report)
        let matches = try StoreRules.json(filing.matches)
        let problemsJSON = try StoreRules.json(problems)
        return try database {
            try db.execute(
                sql: """
                    INSERT INTO filings (reference, list_id, state, report, matches, problems, created_at, updated_at, next_attempt_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    filing.reference, filing.listId, StoreRules.filingState(problems: problems).rawValue, report,
                    matches, problemsJSON, stamp, stamp, problems.isEmpty ? stamp : nil,
                ])
            return db.lastInsertedRowID
        }
    }

    func completeFiling(id: Int64, report: Report) throws(StoreError) -> StoredFiling {
        let problems = ReportValidation.problems(report)
        let reportJSON = try StoreRules.json(report)
        let problemsJSON = try StoreRules.json(problems)
        return try database {
            guard let filing = try SQLiteStore.fetchFiling(db, id: id) else { throw StoreError.filingNotFound(id) }
            guard filing.state == .incomplete else { throw StoreRules.filingNotIncomplete(id, state: filing.state) }
            try db.execute(
                sql: "UPDATE filings SET report = ?, problems = ?, state = ?, next_attempt_at = ?, updated_at = ? WHERE id = ?",
                arguments: [
                    reportJSON, problemsJSON, StoreRules.filingState(problems: problems).rawValue,
                    problems.isEmpty ? stamp : nil, stamp, id,
                ])
            guard let updated = try SQLiteStore.fetchFiling(db, id: id) else { throw StoreError.filingNotFound(id) }
            return updated
        }
    }
}
