import Testing
import VigilDomain
import VigilExchange

@Suite("TSV import")
struct TSVReaderTests {
    @Test func fixtureImportsGoodLinesAndReportsBadOnesByLine() throws {
        let template = Provenance(sourceOrganisation: "Hotline X")
        let outcome = feed(TSVReader(provenance: template), try ExchangeFixtures.bytes("list.tsv"))
        #expect(outcome.error == nil)
        func with(id: String? = nil, note: String? = nil) -> Provenance {
            Provenance(sourceOrganisation: "Hotline X", sourceItemId: id, note: note)
        }
        #expect(
            outcome.batch.records == [
                pdq(Hex.p1, with()),
                pdq(Hex.p2, with(id: "case-17")),
                pdq(Hex.p3, with(id: "case-18", note: "from hotline review")),
                pdq(Hex.p4, with()),
                pdq(Hex.p1, with(note: "note only")),
                pdq(Hex.p2, with(id: "id\twith tab", note: "line\nbreak")),
            ])
        #expect(outcome.batch.issues.map(\.record) == [7, 9, 11])
        #expect(outcome.batch.issues[0].message == "a pdq value is 64 hex digits, got 4; line skipped")
        #expect(outcome.batch.issues[1].message.contains("not a hex digit"))
        #expect(outcome.batch.issues[2].message.contains("more than 3 tab-separated fields"))
    }

    @Test func overlongProvenanceSkipsTheLineOnly() {
        let long = String(repeating: "n", count: Provenance.maxNoteLength + 1)
        let exact = String(repeating: "n", count: Provenance.maxNoteLength)
        let outcome = importAll(TSVReader(), "\(Hex.p1)\t\t\(exact)\n\(Hex.p2)\t\t\(long)\n\(Hex.p3)\n")
        #expect(outcome.batch.records == [pdq(Hex.p1, Provenance(note: exact)), pdq(Hex.p3)])
        #expect(
            outcome.batch.issues == [
                ImportIssue(record: 2, message: "provenance note is 4097 bytes of UTF-8; at most 4096 bytes are accepted; skipped")
            ])
    }

    @Test func signalTypeIsAParameter() {
        let outcome = importAll(TSVReader(signalType: .md5), "\(Hex.m1)\n\(Hex.p1)\n")
        #expect(outcome.batch.records == [IndicatorRecord(type: .md5, value: Hex.m1)])
        #expect(outcome.batch.issues == [ImportIssue(record: 2, message: "a md5 value is 32 hex digits, got 64; line skipped")])
    }

    @Test func overlongLinesAreSkippedWithoutBufferingThem() throws {
        var reader = TSVReader(maxLineBytes: 100)
        let long = [UInt8](repeating: UInt8(ascii: "a"), count: 10_000)
        var batch = ImportBatch()
        for start in stride(from: 0, to: long.count, by: 7) {
            batch.append(try reader.read(long[start..<min(start + 7, long.count)]))
            #expect(reader.bufferedByteCount <= 100)
        }
        batch.append(try reader.read(Array("\n\(Hex.p1)\n".utf8)))
        batch.append(try reader.finish())
        #expect(batch.records == [pdq(Hex.p1)])
        #expect(batch.issues == [ImportIssue(record: 1, message: "line is longer than 100 bytes; skipped")])
    }

    @Test func byteOrderMarkAndEmptyInputAreFine() {
        #expect(importAll(TSVReader(), "\u{FEFF}\(Hex.p1)\r\n").batch.records == [pdq(Hex.p1)])
        #expect(importAll(TSVReader(), "").batch == ImportBatch())
    }

    @Test func readingAfterFinishIsRefused() throws {
        var reader = TSVReader()
        _ = try reader.finish()
        #expect(throws: ImportError.finished(format: .tsv)) { try reader.read([UInt8]()) }
    }
}
