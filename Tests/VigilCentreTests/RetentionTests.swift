import Foundation
import Testing
import VigilCentre
import VigilDomain
import VigilPipeline
import VigilStore
import VigilTestSupport

/// Retention with the injected clock: reports deleted a year after the last action on them (not
/// before), kept by later actions, holds and preservation requests, deleted with everything of
/// theirs and on the audit chain; unfinished CyberTipline submissions' files deleted when they expire.
@Suite("Retention of the Centre's reports and content")
struct RetentionTests {
    static let day: TimeInterval = 86_400
    static let year: TimeInterval = 365 * day

    /// A Centre with one provider whose reports carry a benign image's bytes.
    struct Centre {
        let time: ManualClock
        let store: any NodeStore
        let provider: Principal
        let signer: ReportSigner
        let intake: ReportIntake
        let t0: Date

        static func make(_ factory: StoreFactory) async throws -> Centre {
            let clock = ManualClock()
            let store = try await factory.make(clock)
            let (provider, signer) = try await Samples.provider(store)
            let vault = ContentVault(keyring: MasterKeyring(current: .generate()))
            return Centre(
                time: clock, store: store, provider: provider, signer: signer,
                intake: ReportIntake(store: store, indicators: nil, vault: vault, images: PipelineImageHashing()), t0: clock.now())
        }

        /// Files a report with its file's bytes; returns its id.
        func file(_ reference: String) async throws -> Int64 {
            let bytes = try ContentSamples.image()
            let report = ContentSamples.report(for: bytes, reference: reference)
            return try await intake.file(try signer.sign(report), files: [ReceivedFile(reference: "f1", bytes: bytes)], by: provider).id
        }

        /// Files a report and forwards it (referred to DE, IE and Europol); returns its id.
        func forwarded(_ reference: String) async throws -> Int64 {
            let id = try await file(reference)
            let assessment = AssessmentService(store: store)
            _ = try await assessment.decide(.forward, on: id, by: try await Samples.analyst(store, name: "analyst"))
            _ = try await assessment.review(id, approve: true, by: try await Samples.analyst(store, name: "supervisor"))
            return id
        }

        func referral(_ reportId: Int64, to recipient: ReferralRecipient) async throws -> Int64 {
            try #require(try await store.referrals(reportId: reportId).first { $0.recipient == recipient }).id
        }

        func at(_ offset: TimeInterval) { time.set(t0.addingTimeInterval(offset)) }

        func sweep(dryRun: Bool = false) async throws -> RetentionService.Sweep {
            try await RetentionService(store: store, clock: time).sweep(dryRun: dryRun)
        }

        static let police = Actor(name: "key:police-de", organisation: "Polizei DE")
    }

    @Test(arguments: StoreFactory.all) func aReportIsDeletedExactlyAYearAfterItsLastActionWithEverythingOfIt(_ factory: StoreFactory) async throws {
        let centre = try await Centre.make(factory)
        let store = centre.store
        let old = try await centre.forwarded("old")
        centre.at(10 * Self.day)
        // The same file again, ten days later: the same item (counted twice) and the same case, named after the old report.
        let newer = try await centre.file("newer")
        let item = try #require(try await store.items(reportId: old)["f1"])
        #expect(try await store.item(id: item.id)?.reportCount == 2)
        #expect(try await store.reportCase(of: newer)?.caseId == old)
        #expect(try await store.referrals(reportId: old).count == 3)

        centre.at(Self.year - 0.001)
        #expect(try await centre.sweep().reports.isEmpty, "not a millisecond before")
        #expect(try await store.report(id: old) != nil)

        centre.at(Self.year)
        let dry = try await centre.sweep(dryRun: true)
        #expect(dry.reports.map(\.reportId) == [old] && dry.reports.first?.deleted == nil)
        #expect(try await store.report(id: old) != nil, "a dry run deletes nothing")

        let sweep = try await centre.sweep()
        #expect(sweep.reports.map(\.reportId) == [old])
        #expect(sweep.reports.first?.deleted == DeletedReport(reportId: old, files: 1, items: 1, referrals: 3))
        #expect(try await store.report(id: old) == nil)
        #expect(try await store.reportFiles(reportId: old).isEmpty)
        #expect(try await store.reportFile(reportId: old, reference: "f1") == nil)
        #expect(try await store.referrals(reportId: old).isEmpty)
        #expect(try await store.items(reportId: old).isEmpty)
        #expect(try await store.reportCase(of: old) == nil)
        // The item stays (hashes, no content), counted once now; the case is renamed after its remaining report.
        #expect(try await store.item(id: item.id)?.reportCount == 1)
        #expect(try await store.reportCase(of: newer)?.caseId == newer)
        #expect(try await store.reportFiles(reportId: newer).count == 1)

        // On the audit chain, which still verifies.
        let chain = try await store.verifyAuditChain()
        #expect(chain.isValid)
        let events = try await store.auditEvents(after: 0, limit: 1_000)
        let deletions = events.filter { $0.event.action == "report.delete" }
        #expect(deletions.map(\.event.object) == ["report:\(old)"] && deletions.first?.event.detail == "retention")
        #expect(events.contains { $0.event.object == "report:\(old)" && $0.event.action != "report.delete" }, "earlier events stay")

        // The newer report goes ten days later, not before.
        centre.at(Self.year + 10 * Self.day - 1)
        #expect(try await centre.sweep().reports.isEmpty)
        centre.at(Self.year + 10 * Self.day)
        #expect(try await centre.sweep().reports.map(\.reportId) == [newer])
        #expect(try await store.item(id: item.id)?.reportCount == 0)
        #expect(try await store.verifyAuditChain().isValid)
    }

