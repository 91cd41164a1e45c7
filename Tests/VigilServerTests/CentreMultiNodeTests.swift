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
import VigilTestSupport

/// Three Centre nodes on one PostgreSQL, each with its own connection pool: a report filed through
/// any node is stored once, whichever nodes its copies reach at the same time, and its whole path
/// (queue, decision, approval, referral, the police's read) can be walked through different nodes.
// The time limit names a test that hangs (each takes seconds; two CI runs once hung in a node's shutdown).
@Suite("Centre nodes on one PostgreSQL", .serialized, .enabled(if: PostgresTestDatabase.enabled), .timeLimit(.minutes(5)))
struct CentreMultiNodeTests {
    @Test func aReportFiledThroughEveryNodeAtOnceIsStoredOnceAndFollowedThroughAnyNode() async throws {
        let url = try await PostgresTestDatabase.make("centre_nodes")
        let clock = SystemClock()
        let nodes = [
            try await PostgresNode(url: url, clock: clock, role: .centre), try await PostgresNode(url: url, clock: clock, role: .centre),
            try await PostgresNode(url: url, clock: clock, role: .centre),
        ]
        let store = nodes[0].store
        var keys: [String: String] = [:]
        let people: [(String, String, OrganisationKind, String?, Set<Scope>)] = [
            ("provider", "Example Hosting", .provider, nil, [.report]),
            ("analyst", "Centre", .centre, nil, [.assess]),
            ("supervisor", "Centre", .centre, nil, [.supervise]),
            ("centre-admin", "Centre", .centre, nil, [.admin]),
            ("police-de", "Polizei DE", .police, "DE", [.referrals]),
        ]
        var providerId: Int64 = 0
        for (who, name, kind, state, scopes) in people {
            var organisation = try await store.organisation(named: name)
            if organisation == nil {
                organisation = try await store.createOrganisation(
                    NewOrganisation(name: name, kind: kind, memberState: state.flatMap(MemberState.init)))
            }
            let owner = try #require(organisation)
            if who == "provider" { providerId = owner.id }
            keys[who] = try await store.createKey(organisationId: owner.id, scopes: scopes, label: who).secret
        }
        let fields = keys.mapValues { key -> HTTPFields in [.contentType: "application/json", .authorization: "Bearer " + key] }
        let headers: @Sendable (String) -> HTTPFields = { fields[$0] ?? [:] }
        let provider = providerId
        let signer = ReportSigner.generate()
        let references = (1...8).map { "multi-node-\($0)" }
        let bodies = try references.map { try CentreAPITests.body(try signer.sign(CentreAPITests.report(reference: $0))) }

        try await nodes[0].application.test(.router) { a in
            try await nodes[1].application.test(.router) { b in
                try await nodes[2].application.test(.router) { c in
                    let clients = [a, b, c]
                    // The key is registered through node B and used through every node.
                    let register = try CentreAPITests.body(["public_key": Data(signer.publicKey).base64EncodedString()])
                    try await b.execute(
                        uri: "/v1/organisations/\(provider)/signing-keys", method: .post, headers: headers("centre-admin"), body: register
                    ) { #expect($0.status == .created) }

                    // Every report is sent through all three nodes at the same time.
                    let answers = try await withThrowingTaskGroup(of: (Int, HTTPResponse.Status, Int?).self) { group in
                        for (index, body) in bodies.enumerated() {
                            for client in clients {
                                group.addTask {
                                    try await client.execute(uri: "/v1/reports", method: .post, headers: headers("provider"), body: body) {
                                        (index, $0.status, $0.json["id"] as? Int)
                                    }
                                }
                            }
                        }
                        var answers: [(Int, HTTPResponse.Status, Int?)] = []
                        for try await answer in group { answers.append(answer) }
                        return answers
                    }
                    #expect(answers.count == 3 * bodies.count)
                    #expect(answers.allSatisfy { $0.1.code < 500 }, "no copy is answered 5xx: \(answers.map(\.1.code))")
                    var ids: [Int] = []
                    for index in bodies.indices {
                        let copies = answers.filter { $0.0 == index }
                        let created = copies.filter { $0.1 == .created }
                        #expect(created.count == 1, "one copy of \(references[index]) is filed; the others are refused as filed already")
                        #expect(copies.filter { $0.1 == .conflict }.count == 2, "\(copies.map(\.1.code))")
                        if let id = created.first?.2 { ids.append(id) }
                    }
                    #expect(Set(ids).count == bodies.count)

                    // The analyst's queue, read through node C, holds each report once.
                    try await c.execute(uri: "/v1/assessment/queue", method: .get, headers: headers("analyst")) {
                        #expect($0.status == .ok)
                        let queued = (($0.json["reports"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? Int }
                        #expect(queued.sorted() == ids.sorted())
                    }
                    // One report's path through different nodes: decided through A, approved through B,
                    // read by the competent police through C.
                    let id = try #require(ids.first)
                    try await a.execute(
                        uri: "/v1/reports/\(id)/decision", method: .post, headers: headers("analyst"),
                        body: try CentreAPITests.body(["decision": "forward"])
                    ) {
                        #expect($0.status == .ok)
                        #expect($0.json["state"] as? String == "awaiting_review")
                    }
                    try await b.execute(
                        uri: "/v1/reports/\(id)/review", method: .post, headers: headers("supervisor"),
                        body: try CentreAPITests.body(["approve": true])
                    ) {
                        #expect($0.status == .ok)
                        #expect($0.json["state"] as? String == "forwarded")
                    }
                    try await c.execute(uri: "/v1/referrals", method: .get, headers: headers("police-de")) {
                        #expect($0.status == .ok)
                        let referrals = $0.json["referrals"] as? [[String: Any]] ?? []
                        #expect(referrals.map { $0["recipient"] as? String } == ["DE"])
                    }
                }
            }
        }
        let chain = try await store.verifyAuditChain()
        #expect(chain.problem == nil, "the audit chain written by three nodes verifies: \(chain)")
        #expect(try await store.auditEvents(after: 0, limit: 10_000).filter { $0.event.action == "report.file" }.count == bodies.count)
        for node in nodes { await node.store.shutdown() }
    }
}
