import Foundation
import Testing
import VigilCentre
import VigilDomain
import VigilStore
import VigilTestSupport

/// Items (a file across reports, by its hashes, classified once) and cases (reports linked by an
/// item, a user or an IP event).
@Suite("Items and cases")
struct ItemsTests {
    static func hex(_ seed: Int, digits: Int) -> String {
        var generator = SplitMix64(seed: UInt64(seed))
        return String((0..<digits).map { _ in Array("0123456789abcdef")[Int(generator.next() & 15)] })
    }

    /// A report of one file with the given hashes, suspect and IP event.
    static func report(
        _ reference: String, md5: String? = nil, pdq: String? = nil, user: String, ip: String = "192.0.2.1", port: Int? = nil,
        annotations: [FileAnnotation] = []
    ) -> Report {
        var report = Samples.report(reference: reference)
        var hashes: [FileHash] = []
        if let md5 { hashes.append(FileHash(algorithm: .md5, value: md5)) }
        if let pdq { hashes.append(FileHash(algorithm: .pdq, value: pdq)) }
        report.files = [
            ReportedFile(
                reference: "f1", hashes: hashes, annotations: annotations,
                ipEvents: [IPCaptureEvent(ip: ip, port: port, at: "2025-12-31T22:15:00Z", event: "upload")])
        ]
        report.users = [ReportedUser(role: .suspect, identifier: user, accountCountry: "DE")]
        return report
    }

    /// `hex` with `bits` of its first bits flipped.
    static func flip(_ hex: String, bits: Int) -> String {
        var digits = Array(hex)
        for index in 0..<bits {
            // One bit in each of the first `bits` hex digits.
            let value = Int(String(digits[index]), radix: 16) ?? 0
            digits[index] = Array("0123456789abcdef")[value ^ 1]
        }
        return String(digits)
    }

    @Test(arguments: StoreFactory.all) func reportsSharingAnItemAUserOrAnIPEventFormOneCase(_ factory: StoreFactory) async throws {
        let store = try await factory.make(ManualClock())
        let (alice, aliceSigner) = try await Samples.provider(store)
        let (bob, bobSigner) = try await Samples.provider(store, name: "Other Service")
        let intake = ReportIntake(store: store, indicators: nil)
        let md5 = Self.hex(1, digits: 32)

        let first = try await intake.file(try aliceSigner.sign(Self.report("a1", md5: md5, user: "u1", ip: "192.0.2.1")), by: alice)
        // The same file at another provider, another user, another address: the same item, so the same case.
        let second = try await intake.file(try bobSigner.sign(Self.report("b1", md5: md5, user: "u9", ip: "198.51.100.7")), by: bob)
        // Another file, the same user at the same provider: linked.
        let third = try await intake.file(
            try aliceSigner.sign(Self.report("a2", md5: Self.hex(2, digits: 32), user: "u1", ip: "203.0.113.5")), by: alice)
        // The same identifier at another provider is another person: not linked by it.
        let fourth = try await intake.file(
            try bobSigner.sign(Self.report("b2", md5: Self.hex(3, digits: 32), user: "u1", ip: "203.0.113.9")), by: bob)
        // The same address and port as the fourth: linked with it.
        let fifth = try await intake.file(
            try aliceSigner.sign(Self.report("a3", md5: Self.hex(4, digits: 32), user: "u5", ip: "203.0.113.9")), by: alice)

        let firstCase = try #require(try await store.reportCase(of: first.id))
        #expect(firstCase.caseId == first.id && firstCase.reports == [first.id, second.id, third.id])
        let fourthCase = try #require(try await store.reportCase(of: fourth.id))
        #expect(fourthCase.caseId == fourth.id && fourthCase.reports == [fourth.id, fifth.id])

        let items = try await store.items(reportId: second.id)
        let item = try #require(items["f1"])
        #expect(item.reportCount == 2 && item.md5 == md5 && item.verdict == nil && !item.viral)
        #expect(try await store.items(reportId: first.id)["f1"]?.id == item.id)

        // A report linking both cases merges them under the smallest report id.
        let bridge = try await intake.file(try aliceSigner.sign(Self.report("a4", md5: Self.hex(4, digits: 32), user: "u1")), by: alice)
        #expect(try await store.reportCase(of: fourth.id)?.caseId == first.id)
        #expect(try await store.reportCase(of: bridge.id)?.reports == [first.id, second.id, third.id, fourth.id, fifth.id, bridge.id])
    }

