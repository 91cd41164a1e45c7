import Testing
import VigilDomain
import VigilExchange

@Suite("Export and re-import")
struct RoundTripTests {
    static let awkward = "tab\there, comma, \"quote\", back\\slash\\t, line\r\nbreak, ünïcode, trailing "

    @Test func jsonLinesKeepsEverything() throws {
        let records = [
            IndicatorRecord(
                type: .pdq, value: Hex.p1,
                provenance: Provenance(
                    sourceOrganisation: "NCMEC", sourceItemId: "img-100", submittedBy: "member 7", confirmedBy: "analyst",
                    decisionReference: "case-a", confirmedAt: "2024-03-01T09:00:00Z", note: Self.awkward)),
            IndicatorRecord(type: .md5, value: Hex.m1, action: .delete),
            IndicatorRecord(type: .sha256, value: Hex.p2, provenance: Provenance(note: "")),
        ]
        var reader = JSONLinesReader()
        let batch = try reader.readAll(try JSONLinesWriter().export(records))
        #expect(batch.records == records)
        #expect(batch.issues.isEmpty)
    }

    @Test func tsvKeepsValueIdAndNote() throws {
        let records = [
            pdq(Hex.p1, Provenance(sourceItemId: "id\t1", note: Self.awkward)),
            pdq(Hex.p2),
            pdq(Hex.p3, Provenance(note: "only a note")),
            pdq(Hex.p4, Provenance(sourceItemId: "only-id")),
        ]
        var reader = TSVReader()
        #expect(try reader.readAll(try TSVWriter().export(records)).records == records)
    }

    @Test func csvKeepsTypeValueOrganisationIdAndNote() throws {
        let records = [
            pdq(Hex.p1, Provenance(sourceOrganisation: "Org, with comma", sourceItemId: " spaced ", note: Self.awkward)),
            IndicatorRecord(type: .md5, value: Hex.m1),
            IndicatorRecord(type: .sha256, value: Hex.p2, provenance: Provenance(sourceItemId: "x")),
        ]
        let bytes = try HMACSVWriter().export(records)
        #expect(String(decoding: bytes.prefix(72), as: UTF8.self).hasPrefix("signal_type,signal_str,collab,category,tags,source_item_id,note\r\n"))
        var reader = HMACSVReader()
        let batch = try reader.readAll(bytes)
        #expect(batch.records == records)
        #expect(batch.issues.isEmpty)
    }

    @Test func formatsThatCannotCarryARecordSaySo() {
        let deletion = IndicatorRecord(type: .pdq, value: Hex.p1, action: .delete)
        #expect(throws: ExportError.deletionNotSupported(format: .tsv, value: Hex.p1)) { try TSVWriter().export([deletion]) }
        #expect(throws: ExportError.deletionNotSupported(format: .hmaCSV, value: Hex.p1)) { try HMACSVWriter().export([deletion]) }
        #expect(throws: ExportError.wrongSignalType(expected: .pdq, actual: .md5)) {
            try TSVWriter().export([IndicatorRecord(type: .md5, value: Hex.m1)])
        }
    }

    @Test(arguments: ExportFormat.allCases)
    func everyExportFormatReadsBackThroughItsImportFormat(format: ExportFormat) throws {
        let records = [pdq(Hex.p1, Provenance(sourceItemId: "a", note: "b")), pdq(Hex.p2)]
        var reader = format.importFormat.makeReader()
        #expect(try reader.readAll(try format.makeWriter().export(records)).records == records)
    }
}
