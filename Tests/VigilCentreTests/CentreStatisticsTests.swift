import Foundation
import Testing
import VigilCentre
import VigilDomain
import VigilStore
import VigilTestSupport

/// Flags one file's MD5 as a confirmed indicator, so a report of it is classified known material.
private struct OneKnownFile: IndicatorCheck {
    let md5: String

    func confirmedIndicators(for file: ReportedFile) async throws -> [String] {
        file.hash(.md5) == md5 ? ["known:1"] : []
    }
}

/// The Centre's statistics over a real store, every step at a set time of a ``ManualClock``:
/// reports filed, decided and approved, outcomes posted on time and late, holds in force and
/// ended; the figures are asserted exactly.
@Suite("The Centre's statistics")
struct CentreStatisticsTests {
    static let day: TimeInterval = 86_400
    static let knownMD5 = "fedcba9876543210fedcba9876543210"

    /// Seven reports, four decisions by people, one automatic classification, nine referrals.
    struct Scene {
        let store: any NodeStore
        let clock: ManualClock
        let start: Date
        let providerA: Principal
        let providerB: Principal
        let de = MemberState(rawValue: "DE")
    }

    /// Every step of the story at its time (seconds and days after 2026-01-01T00:00:00Z):
    ///
    /// | at | what |
    /// |---|---|
    /// | 0, 100, 200 | A files r1 and r2 (new material) and r3 (known material no list knows) |
    /// | 300, 400 | B files r4 and r5 (new material) |
    /// | 1,000 / 1,600 | r1 decided forward / approved: decision and referral after 1,600 s |
    /// | 2,000 / 3,700 | r2 decided unfounded / approved: 3,600 s |
    /// | 4,000 / 7,400 | r3 decided forward / approved: 7,200 s |
    /// | 5,000 / 10,300 | r4 decided unfounded / approved: 10,000 s |
    /// | 10 d | r1's DE outcome (on time); holds on r3's IE (do not inform, 180 days) and Europol (do not remove, 5 days) |
    /// | 11 d | Europol acknowledges r1 |
    /// | 31 d + 7,400 | r3's DE outcome, one day late |
    /// | 32 d + 1,600 | r1's IE outcome, two days late |
    /// | 40 d | A files r6, classified known material: forwarded at once |
    /// | 41 d | r6's Europol outcome (on time) |
    /// | 45 d | the figures |
    static func scene(_ factory: StoreFactory) async throws -> Scene {
        let clock = ManualClock()
        let start = clock.now()
        let store = try await factory.make(clock)
        let a = try await Samples.provider(store, name: "Provider A")
        let b = try await Samples.provider(store, name: "Provider B")
        let intake = ReportIntake(store: store, indicators: OneKnownFile(md5: knownMD5))
        let assessment = AssessmentService(store: store)
        let referrals = ReferralService(store: store, clock: clock)
        let analyst = try await Samples.analyst(store, name: "analyst")
        let supervisor = try await Samples.analyst(store, name: "supervisor")
        let police = Actor(name: "police", organisation: "Police")

        func at(_ seconds: TimeInterval) { clock.set(start.addingTimeInterval(seconds)) }
        func file(_ reference: String, _ type: ReportType, by who: (principal: Principal, signer: ReportSigner), md5: String = Samples.md5)
            async throws -> Int64
        {
            try await intake.file(try who.signer.sign(Samples.report(reference: reference, type: type, md5: md5)), by: who.principal).id
        }
        func referral(_ report: Int64, _ recipient: String) async throws -> Int64 {
            let found = try await store.referrals(reportId: report).first { $0.recipient.description == recipient }
            return try #require(found).id
        }

        at(0)
        let r1 = try await file("r1", .newMaterial, by: a)
        at(100)
        let r2 = try await file("r2", .newMaterial, by: a)
        at(200)
        let r3 = try await file("r3", .knownMaterial, by: a)
        at(300)
        let r4 = try await file("r4", .newMaterial, by: b)
        at(400)
        _ = try await file("r5", .newMaterial, by: b)
        at(1_000)
        _ = try await assessment.decide(.forward, on: r1, by: analyst)
        at(1_600)
        _ = try await assessment.review(r1, approve: true, by: supervisor)
        at(2_000)
        _ = try await assessment.decide(.unfounded(.notAbuse, explanation: "a holiday photo"), on: r2, by: analyst)
        at(3_700)
        _ = try await assessment.review(r2, approve: true, by: supervisor)
        at(4_000)
        _ = try await assessment.decide(.forward, on: r3, by: analyst)
        at(5_000)
        _ = try await assessment.decide(.unfounded(.providerError, explanation: "a test report"), on: r4, by: analyst)
        at(7_400)
        _ = try await assessment.review(r3, approve: true, by: supervisor)
        at(10_300)
        _ = try await assessment.review(r4, approve: true, by: supervisor)

        at(10 * day)
        _ = try await referrals.postOutcome(.investigationOpened, detail: nil, on: try await referral(r1, "DE"), by: police)
        let inForce = Hold(doNotInform: true, doNotRemove: false, until: clock.now().addingTimeInterval(180 * day).rfc3339)
        _ = try await referrals.setHold(inForce, on: try await referral(r3, "IE"), by: police)
        let ended = Hold(doNotInform: false, doNotRemove: true, until: clock.now().addingTimeInterval(5 * day).rfc3339)
        _ = try await referrals.setHold(ended, on: try await referral(r3, "europol"), by: police)
        at(11 * day)
        _ = try await referrals.acknowledge(try await referral(r1, "europol"), by: police)
        at(31 * day + 7_400)
        _ = try await referrals.postOutcome(.suspectIdentified, detail: nil, on: try await referral(r3, "DE"), by: police)
        at(32 * day + 1_600)
        _ = try await referrals.postOutcome(.passedOn, detail: nil, on: try await referral(r1, "IE"), by: police)
        at(40 * day)
        let r6 = try await file("r6", .knownMaterial, by: a, md5: knownMD5)
        at(41 * day)
        _ = try await referrals.postOutcome(.notPursued, detail: nil, on: try await referral(r6, "europol"), by: police)
        at(45 * day)
        return Scene(store: store, clock: clock, start: start, providerA: a.principal, providerB: b.principal)
    }

