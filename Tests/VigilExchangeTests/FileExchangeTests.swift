import Foundation
import Testing
import VigilDomain
import VigilExchange
import VigilTestSupport

/// The `file` exchange: a folder read in name order, a page at a time, resuming from its checkpoint
/// (a fresh client, as after a restart, continues at the next record), keeping an item's values in
/// one page, and refusing a broken file before any of it is paged.
@Suite("File exchange")
struct FileExchangeTests {
    static func folder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-file-exchange-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func write(_ text: String, to name: String, in folder: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: folder).appendingPathComponent(name))
    }

    /// `count` TSV lines of seeded values, ids `prefix-i`.
    static func tsv(_ count: Int, seed: UInt64, prefix: String) -> String {
        var generator = SplitMix64(seed: seed)
        return (0..<count).map { "\(generator.hex(bytes: 32))\t\(prefix)-\($0)\n" }.joined()
    }

    /// Fetches pages until the source has no more; every page's records, in order.
    static func drain(_ client: any ExchangeClient, from checkpoint: ExchangeCheckpoint?) async throws -> (
        records: [IndicatorRecord], pages: Int, checkpoint: ExchangeCheckpoint?
    ) {
        var checkpoint = checkpoint
        var records: [IndicatorRecord] = []
        var pages = 0
        while true {
            let page = try await client.fetchPage(after: checkpoint)
            records += page.batch.records
            checkpoint = page.checkpoint
            pages += 1
            if !page.hasMore { break }
        }
        return (records, pages, checkpoint)
    }

    @Test func aFullFetchThenAnIncrementalOneReadEachRecordOnce() async throws {
        let folder = try Self.folder()
        try Self.write(Self.tsv(25, seed: 1, prefix: "a"), to: "001.tsv", in: folder)
        try Self.write(Self.tsv(7, seed: 2, prefix: "b"), to: "002.tsv", in: folder)
        try Self.write("not read", to: ".hidden", in: folder)
        let maker = FileExchangeMaker()
        let client = try maker.makeClient(settings: ["folder": folder, "page_size": "10", "source": "Hotline"], credential: nil)
        let full = try await Self.drain(client, from: nil)
        #expect(full.records.count == 32 && full.pages == 4)
        #expect(full.records.first?.provenance == Provenance(sourceOrganisation: "Hotline", sourceItemId: "a-0"))
        #expect(full.records.last?.provenance.sourceItemId == "b-6")

        // Nothing new: an empty page, the checkpoint unchanged.
        let idle = try await client.fetchPage(after: full.checkpoint)
        #expect(idle.batch.records.isEmpty && !idle.hasMore && idle.checkpoint == full.checkpoint)

        // A new file: only its records.
        try Self.write(Self.tsv(3, seed: 3, prefix: "c"), to: "003.tsv", in: folder)
        let incremental = try await Self.drain(client, from: full.checkpoint)
        #expect(incremental.records.map(\.provenance.sourceItemId) == ["c-0", "c-1", "c-2"])
    }

    @Test func aFetchStoppedAfterPageKResumesAtPageKPlusOne() async throws {
        let folder = try Self.folder()
        try Self.write(Self.tsv(95, seed: 4, prefix: "x"), to: "list.tsv", in: folder)
        let settings = ["folder": folder, "page_size": "10"]
        let first = try FileExchangeMaker().makeClient(settings: settings, credential: nil)
        var checkpoint: ExchangeCheckpoint?
        var seen: [String] = []
        for _ in 0..<3 {
            let page = try await first.fetchPage(after: checkpoint)
            seen += page.batch.records.compactMap(\.provenance.sourceItemId)
            checkpoint = page.checkpoint
        }
        // A new maker and client (a restarted node): from the stored checkpoint on.
        let second = try FileExchangeMaker().makeClient(settings: settings, credential: nil)
        let rest = try await Self.drain(second, from: checkpoint)
        seen += rest.records.compactMap(\.provenance.sourceItemId)
        #expect(seen == (0..<95).map { "x-\($0)" })
    }

    @Test func anItemsValuesStayInOnePage() async throws {
        let folder = try Self.folder()
        // vigil-jsonl with item "big" holding 4 values across the page boundary of 3.
        var generator = SplitMix64(seed: 5)
        var lines = ""
        for (index, item) in ["a", "big", "big", "big", "big", "c"].enumerated() {
            lines +=
                "{\"type\":\"pdq\",\"value\":\"\(generator.hex(bytes: 32))\",\"provenance\":{\"sourceOrganisation\":\"NCMEC\",\"sourceItemId\":\"\(item)\",\"note\":\"\(index)\"}}\n"
        }
        try Self.write(lines, to: "page.jsonl", in: folder)
        let client = try FileExchangeMaker().makeClient(settings: ["folder": folder, "format": "vigil-jsonl", "page_size": "3"], credential: nil)
        let first = try await client.fetchPage(after: nil)
        #expect(first.batch.records.map(\.provenance.sourceItemId) == ["a", "big", "big", "big", "big"])
        let second = try await client.fetchPage(after: first.checkpoint)
        #expect(second.batch.records.map(\.provenance.sourceItemId) == ["c"] && !second.hasMore)
    }

    @Test func aBrokenFileFailsTheFetchWithItsNameAndNothingOfIt() async throws {
        let folder = try Self.folder()
        try Self.write(
            "<?xml version=\"1.0\"?><queryResult xmlns=\"https://hashsharing.ncmec.org/hashsharing/v2\"><images><image><id>1", to: "broken.xml",
            in: folder)
        let client = try FileExchangeMaker().makeClient(settings: ["folder": folder, "format": "ncmec-xml"], credential: nil)
        do {
            _ = try await client.fetchPage(after: nil)
            Issue.record("a broken file was paged")
        } catch {
            guard case .malformed(let detail) = error else {
                Issue.record("\(error)")
                return
            }
            #expect(detail.contains("broken.xml"))
        }
        // Bad settings are refused with what to fix.
        #expect(throws: ExchangeError.self) { _ = try FileExchangeMaker().makeClient(settings: [:], credential: nil) }
        #expect(throws: ExchangeError.self) {
            _ = try FileExchangeMaker().makeClient(settings: ["folder": folder, "format": "xls"], credential: nil)
        }
        var registry = ExchangeRegistry([FileExchangeMaker()])
        registry.register(FileExchangeMaker())
        #expect(registry.kinds == ["file"])
        #expect(throws: ExchangeError.self) {
            _ = try registry.makeClient(kind: "file", settings: ["folder": folder, "fodler": "x"], credential: nil)
        }
        #expect(throws: ExchangeError.self) { _ = try registry.makeClient(kind: "ftp", settings: [:], credential: nil) }
    }
}
