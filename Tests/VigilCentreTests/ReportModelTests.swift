import Foundation
import Testing
import VigilCentre
import VigilDomain
import VigilTestSupport

/// The report's JSON form, its completeness check, its canonical encoding and its state machine.
@Suite("Reports: the model, the completeness check and the state machine")
struct ReportModelTests {
    @Test func aCompleteReportHasNoProblemsAndRoundTrips() throws {
        let report = Samples.report()
        #expect(ReportValidation.problems(report) == [])
        let json = ReportCoding.canonicalJSON(report)
        let decoded = try ReportCoding.decoder().decode(Report.self, from: Data(json))
        #expect(decoded == report)
        #expect(ReportCoding.canonicalJSON(decoded) == json)
    }

    @Test func theCanonicalFormHasSortedSnakeCaseKeysAndNoWhitespace() throws {
        let text = String(decoding: ReportCoding.canonicalJSON(Samples.report()), as: UTF8.self)
        #expect(!text.contains(" \"") && !text.contains("\n") && !text.contains(": "))
        #expect(text.contains("\"provider_reference\":\"case-1\""))
        #expect(text.contains("\"legal_basis\":\"Regulation (EU) 2021/1232\""))
        // Keys sorted at every level: re-serialise with sorted keys and compare.
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
        let resorted = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        #expect(String(decoding: resorted, as: UTF8.self) == text)
    }

    @Test func anEmptyReportListsEverythingMissing() throws {
        let report = try ReportCoding.decoder().decode(Report.self, from: Data("{}".utf8))
        let problems = ReportValidation.problems(report)
        let missing = Set(problems.filter { $0.kind == .missing }.map(\.field))
        #expect(
            missing == [
                "provider_reference", "provider.name", "provider.contact", "reported_at", "type", "removal", "legal_basis", "users", "geographic",
            ])
        #expect(problems.allSatisfy { $0.kind == .missing })
    }

    @Test func contentIsRequiredByType() throws {
        var material = Samples.report()
        material.files = []
        #expect(ReportValidation.problems(material).map(\.field) == ["files"])
        var solicitation = Samples.report(type: .solicitation)
        #expect(ReportValidation.problems(solicitation).map(\.field) == ["conversation"])
        solicitation.conversation = [ConversationMessage(sender: "user-42", at: "2026-01-01T09:00:00Z", text: "don't tell your parents we talk")]
        #expect(ReportValidation.problems(solicitation) == [])
        var urgent = Samples.report(urgent: true)
        urgent.urgencyReason = nil
        #expect(ReportValidation.problems(urgent).map(\.field) == ["urgency_reason"])
    }

    @Test func invalidValuesAreNamed() {
        var report = Samples.report()
        report.reportedAt = "yesterday"
        report.provider.establishment = "US"
        report.files[0].hashes = [FileHash(algorithm: .md5, value: "ABC"), FileHash(algorithm: .pdq, value: String(repeating: "A", count: 64))]
        report.files[0].ipEvents = [IPCaptureEvent(ip: "999.1.1.1", port: 70_000, at: "2026-01-01T00:00:00Z")]
        report.users[0].accountCountry = "de"
        report.users[0].claimedAge = -3
        report.users.append(ReportedUser(role: .victim, identifier: ""))
        report.files.append(ReportedFile(reference: "f1", hashes: []))
        let problems = ReportValidation.problems(report)
        let invalid = Set(problems.filter { $0.kind == .invalid }.map(\.field))
        #expect(
            invalid == [
                "reported_at", "provider.establishment", "files[0].hashes[0].value", "files[0].hashes[1].value", "files[0].ip_events[0].ip",
                "files[0].ip_events[0].port", "users[0].account_country", "users[0].claimed_age", "files[1].reference",
            ])
        #expect(Set(problems.filter { $0.kind == .missing }.map(\.field)) == ["users[1].identifier", "files[1].hashes"])
        #expect(ReportValidation.isIPAddress("2001:db8::1") && ReportValidation.isIPAddress("198.51.100.7"))
    }

    @Test func theStateMachineAllowsOnlyItsTransitions() throws {
        let unfounded = AssessmentDecision.unfounded(.notAbuse, explanation: "a drawing of a landscape")
        let ask = AssessmentDecision.requestInformation(question: "when was it uploaded?")
        #expect(try ReportState.queued.applying(.decide(.forward)) == .awaitingReview)
        #expect(try ReportState.queued.applying(.decide(unfounded)) == .awaitingReview)
        #expect(try ReportState.queued.applying(.decide(ask)) == .informationRequested)
        #expect(try ReportState.informationRequested.applying(.informationSupplied) == .queued)
        #expect(try ReportState.awaitingReview.applying(.approve(pending: .forward)) == .forwarded)
        #expect(try ReportState.awaitingReview.applying(.approve(pending: unfounded)) == .unfounded)
        #expect(try ReportState.awaitingReview.applying(.returnToQueue) == .queued)
        #expect(ReportState.initial(classifiedAutomatically: true) == .forwarded)
        // Everything else is refused, in particular anything after a final state.
        var allowed = 0
        for state in ReportState.allCases {
            for event in [
                ReportEvent.decide(.forward), .decide(unfounded), .decide(ask), .approve(pending: .forward), .approve(pending: unfounded),
                .approve(pending: ask), .returnToQueue, .informationSupplied,
            ] {
                if (try? state.applying(event)) != nil {
                    allowed += 1
                } else {
                    #expect(throws: ReportTransitionError.self) { try state.applying(event) }
                }
            }
        }
        #expect(allowed == 7)
        #expect(throws: ReportTransitionError.self) { try ReportState.forwarded.applying(.decide(.forward)) }
    }

    @Test func decisionsRoundTripAsJSON() throws {
        for decision in [
            AssessmentDecision.forward, .unfounded(.duplicate, explanation: "see report 3"), .requestInformation(question: "which account?"),
        ] {
            let data = try JSONEncoder().encode(decision)
            #expect(try JSONDecoder().decode(AssessmentDecision.self, from: data) == decision)
        }
        #expect(AssessmentDecision.unfounded(.notAbuse, explanation: "").problem != nil)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(AssessmentDecision.self, from: Data(#"{"decision":"maybe"}"#.utf8)) }
    }
}

