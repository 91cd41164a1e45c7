import Foundation
import GRDB
import PostgresNIO
import Testing
import VigilCentre
import VigilDomain
import VigilTestSupport

@testable import VigilStore

/// The items' PDQ hashes in memory answer what the chunk table answers (the statement linking used
/// before them), in every transaction: after commits, inside a transaction that made items, after
/// a rollback, and after a restart.
@Suite("Items' PDQ hashes in memory")
struct ItemPDQIndexTests {
    /// The chunk table's answer: the items sharing a chunk with `pdq`, in id order, the first
    /// within the radius; `candidates` reads `(id, pdq)` of the items with one of the chunks, by id.
    static func chunkTableAnswer(_ pdq: String, candidates: ([Int64]) throws -> [(Int64, String)]) throws -> Int64? {
        guard let chunks = ItemPDQIndex.chunks(pdq) else { return nil }
        for (id, text) in try candidates(chunks) {
            guard let other = ItemPDQIndex.chunks(text) else { continue }
            let distance = zip(chunks, other).reduce(0) { $0 + (($1.0 ^ $1.1) & 0xffff).nonzeroBitCount }
            if distance <= ReportLinking.samePDQRadius { return id }
        }
        return nil
    }

    /// Both answers for every probe, in one write transaction of either store (as linking asks).
    static func answers(_ tx: any StoreTransaction, _ probes: [String]) throws(StoreError) -> (index: [Int64?], table: [Int64?]) {
        do {
            if let tx = tx as? SQLiteTransaction {
                try tx.itemPDQ.prepare(for: tx.serial) { from in
                    try Row.fetchAll(tx.db, sql: "SELECT id, pdq FROM items WHERE id > ? ORDER BY id", arguments: [from]).map {
                        (id: $0[0], pdq: $0[1])
                    }
                }
                let index = probes.map { ItemPDQIndex.hash($0).flatMap { tx.itemPDQ.nearest($0, within: ReportLinking.samePDQRadius) } }
                let table = try probes.map { probe in
                    try chunkTableAnswer(probe) { chunks in
                        let marks = Array(repeating: "?", count: chunks.count).joined(separator: ",")
                        return try Row.fetchAll(
                            tx.db,
                            sql:
                                "SELECT DISTINCT i.id, i.pdq FROM item_pdq_chunks c JOIN items i ON i.id = c.item_id WHERE c.chunk IN (\(marks)) ORDER BY i.id",
                            arguments: StatementArguments(chunks)
                        ).map { ($0[0], $0[1]) }
                    }
                }
                return (index, table)
            }
            guard let tx = tx as? PostgresTransaction else { throw StoreError.internal("neither a SQLite nor a PostgreSQL transaction") }
            let session = tx.session
            try tx.itemPDQ.prepare(for: tx.serial) { (from: Int64) throws(StoreError) -> [(id: Int64, pdq: String?)] in
                try session.rows("SELECT id, pdq FROM items WHERE id > \(from) ORDER BY id").map { (row: PostgresRow) throws(StoreError) in
                    try row.decoded((Int64, String?).self)
                }
            }
            let index = probes.map { ItemPDQIndex.hash($0).flatMap { tx.itemPDQ.nearest($0, within: ReportLinking.samePDQRadius) } }
            let table = try probes.map { probe in
                try chunkTableAnswer(probe) { chunks in
                    let values = chunks.map { Int32(truncatingIfNeeded: $0) }
                    return try session.rows(
                        """
                        SELECT DISTINCT i.id, i.pdq FROM item_pdq_chunks c JOIN items i ON i.id = c.item_id
                        WHERE c.chunk = ANY(\(values)::integer[]) ORDER BY i.id
                        """
                    ).map { (row: PostgresRow) throws(StoreError) -> (Int64, String) in try row.decoded((Int64, String).self) }
                }
            }
            return (index, table)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.from(error)
        }
    }

