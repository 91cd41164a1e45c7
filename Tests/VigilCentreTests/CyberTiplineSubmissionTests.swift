import Foundation
import Testing
import VigilCentre
import VigilDomain

/// The session of one report through /submit, /upload, /fileinfo, /finish and /retract, with time
/// moved by hand.
@Suite("CyberTipline: the submission state machine")
struct CyberTiplineSubmissionTests {
    private let opened = Date(timeIntervalSince1970: 1_767_225_600)  // 2026-01-01T00:00:00Z
    private let md5 = [FileHash(algorithm: .md5, value: "fedcba9876543210fedcba9876543210")]
    private let fileId = "f0000000000000000000000000000001"

    private func minutes(_ m: Double) -> Date { opened.addingTimeInterval(m * 60) }

    private func submission(lifetime: CyberTiplineSubmission.Lifetime = .init(rule: .earlier)) throws(CyberTiplineError) -> CyberTiplineSubmission {
        CyberTiplineSubmission(
            reportId: 1001, report: try CyberTiplineFixtures.parseReport(CyberTiplineFixtures.report), openedAt: opened, lifetime: lifetime)
    }

    private func details(fileId: String? = nil, reportId: Int = 1001) throws(CyberTiplineError) -> CyberTiplineFileDetails {
        try CyberTiplineFileDetails.parse(Data(CyberTiplineFixtures.fileDetails(reportId: reportId, fileId: fileId ?? self.fileId).utf8))
    }

    /// The reason `step` is refused, or nil when it is not.
    private func refusal(_ step: () throws(CyberTiplineError) -> Void) -> CyberTiplineError.Reason? {
        do {
            try step()
            return nil
        } catch {
            return error.reason
        }
    }

    @Test func submitUploadDescribeFinish() throws {
        var s = try submission()
        #expect(s.state == .open)
        #expect(s.expiresAt == minutes(60))
        try s.upload(fileId: fileId, hashes: md5, mediaType: "image/png", at: minutes(10))
        #expect(s.expiresAt == minutes(70))
        try s.describe(try details(), at: minutes(20))
        #expect(s.files.first?.details?.originalFileName == "pattern.png")
        let report = try s.finish(at: minutes(30), provider: CyberTiplineFixtures.provider)
        #expect(s.state == .finished)
        #expect(s.closedAt == minutes(30))
        #expect(s.expiresAt == nil)
        #expect(report.providerReference == "cybertipline-1001")
        #expect(report.files.map(\.reference) == [fileId])
        #expect(report.reportedAt == "2026-01-01T00:30:00.000Z")
    }

    @Test func aFinishedReportAnswers5102ToEverything() throws {
        var s = try submission()
        try s.upload(fileId: fileId, hashes: md5, at: minutes(1))
        _ = try s.finish(at: minutes(1), provider: CyberTiplineFixtures.provider)
        var copy = s
        let provider = CyberTiplineFixtures.provider
        #expect(refusal { () throws(CyberTiplineError) in _ = try copy.finish(at: minutes(2), provider: provider) } == .alreadyFinished)
        #expect(refusal { () throws(CyberTiplineError) in try copy.retract(at: minutes(2)) } == .alreadyFinished)
        #expect(refusal { () throws(CyberTiplineError) in try copy.upload(fileId: "x", hashes: md5, at: minutes(2)) } == .alreadyFinished)
        // Long after any expiry, a finished report still answers "already finished", never "does not exist".
        do {
            _ = try copy.finish(at: minutes(60 * 48), provider: provider)
            Issue.record("a finished report finished twice")
        } catch {
            #expect(error.responseCode == .reportAlreadyFinished)
            #expect(error.responseCode.rawValue == 5102)
        }
        #expect(copy == s)
    }

    @Test func aRetractedReportAnswers5101() throws {
        var s = try submission()
        try s.retract(at: minutes(5))
        #expect(s.state == .retracted)
        let provider = CyberTiplineFixtures.provider
        do {
            _ = try s.finish(at: minutes(6), provider: provider)
            Issue.record("a retracted report was finished")
        } catch {
            #expect(error.responseCode == .reportAlreadyRetracted)
        }
        #expect(refusal { () throws(CyberTiplineError) in try s.retract(at: minutes(6)) } == .alreadyRetracted)
    }

