import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import VigilCentre
import VigilDomain
import VigilMatching
import VigilStore

@testable import VigilServer

/// A provider node whose action policy files reports with a Centre: the filing is recorded with
/// the match, sent by the filing worker (signed, with retries, safe to resend), and followed
/// (the Centre's decision, referrals and holds, and when the user may be informed).
@Suite("A provider node files reports from matches", .serialized)
struct FilingTests {
    /// A provider node on its own database and manual clock, whose "known" list files reports.
    struct Provider {
        let test: TestNode
        let clock: ManualClock

        static func make(centre: String, scene: CentreScene, signer: ReportSigner? = nil, apiKey: String? = nil) async throws -> Provider {
            let clock = ManualClock()
            let path = TestNode.temporaryPath()
            let store = try SQLiteStore(path: path, clock: clock)
            let engine = try MatchEngine(store: store)
            try await engine.load()
            let key = try await store.createKey(organisation: "Example Hosting", scopes: [.match, .report], label: "").secret
            var settings = ServerSettings(maxBodyBytes: 1 << 20)
            settings.role = .provider
            settings.filing = FilingSettings(
                centreURL: centre, apiKey: try apiKey ?? #require(scene.keys["provider"]), signer: signer ?? scene.signer,
                profile: FilingProfile(
                    provider: ReportingProvider(name: "Example Hosting", contact: "abuse@hosting.example", establishment: "IE"),
                    legalBasis: "Regulation (EU) 2021/1232"))
            // The default (30 s): no test here waits on a Centre that hangs (an unreachable one refuses
            // at once), and a loaded CI machine took longer than 2 s to answer a status read.
            settings.filing?.requestTimeoutSeconds = 30
            var test = TestNode(path: path, store: store, engine: engine, keys: [.match: key, .report: key], settings: settings)
            test.clock = clock
            _ = try await store.createList(HashList(name: "known", kind: .knownAbuseMaterial))
            try await store.setPolicy(ActionPolicy(action: .block, fileReport: true), forList: "known")
            _ = try await store.apply(
                [IndicatorRecord(type: .pdq, value: bridgeHash, provenance: Provenance(sourceOrganisation: "Centre"))], toList: "known")
            try await engine.catchUp()
            try await engine.refreshLists()
            return Provider(test: test, clock: clock)
        }

        var worker: FilingWorker {
            FilingWorker(store: test.store, settings: test.settings.filing!, health: test.node.filingHealth, clock: clock)
        }

        /// Looks `bridgeHash` up with `subject`; returns the filing's id from the answer's action.
        func match(withSubject: Bool) async throws -> Int64 {
            var object: [String: Any] = ["type": "pdq", "value": bridgeHash]
            if withSubject { object["subject"] = FilingTests.subject() }
            let body = jsonBody(object)
            return try await test.application.test(.router) { client in
                try await client.execute(uri: "/v1/match/hash", method: .post, headers: test.headers(.match), body: body) { response in
                    #expect(response.status == .ok)
                    let action = try #require((response.json["actions"] as? [[String: Any]])?.first)
                    #expect(action["action"] as? String == "block")
                    return Int64(try #require(action["filing_id"] as? Int))
                }
            }
        }

        /// `GET /v1/filings/{id}` as JSON.
        func filing(_ id: Int64) async throws -> [String: Any] {
            try await test.application.test(.router) { client in
                try await client.execute(uri: "/v1/filings/\(id)", method: .get, headers: test.headers(.report)) { response in
                    #expect(response.status == .ok)
                    return response.json
                }
            }
        }
    }

    /// What the uploader's service knows: who uploaded, from where, what it did.
    static func subject() -> [String: Any] {
        [
            "users": [["identifier": "user-4711", "account_country": "DE", "role": "suspect"]],
            "geographic": ["offender_country": "DE"],
            "removal": "removed",
            "incident_at": "2026-11-30T10:00:00Z",
            "content_id": "upload-99",
        ]
    }

