import Testing
import VigilDomain
import VigilExchange

@Suite("StopNCII JSON import")
struct StopNCIITests {
    @Test func responseObjectImportsRecordsDeletesAndIssues() throws {
        let outcome = feed(StopNCIIReader(), try ExchangeFixtures.bytes("stopncii-response.json"))
        #expect(outcome.error == nil)
        #expect(
            outcome.batch.records == [
                pdq(
                    Hex.p1,
                    Provenance(
                        sourceOrganisation: "StopNCII", decisionReference: "case-a case-b",
                        note: "status Active, last modified 2024-03-01T08:00:00Z")),
                pdq(
                    Hex.p2,
                    Provenance(
                        sourceOrganisation: "StopNCII", decisionReference: "case-c",
                        note: "status Withdrawn, last modified 2024-03-01T08:01:40Z"),
                    action: .delete),
                IndicatorRecord(
                    type: .md5, value: Hex.m2, action: .delete,
                    provenance: Provenance(sourceOrganisation: "StopNCII", note: "status Deleted, last modified 2024-03-01T08:06:40Z")),
            ])
        #expect(outcome.batch.issues.map(\.record) == [3, 4, 6])
        #expect(outcome.batch.issues[0].message.contains("signalType \"VideoTMK\" is not imported"))
        #expect(outcome.batch.issues[1].message.contains("hashValue: "))
        #expect(outcome.batch.issues[2].message.contains("not a JSON object"))
        #expect(outcome.batch.ignored == ["VideoTMK": 1])
    }

    @Test func bareArrayIsAccepted() {
        let json = #"[{"signalType":"ImagePDQ","hashValue":"\#(Hex.p3)","hashStatus":"Received"}]"#
        #expect(importAll(StopNCIIReader(), json).batch.records == [pdq(Hex.p3, Provenance(sourceOrganisation: "StopNCII", note: "status Received"))])
        #expect(importAll(StopNCIIReader(), "[]") == Outcome())
    }

    @Test(arguments: [
        ("", "empty"),
        ("{\"count\": 1}", "no \"hashRecords\" array"),
        ("[{\"signalType\": \"ImagePDQ\",", "ends inside"),
        ("[{\"a\": 1]}", "does not close"),
        ("[1,]", "missing between commas"),
        ("[1] [2]", "more text after"),
        ("hello", "expected a JSON array"),
        ("{\"hashRecords\": [], \"count\": tru}", "not valid JSON"),
    ])
    func malformedJSONThrows(input: String, expected: String) {
        let outcome = importAll(StopNCIIReader(), input)
        guard case .malformed(.stopnciiJSON, _, _, let reason) = outcome.error else {
            Issue.record("expected malformed for \(input), got \(String(describing: outcome.error))")
            return
        }
        #expect(reason.contains(expected), "\(reason)")
    }

    @Test func recordThatIsNotJSONThrowsAfterEarlierRecords() {
        let json = #"{"hashRecords": [{"signalType":"ImagePDQ","hashValue":"\#(Hex.p1)"}, {"signalType": nope}]}"#
        let outcome = importAll(StopNCIIReader(), json)
        #expect(outcome.batch.records.map(\.value) == [Hex.p1])
        #expect(outcome.error == .malformed(format: .stopnciiJSON, record: 2, line: 1, reason: "record 2 is not valid JSON"))
    }
}