    /// How many rows `table` holds, read in a write transaction of either store.
    static func count(_ table: String, in tx: any StoreTransaction) throws(StoreError) -> Int {
        if let tx = tx as? PostgresTransaction {
            return try tx.session.value(PostgresQuery(unsafeSQL: "SELECT COUNT(*) FROM \(table)"), as: Int.self) ?? 0
        }
        guard let tx = tx as? SQLiteTransaction else { throw .internal("neither a SQLite nor a PostgreSQL transaction") }
        do { return try Int.fetchOne(tx.db, sql: "SELECT COUNT(*) FROM \(table)") ?? 0 } catch { throw StoreError.from(error) }
    }

    /// A store of each kind and how to open it again (a restart: a new store on the same database).
    struct Reopenable: Sendable, CustomTestStringConvertible {
        var name: String
        var make: @Sendable (ManualClock) async throws -> (store: any NodeStore, reopen: @Sendable () async throws -> any NodeStore)
        var testDescription: String { name }

        static let sqlite = Reopenable(name: "SQLite") { clock in
            let store = try temporaryStore(clock: clock)
            let path = store.pool.path
            return (store, { try SQLiteStore(path: path, clock: clock) })
        }
        static let postgres = Reopenable(name: "PostgreSQL") { clock in
            let url = try await PostgresTestDatabase.make("pdq")
            return (try await PostgresStore(url: url, clock: clock), { try await PostgresStore(url: url, clock: clock) })
        }
        static let all: [Reopenable] = PostgresTestDatabase.enabled ? [.sqlite, .postgres] : [.sqlite]
    }

    /// A report of one file known by `pdq` alone.
    static func report(_ reference: String, pdq: String) -> Report {
        var report = Samples.report(reference: reference)
        report.files = [ReportedFile(reference: "f1", hashes: [FileHash(algorithm: .pdq, value: pdq)])]
        return report
    }

    /// Files reports in the transaction and links them, as intake does.
    static func file(_ reports: [Report], organisationId: Int64, in tx: any StoreTransaction) throws(StoreError) {
        for report in reports {
            let stored = try tx.fileReport(
                NewReport(
                    organisationId: organisationId, report: report, signature: nil, channel: .cyberTipline, state: .queued,
                    classifiedAutomatically: false))
            _ = try tx.linkReport(
                reportId: stored.id, files: ReportItems.linkedFiles(report, stored: []),
                keys: ReportLinking.keys(of: report, organisationId: organisationId))
        }
    }

