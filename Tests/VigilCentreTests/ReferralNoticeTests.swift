import Foundation
import Testing
import VigilCentre
import VigilDomain
import VigilStore
import VigilTestSupport

/// Referral notices: a police force or Europol with a webhook gets a signed notice of each new
/// referral to it through the outbox, recorded in the referral's own transaction; never the content.
@Suite("Referral notices")
struct ReferralNoticeTests {
    @Test(arguments: StoreFactory.all)
    func aNewReferralIsPostedToTheRecipientsWebhookOnly(_ factory: StoreFactory) async throws {
        let clock = ManualClock()
        let store = try await factory.make(clock)
        let (provider, signer) = try await Samples.provider(store)
        let german = try await store.createOrganisation(NewOrganisation(name: "Polizei DE", kind: .police, memberState: MemberState(rawValue: "DE")))
        _ = try await store.createOrganisation(NewOrganisation(name: "Police FR", kind: .police, memberState: MemberState(rawValue: "FR")))
        let europol = try await store.createOrganisation(NewOrganisation(name: "Europol", kind: .europol))
        let admin = try await Samples.analyst(store, name: "centre-admin")
        // A webhook that is not an address, or a short secret: refused.
        await #expect(throws: CentreError.self) {
            try await OrganisationWebhooks.set(
                OrganisationWebhook(organisationId: german.id, url: "not a url", secret: "0123456789abcdef"), organisationId: german.id, by: admin,
                in: store)
        }
        await #expect(throws: CentreError.self) {
            try await OrganisationWebhooks.set(
                OrganisationWebhook(organisationId: german.id, url: "https://police.example/hook", secret: "short"), organisationId: german.id,
                by: admin, in: store)
        }
        try await OrganisationWebhooks.set(
            OrganisationWebhook(organisationId: german.id, url: "https://police.example/hook", secret: "german-secret-0123456789"),
            organisationId: german.id, by: admin, in: store)
        try await OrganisationWebhooks.set(
            OrganisationWebhook(organisationId: europol.id, url: "https://europol.example/hook", secret: "europol-secret-0123456789"),
            organisationId: europol.id, by: admin, in: store)

        // Forwarded: referred to DE (offender), IE (establishment) and Europol; IE has no organisation, FR no referral.
        let intake = ReportIntake(store: store, indicators: nil)
        let assessment = AssessmentService(store: store)
        let stored = try await intake.file(try signer.sign(Samples.report(urgent: true)), by: provider)
        _ = try await assessment.decide(.forward, on: stored.id, by: admin)
        _ = try await assessment.review(stored.id, approve: true, by: Actor(name: "supervisor-1", organisation: "Centre"))

        let due = try await store.dueDeliveries(now: clock.now().addingTimeInterval(1), limit: 10)
        #expect(due.map(\.url).sorted() == ["https://europol.example/hook", "https://police.example/hook"])
        let toGermany = try #require(due.first { $0.url == "https://police.example/hook" })
        #expect(toGermany.secret == "german-secret-0123456789" && toGermany.listId == nil)
        let body = try #require(try JSONSerialization.jsonObject(with: Data(toGermany.body)) as? [String: Any])
        let referrals = try await store.referrals(reportId: stored.id)
        #expect(body["event"] as? String == "referral.created" && body["recipient"] as? String == "DE" && body["urgent"] as? Bool == true)
        #expect(body["report_id"] as? Int == Int(stored.id) && referrals.contains { Int($0.id) == body["referral_id"] as? Int })
        #expect(body["content"] == nil && !String(decoding: toGermany.body, as: UTF8.self).contains("user-42"), "no report content")

        // Removing a webhook: its pending notices fail (nothing to sign with) instead of going out unsigned.
        try await OrganisationWebhooks.set(nil, organisationId: german.id, by: admin, in: store)
        let after = try await store.dueDeliveries(now: clock.now().addingTimeInterval(2), limit: 10)
        #expect(after.map(\.url) == ["https://europol.example/hook"])
        let actions = try await store.auditEvents(after: 0, limit: 1_000).map(\.event.action)
        #expect(actions.filter { $0 == "organisation.webhook_set" }.count == 2 && actions.contains("organisation.webhook_remove"))
    }
}
