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

    @Test func oversizedRecordStopsWithTooLarge() {
        let outcome = importAll(HMACSVReader(maxRecordBytes: 200), "signal_str\n\"" + String(repeating: "a", count: 500))
        #expect(outcome.error == .tooLarge(format: .hmaCSV, record: 2, line: 2, limit: 200))
    }
}