    /// Reports, forwarded, unfounded, undecided, classified automatically.
    static func row(_ c: ReportCounts) -> [Int] { [c.reports, c.forwarded, c.unfounded, c.undecided, c.classifiedAutomatically] }

    /// Referrals, acknowledged, on time, late, overdue, awaiting; holds placed, in force, do not inform, do not remove.
    static func row(_ c: ReferralCounts) -> [Int] {
        [
            c.referrals, c.acknowledged, c.onTime, c.late, c.overdue, c.awaiting, c.holds.placed, c.holds.active, c.holds.doNotInform,
            c.holds.doNotRemove,
        ]
    }

    @Test(arguments: StoreFactory.all) func everyFigureOfTheCentre(_ factory: StoreFactory) async throws {
        let scene = try await Self.scene(factory)
        let service = StatisticsService(store: scene.store, clock: scene.clock)
        let figures = try await service.statistics(window: .always, scope: .all)
        #expect(figures.scope == "all" && figures.from == nil && figures.to == nil)
        #expect(figures.generatedAt == "2026-02-15T00:00:00.000Z")
        let reports = try #require(figures.reports)

        // Six reports: three forwarded (one automatically), two unfounded, one queued.
        let total = reports.total
        #expect(Self.row(total) == [6, 3, 2, 1, 1])
        #expect(total.unfoundedShare == 2.0 / 5.0)
        #expect(reports.byProvider.map(\.organisation) == ["Provider A", "Provider B"])
        let a = try #require(reports.byProvider.first?.counts)
        let b = try #require(reports.byProvider.last?.counts)
        #expect(Self.row(a) == [4, 3, 1, 0, 1])
        #expect(a.unfoundedShare == 0.25)
        #expect(Self.row(b) == [2, 0, 1, 1, 0])
        #expect(b.unfoundedShare == 1)
        let types = Dictionary(uniqueKeysWithValues: reports.byType.map { ($0.type, $0.counts) })
        #expect(types[.newMaterial].map(Self.row) == [4, 1, 2, 1, 0])
        #expect(types[.knownMaterial].map(Self.row) == [2, 2, 0, 0, 1])
        #expect(types[.solicitation]?.reports == 0)
        #expect(reports.byState == ["queued": 1, "information_requested": 0, "awaiting_review": 0, "forwarded": 3, "unfounded": 2])

        // Decisions by people: 1,600, 3,600, 7,200 and 10,000 s: the median is the 2nd (nearest
        // rank ⌈0.5·4⌉), the 90th percentile the 4th (⌈0.9·4⌉). Referrals: 0 (automatic), 1,600, 7,200.
        #expect(reports.timeToDecision == DurationSummary(milliseconds: [1_600_000, 3_600_000, 7_200_000, 10_000_000]))
        #expect(reports.timeToDecision.count == 4 && reports.timeToDecision.medianSeconds == 3_600 && reports.timeToDecision.p90Seconds == 10_000)
        #expect(reports.timeToReferral.count == 3 && reports.timeToReferral.medianSeconds == 1_600 && reports.timeToReferral.p90Seconds == 7_200)

        // Nine referrals (three forwarded reports to DE, IE and Europol).
        let referrals = figures.referrals.total
        // referrals, acknowledged, on time, late, overdue, awaiting; holds placed, in force, do not inform, do not remove
        #expect(Self.row(referrals) == [9, 5, 2, 2, 3, 2, 2, 1, 1, 0])
        #expect(
            referrals.outcomes == ["investigation_opened": 1, "passed_on": 1, "not_pursued": 1, "child_safeguarded": 0, "suspect_identified": 1])
        #expect(referrals.lateness.count == 2 && referrals.lateness.medianSeconds == Self.day && referrals.lateness.p90Seconds == 2 * Self.day)

