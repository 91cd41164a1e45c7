import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import VigilCentre
import VigilDomain
import VigilStore

@testable import VigilServer

/// Every Centre route (every operation of the OpenAPI document's `reports` tag) × every kind of
/// caller × own/other organisation or competent/other Member State, over HTTP, against real rows
/// made fresh for each call: the answer must be the one the table below states, never a 5xx, and
/// a refused call must change nothing (no row, no audit event).
@Suite("The Centre's authorisation matrix")
struct CentreAuthorisationMatrixTests {
    /// The callers, in the table's column order (see ``CentreScene``): the provider that filed the
    /// report (`prov`, and `pAdm` with scope admin), another provider (`oth`, `oAdm`), the Centre's
    /// analyst, supervisor and administrator, the police of the competent Member State (`pDE`:
    /// the report's suspect is in Germany) and of another (`pFR`), Europol.
    static let columns = [
        "provider", "other-provider", "provider-admin", "other-provider-admin", "analyst", "supervisor", "centre-admin", "police-de",
        "police-fr", "europol",
    ]

    /// What each caller gets: `A` allowed (never 401, 403, 404 or 5xx: here every allowed call
    /// succeeds, 2xx), `F` forbidden (403: the operation is refused to that key), `N` not found (404:
    /// the row exists but the caller may not see it, answered as an absent one).
    static let table: [(operation: String, row: String)] = [
        // operation                    prov oth  pAdm oAdm anal sup  cAdm pDE  pFR  eur
        ("fileReport", "                A    A    A    A    F    F    F    F    F    F"),
        ("validateReport", "            A    A    A    A    A    F    A    F    F    F"),
        ("listReports", "               A    A    A    A    A    A    A    F    F    F"),
        ("getReport", "                 A    N    A    N    A    A    A    F    F    F"),
        ("listReportFiles", "           A    N    A    N    A    A    A    F    F    F"),
        ("getReportFileContent", "      F    F    F    F    A    A    A    F    F    F"),
        ("listReportItems", "           F    F    F    F    A    A    A    F    F    F"),
        ("classifyItem", "              F    F    F    F    A    F    A    F    F    F"),
        ("proposeItem", "               F    F    F    F    A    F    A    F    F    F"),
        ("reviewItemProposal", "        F    F    F    F    F    A    A    F    F    F"),
        ("assessmentQueue", "           F    F    F    F    A    A    A    F    F    F"),
        ("decideReport", "              F    F    F    F    A    F    A    F    F    F"),
        ("reviewReport", "              F    F    F    F    F    A    A    F    F    F"),
        ("listReferrals", "             F    F    F    F    A    A    A    A    A    A"),
        ("getReferral", "               F    F    F    F    A    A    A    A    N    A"),
        ("getReferralFileContent", "    F    F    F    F    F    F    F    A    N    A"),
        ("acknowledgeReferral", "       F    F    F    F    F    F    F    A    N    A"),
        ("postReferralOutcome", "       F    F    F    F    F    F    F    A    N    A"),
        ("setReferralHold", "           F    F    F    F    F    F    F    A    N    A"),
        ("liftReferralHold", "          F    F    F    F    F    F    F    A    N    A"),
        ("registerSigningKey", "        F    F    F    F    F    F    A    F    F    F"),
        ("setOrganisationWebhook", "    F    F    F    F    F    F    A    F    F    F"),
        ("deleteOrganisationWebhook", " F    F    F    F    F    F    A    F    F    F"),
        ("listSigningKeys", "           F    F    A    N    F    F    A    F    F    F"),
        ("getStatistics", "             A    A    A    A    A    A    A    A    A    A"),
        ("setReportPreservation", "     F    F    F    F    F    A    A    A    N    A"),
        ("withdrawReportPreservation", "F    F    F    F    F    A    A    A    N    A"),
    ]

