import Foundation
import Testing
import VigilCentre
import VigilDomain
import VigilStore
import VigilTestSupport

/// The assessment queue, analysts' decisions and supervisors' reviews.
@Suite("Assessment")
struct AssessmentTests {
    /// A store with `count` queued reports (the urgent ones as given) and the services.
    func setUp(_ factory: StoreFactory, urgent: Set<Int> = [], count: Int = 3) async throws -> (
        any NodeStore, AssessmentService, [StoredReport], ManualClock
    ) {
        let clock = ManualClock()
        let store = try await factory.make(clock)
        let (principal, signer) = try await Samples.provider(store)
        let intake = ReportIntake(store: store, indicators: nil)
        var reports: [StoredReport] = []
        for i in 0..<count {
            reports.append(try await intake.file(try signer.sign(Samples.report(reference: "r\(i)", urgent: urgent.contains(i))), by: principal))
            clock.advance(by: 60)
        }
        return (store, AssessmentService(store: store), reports, clock)
    }

    @Test(arguments: StoreFactory.all)
    func theQueueIsUrgentFirstThenOldest(_ factory: StoreFactory) async throws {
        let (_, assessment, reports, _) = try await setUp(factory, urgent: [2], count: 4)
        let queue = try await assessment.queue()
        #expect(queue.map(\.id) == [reports[2].id, reports[0].id, reports[1].id, reports[3].id])
    }

    @Test(arguments: StoreFactory.all)
    func aDecisionTakesEffectOnlyWhenAnotherPersonApprovesIt(_ factory: StoreFactory) async throws {
        let (store, assessment, reports, _) = try await setUp(factory)
        let alice = try await Samples.analyst(store, name: "key:alice")
        let bob = try await Samples.analyst(store, name: "key:bob")
        let id = reports[0].id

        let decided = try await assessment.decide(.forward, on: id, by: alice)
        #expect(decided.state == .awaitingReview && decided.pendingDecision == .forward && decided.decidedBy == alice.name)
        await #expect { _ = try await assessment.review(id, approve: true, by: alice) } throws: { ($0 as? CentreError)?.code == .sameReviewer }
        let approved = try await assessment.review(id, approve: true, by: bob)
        #expect(approved.state == .forwarded)
        // Final: nothing more.
        await #expect { _ = try await assessment.decide(.forward, on: id, by: alice) } throws: { ($0 as? CentreError)?.code == .transitionRefused }

        // Unfounded needs an explanation; a returned decision goes back to the queue.
        let other = reports[1].id
        await #expect { _ = try await assessment.decide(.unfounded(.notAbuse, explanation: ""), on: other, by: alice) } throws: {
            ($0 as? CentreError)?.code == .invalidDecision
        }
        _ = try await assessment.decide(.unfounded(.notAbuse, explanation: "a photograph of a beach"), on: other, by: alice)
        let returned = try await assessment.review(other, approve: false, by: bob)
        #expect(returned.state == .queued && returned.pendingDecision == nil)
        _ = try await assessment.decide(.unfounded(.notAbuse, explanation: "a photograph of a beach"), on: other, by: bob)
        #expect(try await assessment.review(other, approve: true, by: alice).state == .unfounded)

        let actions = try await store.auditEvents(after: 0, limit: 100).map(\.event.action)
        #expect(
            actions.filter { $0.hasPrefix("report.") } == [
                "report.file", "report.file", "report.file", "report.decide", "report.approve", "report.refer", "report.decide", "report.return",
                "report.decide", "report.approve",
            ])
        // Free text (which may hold personal data) stays out of the audit trail.
        #expect(try await store.auditEvents(after: 0, limit: 100).allSatisfy { !($0.event.detail ?? "").contains("beach") })
        #expect(try await store.verifyAuditChain().isValid)
    }

    @Test(arguments: StoreFactory.all)
    func analystsDecidingTheSameReportAtOnceGetOneDecision(_ factory: StoreFactory) async throws {
        let (store, assessment, reports, _) = try await setUp(factory, count: 1)
        let id = reports[0].id
        var analysts: [Actor] = []
        for i in 0..<20 { analysts.append(try await Samples.analyst(store, name: "key:analyst-\(i)")) }
        let everyone = analysts
        let outcomes = await withTaskGroup(of: Bool.self) { group in
            for analyst in everyone {
                group.addTask { (try? await assessment.decide(.forward, on: id, by: analyst)) != nil }
            }
            var outcomes: [Bool] = []
            for await outcome in group { outcomes.append(outcome) }
            return outcomes
        }
        #expect(outcomes.filter { $0 }.count == 1)
        let events = try await store.auditEvents(after: 0, limit: 100)
        #expect(events.filter { $0.event.action == "report.decide" }.count == 1)
    }
}
