import Testing
import VigilDomain
import VigilExchange

@Suite("HMA / python-threatexchange CSV import")
struct HMACSVTests {
    @Test func fixtureImportsByHeaderNames() throws {
        let outcome = feed(HMACSVReader(), try ExchangeFixtures.bytes("hma.csv"))
        #expect(outcome.error == nil)
        #expect(
            outcome.batch.records == [
                pdq(Hex.p1, Provenance(sourceOrganisation: "Sample Data", note: "category: POSITIVE_CLASS; tags: tag1 tag2")),
                IndicatorRecord(type: .md5, value: Hex.m1, provenance: Provenance(sourceOrganisation: "Hotline, Test")),
                pdq(Hex.p2, Provenance(sourceOrganisation: "Sample Data", note: "tags: multi\r\nline \"tag\"")),
                IndicatorRecord(type: .sha256, value: Hex.p3),
                pdq(Hex.p4),
            ])
        #expect(outcome.batch.issues.map(\.record) == [4, 7])
        #expect(outcome.batch.issues[0].message.contains("signal type \"raw_text\" is not one Vigil holds"))
        #expect(outcome.batch.issues[1].message == "a pdq value is 64 hex digits, got 6; row skipped")
        #expect(outcome.batch.ignored == ["raw_text": 1])
    }

    @Test func columnsMayComeInAnyOrderAndWithoutHeader() {
        let reordered = importAll(HMACSVReader(), "tags,signal_str,extra,signal_type\nx,\(Hex.m2),y,md5\n")
        #expect(reordered.batch.records == [IndicatorRecord(type: .md5, value: Hex.m2, provenance: Provenance(note: "tags: x"))])
        let headerless = importAll(HMACSVReader(), "pdq,\(Hex.p1),Collab A\n")
        #expect(headerless.batch.records == [pdq(Hex.p1, Provenance(sourceOrganisation: "Collab A"))])
    }

    @Test func unclosedQuoteIsAMalformedFileAfterTheGoodRows() {
        let outcome = importAll(HMACSVReader(), "signal_type,signal_str\npdq,\(Hex.p1)\npdq,\"\(Hex.p2)\n\n")
        #expect(outcome.batch.records == [pdq(Hex.p1)])
        guard case .malformed(.hmaCSV, record: 3, line: _, let reason) = outcome.error else {
            Issue.record("expected a malformed error, got \(String(describing: outcome.error))")
            return
        }
        #expect(reason.contains("never closed"))
    }

    /// A vpdq entry travels in HMA's own form (python-threatexchange's signal string) and comes back
    /// as the same entry; a file holding Vigil's vPDQ lines is read too.
    @Test func vpdqTravelsAsHMAsSignalString() throws {
        let lines = try SignalType.vpdq.normalise("0,100,\(Hex.p1),0.0\n1,90,\(Hex.p2),1.0\n2,100,\(Hex.p3),2.0")
        let writer = HMACSVWriter()
        var bytes = writer.header()
        try writer.write(IndicatorRecord(type: .vpdq, value: lines, provenance: Provenance(sourceOrganisation: "Hotline")), to: &bytes)
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains("vpdq,\"[\"\"\(Hex.p1),100,0.0\"\", \"\"\(Hex.p2),90,1.0\"\", \"\"\(Hex.p3),100,2.0\"\"]\",Hotline"), "\(text)")
        let back = feed(HMACSVReader(), bytes)
        #expect(back.error == nil && back.batch.issues.isEmpty)
        #expect(back.batch.records == [IndicatorRecord(type: .vpdq, value: lines, provenance: Provenance(sourceOrganisation: "Hotline"))])
        // Vigil's own lines in signal_str (quoted: they hold line breaks) are read as well.
        let own = importAll(HMACSVReader(), "signal_type,signal_str\nvpdq,\"\(lines)\"\n")
        #expect(own.batch.records.map(\.value) == [lines], "\(own.batch.issues)")
    }

    @Test func oversizedRecordStopsWithTooLarge() {
        let outcome = importAll(HMACSVReader(maxRecordBytes: 200), "signal_str\n\"" + String(repeating: "a", count: 500))
        #expect(outcome.error == .tooLarge(format: .hmaCSV, record: 2, line: 2, limit: 200))
    }
}