    /// Reads of a report or its content that are audit events when allowed.
    static let auditedReads: Set<String> = ["getReport", "getReportFileContent", "getReferral", "getReferralFileContent"]

    /// The table's expectations by operation and caller.
    static func expectations() throws -> [String: [String: Character]] {
        var result: [String: [String: Character]] = [:]
        for (operation, row) in table {
            let cells = row.split(separator: " ").map { Character(String($0)) }
            try #require(cells.count == columns.count, "\(operation) has \(cells.count) cells")
            try #require(cells.allSatisfy { "AFN".contains($0) }, "\(operation)")
            try #require(result[operation] == nil, "\(operation) twice")
            result[operation] = Dictionary(uniqueKeysWithValues: zip(columns, cells))
        }
        return result
    }

    /// The Centre's operations: the document's `reports` tag, which must be the table's rows and
    /// every rule of the access table that no other tag documents.
    @Test func theTableCoversEveryCentreOperation() throws {
        let operations = try OpenAPITests.documentedOperations()
        let centre = Set(operations.filter { $0.tags.contains("reports") }.map(\.id))
        #expect(centre == Set(try Self.expectations().keys), "a Centre route is missing from the matrix, or the matrix names one that is gone")
        let others = Set(operations.filter { !$0.tags.contains("reports") }.map(\.id))
        #expect(Set(AccessPolicy.node.rules.keys).subtracting(others) == centre, "the access table's Centre rules are the reports tag's operations")
    }

    /// What a call may have changed: every report and referral, the providers' signing keys, the audit chain.
    struct Snapshot: Equatable {
        var reports: [StoredReport]
        var referrals: [StoredReferral]
        var signingKeys: [SigningKey]
        var auditEvents: Int

        static func take(_ scene: CentreScene) async throws -> Snapshot {
            let store = scene.store
            var keys: [SigningKey] = []
            for who in ["provider", "other-provider"] {
                keys += try await store.signingKeys(organisationId: try #require(scene.organisations[who]).id)
            }
            let chain = try await store.verifyAuditChain()
            #expect(chain.isValid)
            return Snapshot(
                reports: try await store.reports(ReportQuery(limit: 1_000)), referrals: try await store.referrals(ReferralQuery(limit: 1_000)),
                signingKeys: keys, auditEvents: chain.eventsChecked)
        }
    }

    /// One call: the method, the path and the body.
    struct Call {
        var method: HTTPRequest.Method
        var uri: String
        var body: ByteBuffer = ByteBuffer()
    }

