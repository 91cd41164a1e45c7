import Crypto
import Foundation
import GRDB
import PostgresNIO
import Testing
import VigilDomain
import VigilTestSupport

@testable import VigilCentre
@testable import VigilStore

/// Linking pinned on a seeded stream of filings: items found again by SHA-256, MD5 or a PDQ within
/// the radius (and not beyond it), re-report counts, viral items, cases merged, items classified
/// between batches (so that later reports are forwarded on intake), repeated references failing
/// alone, whole batches rolled back, and a restart. Every row intake writes is compared, as a digest, with what
/// the statements of session 6 wrote for the same stream, so a faster linking must write exactly
/// the same rows (and answer the same).
@Suite("Linking on a seeded stream")
struct LinkingStreamTests {
    /// What the stream's rows and answers digest to (the implementation of session 6, 26c5f2e).
    static let pinnedDigest = "e93c6e62baab0d5a7440018e438a685a623156a48762d37adb5c7c6f24f3e085"

    /// A base PDQ hash with `bits` random bits flipped.
    static func near(_ base: String, bits: Int, using generator: inout SplitMix64) -> String {
        var digits = Array(base.utf8).map { Int(String(UnicodeScalar($0)), radix: 16) ?? 0 }
        var flipped = Set<Int>()
        while flipped.count < bits { flipped.insert(Int.random(in: 0..<256, using: &generator)) }
        for bit in flipped { digits[bit / 4] ^= 1 << (bit % 4) }
        return String(digits.map { Character(String($0, radix: 16)) })
    }

    /// One random report of material, its hashes and people drawn from small pools so that they repeat.
    static func report(
        _ reference: String, pools: Pools, using generator: inout SplitMix64
    ) -> Report {
        var report = Samples.report(reference: reference)
        report.files = (0..<max(1, Int.random(in: -1...3, using: &generator))).map { index in
            var hashes: [FileHash] = []
            let kind = Int.random(in: 0..<6, using: &generator)
            if kind == 0 || kind == 3 { hashes.append(FileHash(algorithm: .md5, value: pools.md5.randomElement(using: &generator) ?? "")) }
            if kind == 1 || kind == 3 || kind == 5 {
                hashes.append(FileHash(algorithm: .sha256, value: pools.sha256.randomElement(using: &generator) ?? ""))
            }
            if kind == 2 || kind == 4 || kind == 5 {
                let base = pools.pdq.randomElement(using: &generator) ?? ""
                hashes.append(FileHash(algorithm: .pdq, value: near(base, bits: Int.random(in: 0...24, using: &generator), using: &generator)))
            }
            if kind == 4 { hashes.append(FileHash(algorithm: .md5, value: generator.hex(bytes: 16))) }
            let annotations: [FileAnnotation] = Int.random(in: 0..<25, using: &generator) == 0 ? [.potentialMeme] : []
            let events =
                Bool.random(using: &generator)
                ? [
                    IPCaptureEvent(
                        ip: pools.ips.randomElement(using: &generator) ?? "", port: Bool.random(using: &generator) ? 4_000 : nil,
                        at: "2025-12-31T22:15:00Z", event: "upload")
                ]
                : []
            return ReportedFile(reference: "f\(index)", hashes: hashes, annotations: annotations, ipEvents: events)
        }
        report.users = (0..<Int.random(in: 1...2, using: &generator)).map { _ in
            ReportedUser(role: .suspect, identifier: pools.users.randomElement(using: &generator) ?? "", accountCountry: "DE")
        }
        report.type = Bool.random(using: &generator) ? .newMaterial : .knownMaterial
        return report
    }

    struct Pools {
        var md5: [String]
        var sha256: [String]
        var pdq: [String]
        var users: [String]
        var ips: [String]
    }

    /// What running the stream left: the store (after its restart), the answers, and the ids of
    /// the reports filed, in filing order.
    struct Run {
        var store: any NodeStore
        var answers: [String]
        var reports: [Int64]
    }