/// The fast RFC 3339 check agrees with Foundation's parser on what it accepts.
@Suite("RFC 3339 check")
struct RFC3339Tests {
    @Test func acceptsWhatFoundationReadsAndRefusesTheRest() {
        let good = [
            "2026-01-01T12:00:00Z", "2026-01-01T12:00:00.123Z", "2024-02-29T23:59:59+01:00", "2026-12-31T00:00:00-05:30",
            "2026-06-15t08:30:00z",
        ]
        let bad = [
            "2026-01-01", "2026-13-01T00:00:00Z", "2025-02-29T00:00:00Z", "2026-04-31T00:00:00Z", "2026-01-01T24:00:00Z",
            "2026-01-01T12:60:00Z", "2026-01-01 12:00:00Z", "2026-01-01T12:00:00", "2026-01-01T12:00:00.Z", "2026-01-01T12:00:00+0100",
            "yesterday", "", "2026-01-01T12:00:00Z ",
        ]
        for text in good { #expect(RFC3339.isValid(text), "\(text)") }
        for text in bad { #expect(!RFC3339.isValid(text), "\(text)") }
        // Foundation reads the good ones with a Z or an offset, too.
        for text in good.prefix(4) { #expect(RFC3339.date(from: text) != nil, "\(text)") }
    }
}

/// The direct canonical writer against `JSONEncoder`'s sorted output, on seeded random reports
/// whose strings hold quotes, backslashes, slashes, control characters and non-ASCII text.
@Suite("Canonical JSON")
struct CanonicalJSONTests {
    static func text(_ random: inout SplitMix64) -> String {
        let pieces = [
            "a", "Z", "0", " ", "\"", "\\", "/", "\n", "\t", "\r", "\u{08}", "\u{0C}", "\u{01}", "\u{1F}", "\u{7F}", "é", "€", "ß", "日本", "🙂",
            "\u{2028}",
        ]
        let count = Int(random.next() % 12)
        return (0..<count).map { _ in pieces[Int(random.next() % UInt64(pieces.count))] }.joined()
    }

    @Test func theWriterMatchesJSONEncoderOnRandomReports() throws {
        var random = SplitMix64(seed: 0x5EED_C0DE)
        let encoder = ReportCoding.encoder()
        for round in 0..<300 {
            var report = Samples.report(reference: "r\(round)")
            report.otherData = round % 2 == 0 ? Self.text(&random) : nil
            report.provider.name = Self.text(&random)
            report.users[0].screenName = round % 3 == 0 ? Self.text(&random) : nil
            report.users[0].claimedAge = round % 4 == 0 ? Int(random.next() % 120) : nil
            report.files[0].originalFileName = Self.text(&random)
            report.files[0].viewedByProvider = round % 5 == 0 ? nil : (random.next() % 2 == 0)
            report.files[0].ipEvents[0].possibleProxy = round % 2 == 0 ? true : nil
            report.conversation = (0..<Int(random.next() % 3)).map { _ in
                ConversationMessage(sender: Self.text(&random), at: "2026-01-01T09:00:00Z", text: Self.text(&random))
            }
            report.type = round % 7 == 0 ? nil : .newMaterial
            report.urgent = round % 2 == 1
            let direct = ReportCoding.canonicalJSON(report)
            let foundation = Array(try encoder.encode(report))
            #expect(
                direct == foundation, "round \(round): \(String(decoding: direct, as: UTF8.self)) != \(String(decoding: foundation, as: UTF8.self))")
            if direct != foundation { break }
        }
    }
}
