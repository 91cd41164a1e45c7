import Testing
import VigilDomain
import VigilExchange
import VigilTestSupport

@Suite("Chunk boundaries")
struct ChunkBoundaryTests {
    static let inputs: [(ImportFormat, String)] = [
        (.tsv, "list.tsv"), (.hmaCSV, "hma.csv"), (.ncmecXML, "ncmec-page.xml"), (.stopnciiJSON, "stopncii-response.json"),
    ]

    @Test(arguments: inputs)
    func anyChunkingGivesTheSameResult(format: ImportFormat, fixture: String) throws {
        let bytes = try ExchangeFixtures.bytes(fixture)
        let whole = feed(format.makeReader(), bytes)
        #expect(whole.error == nil)
        #expect(!whole.batch.records.isEmpty)
        #expect(feed(format.makeReader(), bytes, nextSize: { _ in 1 }) == whole)
        var random = SplitMix64(seed: 42)
        for _ in 0..<20 {
            #expect(feed(format.makeReader(), bytes, nextSize: { _ in Int.random(in: 1...97, using: &random) }) == whole)
        }
    }

    @Test func jsonLinesAndErrorsAreChunkIndependentToo() {
        let jsonl = Array("{\"type\":\"pdq\",\"value\":\"\(Hex.p1)\"}\r\nbad\n{\"type\":\"md5\",\"value\":\"\(Hex.m1)\"}".utf8)
        let brokenJSON = Array("{\"hashRecords\":[{\"signalType\":\"ImagePDQ\",\"hashValue\":\"\(Hex.p1)\"},{\"x\":}]}".utf8)
        let brokenCSV = Array("signal_str\n\(Hex.p1)\n\"\(Hex.p2)".utf8)
        for (format, bytes) in [(ImportFormat.vigilJSONL, jsonl), (.stopnciiJSON, brokenJSON), (.hmaCSV, brokenCSV)] {
            let whole = feed(format.makeReader(), bytes)
            #expect(!whole.batch.records.isEmpty)
            #expect(feed(format.makeReader(), bytes, nextSize: { _ in 1 }) == whole)
            var random = SplitMix64(seed: 7)
            #expect(feed(format.makeReader(), bytes, nextSize: { _ in Int.random(in: 1...13, using: &random) }) == whole)
        }
    }
}
