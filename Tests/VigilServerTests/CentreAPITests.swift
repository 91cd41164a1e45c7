import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import VigilCentre
import VigilDomain
import VigilServer
import VigilStore

/// The Centre's routes over HTTP: a provider files a signed report, an analyst and a supervisor
/// forward it, the competent police and Europol read it and no one else does, police post an
/// outcome and a hold, the provider sees both.
@Suite("The Centre's API")
struct CentreAPITests {
    /// Organisations and keys of one Centre.
    struct Cast {
        let node: TestNode
        var keys: [String: String] = [:]
        var organisations: [String: Organisation] = [:]
        var signer = ReportSigner.generate()
        var otherSigner = ReportSigner.generate()

        func headers(_ who: String) -> HTTPFields {
            var fields: HTTPFields = [.contentType: "application/json"]
            if let key = keys[who] { fields[.authorization] = "Bearer " + key }
            return fields
        }
    }

    static func cast() async throws -> Cast {
        var cast = Cast(node: try await TestNode.make())
        let store = cast.node.store
        let people: [(String, String, OrganisationKind, String?, Set<Scope>)] = [
            ("provider", "Example Hosting", .provider, nil, [.report]),
            ("other-provider", "Other Service", .provider, nil, [.report]),
            ("analyst", "Centre", .centre, nil, [.assess]),
            ("supervisor", "Centre", .centre, nil, [.supervise]),
            ("centre-admin", "Centre", .centre, nil, [.admin]),
            ("police-de", "Polizei DE", .police, "DE", [.referrals]),
            ("police-fr", "Police FR", .police, "FR", [.referrals]),
            ("europol", "Europol", .europol, nil, [.referrals]),
        ]
        for (who, name, kind, state, scopes) in people {
            var organisation = try await store.organisation(named: name)
            if organisation == nil {
                organisation = try await store.createOrganisation(
                    NewOrganisation(name: name, kind: kind, memberState: state.flatMap(MemberState.init)))
            }
            let owner = try #require(organisation)
            cast.organisations[who] = owner
            cast.keys[who] = try await store.createKey(organisationId: owner.id, scopes: scopes, label: who).secret
        }
        return cast
    }

    /// A complete report of one generated file; the suspect's account is in Germany.
    static func report(reference: String = "hosting-1") -> Report {
        Report(
            providerReference: reference, provider: ReportingProvider(name: "Example Hosting", contact: "abuse@example.com", establishment: "IE"),
            reportedAt: "2026-01-01T10:00:00Z", type: .newMaterial,
            files: [
                ReportedFile(
                    reference: "f1", hashes: [FileHash(algorithm: .md5, value: String(repeating: "ab", count: 16))],
                    ipEvents: [IPCaptureEvent(ip: "192.0.2.7", port: 40_000, at: "2025-12-31T22:00:00Z", event: "upload")])
            ],
            users: [ReportedUser(role: .suspect, identifier: "user-7", accountCountry: "DE")], removal: .removed,
            legalBasis: "Regulation (EU) 2021/1232")
    }

    static func body(_ value: some Encodable) throws -> ByteBuffer {
        let encoder = ReportCoding.encoder()
        return ByteBuffer(bytes: try encoder.encode(value))
    }