    @Test(arguments: StoreFactory.all) func nearDuplicatesByPDQAreOneItemAndOthersAreNot(_ factory: StoreFactory) async throws {
        let store = try await factory.make(ManualClock())
        let (provider, signer) = try await Samples.provider(store)
        let intake = ReportIntake(store: store, indicators: nil)
        let pdq = Self.hex(7, digits: 64)
        let original = try await intake.file(try signer.sign(Self.report("p1", pdq: pdq, user: "u1", ip: "192.0.2.1")), by: provider)
        let near = try await intake.file(
            try signer.sign(Self.report("p2", pdq: Self.flip(pdq, bits: ReportLinking.samePDQRadius), user: "u2", ip: "192.0.2.2")), by: provider)
        let far = try await intake.file(
            try signer.sign(Self.report("p3", pdq: Self.flip(pdq, bits: ReportLinking.samePDQRadius + 5), user: "u3", ip: "192.0.2.3")), by: provider)
        let item = try #require(try await store.items(reportId: original.id)["f1"])
        #expect(try await store.items(reportId: near.id)["f1"]?.id == item.id)
        #expect(try await store.items(reportId: far.id)["f1"]?.id != item.id)
        #expect(try await store.item(id: item.id)?.reportCount == 2)
        #expect(try await store.reportCase(of: near.id)?.caseId == original.id)
        #expect(try await store.reportCase(of: far.id)?.caseId == far.id)
    }

    @Test(arguments: StoreFactory.all) func aViralItemIsBundledAndLinksNobody(_ factory: StoreFactory) async throws {
        let store = try await factory.make(ManualClock())
        let (provider, signer) = try await Samples.provider(store)
        let intake = ReportIntake(store: store, indicators: nil)
        let meme = Self.hex(11, digits: 32)
        var ids: [Int64] = []
        for number in 0..<ReportLinking.viralReports + 2 {
            let report = Self.report("v\(number)", md5: meme, user: "user-\(number)", ip: "198.51.100.\(number + 1)")
            ids.append(try await intake.file(try signer.sign(report), by: provider).id)
        }
        let item = try #require(try await store.items(reportId: ids[0])["f1"])
        #expect(item.viral && item.reportCount == ReportLinking.viralReports + 2, "the re-report count")
        // Before the item turned viral its reports were linked; after, each report stands alone.
        #expect(try await store.reportCase(of: ids[1])?.caseId == ids[0])
        let last = try #require(ids.last)
        #expect(try await store.reportCase(of: last)?.reports == [last])

        // A provider's viral flag makes it viral at once.
        let flagged = Self.report("flagged-1", md5: Self.hex(12, digits: 32), user: "x1", ip: "203.0.113.1", annotations: [.viral])
        let flaggedReport = try await intake.file(try signer.sign(flagged), by: provider)
        #expect(try await store.items(reportId: flaggedReport.id)["f1"]?.viral == true)
    }