    @Test func aMatchFilesASignedReportAndTheProviderSeesTheDecisionAndTheHold() async throws {
        let scene = try await CentreScene.make()
        try await scene.test.application.test(.live) { centreClient in
            let port = try #require(centreClient.port)
            let provider = try await Provider.make(centre: "http://127.0.0.1:\(port)/", scene: scene)
            let filingId = try await provider.match(withSubject: true)

            // Recorded with the match, complete, due now; nothing sent yet.
            let queued = try #require(try await provider.test.store.filing(id: filingId))
            #expect(queued.state == .queued && queued.attempts == 0 && queued.problems.isEmpty)
            #expect(queued.report.type == .knownMaterial && queued.report.files.first?.reference == "upload-99")
            #expect(queued.report.files.first?.hashes == [FileHash(algorithm: .pdq, value: bridgeHash)])
            #expect(queued.report.files.first?.matchedIndicators.first?.hasPrefix("known/") == true)

            await provider.worker.round()
            let filed = try #require(try await provider.test.store.filing(id: filingId))
            #expect(filed.state == .filed && filed.attempts == 1 && filed.lastError == nil)
            let centreId = try #require(filed.centreReportId)
            let atCentre = try #require(try await scene.store.report(id: centreId))
            #expect(atCentre.report.providerReference == filed.reference)
            #expect(atCentre.report.users.first?.identifier == "user-4711")
            #expect(atCentre.organisationId == scene.organisations["provider"]?.id)
            // The 201 answer already said where it is.
            #expect(filed.centreStatus?.state == .queued)

            // The Centre forwards it; DE police place a hold (do not inform, do not remove).
            try await scene.decide(centreId)
            try await scene.approve(centreId)
            let referral = try await scene.referral(centreId, "DE")
            let until = scene.clock.now().addingTimeInterval(90 * 86_400).rfc3339
            _ = try await ReferralService(store: scene.store, clock: scene.clock).setHold(
                Hold(doNotInform: true, doNotRemove: true, until: until), on: referral, by: Actor(try #require(scene.principals["police-de"])))

            // Not read again before the status interval has passed; then read.
            await provider.worker.round()
            #expect(try await provider.test.store.filing(id: filingId)?.centreStatus?.state == .queued)
            provider.clock.advance(by: 301)
            await provider.worker.round()
            let view = try await provider.filing(filingId)
            let centre = try #require(view["centre"] as? [String: Any])
            #expect(centre["state"] as? String == "forwarded")
            let recipients = (centre["referrals"] as? [[String: Any]] ?? []).compactMap { $0["recipient"] as? String }
            #expect(Set(recipients) == ["DE", "IE", "europol"], "the suspect's and the provider's Member States, and Europol")
            #expect(view["must_not_remove"] as? Bool == true)
            let notification = try #require(view["user_notification"] as? [String: Any])
            #expect(notification["status"] as? String == "held")
            #expect((view["report"] as? [String: Any])?["provider_reference"] as? String == filed.reference)
        }
    }

    @Test func aFailedAttemptIsRetriedLaterAndAResendAfterALostAnswerIsNotADuplicate() async throws {
        let scene = try await CentreScene.make()
        try await scene.test.application.test(.live) { centreClient in
            let port = try #require(centreClient.port)
            // First the Centre cannot be reached (nothing listens on port 1).
            let down = try await Provider.make(centre: "http://127.0.0.1:1", scene: scene)
            let filingId = try await down.match(withSubject: true)
            await down.worker.round()
            let failed = try #require(try await down.test.store.filing(id: filingId))
            #expect(failed.state == .queued && failed.attempts == 1)
            #expect(failed.lastError?.contains("could not be reached") == true)
            #expect(failed.nextAttemptAt == down.clock.now().addingTimeInterval(5).rfc3339)
            await down.worker.round()
            #expect(try await down.test.store.filing(id: filingId)?.attempts == 1, "not tried again before its backoff")

            // The Centre is reachable now; the report reaches it but its answer is lost
            // (sent, not recorded), so the worker sends it again after the backoff.
            var settings = try #require(down.test.settings.filing)
            settings.centreURL = "http://127.0.0.1:\(port)"
            let worker = FilingWorker(store: down.test.store, settings: settings, health: down.test.node.filingHealth, clock: down.clock)
            let (lost, _) = await worker.send(failed)
            guard case .filed(let firstId) = lost else {
                Issue.record("the first send was not filed: \(lost)")
                return
            }
            down.clock.advance(by: 6)
            #expect(try await worker.sendDue() == 1)
            let filed = try #require(try await down.test.store.filing(id: filingId))
            #expect(filed.state == .filed && filed.centreReportId == firstId && filed.attempts == 2)
            let atCentre = try await scene.store.reports(ReportQuery(organisationId: nil, states: nil, afterId: 0, limit: 100))
            #expect(atCentre.count == 1, "the resend is the same report, not a second one")
        }
    }

    @Test func anUnregisteredSigningKeyIsRetriedNotRejected() async throws {
        let scene = try await CentreScene.make()
        try await scene.test.application.test(.live) { centreClient in
            let port = try #require(centreClient.port)
            let provider = try await Provider.make(centre: "http://127.0.0.1:\(port)", scene: scene, signer: .generate())
            let filingId = try await provider.match(withSubject: true)
            await provider.worker.round()
            let filing = try #require(try await provider.test.store.filing(id: filingId))
            #expect(filing.state == .queued && filing.attempts == 1)
            #expect(filing.lastError?.contains("unknown_signing_key") == true)
            #expect(try await scene.store.reports(ReportQuery(organisationId: nil, states: nil, afterId: 0, limit: 10)).isEmpty)
        }
    }

    @Test func aFilingWithoutTheUploadsDetailsWaitsUntilItIsCompleted() async throws {
        let scene = try await CentreScene.make()
        try await scene.test.application.test(.live) { centreClient in
            let port = try #require(centreClient.port)
            let provider = try await Provider.make(centre: "http://127.0.0.1:\(port)", scene: scene)
            let filingId = try await provider.match(withSubject: false)
            let incomplete = try #require(try await provider.test.store.filing(id: filingId))
            #expect(incomplete.state == .incomplete)
            #expect(Set(incomplete.problems.map(\.field)).isSuperset(of: ["users", "removal"]))
            await provider.worker.round()
            #expect(try await provider.test.store.filing(id: filingId)?.attempts == 0, "an incomplete filing is not sent")

            try await provider.test.application.test(.router) { client in
                // Still incomplete (no location, no removal): refused, with the problems; nothing changes.
                try await client.execute(
                    uri: "/v1/filings/\(filingId)/complete", method: .post, headers: provider.test.headers(.report),
                    body: jsonBody(["users": [["identifier": "user-1"]]])
                ) { response in
                    #expect(response.status == .unprocessableContent)
                    #expect(response.errorCode == "incomplete_report")
                    let problems = (response.json["error"] as? [String: Any])?["problems"] as? [Any] ?? []
                    #expect(problems.count > 0)
                }
                #expect(try await provider.test.store.filing(id: filingId)?.report == incomplete.report)
                // A list of only incomplete filings has it.
                try await client.execute(uri: "/v1/filings?state=incomplete", method: .get, headers: provider.test.headers(.report)) { response in
                    #expect(response.status == .ok)
                    #expect((response.json["filings"] as? [[String: Any]])?.compactMap { $0["id"] as? Int } == [Int(filingId)])
                }
                try await client.execute(
                    uri: "/v1/filings/\(filingId)/complete", method: .post, headers: provider.test.headers(.report), body: jsonBody(Self.subject())
                ) { response in
                    #expect(response.status == .ok)
                    #expect(response.json["state"] as? String == "queued")
                }
                try await client.execute(
                    uri: "/v1/filings/\(filingId)/complete", method: .post, headers: provider.test.headers(.report), body: jsonBody(Self.subject())
                ) { response in
                    #expect(response.status == .conflict)
                }
                try await client.execute(uri: "/v1/filings/999", method: .get, headers: provider.test.headers(.report)) { response in
                    #expect(response.status == .notFound)
                    #expect(response.errorCode == "unknown_filing")
                }
            }
            await provider.worker.round()
            let filed = try #require(try await provider.test.store.filing(id: filingId))
            #expect(filed.state == .filed && filed.centreReportId != nil)
            let events = try await provider.test.store.auditEvents(after: 0, limit: 100)
            #expect(events.contains { $0.event.action == "filing.complete" && $0.event.object == "filing:\(filingId)" })
        }
    }

    @Test func filingNeedsTheNodesCentreSettings() async throws {
        let node = try await TestNode.make()
        _ = try await node.store.createList(HashList(name: "known", kind: .knownAbuseMaterial))
        try await node.application.test(.router) { client in
            try await client.execute(
                uri: "/v1/lists/known/action", method: .put, headers: node.headers(.curate), body: jsonBody(["action": "block", "file_report": true])
            ) { response in
                #expect(response.status == .badRequest)
                #expect(response.errorCode == "filing_not_configured")
            }
            try await client.execute(
                uri: "/v1/lists/known/action", method: .put, headers: node.headers(.curate), body: jsonBody(["action": "block"])
            ) { response in
                #expect(response.status == .ok)
                #expect(response.json["file_report"] as? Bool == false)
            }
        }
    }
}