    @Test func aReportGoesFromProviderToTheRightPoliceAndBack() async throws {
        let cast = try await Self.cast()
        let providerId = try #require(cast.organisations["provider"]).id
        let signed = try cast.signer.sign(Self.report())
        try await cast.node.application.test(.router) { client in
            // The Centre registers the provider's public key; the provider may read its keys, not register them.
            let register = try Self.body(["public_key": Data(cast.signer.publicKey).base64EncodedString()])
            try await client.execute(
                uri: "/v1/organisations/\(providerId)/signing-keys", method: .post, headers: cast.headers("provider"), body: register
            ) {
                #expect($0.status == .forbidden)
            }
            try await client.execute(
                uri: "/v1/organisations/\(providerId)/signing-keys", method: .post, headers: cast.headers("centre-admin"), body: register
            ) {
                #expect($0.status == .created)
                #expect($0.json["key_id"] as? String == cast.signer.keyId)
            }

            // Filed: 201 with the id, queued.
            var reportId = 0
            try await client.execute(uri: "/v1/reports", method: .post, headers: cast.headers("provider"), body: try Self.body(signed)) {
                #expect($0.status == .created)
                #expect($0.json["state"] as? String == "queued")
                reportId = $0.json["id"] as? Int ?? 0
            }
            #expect(reportId > 0)
            // Another provider cannot see it; an unknown id answers the same.
            try await client.execute(uri: "/v1/reports/\(reportId)", method: .get, headers: cast.headers("other-provider")) {
                #expect($0.status == .notFound)
            }
            try await client.execute(uri: "/v1/reports/999999", method: .get, headers: cast.headers("provider")) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/v1/reports", method: .get, headers: cast.headers("other-provider")) {
                #expect($0.status == .ok)
                #expect(($0.json["reports"] as? [Any])?.isEmpty == true)
            }

            // The analyst forwards, may not approve their own decision; the supervisor approves.
            try await client.execute(uri: "/v1/assessment/queue", method: .get, headers: cast.headers("analyst")) {
                #expect($0.status == .ok)
                #expect((($0.json["reports"] as? [[String: Any]])?.map { $0["id"] as? Int }) == [reportId])
            }
            try await client.execute(
                uri: "/v1/reports/\(reportId)/decision", method: .post, headers: cast.headers("analyst"), body: try Self.body(["decision": "forward"])
            ) {
                #expect($0.status == .ok)
                #expect($0.json["state"] as? String == "awaiting_review")
            }
            try await client.execute(
                uri: "/v1/reports/\(reportId)/review", method: .post, headers: cast.headers("analyst"), body: try Self.body(["approve": true])
            ) {
                #expect($0.status == .forbidden, "an analyst's key has no supervise scope")
            }
            try await client.execute(
                uri: "/v1/reports/\(reportId)/review", method: .post, headers: cast.headers("supervisor"), body: try Self.body(["approve": true])
            ) {
                #expect($0.status == .ok)
                #expect($0.json["state"] as? String == "forwarded")
                let recipients = ($0.json["referrals"] as? [[String: Any]])?.compactMap { $0["recipient"] as? String }
                #expect(recipients == ["DE", "IE", "europol"], "offender's and establishment's Member States, and Europol")
            }

            // German police see the German referral; French police see nothing; Europol sees all.
            var germanReferral = 0
            try await client.execute(uri: "/v1/referrals", method: .get, headers: cast.headers("police-de")) {
                let referrals = $0.json["referrals"] as? [[String: Any]] ?? []
                #expect(referrals.map { $0["recipient"] as? String } == ["DE"])
                germanReferral = referrals.first?["id"] as? Int ?? 0
            }
            try await client.execute(uri: "/v1/referrals", method: .get, headers: cast.headers("police-fr")) {
                #expect($0.status == .ok)
                #expect(($0.json["referrals"] as? [Any])?.isEmpty == true)
            }
            try await client.execute(uri: "/v1/referrals/\(germanReferral)", method: .get, headers: cast.headers("police-fr")) {
                #expect($0.status == .notFound)
            }
            try await client.execute(uri: "/v1/referrals/\(germanReferral)/acknowledge", method: .post, headers: cast.headers("police-fr")) {
                #expect($0.status == .notFound)
            }
            try await client.execute(uri: "/v1/referrals", method: .get, headers: cast.headers("europol")) {
                #expect(($0.json["referrals"] as? [Any])?.count == 3)
            }
            try await client.execute(uri: "/v1/referrals/\(germanReferral)", method: .get, headers: cast.headers("police-de")) {
                #expect($0.status == .ok)
                #expect(($0.json["content"] as? [String: Any])?["provider_reference"] as? String == "hosting-1")
            }

            // Police acknowledge, post an outcome and a hold; the provider sees both.
            try await client.execute(uri: "/v1/referrals/\(germanReferral)/acknowledge", method: .post, headers: cast.headers("police-de")) {
                #expect($0.status == .ok)
                #expect($0.json["acknowledged_at"] is String)
            }
            try await client.execute(
                uri: "/v1/referrals/\(germanReferral)/outcome", method: .post, headers: cast.headers("police-de"),
                body: try Self.body(["outcome": "investigation_opened", "detail": "case DE-123"])
            ) { #expect($0.status == .ok) }
            let until = Date().addingTimeInterval(180 * 86_400).rfc3339
            try await client.execute(
                uri: "/v1/referrals/\(germanReferral)/hold", method: .put, headers: cast.headers("police-de"),
                body: try Self.body(Hold(doNotInform: true, doNotRemove: false, until: until))
            ) { #expect($0.status == .ok) }
            let tooLong = Date().addingTimeInterval(600 * 86_400).rfc3339
            try await client.execute(
                uri: "/v1/referrals/\(germanReferral)/hold", method: .put, headers: cast.headers("police-de"),
                body: try Self.body(Hold(doNotInform: true, doNotRemove: false, until: tooLong))
            ) { #expect($0.status == .unprocessableContent, "a hold lasts at most 18 months") }
            try await client.execute(uri: "/v1/reports/\(reportId)", method: .get, headers: cast.headers("provider")) {
                #expect($0.status == .ok)
                let referrals = $0.json["referrals"] as? [[String: Any]] ?? []
                let german = referrals.first { $0["recipient"] as? String == "DE" }
                #expect(german?["outcome"] as? String == "investigation_opened")
                #expect(german?["outcome_detail"] == nil, "the police's free text stays with the Centre")
                #expect((german?["hold"] as? [String: Any])?["do_not_inform"] as? Bool == true)
                #expect(($0.json["user_notification"] as? [String: Any])?["status"] as? String == "held")
            }
        }
        let events = try await cast.node.store.auditEvents(after: 0, limit: 1_000).map(\.event.action)
        for action in [
            "signing_key.register", "report.file", "report.read", "report.decide", "report.approve", "report.refer", "referral.read",
            "referral.acknowledge",
            "referral.outcome", "referral.hold",
        ] {
            #expect(events.contains(action), "\(action) is on the audit chain")
        }
        #expect(try await cast.node.store.verifyAuditChain().isValid)
    }

    @Test func badReportsAreRefusedClearlyAndNothingIsStored() async throws {
        let cast = try await Self.cast()
        let store = cast.node.store
        let providerId = try #require(cast.organisations["provider"]).id
        let otherId = try #require(cast.organisations["other-provider"]).id
        let signer = cast.signer
        let other = cast.otherSigner
        _ = try await store.write { tx throws(StoreError) in
            _ = try tx.registerSigningKey(SigningKey(keyId: signer.keyId, organisationId: providerId, publicKey: signer.publicKey, createdAt: ""))
            return try tx.registerSigningKey(SigningKey(keyId: other.keyId, organisationId: otherId, publicKey: other.publicKey, createdAt: ""))
        }
        var incomplete = Self.report()
        incomplete.legalBasis = ""
        incomplete.files[0].hashes = []
        var altered = try signer.sign(Self.report(reference: "t"))
        altered.report.removal = .notRemoved
        let tampered = altered
        let unfinished = incomplete
        try await cast.node.application.test(.router) { client in
            try await client.execute(
                uri: "/v1/reports", method: .post, headers: cast.headers("provider"), body: try Self.body(try signer.sign(unfinished))
            ) {
                #expect($0.status == .unprocessableContent)
                #expect($0.errorCode == "incomplete_report")
                let problems = (($0.json["error"] as? [String: Any])?["problems"] as? [[String: Any]]) ?? []
                #expect(Set(problems.compactMap { $0["field"] as? String }) == ["legal_basis", "files[0].hashes"])
            }
            try await client.execute(uri: "/v1/reports/validate", method: .post, headers: cast.headers("provider"), body: try Self.body(unfinished)) {
                #expect($0.status == .ok)
                #expect($0.json["complete"] as? Bool == false)
                #expect(($0.json["problems"] as? [Any])?.count == 2)
            }
            // The document's ReportDraft: any field may be missing (each is a problem), none may be null.
            try await client.execute(uri: "/v1/reports/validate", method: .post, headers: cast.headers("provider"), body: ByteBuffer(string: "{}")) {
                #expect($0.status == .ok)
                #expect($0.json["complete"] as? Bool == false)
            }
            try await client.execute(
                uri: "/v1/reports/validate", method: .post, headers: cast.headers("provider"), body: ByteBuffer(string: #"{"legal_basis": null}"#)
            ) {
                #expect($0.status == .badRequest)
                #expect($0.errorCode == "invalid_json")
                #expect(String(buffer: $0.body).contains("null is not a value of legal_basis"))
            }
            try await client.execute(uri: "/v1/reports", method: .post, headers: cast.headers("provider"), body: try Self.body(tampered)) {
                #expect($0.status == .unprocessableContent)
                #expect($0.errorCode == "bad_signature")
            }
            // Signed with the other provider's key: not this organisation's.
            try await client.execute(
                uri: "/v1/reports", method: .post, headers: cast.headers("provider"), body: try Self.body(try other.sign(Self.report(reference: "x")))
            ) {
                #expect($0.status == .unprocessableContent)
                #expect($0.errorCode == "unknown_signing_key")
            }
            try await client.execute(
                uri: "/v1/reports", method: .post, headers: cast.headers("provider"), body: ByteBuffer(string: #"{"report": {"type": 7}}"#)
            ) {
                #expect($0.status == .badRequest)
                #expect($0.errorCode == "invalid_json")
            }
            try await client.execute(uri: "/v1/reports", method: .post, headers: cast.headers("provider"), body: ByteBuffer(string: "{")) {
                #expect($0.status == .badRequest)
            }
            // A police key may not file.
            try await client.execute(
                uri: "/v1/reports", method: .post, headers: cast.headers("police-de"), body: try Self.body(try signer.sign(Self.report()))
            ) {
                #expect($0.status == .forbidden)
            }
            // Filed once; the same reference again is a conflict.
            try await client.execute(
                uri: "/v1/reports", method: .post, headers: cast.headers("provider"), body: try Self.body(try signer.sign(Self.report()))
            ) {
                #expect($0.status == .created)
            }
            try await client.execute(
                uri: "/v1/reports", method: .post, headers: cast.headers("provider"), body: try Self.body(try signer.sign(Self.report()))
            ) {
                #expect($0.status == .conflict)
                #expect($0.errorCode == "report_exists")
            }
        }
        #expect(try await store.reports(ReportQuery()).count == 1)
    }

    /// Reviewing a proposal that does not exist is a 404, as the document says (it was a 400).
    @Test func reviewingAnUnknownProposalIs404() async throws {
        let cast = try await Self.cast()
        try await cast.node.application.test(.router) { client in
            try await client.execute(
                uri: "/v1/proposals/999/review", method: .post, headers: cast.headers("supervisor"), body: try Self.body(["approve": false])
            ) {
                #expect($0.status == .notFound)
                #expect($0.errorCode == "unknown_proposal")
            }
        }
    }

    /// The authorities' preservation requests are part of the report for the Centre, not for the provider.
    @Test func theCentreSeesPreservationRequestsAndTheProviderDoesNot() async throws {
        let scene = try await CentreScene.make()
        let id = try await scene.file("kept-1")
        try await scene.decide(id)
        try await scene.approve(id)
        let until = scene.clock.now().addingTimeInterval(400 * 86_400).rfc3339
        _ = try await RetentionService(store: scene.store, clock: scene.clock).preserve(
            reportId: id, Preservation(until: until, reason: "case 2026/0003 (benign test)"), by: Actor(try #require(scene.principals["police-de"])))
        try await scene.test.application.test(.router) { client in
            try await client.execute(uri: "/v1/reports/\(id)", method: .get, headers: scene.headers("supervisor")) { response in
                #expect(response.status == .ok)
                let kept = response.json["preservations"] as? [[String: Any]] ?? []
                #expect(kept.map { $0["requested_by"] as? String } == ["Polizei DE"])
                #expect(kept.first?["until"] as? String == until)
            }
            try await client.execute(uri: "/v1/reports/\(id)", method: .get, headers: scene.headers("provider")) { response in
                #expect(response.status == .ok)
                #expect(response.json["preservations"] == nil)
            }
            try await client.execute(uri: "/v1/reports/\(id)/preservation", method: .delete, headers: scene.headers("police-de")) { response in
                #expect(response.status == .noContent)
            }
            try await client.execute(uri: "/v1/reports/\(id)/preservation", method: .delete, headers: scene.headers("police-de")) { response in
                #expect(response.status == .notFound)
                #expect(response.errorCode == "no_preservation")
            }
            try await client.execute(uri: "/v1/reports/\(id)", method: .get, headers: scene.headers("supervisor")) { response in
                #expect((response.json["preservations"] as? [Any])?.isEmpty == true)
            }
        }
    }
}