    @Test(arguments: StoreFactory.all) func anItemIsClassifiedOnceAndItsNextReportIsNotViewedAgain(_ factory: StoreFactory) async throws {
        let store = try await factory.make(ManualClock())
        let (provider, signer) = try await Samples.provider(store)
        let intake = ReportIntake(store: store, indicators: nil)
        let assessment = AssessmentService(store: store)
        let md5 = Self.hex(21, digits: 32)
        let first = try await intake.file(try signer.sign(Self.report("c1", md5: md5, user: "u1")), by: provider)
        #expect(first.state == .queued)
        let item = try #require(try await store.items(reportId: first.id)["f1"])

        let analyst = try await Samples.analyst(store, name: "analyst-1")
        await #expect(throws: CentreError.self) {
            _ = try await assessment.classify(item: item.id, as: ItemVerdict(classification: .illegalInSomeMemberStates), by: analyst)
        }
        let classified = try await assessment.classify(item: item.id, as: ItemVerdict(classification: .illegalEverywhere), by: analyst)
        #expect(classified.verdict?.classification == .illegalEverywhere && classified.classifiedBy == "analyst-1")
        // Once: a second classification is refused, whoever asks.
        let other = Actor(name: "analyst-2", organisation: "Centre")
        let refusal = try await #require(throws: StoreError.self) {
            _ = try await assessment.classify(item: item.id, as: ItemVerdict(classification: .notIllegal), by: other)
        }
        #expect(refusal.code == .itemClassified)
        await #expect(throws: StoreError.self) {
            _ = try await assessment.classify(item: 99_999, as: ItemVerdict(classification: .notIllegal), by: other)
        }

        // The same item again: forwarded at once, with its referrals; nobody views it.
        let again = try await intake.file(try signer.sign(Self.report("c2", md5: md5, user: "u2", ip: "198.51.100.2")), by: provider)
        #expect(again.state == .forwarded && again.classifiedAutomatically)
        #expect(try await store.report(id: again.id)?.classifiedAutomatically == true, "not counted as a person's decision")
        #expect(try await store.referrals(reportId: again.id).isEmpty == false)
        // With one more file nobody classified, it waits for a person.
        var mixed = Self.report("c3", md5: md5, user: "u3", ip: "198.51.100.3")
        mixed.files.append(ReportedFile(reference: "f2", hashes: [FileHash(algorithm: .md5, value: Self.hex(22, digits: 32))]))
        #expect(try await intake.file(try signer.sign(mixed), by: provider).state == .queued)
        let events = try await store.auditEvents(after: 0, limit: 1_000)
        #expect(events.contains { $0.event.action == "item.classify" && $0.event.object == "item:\(item.id)" })
        #expect(events.contains { $0.event.action == "report.classify_known" && $0.event.object == "report:\(again.id)" })
        #expect(try await store.verifyAuditChain().isValid)
    }

    /// The statistics count reports and incidents (cases), per provider and per type.
    @Test(arguments: StoreFactory.all) func statisticsCountIncidents(_ factory: StoreFactory) async throws {
        let store = try await factory.make(ManualClock())
        let (alice, aliceSigner) = try await Samples.provider(store)
        let (bob, bobSigner) = try await Samples.provider(store, name: "Other Service")
        let intake = ReportIntake(store: store, indicators: nil)
        let md5 = Self.hex(31, digits: 32)
        // Two providers report one file (one incident); Alice also reports an unrelated one.
        _ = try await intake.file(try aliceSigner.sign(Self.report("i1", md5: md5, user: "u1", ip: "192.0.2.1")), by: alice)
        _ = try await intake.file(try bobSigner.sign(Self.report("i2", md5: md5, user: "u2", ip: "192.0.2.2")), by: bob)
        _ = try await intake.file(try aliceSigner.sign(Self.report("i3", md5: Self.hex(32, digits: 32), user: "u3", ip: "192.0.2.3")), by: alice)
        let figures = try await StatisticsService(store: store, clock: ManualClock()).statistics(window: .always, scope: .all)
        let reports = try #require(figures.reports)
        #expect(reports.total.reports == 3 && reports.total.incidents == 2)
        let byProvider = Dictionary(uniqueKeysWithValues: reports.byProvider.map { ($0.organisationId, $0.counts) })
        #expect(byProvider[alice.organisationId]?.incidents == 2 && byProvider[bob.organisationId]?.incidents == 1)
        #expect(reports.byType.first { $0.type == .newMaterial }?.counts.incidents == 2)
    }

    /// A confirmed item proposed for a list by an analyst goes on it once another person approves,
    /// with its provenance; its next report then matches the list on intake.
    @Test(arguments: StoreFactory.all) func aConfirmedItemGoesOnAListWithItsProvenanceOnceApproved(_ factory: StoreFactory) async throws {
        let store = try await factory.make(ManualClock())
        let (provider, signer) = try await Samples.provider(store)
        _ = try await store.createList(HashList(name: "confirmed", kind: .knownAbuseMaterial))
        _ = try await store.createList(HashList(name: "other", kind: .internal))
        let intake = ReportIntake(store: store, indicators: nil)
        let assessment = AssessmentService(store: store)
        let md5 = Self.hex(41, digits: 32)
        let report = try await intake.file(try signer.sign(Self.report("q1", md5: md5, user: "u1")), by: provider)
        let item = try #require(try await store.items(reportId: report.id)["f1"])
        let analyst = try await Samples.analyst(store, name: "analyst-1")
        let supervisor = Actor(name: "supervisor-1", organisation: "Centre")

        // Not classified yet, or not illegal, or not a list of confirmed material: refused.
        await #expect(throws: CentreError.self) {
            _ = try await assessment.propose(item: item.id, toList: "confirmed", reportId: report.id, by: analyst)
        }
        _ = try await assessment.classify(item: item.id, as: ItemVerdict(classification: .illegalEverywhere), by: analyst)
        await #expect(throws: CentreError.self) { _ = try await assessment.propose(item: item.id, toList: "other", reportId: report.id, by: analyst) }

        let proposal = try await assessment.propose(item: item.id, toList: "confirmed", reportId: report.id, by: analyst)
        #expect(proposal.state == .proposed && proposal.proposedBy == "analyst-1")
        let listBefore = try await store.list(named: "confirmed")
        #expect(try await store.entries(ofList: listBefore.list.name, afterId: 0, limit: 10).isEmpty)
        // The proposer cannot approve it; another person can, once.
        await #expect(throws: CentreError.self) { _ = try await assessment.reviewProposal(proposal.id, approve: true, by: analyst) }
        let approved = try await assessment.reviewProposal(proposal.id, approve: true, by: supervisor)
        #expect(approved.state == .approved && approved.entryIds.count == 1 && approved.reviewedBy == "supervisor-1")
        await #expect(throws: StoreError.self) { _ = try await assessment.reviewProposal(proposal.id, approve: false, by: supervisor) }

        let entries = try await store.entries(ofList: "confirmed", afterId: 0, limit: 10)
        let entry = try #require(entries.first)
        #expect(entries.count == 1 && entry.value == md5)
        #expect(entry.provenance.sourceOrganisation == "Centre" && entry.provenance.sourceItemId == "item:\(item.id)")
        #expect(entry.provenance.submittedBy == "analyst-1" && entry.provenance.confirmedBy == "analyst-1")
        #expect(entry.provenance.decisionReference == "report:\(report.id)" && entry.provenance.note?.contains("supervisor-1") == true)
        let events = try await store.auditEvents(after: 0, limit: 1_000).map(\.event.action)
        #expect(events.contains("item.propose") && events.contains("item.proposal_approve"))
    }

    /// Many reports sharing one key (an address behind which many users sit) all land in one case,
    /// and a report joining that case with another merges both.
    @Test(arguments: StoreFactory.all) func aKeySharedByManyReportsKeepsThemInOneCase(_ factory: StoreFactory) async throws {
        let store = try await factory.make(ManualClock())
        let (provider, signer) = try await Samples.provider(store)
        let intake = ReportIntake(store: store, indicators: nil)
        var ids: [Int64] = []
        for number in 0..<120 {
            let report = Self.report("h\(number)", md5: Self.hex(1_000 + number, digits: 32), user: "hot-\(number)", ip: "203.0.113.77", port: 443)
            ids.append(try await intake.file(try signer.sign(report), by: provider).id)
        }
        let other = try await intake.file(
            try signer.sign(Self.report("lone", md5: Self.hex(5_000, digits: 32), user: "lone-user", ip: "198.51.100.99")), by: provider)
        #expect(try await store.reportCase(of: ids[119])?.reports == ids)
        #expect(try await store.reportCase(of: other.id)?.reports == [other.id])
        // The same user as the lone report, behind the shared address: both cases merge.
        let bridge = try await intake.file(
            try signer.sign(Self.report("bridge", md5: Self.hex(5_001, digits: 32), user: "lone-user", ip: "203.0.113.77", port: 443)), by: provider)
        let merged = try #require(try await store.reportCase(of: other.id))
        #expect(merged.caseId == ids[0] && merged.reports == ids + [other.id, bridge.id])
    }
}