    @Test(arguments: Reopenable.all) func answersAsTheChunkTableAcrossCommitsRollbacksAndRestarts(_ kind: Reopenable) async throws {
        let clock = ManualClock()
        let made = try await kind.make(clock)
        var store = made.store
        let (provider, _) = try await Samples.provider(store)
        let organisation = provider.organisationId
        var generator = SplitMix64(seed: 15)
        let bases = (0..<10).map { _ in generator.hex(bytes: 32) }
        func variant(_ generator: inout SplitMix64) -> String {
            LinkingStreamTests.near(bases.randomElement(using: &generator) ?? "", bits: Int.random(in: 0...30, using: &generator), using: &generator)
        }
        var filed = 0
        var checked = 0
        for round in 0..<24 {
            if round == 12 {
                // A restart: a new store on the same database, its index empty until the first write.
                store = try await made.reopen()
            }
            let reports = (0..<Int.random(in: 1...6, using: &generator)).map { _ in
                defer { filed += 1 }
                return Self.report("p\(filed)", pdq: variant(&generator))
            }
            let probes = (0..<40).map { _ in variant(&generator) } + reports.compactMap { $0.files.first?.hashes.first?.value }
            let rollBack = round % 4 == 3
            // Inside the transaction that makes the items: both see them.
            let inside = try await #require(throws: StoreError.self) {
                _ = try await store.write { tx throws(StoreError) -> Void in
                    try Self.file(reports, organisationId: organisation, in: tx)
                    let (index, table) = try Self.answers(tx, probes)
                    // Carried out of the transaction by the error that ends it (commit or not, decided below).
                    throw StoreError(code: .conflict, message: index == table ? "same" : "index \(index) table \(table)")
                }
            }
            #expect(inside.message == "same")
            checked += probes.count
            if !rollBack {
                _ = try await store.write { tx throws(StoreError) in try Self.file(reports, organisationId: organisation, in: tx) }
            }
            // In the next transaction: what is committed, and nothing of a rolled-back one.
            let (index, table) = try await store.write { tx throws(StoreError) in try Self.answers(tx, probes) }
            #expect(index == table)
            checked += probes.count
            #expect(index.contains { $0 != nil })
        }
        let (items, reportsStored) = try await store.write { tx throws(StoreError) in
            (try Self.count("items", in: tx), try Self.count("reports", in: tx))
        }
        // Some variants are found again and some are not.
        #expect(items > 10 && items < reportsStored)
        #expect(checked > 1_000)
    }

    /// Two nodes on one PostgreSQL database, each with its own index: a report filed through the
    /// second links to the item made through the first by a PDQ within the radius (the second's
    /// index, filled before that item existed, catches up at its next write).
    @Test(.enabled(if: PostgresTestDatabase.enabled)) func twoNodesLinkByPDQToAnItemTheOtherMade() async throws {
        let clock = ManualClock()
        let url = try await PostgresTestDatabase.make("nodes")
        let first = try await PostgresStore(url: url, clock: clock)
        let second = try await PostgresStore(url: url, clock: clock)
        let (provider, _) = try await Samples.provider(first)
        let organisation = provider.organisationId
        var generator = SplitMix64(seed: 41)
        let pdq = generator.hex(bytes: 32)
        let unrelated = ItemsTests.flip(pdq, bits: 64)
        func file(_ reference: String, pdq: String, through store: PostgresStore) async throws -> Int64 {
            var made = Self.report(reference, pdq: pdq)
            // Each its own suspect: only the item links them.
            made.users = [ReportedUser(role: .suspect, identifier: "user-\(reference)", accountCountry: "DE")]
            let report = made
            return try await store.write { tx throws(StoreError) in
                let stored = try tx.fileReport(
                    NewReport(
                        organisationId: organisation, report: report, signature: nil, channel: .cyberTipline, state: .queued,
                        classifiedAutomatically: false))
                _ = try tx.linkReport(
                    reportId: stored.id, files: ReportItems.linkedFiles(report, stored: []),
                    keys: ReportLinking.keys(of: report, organisationId: organisation))
                return stored.id
            }
        }
        // The second node links first: its index caught up then (nothing committed), and holds the
        // item that write made as its own until its next write.
        let early = try await file("n0", pdq: unrelated, through: second)
        #expect(second.itemPDQ.count == 0)
        let original = try await file("n1", pdq: pdq, through: first)
        let near = try await file("n2", pdq: ItemsTests.flip(pdq, bits: ReportLinking.samePDQRadius), through: second)
        let item = try #require(try await first.items(reportId: original)["f1"])
        #expect(try await second.items(reportId: near)["f1"]?.id == item.id)
        #expect(try await first.item(id: item.id)?.reportCount == 2)
        #expect(try await first.reportCase(of: near)?.reports == [original, near])
        #expect(try await second.items(reportId: early)["f1"]?.id != item.id)
        #expect(second.itemPDQ.count == 2, "caught up with its own item and the first node's")
        await first.shutdown()
        await second.shutdown()
    }

    @Test func theHashAndTheChunksReadTheSameHex() {
        var generator = SplitMix64(seed: 7)
        for _ in 0..<200 {
            let hex = generator.hex(bytes: 32)
            let hash = ItemPDQIndex.hash(hex)
            #expect(hash != nil && ItemPDQIndex.hash(hex.uppercased()) == hash)
            let chunks = (0..<16).map { index in hash.map { Int64(index) << 16 | Int64(ItemPDQIndex.chunk($0, index)) } }
            #expect(ItemPDQIndex.chunks(hex) == chunks.compactMap { $0 })
        }
        for bad in ["", "abc", String(repeating: "g", count: 64), String(repeating: "a", count: 65), String(repeating: "a", count: 63) + " "] {
            #expect(ItemPDQIndex.hash(bad) == nil && ItemPDQIndex.chunks(bad) == nil)
        }
    }
}