    @Test func anIdleReportExpiresAnHourAfterItsLastChange() throws {
        var s = try submission()
        try s.upload(fileId: fileId, hashes: md5, at: minutes(50))
        #expect(!s.isExpired(at: minutes(109)))
        #expect(s.isExpired(at: minutes(110)))
        let provider = CyberTiplineFixtures.provider
        do {
            _ = try s.finish(at: minutes(110), provider: provider)
            Issue.record("an expired report was finished")
        } catch {
            #expect(error.reason == .unknownReport)
            #expect(error.responseCode == .reportDoesNotExist)
            #expect(error.message.contains("expired unfinished at 2026-01-01T01:50:00.000Z"))
        }
        #expect(refusal { () throws(CyberTiplineError) in try s.retract(at: minutes(111)) } == .unknownReport)
        #expect(refusal { () throws(CyberTiplineError) in try s.upload(fileId: "g", hashes: md5, at: minutes(111)) } == .unknownReport)
        #expect(s.state == .open)
        #expect(s.files.count == 1)
    }

    @Test func aBusyReportStillExpires24HoursAfterOpening() throws {
        var s = try submission()
        // A change every 50 minutes keeps the idle limit away, but not the 24-hour one.
        var t = 0.0
        var n = 0
        while t + 50 < 24 * 60 {
            t += 50
            n += 1
            try s.upload(fileId: "f\(n)", hashes: md5, at: minutes(t))
        }
        #expect(s.expiresAt == minutes(24 * 60))
        #expect(!s.isExpired(at: minutes(24 * 60 - 1)))
        #expect(refusal { () throws(CyberTiplineError) in try s.upload(fileId: "late", hashes: md5, at: minutes(24 * 60)) } == .unknownReport)
    }

    @Test func nCMECsRuleKeepsAReportUntilTheLaterLimit() throws {
        // NCMEC's rule is the default.
        #expect(CyberTiplineSubmission.Lifetime().rule == .later)
        var s = try submission(lifetime: .init())
        #expect(s.expiresAt == minutes(24 * 60))
        try s.upload(fileId: fileId, hashes: md5, at: minutes(23 * 60 + 30))
        #expect(s.expiresAt == minutes(24 * 60 + 30))
        #expect(!s.isExpired(at: minutes(24 * 60 + 29)))
        _ = try s.finish(at: minutes(24 * 60 + 29), provider: CyberTiplineFixtures.provider)
        #expect(s.state == .finished)
    }

    @Test func fileInfoForAnUnknownFileAnswers5002() throws {
        var s = try submission()
        try s.upload(fileId: fileId, hashes: md5, at: minutes(1))
        do {
            try s.describe(try details(fileId: "0000000000000000000000000000dead"), at: minutes(2))
            Issue.record("details of an unknown file were recorded")
        } catch {
            #expect(error.reason == .unknownFile)
            #expect(error.responseCode == .fileDoesNotExist)
            #expect(error.element == "fileDetails/fileId")
        }
        let other = try details(reportId: 2002)
        #expect(refusal { () throws(CyberTiplineError) in try s.describe(other, at: minutes(2)) } == .unknownReport)
        #expect(refusal { () throws(CyberTiplineError) in try s.upload(fileId: fileId, hashes: md5, at: minutes(3)) } == .invalidRequest)
        // Refused steps change nothing, so they do not extend the report's life.
        #expect(s.expiresAt == minutes(61))
    }

    @Test func aLaterFileInfoReplacesTheEarlierAndCountsAsAChange() throws {
        var s = try submission()
        try s.upload(fileId: fileId, hashes: md5, at: minutes(1))
        try s.describe(try details(), at: minutes(30))
        var second = try details()
        second.originalFileName = "renamed.png"
        try s.describe(second, at: minutes(80))
        #expect(s.files.count == 1)
        #expect(s.files[0].details?.originalFileName == "renamed.png")
        #expect(s.expiresAt == minutes(140))
        #expect(refusal { () throws(CyberTiplineError) in try s.describe(second, at: minutes(140)) } == .unknownReport)
    }

    @Test func anIncompleteReportIsRefusedAndStaysOpen() throws {
        var s = try submission()
        try s.upload(fileId: fileId, hashes: md5, at: minutes(1))
        let provider = CyberTiplineProvider(name: "Example Hosting", removal: .removed)
        do {
            _ = try s.finish(at: minutes(5), provider: provider)
            Issue.record("a report without a legal basis was finished")
        } catch {
            #expect(error.reason == .incompleteReport)
            #expect(error.responseCode == .validationFailed)
            #expect(error.problems.map(\.field) == ["legal_basis"])
            #expect(error.description.contains("NCMEC's XML has no legal basis"))
        }
        #expect(s.state == .open)
        _ = try s.finish(at: minutes(6), provider: CyberTiplineFixtures.provider)
        #expect(s.state == .finished)
    }
}
