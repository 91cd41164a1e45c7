import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import VigilAPI
import VigilDomain
import VigilMatching
import VigilStore
import VigilTestSupport

@testable import VigilServer

/// `POST /v1/match/hash` has a direct path beside the generated route; these tests pin that both
/// answer every request byte for byte alike, and which requests the direct path takes.
@Suite("Match-hash fast path")
struct MatchHashFastPathTests {
    /// One node, two applications over it: with the direct path and without.
    @Test func answersMatchTheGeneratedRouteByteForByte() async throws {
        let node = try await TestNode.make()
        let provenance: [String: Any] = [
            "source_organisation": "Org \"A\" / B", "source_item_id": "ü-1\n2", "confirmed_by": "analyst <3>",
            "decision_reference": "case\\77", "note": "tab\there, slash / and \u{1F600}",
        ]
        let md5 = "d41d8cd98f00b204e9800998ecf8427e"
        let sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        let near = "f8f8f0cee0f4a84f0637022a038f67f0b36e26d596621e1d33e6b39c4e9c9b22"
        let entries = jsonBody([
            "entries": [
                ["type": "pdq", "value": bridgeHash, "provenance": provenance], ["type": "md5", "value": md5],
                ["type": "sha256", "value": sha256, "provenance": ["note": "plain"]],
            ]
        ])
        let lists = [
            ("alpha", jsonBody(["name": "alpha", "kind": "internal"])),
            ("beta", jsonBody(["name": "beta", "kind": "internal", "enabled_ratio": 0.5])),
        ]
        try await node.application.test(.router) { client in
            for (name, list) in lists {
                try await client.execute(uri: "/v1/lists", method: .post, headers: node.headers(.curate), body: list) {
                    #expect($0.status == .created)
                }
                try await client.execute(uri: "/v1/lists/\(name)/entries", method: .post, headers: node.headers(.curate), body: entries) {
                    #expect($0.status == .created)
                }
            }
        }
        try await waitUntilMatchable(node, md5: md5)

        func headers(_ scope: Scope?, _ extra: [(HTTPField.Name, String)] = [], json: Bool = true) -> HTTPFields {
            var fields = node.headers(scope, json: json)
            for (name, value) in extra { fields[name] = value }
            return fields
        }
        let raw = { (text: String) in ByteBuffer(string: text) }
        let requests: [(String, HTTPFields, ByteBuffer)] = [
            ("exact", headers(.match), raw(#"{"type":"pdq","value":"\#(bridgeHash)"}"#)),
            ("near, value first", headers(.match), raw(#"{"value":"\#(near)","type":"pdq"}"#)),
            ("no match", headers(.match), raw(#"{"type":"pdq","value":"\#(String(repeating: "0", count: 64))"}"#)),
            ("upper case", headers(.match), raw(#"{"type":"pdq","value":"\#(bridgeHash.uppercased())"}"#)),
            ("spaces", headers(.match), raw(#"{ "type" : "md5", "value" : "\#(md5)" }"#)),
            ("sha256", headers(.match), raw(#"{"type":"sha256","value":"\#(sha256)"}"#)),
            ("named list", headers(.match), jsonBody(["type": "pdq", "value": near, "lists": ["alpha"]])),
            ("unknown list", headers(.match), jsonBody(["type": "pdq", "value": near, "lists": ["nope"]])),
            ("malformed hash", headers(.match), raw(#"{"type":"pdq","value":"abc"}"#)),
            ("non-hex hash", headers(.match), raw(#"{"type":"pdq","value":"\#(String(repeating: "g", count: 64))"}"#)),
            ("unknown type", headers(.match), raw(#"{"type":"tmk","value":"\#(md5)"}"#)),
            ("wrong value type", headers(.match), raw(#"{"type":"pdq","value":12}"#)),
            ("missing value", headers(.match), raw(#"{"type":"pdq"}"#)),
            ("not JSON", headers(.match), raw("type=pdq")),
            ("empty body", headers(.match), raw("")),
            ("escaped value", headers(.match), raw(#"{"type":"md5","value":"\u0064\#(md5.dropFirst())"}"#)),
            ("charset", headers(.match, [(.contentType, "application/json; charset=utf-8")]), raw(#"{"type":"md5","value":"\#(md5)"}"#)),
            ("upper-case type", headers(.match, [(.contentType, "Application/JSON")]), raw(#"{"type":"md5","value":"\#(md5)"}"#)),
            ("text/plain", headers(.match, [(.contentType, "text/plain")]), raw(#"{"type":"md5","value":"\#(md5)"}"#)),
            ("no content type", headers(.match, json: false), raw(#"{"type":"md5","value":"\#(md5)"}"#)),
            ("accept json", headers(.match, [(.accept, "application/json")]), raw(#"{"type":"md5","value":"\#(md5)"}"#)),
            ("accept html", headers(.match, [(.accept, "text/html")]), raw(#"{"type":"md5","value":"\#(md5)"}"#)),
            ("hash scope", headers(.hash), raw(#"{"type":"md5","value":"\#(md5)"}"#)),
            ("admin scope", headers(.admin), raw(#"{"type":"md5","value":"\#(md5)"}"#)),
            ("no key", headers(nil), raw(#"{"type":"md5","value":"\#(md5)"}"#)),
            ("too large", headers(.match), raw(#"{"type":"md5","value":"\#(md5)","pad":"\#(String(repeating: "x", count: 70 << 20))"}"#)),
        ]
        var answers: [Bool: [String: (HTTPResponse.Status, String?, [UInt8])]] = [:]
        for fast in [true, false] {
            var configured = node
            configured.settings.matchFastPath = fast
            answers[fast] = try await configured.application.test(.router) { client in
                var seen: [String: (HTTPResponse.Status, String?, [UInt8])] = [:]
                for (label, fields, body) in requests {
                    seen[label] = try await client.execute(uri: "/v1/match/hash", method: .post, headers: fields, body: body) { response in
                        (response.status, response.headers[.contentType], Array(response.body.readableBytesView))
                    }
                }
                return seen
            }
        }
        for (label, _, _) in requests {
            let fast = try #require(answers[true]?[label], "\(label)")
            let generated = try #require(answers[false]?[label], "\(label)")
            #expect(fast.0 == generated.0, "\(label): status")
            #expect(fast.1 == generated.1, "\(label): content type")
            #expect(fast.2 == generated.2, "\(label): \(String(decoding: fast.2, as: UTF8.self)) vs \(String(decoding: generated.2, as: UTF8.self))")
        }
        // The cases are not vacuous: matches with provenance, errors of several kinds.
        #expect(answers[true]?["exact"]?.0 == .ok)
        let exact = String(decoding: answers[true]?["exact"]?.2 ?? [], as: UTF8.self)
        #expect(exact.contains("analyst <3>"))
        #expect(answers[true]?["unknown list"]?.0 == .notFound)
        #expect(answers[true]?["malformed hash"]?.0 == .badRequest)
        #expect(answers[true]?["hash scope"]?.0 == .forbidden)
        #expect(answers[true]?["no key"]?.0 == .unauthorized)
        #expect(answers[true]?["too large"]?.0 == .contentTooLarge)
    }

    /// Which requests the direct path answers itself; everything else reaches the next responder
    /// (here a stand-in that answers 299 and echoes the body it received).
    @Test func takesOnlyRequestsTheGeneratedRouteWouldAcceptAsTheyAre() async throws {
        let node = try await TestNode.make()
        let api = V1Handler(
            node: node.node, fetcher: URLFetcher(policy: node.settings.urlFetch),
            hashing: MediaHashing(limits: node.settings.decodeLimits, pool: HashingPool(limits: HashingLimits())))
        let router = Router(context: VigilRequestContext.self)
        router.group()
            .add(middleware: AuthenticationMiddleware(keys: node.store, cache: VerifiedKeyCache(clock: SystemClock())))
            .add(middleware: MatchHashFastPath(matching: api.matching, authoriser: Authoriser(), maxJSONBytes: 1024))
            .post("/v1/match/hash") { request, _ -> Response in
                let body = try await request.body.collect(upTo: 1 << 20)
                return Response(status: .init(code: 299), body: .init(byteBuffer: body))
            }
        let plain = #"{"type":"pdq","value":"\#(bridgeHash)"}"#
        let cases: [(String, HTTPFields, String, Bool)] = [
            ("plain", node.headers(.match), plain, true),
            ("other JSON shape", node.headers(.match), #"{"type":"pdq","lists":[],"value":"\#(bridgeHash)"}"#, true),
            ("malformed hash (the handler's own error)", node.headers(.match), #"{"type":"pdq","value":"zz"}"#, true),
            ("not JSON", node.headers(.match), "type=pdq", false),
            ("wrong content type", node.headers(.match, json: false), plain, false),
            ("scope the policy refuses", node.headers(.curate), plain, false),
            ("over the JSON limit", node.headers(.match), plain + String(repeating: " ", count: 2000), false),
        ]
        try await Application(router: router).test(.router) { client in
            for (label, fields, body, direct) in cases {
                try await client.execute(uri: "/v1/match/hash", method: .post, headers: fields, body: ByteBuffer(string: body)) { response in
                    #expect((response.status.code != 299) == direct, "\(label): \(response.status)")
                    if !direct {
                        // What the direct path read is handed on intact.
                        #expect(String(buffer: response.body) == body, "\(label)")
                    }
                }
            }
        }
    }

    /// The plain-body reader gives what the JSON decoder gives, or steps aside.
    @Test func plainQueryAgreesWithTheDecoder() throws {
        var generator = SplitMix64(seed: 0x5EED_F457)
        let hex = Array("0123456789abcdefABCDEF")
        var bodies = [
            #"{"type":"pdq","value":"ab"}"#, #"{"value":"AB12","type":"md5"}"#, #"{"type":"sha256","value":"00"}"#,
            #"{"type":"pdq","value":""}"#, #"{"type":"PDQ","value":"ab"}"#, #"{"type":"pdq","value":"a b"}"#,
            #"{"type":"pdq","value":"ab","value":"cd"}"#, #"{"type":"pdq","type":"md5"}"#, #"{"type":"pdq","value":"ab"} "#,
            #" {"type":"pdq","value":"ab"}"#, #"{"type":"pdq","value":"a\u0062"}"#, #"{"type":"pdq","value":"ab","lists":["x"]}"#,
            #"{"type":"pdq","value":"ab""#, #"{"type":"pdq""#, "{}", "", #"{"type":"pdq","value":"é"}"#,
        ]
        for _ in 0..<200 {
            let value = String((0..<Int.random(in: 1...70, using: &generator)).map { _ in hex.randomElement(using: &generator) ?? "0" })
            let type = ["pdq", "md5", "sha256"].randomElement(using: &generator) ?? "pdq"
            bodies.append(Bool.random(using: &generator) ? #"{"type":"\#(type)","value":"\#(value)"}"# : #"{"value":"\#(value)","type":"\#(type)"}"#)
        }
        var taken = 0
        for body in bodies {
            let buffer = ByteBuffer(string: body)
            let decoded = try? JSONDecoder().decode(Components.Schemas.HashQuery.self, from: Data(body.utf8))
            if let plain = MatchHashFastPath.plainQuery(buffer) {
                taken += 1
                #expect(plain == decoded, "\(body)")
            }
        }
        #expect(taken >= 200)
        #expect(MatchHashFastPath.plainQuery(ByteBuffer(string: #"{"type":"pdq","value":"a\u0062"}"#)) == nil)
    }

    /// The no-match template writes exactly what the encoder writes, and declines anything else.
    @Test func emptyAnswerTemplateAgreesWithTheEncoder() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let template = try #require(EmptyAnswerTemplate(encoder: encoder))
        var generator = SplitMix64(seed: 0x5EED_F458)
        let alphabet = Array("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
        for _ in 0..<200 {
            let value = String((0..<Int.random(in: 1...80, using: &generator)).map { _ in alphabet.randomElement(using: &generator) ?? "a" })
            let type = ["pdq", "md5", "sha256"].randomElement(using: &generator) ?? "pdq"
            let answer = Components.Schemas.MatchAnswer(query: .init(additionalProperties: ["type": type, "value": value]), matches: [], actions: [])
            let rendered = try #require(template.render(answer))
            #expect(Array(rendered.readableBytesView) == Array(try encoder.encode(answer)))
        }
        let declined: [Components.Schemas.MatchAnswer] = [
            .init(query: .init(additionalProperties: ["type": "pdq", "value": "a/b"]), matches: [], actions: []),
            .init(query: .init(additionalProperties: ["type": "pdq", "value": "ab", "url": "x"]), matches: [], actions: []),
            .init(query: .init(additionalProperties: ["type": "pdq"]), matches: [], actions: []),
            .init(query: .init(additionalProperties: ["type": "pdq", "value": ""]), matches: [], actions: []),
            .init(query: .init(additionalProperties: ["type": "pdq", "value": "ab"]), matches: [], actions: [.init(list: "l", action: "block")]),
        ]
        for answer in declined { #expect(template.render(answer) == nil) }
    }

    /// `isJSON` reads the media type as the generated route does.
    @Test func jsonContentTypes() {
        for accepted in ["application/json", "APPLICATION/JSON", " application/json ", "application/json; charset=utf-8", "application/json;x=y"] {
            #expect(MatchHashFastPath.isJSON(accepted), "\(accepted)")
        }
        for refused in [nil, "", "application/jsonx", "text/json", "application/json-seq", "application/ json", "multipart/form-data"] {
            #expect(!MatchHashFastPath.isJSON(refused), "\(refused ?? "nil")")
        }
    }

    private func waitUntilMatchable(_ node: TestNode, md5: String) async throws {
        // A write through the node catches its engine up before it answers.
        try await node.engine.catchUp()
        #expect(try node.engine.matchDigest(.md5, hex: md5).isEmpty == false, "the entries are matchable")
    }
}
