import Crypto
import Foundation
import HTTPTypes
import Testing
import VigilCentre
import VigilDomain
import VigilMatching
import VigilServer
import VigilStore

/// A Centre node on a ``ManualClock`` with one organisation and key per role, and the services to
/// put reports where a test needs them (filed, decided, forwarded) at set times. Callers are named:
/// `provider` and `other-provider` (scope report), `provider-admin` and `other-provider-admin`
/// (scope admin), `analyst` (assess), `supervisor` (supervise), `centre-admin` (admin),
/// `police-de` (DE, referrals: competent for ``report(reference:)``), `police-fr` (FR, referrals),
/// `europol` (referrals).
struct CentreScene {
    let test: TestNode
    let clock: ManualClock
    let start: Date
    var keys: [String: String] = [:]
    var principals: [String: Principal] = [:]
    var organisations: [String: Organisation] = [:]
    let signer = ReportSigner.generate()
    let otherSigner = ReportSigner.generate()

    /// The callers: name, organisation, kind, Member State, scopes.
    static let people: [(String, String, OrganisationKind, String?, Set<Scope>)] = [
        ("provider", "Example Hosting", .provider, nil, [.report]),
        ("provider-admin", "Example Hosting", .provider, nil, [.admin]),
        ("other-provider", "Other Service", .provider, nil, [.report]),
        ("other-provider-admin", "Other Service", .provider, nil, [.admin]),
        ("analyst", "Centre", .centre, nil, [.assess]),
        ("supervisor", "Centre", .centre, nil, [.supervise]),
        ("centre-admin", "Centre", .centre, nil, [.admin]),
        ("police-de", "Polizei DE", .police, "DE", [.referrals]),
        ("police-fr", "Police FR", .police, "FR", [.referrals]),
        ("europol", "Europol", .europol, nil, [.referrals]),
    ]

    /// The benign bytes of every report's one file.
    static let fileBytes = Array("benign test bytes: a generated pattern, nothing else".utf8)

    static func make() async throws -> CentreScene {
        let clock = ManualClock()
        let path = TestNode.temporaryPath()
        let store = try SQLiteStore(path: path, clock: clock)
        let engine = try MatchEngine(store: store)
        try await engine.load()
        var test = TestNode(path: path, store: store, engine: engine, keys: [:], settings: TestNode.defaultSettings)
        test.clock = clock
        var scene = CentreScene(test: test, clock: clock, start: clock.now())
        for (who, name, kind, state, scopes) in people {
            var organisation = try await store.organisation(named: name)
            if organisation == nil {
                organisation = try await store.createOrganisation(
                    NewOrganisation(name: name, kind: kind, memberState: state.flatMap(MemberState.init)))
            }
            let owner = try #require(organisation)
            scene.organisations[who] = owner
            let secret = try await store.createKey(organisationId: owner.id, scopes: scopes, label: who).secret
            scene.keys[who] = secret
            scene.principals[who] = try await store.verify(secret: secret)
        }
        for (who, signer) in [("provider", scene.signer), ("other-provider", scene.otherSigner)] {
            let owner = try #require(scene.organisations[who]).id
            _ = try await store.write { tx throws(StoreError) in
                try tx.registerSigningKey(SigningKey(keyId: signer.keyId, organisationId: owner, publicKey: signer.publicKey, createdAt: ""))
            }
        }
        return scene
    }

    var store: SQLiteStore { test.store }

    func headers(_ who: String) -> HTTPFields {
        var fields: HTTPFields = [.contentType: "application/json"]
        if let key = keys[who] { fields[.authorization] = "Bearer " + key }
        return fields
    }

    /// Sets the clock to `seconds` after the start.
    func at(_ seconds: TimeInterval) {
        clock.set(start.addingTimeInterval(seconds))
    }

    static func hex(_ digest: some Sequence<UInt8>) -> String { digest.map { String(format: "%02x", $0) }.joined() }

    /// ``CentreAPITests/report(reference:)`` (suspect in Germany, provider established in Ireland)
    /// declaring ``fileBytes`` as its file.
    static func report(reference: String) -> Report {
        var report = CentreAPITests.report(reference: reference)
        report.files[0].hashes = [
            FileHash(algorithm: .md5, value: hex(Insecure.MD5.hash(data: fileBytes))),
            FileHash(algorithm: .sha256, value: hex(SHA256.hash(data: fileBytes))),
        ]
        return report
    }

    /// Files a report for `who` (`provider` or `other-provider`) with its file's bytes, at the clock's time.
    func file(_ reference: String, by who: String = "provider") async throws -> Int64 {
        let signer = who == "provider" ? signer : otherSigner
        let intake = ReportIntake(store: store, indicators: nil, vault: test.vault)
        let principal = try #require(principals[who])
        let signed = try signer.sign(Self.report(reference: reference))
        return try await intake.file(signed, files: [ReceivedFile(reference: "f1", bytes: Self.fileBytes)], by: principal).id
    }

    /// An analyst's decision on report `id`.
    func decide(_ id: Int64, _ decision: AssessmentDecision = .forward) async throws {
        _ = try await AssessmentService(store: store).decide(decision, on: id, by: Actor(try #require(principals["analyst"])))
    }

    /// A supervisor's approval of report `id`'s decision.
    func approve(_ id: Int64) async throws {
        _ = try await AssessmentService(store: store).review(id, approve: true, by: Actor(try #require(principals["supervisor"])))
    }

    /// The referral of report `id` to `recipient` (`DE`, `IE` or `europol`).
    func referral(_ id: Int64, _ recipient: String) async throws -> Int64 {
        try #require(try await store.referrals(reportId: id).first { $0.recipient.description == recipient }).id
    }
}
