import Foundation
import GRDB
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
    /// The chunk table's answer: the items sharing a chunk with `pdq`, in id order, the first within the radius.
    static func chunkTableAnswer(_ db: Database, _ pdq: String) throws -> Int64? {
        guard let chunks = SQLiteStore.pdqChunks(pdq) else { return nil }
        let marks = Array(repeating: "?", count: chunks.count).joined(separator: ",")
        let candidates = try Row.fetchAll(
            db, sql: "SELECT DISTINCT i.id, i.pdq FROM item_pdq_chunks c JOIN items i ON i.id = c.item_id WHERE c.chunk IN (\(marks)) ORDER BY i.id",
            arguments: StatementArguments(chunks))
        for candidate in candidates {
            let text: String = candidate[1]
            guard let other = SQLiteStore.pdqChunks(text) else { continue }
            let distance = zip(chunks, other).reduce(0) { $0 + (($1.0 ^ $1.1) & 0xffff).nonzeroBitCount }
            if distance <= ReportLinking.samePDQRadius { return candidate[0] }
        }
        return nil
    }

    /// Both answers for every probe, in one write transaction of `store` (as linking asks).
    static func answers(_ tx: any StoreTransaction, _ probes: [String]) throws(StoreError) -> (index: [Int64?], table: [Int64?]) {
        guard let tx = tx as? SQLiteTransaction else { throw .internal("not a SQLite transaction") }
        do {
            try tx.itemPDQ.prepare(for: tx.serial, tx.db)
            let index = probes.map { ItemPDQIndex.hash($0).flatMap { tx.itemPDQ.nearest($0, within: ReportLinking.samePDQRadius) } }
            return (index, try probes.map { try chunkTableAnswer(tx.db, $0) })
        } catch {
            throw StoreError.from(error)
        }
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

    @Test func answersAsTheChunkTableAcrossCommitsRollbacksAndRestarts() async throws {
        let clock = ManualClock()
        var store = try temporaryStore(clock: clock)
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
                store = try SQLiteStore(path: store.pool.path, clock: clock)
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
        let (items, reportsStored) = try await store.pool.read { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM items") ?? 0, try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM reports") ?? 0)
        }
        // Some variants are found again and some are not.
        #expect(items > 10 && items < reportsStored)
        #expect(checked > 1_000)
    }

    @Test func theHashAndTheChunksReadTheSameHex() {
        var generator = SplitMix64(seed: 7)
        for _ in 0..<200 {
            let hex = generator.hex(bytes: 32)
            let hash = ItemPDQIndex.hash(hex)
            #expect(hash != nil && ItemPDQIndex.hash(hex.uppercased()) == hash)
            let chunks = (0..<16).map { index in hash.map { Int64(index) << 16 | Int64(ItemPDQIndex.chunk($0, index)) } }
            #expect(SQLiteStore.pdqChunks(hex) == chunks.compactMap { $0 })
        }
        for bad in ["", "abc", String(repeating: "g", count: 64), String(repeating: "a", count: 65), String(repeating: "a", count: 63) + " "] {
            #expect(ItemPDQIndex.hash(bad) == nil && SQLiteStore.pdqChunks(bad) == nil)
        }
    }
}