    @Test(arguments: StoreFactory.all) func anOutcomePostedLaterPushesTheDeletionBack(_ factory: StoreFactory) async throws {
        let centre = try await Centre.make(factory)
        let id = try await centre.forwarded("r1")
        centre.at(100 * Self.day)
        let referrals = ReferralService(store: centre.store, clock: centre.time)
        _ = try await referrals.postOutcome(
            .investigationOpened, detail: nil, on: try await centre.referral(id, to: .police(try #require(MemberState(rawValue: "DE")))),
            by: Centre.police)
        centre.at(Self.year)
        #expect(try await centre.sweep().reports.isEmpty)
        centre.at(100 * Self.day + Self.year - 1)
        #expect(try await centre.sweep().reports.isEmpty)
        centre.at(100 * Self.day + Self.year)
        #expect(try await centre.sweep().reports.map(\.reportId) == [id])
    }

    @Test(arguments: StoreFactory.all) func aHoldInForceKeepsTheReportUntilItEnds(_ factory: StoreFactory) async throws {
        let centre = try await Centre.make(factory)
        let id = try await centre.forwarded("r1")
        centre.at(300 * Self.day)
        let until = centre.t0.addingTimeInterval(800 * Self.day)
        _ = try await ReferralService(store: centre.store, clock: centre.time).setHold(
            Hold(doNotInform: true, doNotRemove: true, until: until.rfc3339),
            on: try await centre.referral(id, to: .police(try #require(MemberState(rawValue: "DE")))), by: Centre.police)
        // A year after the hold was placed (its last action) it is still in force.
        centre.at(665 * Self.day)
        #expect(try await centre.sweep().reports.isEmpty)
        centre.at(800 * Self.day - 1)
        #expect(try await centre.sweep().reports.isEmpty)
        centre.at(800 * Self.day)
        #expect(try await centre.sweep().reports.map(\.reportId) == [id])
    }

    @Test(arguments: StoreFactory.all) func aPreservationRequestKeepsTheReport(_ factory: StoreFactory) async throws {
        let centre = try await Centre.make(factory)
        let id = try await centre.forwarded("r1")
        let service = RetentionService(store: centre.store, clock: centre.time)
        centre.at(360 * Self.day)
        await #expect(throws: CentreError.self) {
            _ = try await service.preserve(
                reportId: id, Preservation(until: centre.t0.addingTimeInterval(359 * Self.day).rfc3339, reason: "x"), by: Centre.police)
        }
        let until = centre.t0.addingTimeInterval(860 * Self.day)
        let stored = try await service.preserve(
            reportId: id, Preservation(until: until.rfc3339, reason: "case 2026/17 (benign test)"), by: Centre.police)
        #expect(stored.requestedBy == "Polizei DE")
        #expect(try await centre.store.preservations(reportId: id).count == 1)
        centre.at(Self.year)
        #expect(try await centre.sweep().reports.isEmpty)
        centre.at(860 * Self.day - 1)
        #expect(try await centre.sweep().reports.isEmpty)
        centre.at(860 * Self.day)
        #expect(try await centre.sweep().reports.map(\.reportId) == [id])
        #expect(try await centre.store.preservations(reportId: id).isEmpty)
        let events = try await centre.store.auditEvents(after: 0, limit: 1_000)
        #expect(events.contains { $0.event.action == "report.preserve" && $0.event.object == "report:\(id)" })
        #expect(try await centre.store.verifyAuditChain().isValid)
    }

    @Test(arguments: StoreFactory.all) func aWithdrawnPreservationRequestNoLongerKeepsTheReport(_ factory: StoreFactory) async throws {
        let centre = try await Centre.make(factory)
        let id = try await centre.forwarded("r1")
        let service = RetentionService(store: centre.store, clock: centre.time)
        let europol = Actor(name: "key:europol", organisation: "Europol")
        let until = centre.t0.addingTimeInterval(500 * Self.day).rfc3339
        _ = try await service.preserve(reportId: id, Preservation(until: until, reason: "case A (benign test)"), by: Centre.police)
        _ = try await service.preserve(reportId: id, Preservation(until: until, reason: "case B (benign test)"), by: europol)
        // Only one's own request is withdrawn; one that is not there is an error that changes nothing.
        let removed = try await service.withdraw(reportId: id, by: Centre.police)
        #expect(removed.requestedBy == "Polizei DE" && removed.preservation.reason == "case A (benign test)")
        await #expect(throws: StoreError.self) { _ = try await service.withdraw(reportId: id, by: Centre.police) }
        #expect(try await centre.store.preservations(reportId: id).map(\.requestedBy) == ["Europol"])
        centre.at(Self.year)
        #expect(try await centre.sweep().reports.isEmpty, "Europol's request still keeps it")
        _ = try await service.withdraw(reportId: id, by: europol)
        #expect(try await centre.sweep().reports.map(\.reportId) == [id], "past its year with no request left: deleted")
        let events = try await centre.store.auditEvents(after: 0, limit: 1_000)
        #expect(events.filter { $0.event.action == "report.unpreserve" && $0.event.object == "report:\(id)" }.count == 2)
        #expect(try await centre.store.verifyAuditChain().isValid)
    }

    @Test(arguments: StoreFactory.all) func anExpiredCyberTiplineSubmissionLosesItsFilesAndAnOpenOneKeepsThem(_ factory: StoreFactory) async throws {
        let centre = try await Centre.make(factory)
        let store = centre.store
        let organisation = centre.provider.organisationId
        let file = NewReportFile(
            reference: "file", mediaType: "image/png", size: 4, hashes: ContentHashes(md5: Samples.md5, sha256: Samples.sha256),
            sealed: SealedContent(masterKeyId: "test", wrappedKey: Array(repeating: 1, count: 40), ciphertext: [1, 2, 3, 4]))
        let xml = Array("<report/>".utf8)
        let expiring = try await store.write { tx throws(StoreError) in
            let id = try tx.openSubmission(organisationId: organisation, reportXML: xml)
            try tx.addSubmissionFile(submissionId: id, fileId: "a1", uploadName: nil, file: file)
            return id
        }
        centre.at(3_600)
        let open = try await store.write { tx throws(StoreError) in
            let id = try tx.openSubmission(organisationId: organisation, reportXML: xml)
            try tx.addSubmissionFile(submissionId: id, fileId: "b1", uploadName: nil, file: file)
            return id
        }
        // 24 h after opening (its last change long past): the first has expired, the second (opened an hour later) not.
        centre.at(24 * 3_600 - 1)
        #expect(try await centre.sweep().submissions.isEmpty)
        centre.at(24 * 3_600)
        let dry = try await centre.sweep(dryRun: true)
        #expect(dry.submissions.map(\.submissionId) == [expiring] && dry.submissions.first?.files == 1)
        #expect(try await store.write { tx throws(StoreError) in try tx.submission(id: expiring)?.files.count } == 1)

        let sweep = try await centre.sweep()
        #expect(sweep.submissions.map(\.submissionId) == [expiring] && sweep.submissions.first?.files == 1)
        #expect(try await store.write { tx throws(StoreError) in try tx.submission(id: expiring) } == nil)
        #expect(try await store.write { tx throws(StoreError) in try tx.submission(id: open)?.files.count } == 1)
        let events = try await store.auditEvents(after: 0, limit: 1_000)
        #expect(events.filter { $0.event.action == "cybertipline.expire" }.map(\.event.object) == ["submission:\(expiring)"])
        #expect(try await store.verifyAuditChain().isValid)

        centre.at(25 * 3_600)
        #expect(try await centre.sweep().submissions.map(\.submissionId) == [open])
        #expect(try await store.openSubmissions(afterId: 0, limit: 10).isEmpty)
    }
}
