import Foundation
import Testing
import VigilDomain
import VigilStore

@testable import VigilServer

/// The answer to a filing, written directly for the usual report, is byte for byte what the
/// response encoder writes; anything else is left to the encoder.
@Suite("The filing's answer")
struct FiledReportAnswerTests {
    static func stored(
        id: Int64, reference: String, state: ReportState = .queued, automatically: Bool = false, matches: [String: [String]] = [:],
        receivedAt: String = "2026-01-01T00:00:00.000Z"
    ) -> StoredReport {
        StoredReport(
            id: id, organisationId: 7, report: CentreAPITests.report(reference: reference), signature: nil, state: state,
            classifiedAutomatically: automatically, centreMatches: matches, pendingDecision: nil, decidedBy: nil, receivedAt: receivedAt,
            updatedAt: receivedAt)
    }

    @Test(arguments: [
        stored(id: 1, reference: "r"),
        stored(id: 9_223_372_036_854_775_807, reference: "hosting-2026.01_a:b-C", state: .forwarded, automatically: true),
        stored(id: 42, reference: String(repeating: "x", count: 128), state: .informationRequested),
        stored(id: 3, reference: "plain", state: .awaitingReview, receivedAt: "2026-11-30T17:35:52+01:00"),
    ])
    func theDirectAnswerIsTheEncoders(_ stored: StoredReport) throws {
        for files in [0, 1, 17] {
            let answer = FiledReport(stored, referrals: [], storedFiles: files)
            let direct = try #require(answer.directJSON)
            let encoded = try VigilRequestContext.makeResponseEncoder().encode(answer)
            #expect(String(decoding: direct, as: UTF8.self) == String(decoding: encoded, as: UTF8.self))
        }
    }

    @Test func otherAnswersAreLeftToTheEncoder() {
        // Matches, referrals, or text the encoder would escape.
        #expect(FiledReport(Self.stored(id: 1, reference: "r", matches: ["f1": ["entry:1"]]), referrals: [], storedFiles: 0).directJSON == nil)
        let referral = StoredReferral(
            id: 5, reportId: 1, recipient: .europol, createdAt: "2026-01-01T00:00:00.000Z", outcomeDueAt: "2026-04-01T00:00:00.000Z")
        #expect(FiledReport(Self.stored(id: 1, reference: "r"), referrals: [referral], storedFiles: 0).directJSON == nil)
        for odd in ["a/b", "a\"b", "a\\b", "é", "a b", "a\nb"] {
            #expect(FiledReport(Self.stored(id: 1, reference: odd), referrals: [], storedFiles: 0).directJSON == nil)
        }
    }
}