    /// Makes the rows `operation` acts on (fresh for each call) and the request for `caller`.
    static func prepare(_ operation: String, caller: String, scene: CentreScene, serial: Int) async throws -> Call {
        let reference = "matrix-\(serial)"
        /// A report of the provider's, forwarded (referred to DE, IE and Europol), with its file's bytes.
        func forwarded() async throws -> Int64 {
            let id = try await scene.file(reference)
            try await scene.decide(id)
            try await scene.approve(id)
            return id
        }
        func json(_ value: some Encodable) throws -> ByteBuffer { ByteBuffer(bytes: try ReportCoding.encoder().encode(value)) }
        let providerId = try #require(scene.organisations["provider"]).id
        switch operation {
        case "fileReport":
            let signer = caller.hasPrefix("other-provider") ? scene.otherSigner : scene.signer
            return Call(method: .post, uri: "/v1/reports", body: try json(try signer.sign(CentreScene.report(reference: reference))))
        case "validateReport":
            return Call(method: .post, uri: "/v1/reports/validate", body: try json(CentreScene.report(reference: reference)))
        case "listReports": return Call(method: .get, uri: "/v1/reports")
        case "getReport": return Call(method: .get, uri: "/v1/reports/\(try await forwarded())")
        case "listReportFiles": return Call(method: .get, uri: "/v1/reports/\(try await forwarded())/files")
        case "getReportFileContent": return Call(method: .get, uri: "/v1/reports/\(try await forwarded())/files/f1")
        case "listReportItems": return Call(method: .get, uri: "/v1/reports/\(try await forwarded())/items")
        case "classifyItem":
            // A fresh item (every call classifies one nobody classified yet).
            let id = try await scene.file(reference)
            let links = try await scene.store.write { tx throws(StoreError) in
                try tx.linkReport(
                    reportId: id, files: [LinkedFile(reference: "extra", sha256: nil, md5: String(format: "%032x", serial), pdq: nil)], keys: [])
            }
            let item = try #require(links.items["extra"])
            return Call(method: .post, uri: "/v1/items/\(item.id)/classification", body: ByteBuffer(string: #"{"classification": "not_illegal"}"#))
        case "proposeItem", "reviewItemProposal":
            // A fresh item, classified illegal by an analyst, and a list of confirmed material.
            let id = try await scene.file(reference)
            let links = try await scene.store.write { tx throws(StoreError) in
                try tx.linkReport(
                    reportId: id, files: [LinkedFile(reference: "extra", sha256: nil, md5: String(format: "%032x", serial), pdq: nil)], keys: [])
            }
            let item = try #require(links.items["extra"])
            let assessment = AssessmentService(store: scene.store)
            _ = try await assessment.classify(
                item: item.id, as: ItemVerdict(classification: .illegalEverywhere), by: Actor(name: "analyst-x", organisation: "Centre"))
            do {
                _ = try await scene.store.list(named: "confirmed")
            } catch {
                _ = try await scene.store.createList(HashList(name: "confirmed", kind: .knownAbuseMaterial))
            }
            if operation == "proposeItem" {
                return Call(method: .post, uri: "/v1/items/\(item.id)/proposals", body: ByteBuffer(string: #"{"list": "confirmed"}"#))
            }
            let proposal = try await assessment.propose(
                item: item.id, toList: "confirmed", reportId: id, by: Actor(name: "analyst-x", organisation: "Centre"))
            return Call(method: .post, uri: "/v1/proposals/\(proposal.id)/review", body: ByteBuffer(string: #"{"approve": true}"#))
        case "assessmentQueue": return Call(method: .get, uri: "/v1/assessment/queue")
        case "decideReport":
            let queued = try await scene.file(reference)
            return Call(method: .post, uri: "/v1/reports/\(queued)/decision", body: ByteBuffer(string: #"{"decision": "forward"}"#))
        case "reviewReport":
            let pending = try await scene.file(reference)
            try await scene.decide(pending)
            return Call(method: .post, uri: "/v1/reports/\(pending)/review", body: ByteBuffer(string: #"{"approve": true}"#))
        case "listReferrals": return Call(method: .get, uri: "/v1/referrals")
        case "getReferral", "getReferralFileContent", "acknowledgeReferral", "postReferralOutcome", "setReferralHold", "liftReferralHold":
            let referral = try await scene.referral(try await forwarded(), "DE")
            switch operation {
            case "getReferral": return Call(method: .get, uri: "/v1/referrals/\(referral)")
            case "getReferralFileContent": return Call(method: .get, uri: "/v1/referrals/\(referral)/files/f1")
            case "acknowledgeReferral": return Call(method: .post, uri: "/v1/referrals/\(referral)/acknowledge")
            case "postReferralOutcome":
                return Call(
                    method: .post, uri: "/v1/referrals/\(referral)/outcome", body: ByteBuffer(string: #"{"outcome": "investigation_opened"}"#))
            case "setReferralHold":
                let hold = Hold(doNotInform: true, doNotRemove: false, until: scene.clock.now().addingTimeInterval(30 * 86_400).rfc3339)
                return Call(method: .put, uri: "/v1/referrals/\(referral)/hold", body: try json(hold))
            default:
                // A hold to lift, placed by the competent police.
                let hold = Hold(doNotInform: true, doNotRemove: true, until: scene.clock.now().addingTimeInterval(30 * 86_400).rfc3339)
                _ = try await ReferralService(store: scene.store, clock: scene.clock).setHold(
                    hold, on: referral, by: Actor(try #require(scene.principals["police-de"])))
                return Call(method: .delete, uri: "/v1/referrals/\(referral)/hold")
            }
        case "registerSigningKey":
            let key = Data(ReportSigner.generate().publicKey).base64EncodedString()
            return Call(method: .post, uri: "/v1/organisations/\(providerId)/signing-keys", body: try json(["public_key": key]))
        case "listSigningKeys": return Call(method: .get, uri: "/v1/organisations/\(providerId)/signing-keys")
        case "setOrganisationWebhook", "deleteOrganisationWebhook":
            let police = try #require(scene.organisations["police-de"]).id
            if operation == "deleteOrganisationWebhook" { return Call(method: .delete, uri: "/v1/organisations/\(police)/webhook") }
            let body = #"{"url": "https://police.example/hooks/vigil", "secret": "a-secret-of-enough-length"}"#
            return Call(method: .put, uri: "/v1/organisations/\(police)/webhook", body: ByteBuffer(string: body))
        case "getStatistics": return Call(method: .get, uri: "/v1/stats")
        case "setReportPreservation":
            let until = scene.clock.now().addingTimeInterval(400 * 86_400).rfc3339
            return Call(
                method: .put, uri: "/v1/reports/\(try await forwarded())/preservation",
                body: try json(Preservation(until: until, reason: "case 2026/0001 (benign test)")))
        case "withdrawReportPreservation":
            // The caller's organisation's own request, to withdraw.
            let report = try await forwarded()
            let until = scene.clock.now().addingTimeInterval(400 * 86_400).rfc3339
            _ = try await RetentionService(store: scene.store, clock: scene.clock).preserve(
                reportId: report, Preservation(until: until, reason: "case 2026/0002 (benign test)"),
                by: Actor(try #require(scene.principals[caller])))
            return Call(method: .delete, uri: "/v1/reports/\(report)/preservation")
        default:
            Issue.record("no request for \(operation): add one here and a row to the table")
            return Call(method: .get, uri: "/v1/unknown")
        }
    }

    @Test func everyCentreRouteAnswersEveryCallerAsTheTableSays() async throws {
        let expectations = try Self.expectations()
        let scene = try await CentreScene.make()
        let checked = try await scene.test.application.test(.router) { client in
            var serial = 0
            var checked = 0
            for (operation, _) in Self.table {
                for caller in Self.columns {
                    serial += 1
                    scene.at(Double(serial) * 60)
                    let expected = try #require(expectations[operation]?[caller])
                    let call = try await Self.prepare(operation, caller: caller, scene: scene, serial: serial)
                    let before = try await Snapshot.take(scene)
                    let (status, text) = try await client.execute(uri: call.uri, method: call.method, headers: scene.headers(caller), body: call.body)
                    {
                        ($0.status, String(buffer: $0.body))
                    }
                    let after = try await Snapshot.take(scene)
                    let context = "\(operation) as \(caller): expected \(expected), got \(status.code) \(text.prefix(300))"
                    #expect(status.code < 500, "\(context)")
                    switch expected {
                    case "A":
                        #expect((200..<300).contains(status.code), "\(context)")
                        if Self.auditedReads.contains(operation) {
                            #expect(after.auditEvents > before.auditEvents, "the read is audited: \(context)")
                        }
                    case "F":
                        #expect(status == .forbidden, "\(context)")
                        #expect(after == before, "a refused call changed nothing: \(context)")
                    default:
                        #expect(status == .notFound, "\(context)")
                        #expect(after == before, "a refused call changed nothing: \(context)")
                    }
                    checked += 1
                }
            }
            return checked
        }
        #expect(checked == Self.table.count * Self.columns.count)
    }
}
