import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import VigilDomain
import VigilServer
import VigilStore

/// `/v1/reviews`: keys and scopes, paging open first, 404, a decision recorded once (409 after),
/// bad input, and many concurrent decisions on one item over HTTP.
@Suite("Review routes", .serialized)
struct ReviewAPITests {
    static func queued(_ node: TestNode, count: Int) async throws -> [Int64] {
        try await node.store.queueReviews(
            (0..<count).map { n in
                NewReview(
                    reasons: [.classifier("local-test/1.0", labels: [LabelScore(label: "nudity", score: 0.95, threshold: 0.9)])],
                    hashes: [FileHash(algorithm: .sha256, value: String(format: "%064x", n))], mediaType: "image/png")
            })
    }

    @Test func keysAndScopesAreChecked() async throws {
        let node = try await TestNode.make()
        let id = try await Self.queued(node, count: 1)[0]
        try await node.application.test(.router) { client in
            for (uri, method) in [("/v1/reviews", HTTPRequest.Method.get), ("/v1/reviews/\(id)", .get), ("/v1/reviews/\(id)/decision", .post)] {
                let body = method == .post ? jsonBody(["outcome": "seen"]) : nil
                try await client.execute(uri: uri, method: method, headers: node.headers(nil), body: body) {
                    #expect($0.status == .unauthorized, "\(uri)")
                }
                for scope in [Scope.match, .hash, .report] {
                    try await client.execute(uri: uri, method: method, headers: node.headers(scope), body: body) {
                        #expect($0.status == .forbidden, "\(uri) with \(scope)")
                    }
                }
            }
            try await client.execute(uri: "/v1/reviews/\(id)", method: .get, headers: node.headers(.curate)) { response in
                #expect(response.status == .ok)
                #expect(response.json["state"] as? String == "open")
                #expect((response.json["reasons"] as? [[String: Any]])?.first?["kind"] as? String == "classifier")
                #expect((response.json["hashes"] as? [[String: Any]])?.first?["algorithm"] as? String == "sha256")
                #expect(response.json["media_type"] as? String == "image/png")
            }
            // Admin may call every operation.
            try await client.execute(uri: "/v1/reviews", method: .get, headers: node.headers(.admin)) { #expect($0.status == .ok) }
        }
    }

    @Test func theQueueIsPagedOpenFirstAndADecisionIsRecordedOnce() async throws {
        let node = try await TestNode.make()
        let ids = try await Self.queued(node, count: 5)
        try await node.application.test(.router) { client in
            try await client.execute(
                uri: "/v1/reviews/\(ids[0])/decision", method: .post, headers: node.headers(.curate),
                body: jsonBody(["outcome": "false_positive", "note": "a benign test image"])
            ) { response in
                #expect(response.status == .ok)
                #expect(response.json["state"] as? String == "decided")
                let decision = response.json["decision"] as? [String: Any]
                #expect(decision?["outcome"] as? String == "false_positive" && decision?["note"] as? String == "a benign test image")
                #expect((decision?["by"] as? String)?.hasPrefix("key:") == true)
            }
            try await client.execute(
                uri: "/v1/reviews/\(ids[0])/decision", method: .post, headers: node.headers(.curate), body: jsonBody(["outcome": "confirmed"])
            ) { response in
                #expect(response.status == .conflict)
                #expect(response.errorCode == "review_decided")
            }
            #expect(try await node.store.review(id: ids[0])?.decision?.outcome == .falsePositive, "the first decision stands")

            var seen: [Int] = []
            var after: String?
            repeat {
                let uri = "/v1/reviews?limit=2" + (after.map { "&after=\($0)" } ?? "")
                after = try await client.execute(uri: uri, method: .get, headers: node.headers(.curate)) { response in
                    #expect(response.status == .ok)
                    seen += (response.json["reviews"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? Int }
                    return response.json["next"] as? String
                }
            } while after != nil
            #expect(seen == (ids[1...] + [ids[0]]).map { Int($0) })
            try await client.execute(uri: "/v1/reviews?state=decided", method: .get, headers: node.headers(.curate)) { response in
                #expect((response.json["reviews"] as? [[String: Any]])?.compactMap { $0["id"] as? Int } == [Int(ids[0])])
                #expect(response.json["next"] == nil)
            }
        }
    }

    @Test func unknownItemsAndBadInputAreClearErrors() async throws {
        let node = try await TestNode.make()
        let id = try await Self.queued(node, count: 1)[0]
        try await node.application.test(.router) { client in
            try await client.execute(uri: "/v1/reviews/99999", method: .get, headers: node.headers(.curate)) { response in
                #expect(response.status == .notFound)
                #expect(response.errorCode == "unknown_review")
            }
            try await client.execute(
                uri: "/v1/reviews/99999/decision", method: .post, headers: node.headers(.curate), body: jsonBody(["outcome": "seen"])
            ) { response in
                #expect(response.status == .notFound)
                #expect(response.errorCode == "unknown_review")
            }
            for query in ["state=closed", "after=open", "after=closed.1", "limit=0", "limit=1001"] {
                try await client.execute(uri: "/v1/reviews?\(query)", method: .get, headers: node.headers(.curate)) { response in
                    #expect(response.status == .badRequest, "\(query)")
                }
            }
            let bad: [ByteBuffer] = [
                jsonBody(["outcome": "maybe"]), jsonBody(["note": "no outcome"]), jsonBody(["outcome": "seen", "verdict": "extra member"]),
                ByteBuffer(string: "not json"), jsonBody(["outcome": "seen", "note": String(repeating: "n", count: 4_097)]),
            ]
            for body in bad {
                try await client.execute(uri: "/v1/reviews/\(id)/decision", method: .post, headers: node.headers(.curate), body: body) { response in
                    #expect(response.status == .badRequest, "\(String(buffer: body).prefix(60))")
                }
            }
            #expect(try await node.store.review(id: id)?.state == .open, "nothing was decided by bad input")
        }
    }

    @Test func manyConcurrentDecisionsOverHTTPLeaveOneWinner() async throws {
        let node = try await TestNode.make()
        let id = try await Self.queued(node, count: 1)[0]
        let headers = node.headers(.curate)
        let statuses: [Int] = try await node.application.test(.router) { client in
            try await withThrowingTaskGroup(of: Int.self) { group in
                for n in 0..<20 {
                    group.addTask {
                        try await client.execute(
                            uri: "/v1/reviews/\(id)/decision", method: .post, headers: headers,
                            body: jsonBody(["outcome": n.isMultiple(of: 2) ? "confirmed" : "seen"])
                        ) { Int($0.status.code) }
                    }
                }
                var all: [Int] = []
                for try await status in group { all.append(status) }
                return all
            }
        }
        #expect(statuses.filter { $0 == 200 }.count == 1, "\(statuses)")
        #expect(statuses.filter { $0 == 409 }.count == 19, "\(statuses)")
    }
}
