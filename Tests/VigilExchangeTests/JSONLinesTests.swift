import Testing
import VigilDomain
import VigilExchange

@Suite("Vigil JSON Lines")
struct JSONLinesTests {
    @Test func writerOutputIsExact() throws {
        let record = IndicatorRecord(
            type: .md5, value: Hex.m1, action: .delete,
            provenance: Provenance(sourceOrganisation: "NCMEC", sourceItemId: "img-1", note: "line\n\"quoted\"\t\u{1}"))
        let text = String(decoding: try JSONLinesWriter().export([record]), as: UTF8.self)
        #expect(
            text
                == #"{"type":"md5","value":"\#(Hex.m1)","action":"delete","provenance":{"sourceOrganisation":"NCMEC","sourceItemId":"img-1","note":"line\n\"quoted\"\t\u0001"}}"#
                + "\n")
    }

    @Test func badLinesAreIssuesAndTheRestImports() {
        let input = """
            {"type":"pdq","value":"\(Hex.p1)"}
            not json

            {"type":"sha1","value":"00"}
            {"type":"pdq","value":"\(Hex.p2)","action":"remove"}
            {"type":"pdq","value":"\(Hex.p3)","action":"delete","provenance":{"confirmedBy":"analyst 4","unknown":1}}
            [1]
            {"type":"pdq","value":"\(Hex.p4)","provenance":{"note":5}}
            """
        let outcome = importAll(JSONLinesReader(), input)
        #expect(outcome.error == nil)
        #expect(outcome.batch.records == [pdq(Hex.p1), pdq(Hex.p3, Provenance(confirmedBy: "analyst 4"), action: .delete)])
        #expect(outcome.batch.issues.map(\.record) == [2, 4, 5, 7, 8])
        #expect(outcome.batch.issues[0].message == "line is not valid JSON; line skipped")
    }
}