    /// Files the seeded stream through `store` (opened again with `reopen` at batch 30).
    static func stream(_ store: any NodeStore, reopen: () async throws -> any NodeStore, clock: ManualClock) async throws -> Run {
        var store = store
        let (alice, aliceSigner) = try await Samples.provider(store)
        let (bob, bobSigner) = try await Samples.provider(store, name: "Other Service")
        var generator = SplitMix64(seed: 20_261_130)
        let pools = Pools(
            md5: (0..<120).map { _ in generator.hex(bytes: 16) }, sha256: (0..<120).map { _ in generator.hex(bytes: 32) },
            pdq: (0..<30).map { _ in generator.hex(bytes: 32) }, users: (0..<1_000).map { "user-\($0)" },
            ips: (0..<250).map { "198.51.100.\($0 + 1)" })
        var answers: [String] = []
        var references: [String] = []
        var filed: [Int64] = []
        for batch in 0..<48 {
            clock.advance(by: 1)
            if batch == 30 {
                // A restart: a new store on the same database carries on.
                store = try await reopen()
            }
            var filings: [ReportIntake.Filing] = []
            for _ in 0..<Int.random(in: 1...14, using: &generator) {
                let bobs = Int.random(in: 0..<3, using: &generator) == 0
                let repeated = !references.isEmpty && Int.random(in: 0..<20, using: &generator) == 0
                let reference = repeated ? (references.randomElement(using: &generator) ?? "") : "r\(references.count)"
                if !repeated { references.append(reference) }
                let report = Self.report(reference, pools: pools, using: &generator)
                let signer = bobs ? bobSigner : aliceSigner
                let principal = bobs ? bob : alice
                filings.append(
                    ReportIntake.Filing(
                        report: NewReport(
                            organisationId: principal.organisationId, report: report,
                            signature: SignedReport.Signature(keyId: signer.keyId, value: "not verified here"), state: .queued,
                            classifiedAutomatically: false),
                        actor: Actor(principal)))
            }
            if batch % 9 == 4, let last = filings.indices.last {
                // The whole batch rolls back: nothing of it stays, its items included.
                filings[last].also = { _, _ throws(StoreError) in throw StoreError(code: .conflict, message: "rolled back by the test") }
                let failing = filings
                let failure = try await #require(throws: StoreError.self) {
                    _ = try await store.write { tx throws(StoreError) in try ReportIntake.write(failing, in: tx) }
                }
                answers.append("batch \(batch): \(failure.code.name)")
                continue
            }
            let batchFilings = filings
            for outcome in try await store.write({ tx throws(StoreError) in try ReportIntake.write(batchFilings, in: tx) }) {
                switch outcome {
                case .success(let stored):
                    answers.append("\(stored.id) \(stored.state.rawValue) \(stored.classifiedAutomatically)")
                    filed.append(stored.id)
                case .failure(let error):
                    answers.append("failed: \(error.code.name)")
                }
            }
            if batch % 3 == 1 {
                // A person classifies the most reported item between batches: its later reports may be forwarded on intake.
                let verdict = ItemVerdict(classification: batch % 4 == 0 ? .notIllegal : .illegalEverywhere)
                _ = try await store.write { tx throws(StoreError) in
                    if let id = try Self.mostReportedUnclassifiedItem(in: tx) { _ = try tx.classifyItem(id: id, verdict: verdict, by: "analyst-1") }
                }
            }
        }
        return Run(store: store, answers: answers, reports: filed)
    }

    /// The unclassified item most reports carry (the smallest id of those), read in a write
    /// transaction of either store.
    static func mostReportedUnclassifiedItem(in tx: any StoreTransaction) throws(StoreError) -> Int64? {
        let sql = "SELECT id FROM items WHERE classification IS NULL ORDER BY report_count DESC, id LIMIT 1"
        if let tx = tx as? PostgresTransaction { return try tx.session.value(PostgresQuery(unsafeSQL: sql), as: Int64.self) }
        guard let tx = tx as? SQLiteTransaction else { throw .internal("neither a SQLite nor a PostgreSQL transaction") }
        do { return try Int64.fetchOne(tx.db, sql: sql) } catch { throw StoreError.from(error) }
    }

    @Test func aSeededStreamWritesThePinnedRows() async throws {
        let clock = ManualClock()
        let first = try temporaryStore(clock: clock)
        let path = first.pool.path
        let run = try await Self.stream(first, reopen: { try SQLiteStore(path: path, clock: clock) }, clock: clock)
        let answers = run.answers
        guard let store = run.store as? SQLiteStore else { throw StoreError.internal("the stream reopened another kind of store") }
        let dump = try await Self.dump(store, answers: answers)
        let digest = SHA256.hash(data: Array(dump.utf8)).map { String(format: "%02x", $0) }.joined()
        if ProcessInfo.processInfo.environment["VIGIL_DUMP_LINKING"] != nil { print(dump) }
        #expect(digest == Self.pinnedDigest)

        // The stream reaches every path it is meant to.
        let counts = try await store.pool.read { db in
            (
                reused: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM items WHERE report_count > 1") ?? 0,
                viral: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM items WHERE viral") ?? 0,
                pdq: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM items WHERE pdq IS NOT NULL") ?? 0,
                forwarded: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM reports WHERE state = 'forwarded'") ?? 0,
                merged: try Int.fetchOne(db, sql: "SELECT COUNT(DISTINCT case_id) FROM report_cases") ?? 0,
                reports: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM reports") ?? 0
            )
        }
        #expect(counts.reused > 10 && counts.viral > 2 && counts.pdq > 12 && counts.forwarded > 0)
        #expect(counts.merged > 1 && counts.merged < counts.reports, "\(counts)")
        #expect(answers.contains { $0.hasPrefix("failed: report_exists") } && answers.contains { $0.hasSuffix(": conflict") })
    }

    /// The same stream on PostgreSQL links as on SQLite: every answer, every report's items
    /// (hashes, counts, viral, verdicts, first seen) and case, with ids compared by rank (SQLite
    /// reuses the ids of a rolled-back batch, PostgreSQL skips them).
    @Test(.enabled(if: PostgresTestDatabase.enabled)) func postgresLinksTheStreamAsSQLiteDoes() async throws {
        let sqliteClock = ManualClock()
        let sqlite = try temporaryStore(clock: sqliteClock)
        let path = sqlite.pool.path
        let onSQLite = try await Self.stream(sqlite, reopen: { try SQLiteStore(path: path, clock: sqliteClock) }, clock: sqliteClock)
        let postgresClock = ManualClock()
        let url = try await PostgresTestDatabase.make("stream")
        let onPostgres = try await Self.stream(
            try await PostgresStore(url: url, clock: postgresClock), reopen: { try await PostgresStore(url: url, clock: postgresClock) },
            clock: postgresClock)
        let expected = try await Self.outcome(onSQLite)
        let found = try await Self.outcome(onPostgres)
        #expect(found.count == expected.count && found.count > 300)
        for (line, (postgres, sqlite)) in zip(found, expected).enumerated() where postgres != sqlite {
            Issue.record("line \(line): PostgreSQL \(postgres), SQLite \(sqlite)")
            break
        }
    }

    /// A run's answers, and each report's items and case, read through the store's protocols, with
    /// report and item ids replaced by their rank.
    static func outcome(_ run: Run) async throws -> [String] {
        let reportRank = Dictionary(uniqueKeysWithValues: run.reports.sorted().enumerated().map { ($1, $0) })
        func rank(_ id: Int64) -> String { reportRank[id].map { "R\($0)" } ?? "unknown report \(id)" }
        var lines = run.answers.map { answer in
            guard let space = answer.firstIndex(of: " "), let id = Int64(answer[..<space]) else { return answer }
            return rank(id) + answer[space...]
        }
        var items: [(report: Int64, reference: String, item: StoredItem)] = []
        var cases: [String] = []
        for report in run.reports {
            for (reference, item) in try await run.store.items(reportId: report) { items.append((report, reference, item)) }
            let found = try await run.store.reportCase(of: report)
            cases.append("\(rank(report)) case \(found.map { rank($0.caseId) + " " + $0.reports.map(rank).joined(separator: ",") } ?? "none")")
        }
        let itemRank = Dictionary(uniqueKeysWithValues: Set(items.map(\.item.id)).sorted().enumerated().map { ($1, $0) })
        for (report, reference, item) in items.sorted(by: { ($0.report, $0.reference) < ($1.report, $1.reference) }) {
            let verdict = item.verdict.map { "\($0.classification.rawValue) \($0.memberStates.map(\.rawValue))" } ?? "-"
            lines.append(
                "\(rank(report)) \(reference) I\(itemRank[item.id] ?? -1) \(item.sha256 ?? "-") \(item.md5 ?? "-") \(item.pdq ?? "-") "
                    + "\(item.reportCount) \(item.viral) \(verdict) \(item.classifiedBy ?? "-") \(item.classifiedAt ?? "-") \(item.firstSeenAt)")
        }
        return lines + cases
    }

    /// Every row intake's linking writes (and the reports, referrals and audit events around it), as text.
    static func dump(_ store: SQLiteStore, answers: [String]) async throws -> String {
        try await store.pool.read { db in
            var lines = answers
            let tables = [
                "SELECT * FROM items ORDER BY id", "SELECT rowid, * FROM item_pdq_chunks ORDER BY rowid",
                "SELECT * FROM report_items ORDER BY report_id, reference", "SELECT * FROM report_cases ORDER BY report_id",
                "SELECT rowid, * FROM report_link_keys ORDER BY rowid",
                "SELECT id, organisation_id, provider_reference, state, classified_automatically, centre_matches, received_at, updated_at FROM reports ORDER BY id",
                "SELECT id, report_id, recipient, created_at FROM referrals ORDER BY id",
                "SELECT sequence, actor, organisation, action, object, at, detail, hex(hash) FROM audit_events ORDER BY sequence",
            ]
            for sql in tables {
                lines.append(sql)
                for row in try Row.fetchAll(db, sql: sql) {
                    lines.append(row.databaseValues.map { $0.isNull ? "NULL" : $0.description }.joined(separator: "|"))
                }
            }
            return lines.joined(separator: "\n")
        }
    }
}