        let recipients = Dictionary(uniqueKeysWithValues: figures.referrals.byRecipient.map { ($0.recipient, $0.counts) })
        #expect(figures.referrals.byRecipient.map(\.recipient) == ["DE", "IE", "europol"])
        let de = try #require(recipients["DE"])
        #expect(Self.row(de) == [3, 2, 1, 1, 0, 1, 0, 0, 0, 0])
        #expect(de.lateness.medianSeconds == Self.day && de.lateness.p90Seconds == Self.day)
        let ie = try #require(recipients["IE"])
        #expect(Self.row(ie) == [3, 1, 0, 1, 1, 1, 1, 1, 1, 0])
        #expect(ie.lateness.medianSeconds == 2 * Self.day)
        let europol = try #require(recipients["europol"])
        #expect(Self.row(europol) == [3, 2, 1, 0, 2, 0, 1, 0, 0, 0], "its hold ended after five days")
        #expect(europol.lateness.count == 0 && europol.lateness.medianSeconds == nil)
    }

    @Test(arguments: StoreFactory.all) func aWindowCountsTheReportsReceivedInItAndWhatBecameOfThem(_ factory: StoreFactory) async throws {
        let scene = try await Self.scene(factory)
        let service = StatisticsService(store: scene.store, clock: scene.clock)
        // r3 (received at 200 s) and r4 (300 s); r2 at 100 s is before, r5 at 400 s is the end (exclusive).
        let window = try StatisticsWindow(from: scene.start.addingTimeInterval(150), to: scene.start.addingTimeInterval(400))
        let figures = try await service.statistics(window: window, scope: .all)
        #expect(figures.from == "2026-01-01T00:02:30.000Z" && figures.to == "2026-01-01T00:06:40.000Z")
        let reports = try #require(figures.reports)
        #expect(Self.row(reports.total) == [2, 1, 1, 0, 0])
        #expect(reports.timeToDecision.medianSeconds == 7_200 && reports.timeToDecision.p90Seconds == 10_000)
        #expect(reports.timeToReferral.count == 1 && reports.timeToReferral.medianSeconds == 7_200)
        #expect(figures.referrals.total.referrals == 3 && figures.referrals.total.late == 1 && figures.referrals.total.overdue == 2)
    }

    @Test(arguments: StoreFactory.all) func eachCallerSeesItsOwnShare(_ factory: StoreFactory) async throws {
        let scene = try await Self.scene(factory)
        let service = StatisticsService(store: scene.store, clock: scene.clock)
        // A provider: its own reports and their referrals only.
        #expect(StatisticsService.scope(for: scene.providerB) == .organisation(scene.providerB.organisationId))
        let b = try await service.statistics(window: .always, scope: .organisation(scene.providerB.organisationId))
        #expect(b.scope == "organisation")
        #expect(b.reports?.byProvider.map(\.organisation) == ["Provider B"])
        #expect(b.reports?.total.reports == 2 && b.referrals.total.referrals == 0)
        let a = try await service.statistics(window: .always, scope: .organisation(scene.providerA.organisationId))
        #expect(a.reports?.total.reports == 4 && a.referrals.total.referrals == 9)

        // Police: only their Member State's referral figures; Europol: every recipient's.
        let de = try #require(scene.de)
        let police = Principal(keyId: 1, organisationId: 9, organisation: "Polizei", kind: .police, jurisdiction: de, scopes: [.referrals])
        let scope = try #require(StatisticsService.scope(for: police))
        let german = try await service.statistics(window: .always, scope: scope)
        #expect(german.reports == nil && german.scope == "referrals")
        #expect(german.referrals.byRecipient.map(\.recipient) == ["DE"] && german.referrals.total.referrals == 3)
        let europol = Principal(keyId: 2, organisationId: 10, organisation: "Europol", kind: .europol, scopes: [.referrals])
        let all = try await service.statistics(window: .always, scope: try #require(StatisticsService.scope(for: europol)))
        #expect(all.reports == nil && all.referrals.total.referrals == 9)
        let auditor = Principal(keyId: 3, organisationId: 11, organisation: "Auditor", kind: .auditor, scopes: [.match])
        #expect(StatisticsService.scope(for: auditor) == nil)
    }
}
