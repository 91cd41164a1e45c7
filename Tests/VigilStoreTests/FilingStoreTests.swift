import Foundation
import Testing
import VigilDomain
import VigilStore
import VigilTestSupport

/// The provider node's filings, on every store: recorded with the match's webhook messages in one
/// transaction, due by time, each attempt's result, status reads, completion only when incomplete.
@Suite("Filing store contract")
struct FilingStoreTests {
    static func report(_ reference: String, complete: Bool) -> Report {
        Report(
            providerReference: reference, provider: ReportingProvider(name: "Example Hosting", contact: "abuse@hosting.example"),
            reportedAt: "2026-01-01T00:00:00Z", type: .knownMaterial,
            files: [ReportedFile(reference: "content", hashes: [FileHash(algorithm: .md5, value: "d41d8cd98f00b204e9800998ecf8427e")])],
            geographic: GeographicInformation(offenderCountry: complete ? "DE" : nil),
            users: complete ? [ReportedUser(role: .suspect, identifier: "user-1")] : [], removal: complete ? .removed : nil,
            legalBasis: "Regulation (EU) 2021/1232")
    }

    static func filing(_ reference: String, complete: Bool = true) -> NewFiling {
        NewFiling(
            reference: reference, listId: nil, report: report(reference, complete: complete),
            matches: [FilingMatch(list: "known", entryId: 1, source: "NCMEC", distance: 0)])
    }

    @Test(arguments: StoreFactory.all)
    func filingsGoFromRecordedToFiledAndFollowed(_ factory: StoreFactory) async throws {
        let clock = ManualClock()
        let store = try await factory.make(clock)
        let ids = try await store.recordActions(messages: [], filings: [Self.filing("r1"), Self.filing("r2", complete: false)])
        let queued = try #require(try await store.filing(id: ids.filings[0]))
        #expect(queued.state == .queued && queued.problems.isEmpty && queued.nextAttemptAt == clock.now().rfc3339)
        let incomplete = try #require(try await store.filing(id: ids.filings[1]))
        #expect(incomplete.state == .incomplete && incomplete.nextAttemptAt == nil)
        #expect(Set(incomplete.problems.map(\.field)).isSuperset(of: ["users", "removal"]))
        #expect(try await store.dueFilings(now: clock.now(), limit: 10).map(\.id) == [ids.filings[0]])

        // A failed attempt is due again at its time, not before; with no time left it is failed.
        _ = try await store.recordAttempt(filingId: ids.filings[0], .retry(error: "HTTP 503", at: clock.now().addingTimeInterval(5)))
        #expect(try await store.dueFilings(now: clock.now().addingTimeInterval(4), limit: 10).isEmpty)
        #expect(try await store.dueFilings(now: clock.now().addingTimeInterval(5), limit: 10).count == 1)
        let filed = try await store.recordAttempt(filingId: ids.filings[0], .filed(centreReportId: 42))
        #expect(filed.state == .filed && filed.centreReportId == 42 && filed.attempts == 2 && filed.lastError == nil)
        #expect(try await store.dueFilings(now: clock.now().addingTimeInterval(60), limit: 10).isEmpty)

        // Status reads: never read first, then by time.
        #expect(try await store.filingsToCheck(before: clock.now(), limit: 10).map(\.id) == [ids.filings[0]])
        let status = CentreReportStatus(
            state: .forwarded, receivedAt: clock.now().rfc3339,
            referrals: [CentreReferralStatus(recipient: "DE", hold: Hold(doNotInform: true, doNotRemove: false, until: "2027-01-01T00:00:00Z"))])
        try await store.recordCentreStatus(filingId: ids.filings[0], status)
        #expect(try await store.filing(id: ids.filings[0])?.centreStatus == status)
        #expect(try await store.filingsToCheck(before: clock.now(), limit: 10).isEmpty)
        clock.advance(by: 10)
        #expect(try await store.filingsToCheck(before: clock.now(), limit: 10).count == 1)

        // Completion: only of an incomplete filing; still incomplete stays so, with the new problems.
        await #expect(throws: StoreError.self) { _ = try await store.completeFiling(id: ids.filings[0], report: Self.report("r1", complete: true)) }
        let completed = try await store.completeFiling(id: ids.filings[1], report: Self.report("r2", complete: true))
        #expect(completed.state == .queued && completed.problems.isEmpty)
        await #expect(throws: StoreError.filingNotFound(999)) {
            _ = try await store.completeFiling(id: 999, report: Self.report("x", complete: true))
        }

        // Given up: a retry with no time left.
        let given = try await store.recordAttempt(filingId: ids.filings[1], .retry(error: "HTTP 500", at: nil))
        #expect(given.state == .failed && given.lastError == "HTTP 500")
        let rejected = try await store.recordActions(messages: [], filings: [Self.filing("r3")]).filings[0]
        #expect(try await store.recordAttempt(filingId: rejected, .rejected(error: "HTTP 422")).state == .rejected)
        #expect(try await store.filings(state: .rejected, after: 0, limit: 10).map(\.id) == [rejected])
    }

    @Test(arguments: StoreFactory.all)
    func aFilingAndItsWebhookMessagesAreOneTransaction(_ factory: StoreFactory) async throws {
        let store = try await factory.make(ManualClock())
        _ = try await store.createList(HashList(name: "known", kind: .knownAbuseMaterial))
        let list = try await store.list(named: "known").id
        try await store.setPolicy(
            ActionPolicy(action: .block, webhookURL: "https://hooks.example/vigil", secret: "a-webhook-secret-of-some-length"), forList: "known")
        _ = try await store.recordActions(messages: [], filings: [Self.filing("taken")])
        let message = OutboxMessage(listId: list, url: "https://hooks.example/vigil", body: Array("{}".utf8))
        // The second filing reuses a reference: nothing of the call stays, the message included.
        await #expect(throws: StoreError.self) {
            _ = try await store.recordActions(messages: [message], filings: [Self.filing("new"), Self.filing("taken")])
        }
        #expect(try await store.filings(state: nil, after: 0, limit: 10).map(\.reference) == ["taken"])
        #expect(try await store.dueDeliveries(now: Date.distantFuture, limit: 10).isEmpty)
        // The same message with a good filing is recorded (so the check above could have seen it).
        _ = try await store.recordActions(messages: [message], filings: [Self.filing("new")])
        #expect(try await store.dueDeliveries(now: Date.distantFuture, limit: 10).count == 1)
    }
}
