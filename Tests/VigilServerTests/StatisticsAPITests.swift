import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import VigilDomain

@testable import VigilServer

/// `GET /v1/stats` over HTTP, on a manual clock: each kind of caller reads its own share, with
/// the exact figures.
@Suite("The Centre's statistics over HTTP")
struct StatisticsAPITests {
    static func figures(_ response: TestResponse) -> [String: Any] { response.json }

    static func reports(_ json: [String: Any]) -> [String: Any]? { json["reports"] as? [String: Any] }

    static func total(_ section: [String: Any]?) -> [String: Any] { section?["total"] as? [String: Any] ?? [:] }

    @Test func eachCallerReadsItsOwnShare() async throws {
        let scene = try await CentreScene.make()
        // Two reports of Example Hosting (one forwarded after 1,200 s), one of Other Service
        // (unfounded after 3,600 s).
        scene.at(0)
        let own = try await scene.file("p1")
        scene.at(60)
        _ = try await scene.file("p2")
        scene.at(120)
        let other = try await scene.file("o1", by: "other-provider")
        scene.at(600)
        try await scene.decide(own)
        scene.at(1_200)
        try await scene.approve(own)
        scene.at(1_800)
        try await scene.decide(other, .unfounded(.notAbuse, explanation: "a drawing of a cat"))
        scene.at(3_720)
        try await scene.approve(other)
        scene.at(7_200)

        try await scene.test.application.test(.router) { client in
            // The provider: its own reports only; the other provider's name appears nowhere.
            try await client.execute(uri: "/v1/stats", method: .get, headers: scene.headers("provider")) { response in
                #expect(response.status == .ok)
                let json = Self.figures(response)
                #expect(json["scope"] as? String == "organisation")
                let total = Self.total(Self.reports(json))
                #expect(total["reports"] as? Int == 2 && total["forwarded"] as? Int == 1 && total["undecided"] as? Int == 1)
                #expect(total["unfounded_share"] as? Double == 0)
                let providers = Self.reports(json)?["by_provider"] as? [[String: Any]] ?? []
                #expect(providers.map { $0["organisation"] as? String } == ["Example Hosting"])
                #expect(!String(buffer: response.body).contains("Other Service"))
                #expect(Self.total(json["referrals"] as? [String: Any])["referrals"] as? Int == 3)
            }
            try await client.execute(uri: "/v1/stats", method: .get, headers: scene.headers("other-provider")) { response in
                let total = Self.total(Self.reports(Self.figures(response)))
                #expect(total["reports"] as? Int == 1 && total["unfounded"] as? Int == 1 && total["unfounded_share"] as? Double == 1)
                #expect(!String(buffer: response.body).contains("Example Hosting"))
            }
            // The Centre: everything, with the times (nearest rank over 1,200 and 3,600 s).
            for who in ["analyst", "supervisor", "centre-admin"] {
                try await client.execute(uri: "/v1/stats", method: .get, headers: scene.headers(who)) { response in
                    #expect(response.status == .ok, "\(who)")
                    let json = Self.figures(response)
                    #expect(json["scope"] as? String == "all")
                    #expect(json["generated_at"] as? String == "2026-01-01T02:00:00.000Z")
                    let reports = Self.reports(json)
                    #expect(Self.total(reports)["reports"] as? Int == 3)
                    let decision = reports?["time_to_decision"] as? [String: Any]
                    #expect(
                        decision?["count"] as? Int == 2 && decision?["median_seconds"] as? Double == 1_200
                            && decision?["p90_seconds"] as? Double == 3_600)
                    let referral = reports?["time_to_referral"] as? [String: Any]
                    #expect(referral?["count"] as? Int == 1 && referral?["median_seconds"] as? Double == 1_200)
                    let states = reports?["by_state"] as? [String: Int]
                    #expect(states?["queued"] == 1 && states?["forwarded"] == 1 && states?["unfounded"] == 1)
                }
            }
            // Police: only their Member State's referral figures, no report figures.
            try await client.execute(uri: "/v1/stats", method: .get, headers: scene.headers("police-de")) { response in
                let json = Self.figures(response)
                #expect(json["scope"] as? String == "referrals" && json["reports"] == nil)
                let recipients = (json["referrals"] as? [String: Any])?["by_recipient"] as? [[String: Any]] ?? []
                #expect(recipients.map { $0["recipient"] as? String } == ["DE"])
                #expect(((recipients.first?["counts"] as? [String: Any])?["awaiting"] as? Int) == 1)
            }
            try await client.execute(uri: "/v1/stats", method: .get, headers: scene.headers("police-fr")) { response in
                let json = Self.figures(response)
                #expect(((json["referrals"] as? [String: Any])?["by_recipient"] as? [Any])?.isEmpty == true)
                #expect(Self.total(json["referrals"] as? [String: Any])["referrals"] as? Int == 0)
            }
            try await client.execute(uri: "/v1/stats", method: .get, headers: scene.headers("europol")) { response in
                let recipients = (Self.figures(response)["referrals"] as? [String: Any])?["by_recipient"] as? [[String: Any]] ?? []
                #expect(recipients.map { $0["recipient"] as? String } == ["DE", "IE", "europol"])
            }

            // A window: only the reports received from 60 s until just before 120 s (p2).
            try await client.execute(
                uri: "/v1/stats?from=2026-01-01T00:01:00Z&to=2026-01-01T01:02:00%2B01:00", method: .get, headers: scene.headers("analyst")
            ) { response in
                let json = Self.figures(response)
                #expect(json["from"] as? String == "2026-01-01T00:01:00.000Z" && json["to"] as? String == "2026-01-01T00:02:00.000Z")
                #expect(Self.total(Self.reports(json))["reports"] as? Int == 1)
            }
            for query in ["from=yesterday", "to=2026-13-01T00:00:00Z", "from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z"] {
                try await client.execute(uri: "/v1/stats?" + query, method: .get, headers: scene.headers("analyst")) { response in
                    #expect(response.status == .badRequest, "\(query)")
                    #expect(response.errorCode == "invalid_window", "\(query)")
                }
            }
            try await client.execute(uri: "/v1/stats", method: .get) { #expect($0.status == .unauthorized) }
        }
    }
}
