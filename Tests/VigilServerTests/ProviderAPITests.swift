import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
import NIOCore
import ServiceLifecycle
import Testing
import VigilDomain
import VigilHash
import VigilMatching
import VigilServer
import VigilStore

@Suite("Provider node API", .serialized)
struct ProviderAPITests {
    @Test func healthIsOpenAndReadyWaitsForTheIndex() async throws {
        let node = try await TestNode.make(load: false)
        try await node.application.test(.router) { client in
            try await client.execute(uri: "/health", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/ready", method: .get) { #expect($0.status == .serviceUnavailable) }
            try await node.engine.load()
            try await client.execute(uri: "/ready", method: .get) { #expect($0.status == .ok) }
        }
    }

    /// Every /v1 route: 401 without a key, 403 with a key of another scope, allowed with its own.
    @Test func everyRouteDeniesByDefault() async throws {
        let node = try await TestNode.make()
        _ = try await node.store.createList(HashList(name: "l", kind: .internal))
        let routes: [(HTTPRequest.Method, String, Scope)] = [
            (.get, "/v1/lists", .match), (.get, "/v1/lists/l", .curate), (.post, "/v1/lists", .curate),
            (.patch, "/v1/lists/l", .curate), (.delete, "/v1/lists/nope", .curate), (.get, "/v1/lists/l/entries", .curate),
            (.post, "/v1/lists/l/entries", .curate), (.delete, "/v1/lists/l/entries/99", .curate), (.put, "/v1/lists/l/entries/99/note", .curate),
            (.post, "/v1/match/hash", .match), (.post, "/v1/match/file", .match), (.post, "/v1/match/conversation", .match),
            (.post, "/v1/compare", .match),
            (.get, "/v1/index/status", .match), (.post, "/v1/hash", .hash),
        ]
        try await node.application.test(.router) { client in
            for (method, uri, scope) in routes {
                try await client.execute(uri: uri, method: method, headers: node.headers(nil), body: jsonBody([:])) { response in
                    #expect(response.status == .unauthorized, "\(method) \(uri) without a key")
                    #expect(response.errorCode == "unauthorized")
                }
                var bad = node.headers(nil)
                bad[.authorization] = "Bearer vk_" + String(repeating: "0", count: 48)
                try await client.execute(uri: uri, method: method, headers: bad, body: jsonBody([:])) {
                    #expect($0.status == .unauthorized, "\(method) \(uri) with an unknown key")
                }
                let others = Scope.allowed(for: .provider).sorted(by: { $0.rawValue < $1.rawValue }).filter {
                    $0 != scope && $0 != .admin
                        && !(uri.hasPrefix("/v1/lists") && method == .get && uri.split(separator: "/").count <= 3 && $0 == .curate)
                }
                for other in others where !(method == .get && (uri == "/v1/lists" || uri == "/v1/lists/l") && (other == .match || other == .curate)) {
                    try await client.execute(uri: uri, method: method, headers: node.headers(other), body: jsonBody([:])) {
                        #expect($0.status == .forbidden, "\(method) \(uri) with a \(other) key")
                        #expect($0.errorCode == "forbidden")
                    }
                }
                for allowed in [scope, .admin] {
                    try await client.execute(uri: uri, method: method, headers: node.headers(allowed), body: jsonBody([:])) {
                        #expect($0.status != .forbidden && $0.status != .unauthorized, "\(method) \(uri) with a \(allowed) key")
                    }
                }
            }
        }
    }

    @Test func listLifecycleAndMatchRightAfterInsert() async throws {
        let node = try await TestNode.make()
        try await node.application.test(.router) { client in
            try await client.execute(
                uri: "/v1/lists", method: .post, headers: node.headers(.curate),
                body: jsonBody(["name": "known", "kind": "known_abuse_material", "match_radius": 20])
            ) { response in
                #expect(response.status == .created)
                #expect(response.json["match_radius"] as? Int == 20)
            }
            try await client.execute(
                uri: "/v1/lists", method: .post, headers: node.headers(.curate), body: jsonBody(["name": "known", "kind": "internal"])
            ) {
                #expect($0.status == .conflict)
                #expect($0.errorCode == "list_exists")
            }
            let provenance: [String: Any] = [
                "source_organisation": "NCMEC", "source_item_id": "A-1", "confirmed_by": "analyst 3", "decision_reference": "case-77",
            ]
            var entryId = 0
            try await client.execute(
                uri: "/v1/lists/known/entries", method: .post, headers: node.headers(.curate),
                body: jsonBody([
                    "entries": [
                        ["type": "pdq", "value": bridgeHash.uppercased(), "provenance": provenance],
                        ["type": "md5", "value": "d41d8cd98f00b204e9800998ecf8427e"],
                    ]
                ])
            ) { response in
                #expect(response.status == .created)
                entryId = (response.json["ids"] as? [Int])?.first ?? 0
            }
            // Matchable at once: a near-duplicate hash (4 bits away), with provenance.
            let near = "f8f8f0cee0f4a84f0637022a038f67f0b36e26d596621e1d33e6b39c4e9c9b22"
            try await client.execute(
                uri: "/v1/match/hash", method: .post, headers: node.headers(.match), body: jsonBody(["type": "pdq", "value": near])
            ) { response in
                #expect(response.status == .ok)
                let matches = response.json["matches"] as? [[String: Any]] ?? []
                #expect(matches.count == 1)
                #expect(matches.first?["entry_id"] as? Int == entryId)
                #expect(matches.first?["list"] as? String == "known")
                #expect(matches.first?["distance"] as? Int == 4)
                #expect((matches.first?["provenance"] as? [String: Any])?["decision_reference"] as? String == "case-77")
            }
            // The file itself matches by PDQ and is hashed as the CLI does.
            try await client.execute(
                uri: "/v1/match/file", method: .post, headers: node.headers(.match, json: false),
                body: try TestNode.fixture("reference/images/pdq-data/bridge-mods/blur-a-lot.jpg")
            ) { response in
                #expect(response.status == .ok)
                #expect((response.json["matches"] as? [Any])?.count == 1)
                #expect((response.json["query"] as? [String: String])?["pdq"] == near)
            }
            try await client.execute(
                uri: "/v1/match/hash", method: .post, headers: node.headers(.match),
                body: jsonBody(["type": "md5", "value": "D41D8CD98F00B204E9800998ECF8427E"])
            ) {
                #expect(($0.json["matches"] as? [Any])?.count == 1)
            }
            // A tighter per-list radius excludes it; the kill switch silences the list.
            try await client.execute(uri: "/v1/lists/known", method: .patch, headers: node.headers(.curate), body: jsonBody(["match_radius": 3])) {
                #expect($0.status == .ok)
            }
            try await client.execute(
                uri: "/v1/match/hash", method: .post, headers: node.headers(.match), body: jsonBody(["type": "pdq", "value": near])
            ) {
                #expect(($0.json["matches"] as? [Any])?.isEmpty == true)
            }
            try await client.execute(
                uri: "/v1/lists/known", method: .patch, headers: node.headers(.curate), body: jsonBody(["match_radius": 31, "enabled": false])
            ) { _ in }
            try await client.execute(
                uri: "/v1/match/hash", method: .post, headers: node.headers(.match), body: jsonBody(["type": "pdq", "value": bridgeHash])
            ) {
                #expect(($0.json["matches"] as? [Any])?.isEmpty == true)
            }
            try await client.execute(uri: "/v1/lists/known", method: .patch, headers: node.headers(.curate), body: jsonBody(["enabled": true])) { _ in
            }
            // Disable-until: the entry stays listed but matches nothing until then; null enables it.
            let tomorrow = ISO8601DateFormatter().string(from: Date().addingTimeInterval(86_400))
            try await client.execute(
                uri: "/v1/lists/known/entries/\(entryId)", method: .patch, headers: node.headers(.curate),
                body: jsonBody(["disabled_until": tomorrow])
            ) {
                #expect($0.status == .ok)
                #expect($0.json["id"] as? Int == entryId)
                #expect(($0.json["disabled_until"] as? String)?.hasPrefix(String(tomorrow.prefix(19))) == true)
            }
            try await client.execute(
                uri: "/v1/match/hash", method: .post, headers: node.headers(.match), body: jsonBody(["type": "pdq", "value": bridgeHash])
            ) {
                #expect(($0.json["matches"] as? [Any])?.isEmpty == true)
            }
            for (body, code) in [
                (["disabled_until": "next tuesday"], "invalid_json"), (["disabled_until": "2099-01-01T00:00:00Z"], "invalid_disabled_until"),
            ] {
                try await client.execute(
                    uri: "/v1/lists/known/entries/\(entryId)", method: .patch, headers: node.headers(.curate), body: jsonBody(body)
                ) {
                    #expect($0.status == .badRequest, "\(body)")
                    #expect($0.errorCode == code, "\(body)")
                }
            }
            try await client.execute(
                uri: "/v1/lists/known/entries/999999", method: .patch, headers: node.headers(.curate), body: jsonBody(["disabled_until": tomorrow])
            ) {
                #expect($0.status == .notFound)
            }
            try await client.execute(
                uri: "/v1/lists/known/entries/\(entryId)", method: .patch, headers: node.headers(.match), body: jsonBody(["disabled_until": tomorrow])
            ) {
                #expect($0.status == .forbidden)
            }
            try await client.execute(
                uri: "/v1/lists/known/entries/\(entryId)", method: .patch, headers: node.headers(.curate),
                body: jsonBody(["disabled_until": NSNull()])
            ) {
                #expect($0.status == .ok)
                #expect($0.json["disabled_until"] == nil)
            }
            try await client.execute(
                uri: "/v1/match/hash", method: .post, headers: node.headers(.match), body: jsonBody(["type": "pdq", "value": bridgeHash])
            ) {
                #expect(($0.json["matches"] as? [Any])?.count == 1)
            }
            // Tombstone: deleted entries stop matching at once.
            try await client.execute(uri: "/v1/lists/known/entries/\(entryId)", method: .delete, headers: node.headers(.curate)) {
                #expect($0.status == .noContent)
            }
            try await client.execute(
                uri: "/v1/match/hash", method: .post, headers: node.headers(.match), body: jsonBody(["type": "pdq", "value": bridgeHash])
            ) {
                #expect(($0.json["matches"] as? [Any])?.isEmpty == true)
            }
            try await client.execute(uri: "/v1/lists/known/entries/\(entryId)", method: .delete, headers: node.headers(.curate)) {
                #expect($0.status == .notFound)
            }
            try await client.execute(uri: "/v1/lists/known", method: .delete, headers: node.headers(.curate)) { #expect($0.status == .noContent) }
            try await client.execute(uri: "/v1/lists/known", method: .get, headers: node.headers(.curate)) {
                #expect($0.status == .notFound)
                #expect($0.errorCode == "unknown_list")
            }
        }
    }

    /// Entries written by another node (straight into the store) become matchable with the
    /// change-feed follower's next round (one every 200 ms in `vigil serve`).
    @Test func followerPicksUpForeignWritesInOneRound() async throws {
        let node = try await TestNode.make()
        _ = try await node.store.createList(HashList(name: "feed", kind: .internal))
        try await node.engine.refreshLists()
        let follower = IndexFollower(engine: node.engine, health: node.health, clock: node.clock)
        _ = try await node.store.apply([IndicatorRecord(type: .pdq, value: bridgeHash)], toList: "feed")
        let lists = Array(node.engine.lists.values)
        let hash = try PDQHash(validatingHex: bridgeHash)
        #expect(try node.engine.matchPDQ(variants: [hash], lists: lists).isEmpty, "not before the follower reads the feed")
        #expect(await follower.step())
        #expect(try node.engine.matchPDQ(variants: [hash], lists: lists).count == 1)
    }

    @Test func dataSurvivesARestart() async throws {
        let path = TestNode.temporaryPath()
        do {
            let node = try await TestNode.make(path: path)
            _ = try await node.store.createList(HashList(name: "kept", kind: .internal))
            _ = try await node.store.apply([IndicatorRecord(type: .pdq, value: bridgeHash)], toList: "kept")
            try await node.store.setSignalTypeRatio(-1, for: "video_md5")
        }
        let restarted = try await TestNode.make(path: path)
        #expect(restarted.engine.signalTypeRatios == ["video_md5": -1])
        try await restarted.application.test(.router) { client in
            try await client.execute(
                uri: "/v1/match/hash", method: .post, headers: restarted.headers(.match), body: jsonBody(["type": "pdq", "value": bridgeHash])
            ) {
                #expect(($0.json["matches"] as? [Any])?.count == 1)
            }
        }
    }

    /// A list at 50% rollout answers the same for the same content every time, and includes
    /// about half of all content.
    @Test func stagedRolloutIsDeterministic() async throws {
        let node = try await TestNode.make()
        _ = try await node.store.createList(HashList(name: "half", kind: .internal, matchRadius: 0, enabledRatio: 0.5))
        let digits = Array("0123456789abcdef")
        let values: [String] = (0..<60).map { (i: Int) -> String in
            var text = ""
            for j in 0..<64 {
                let mixed: Int = i &* 131 &+ j &* 17 &+ (i &* j) % 7
                text.append(digits[mixed & 15])
            }
            return text
        }
        _ = try await node.store.apply(values.map { IndicatorRecord(type: .pdq, value: $0) }, toList: "half")
        try await node.engine.catchUp()
        try await node.engine.refreshLists()
        try await node.application.test(.router) { client in
            var included = 0
            for value in values {
                var answers: [Int] = []
                for _ in 0..<3 {
                    try await client.execute(
                        uri: "/v1/match/hash", method: .post, headers: node.headers(.match), body: jsonBody(["type": "pdq", "value": value])
                    ) {
                        answers.append(($0.json["matches"] as? [Any])?.count ?? -1)
                    }
                }
                #expect(Set(answers).count == 1, "the same content got different answers")
                if answers.first == 1 { included += 1 }
            }
            #expect((15...45).contains(included), "\(included) of 60 included at 50%")
        }
    }

    @Test func badInputGetsAClearErrorAndWritesNothing() async throws {
        let node = try await TestNode.make()
        _ = try await node.store.createList(HashList(name: "l", kind: .internal))
        try await node.application.test(.router) { client in
            let cases: [(String, HTTPRequest.Method, Scope, HTTPFields?, ByteBuffer, HTTPResponse.Status, String)] = [
                ("/v1/match/hash", .post, .match, nil, jsonBody(["type": "pdq", "value": "abc"]), .badRequest, "malformed_hash"),
                ("/v1/match/hash", .post, .match, nil, jsonBody(["type": "sha1", "value": "abc"]), .badRequest, "invalid_json"),
                ("/v1/match/hash", .post, .match, nil, jsonBody(["value": bridgeHash]), .badRequest, "invalid_json"),
                ("/v1/match/hash", .post, .match, nil, ByteBuffer(string: "{not json"), .badRequest, "invalid_json"),
                ("/v1/match/hash", .post, .match, nil, jsonBody(["type": "pdq", "value": bridgeHash, "lists": ["nope"]]), .notFound, "unknown_list"),
                (
                    "/v1/lists/nope/entries", .post, .curate, nil, jsonBody(["entries": [["type": "pdq", "value": bridgeHash]]]), .notFound,
                    "unknown_list"
                ),
                ("/v1/lists", .post, .curate, nil, jsonBody(["name": "bad name!", "kind": "internal"]), .badRequest, "invalid_request"),
                ("/v1/lists", .post, .curate, nil, jsonBody(["name": "x", "kind": "unknown"]), .badRequest, "invalid_json"),
                ("/v1/lists/l", .patch, .curate, nil, jsonBody(["enabled_ratio": 2]), .badRequest, "invalid_request"),
                (
                    "/v1/match/file", .post, .match, nil, ByteBuffer(string: "just some text, not an image"), .unsupportedMediaType,
                    "unrecognised_format"
                ),
                ("/v1/match/file", .post, .match, nil, ByteBuffer(), .badRequest, "empty_body"),
                ("/v1/hash", .post, .hash, nil, ByteBuffer(bytes: [UInt8](repeating: 7, count: (1 << 20) + 10)), .contentTooLarge, "body_too_large"),
                ("/v1/compare", .post, .match, nil, jsonBody(["a": bridgeHash, "b": "zz"]), .badRequest, "malformed_hash"),
            ]
            for (uri, method, scope, extra, body, status, code) in cases {
                let headers = extra ?? node.headers(scope)
                try await client.execute(uri: uri, method: method, headers: headers, body: body) { response in
                    #expect(response.status == status, "\(uri) \(code)")
                    #expect(response.errorCode == code, "\(uri): \(String(buffer: response.body))")
                }
            }
            var text = node.headers(.match)
            text[.contentType] = "text/plain"
            try await client.execute(uri: "/v1/match/hash", method: .post, headers: text, body: jsonBody(["type": "pdq", "value": bridgeHash])) {
                #expect($0.status == .unsupportedMediaType)
                #expect($0.errorCode == "unsupported_content_type")
            }
            try await client.execute(
                uri: "/v1/hash", method: .post, headers: node.headers(.hash, json: false), body: try TestNode.fixture("bad/truncated.jpg")
            ) {
                #expect($0.status == .unprocessableContent)
                #expect($0.errorCode == "truncated")
            }
            // One bad entry among good ones: nothing is written.
            try await client.execute(
                uri: "/v1/lists/l/entries", method: .post, headers: node.headers(.curate),
                body: jsonBody(["entries": [["type": "pdq", "value": bridgeHash], ["type": "md5", "value": "123"]]])
            ) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("entries[1]"))
            }
            #expect(try await node.store.list(named: "l").entryCount == 0)
            #expect(try await node.store.changes(after: 0, limit: 10).isEmpty)
        }
    }

    @Test func hashEndpointAgreesWithTheCLIHasher() async throws {
        let node = try await TestNode.make()
        try await node.application.test(.router) { client in
            try await client.execute(
                uri: "/v1/hash?dihedral=true", method: .post, headers: node.headers(.hash, json: false),
                body: try TestNode.fixture("reference/images/pdq-data/bridge-mods/aaa-orig.jpg")
            ) { response in
                #expect(response.status == .ok)
                #expect(response.json["pdq"] as? String == bridgeHash)
                #expect(response.json["quality"] as? Int == 100)
                #expect((response.json["pdq_dihedral"] as? [String])?.count == 8)
                #expect(response.json["width"] as? Int == 1600)
            }
        }
    }
}

extension ProviderAPITests {
    /// Imports stream through the format readers: good rows import, bad rows are reported by
    /// number; the export carries provenance and imports back identically.
    @Test func importReportsBadRowsAndExportRoundTrips() async throws {
        let node = try await TestNode.make()
        _ = try await node.store.createList(HashList(name: "src", kind: .internal))
        _ = try await node.store.createList(HashList(name: "copy", kind: .internal))
        let other = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
        let tsv = "# header comment\n\(bridgeHash)\tA-1\tfirst\n\(other)\tA-2\tsecond\nnot-a-hash\tA-3\n\(bridgeHash.prefix(60))\tA-4\n"
        try await node.application.test(.router) { client in
            try await client.execute(
                uri: "/v1/lists/src/import?format=tsv", method: .post, headers: node.headers(.curate, json: false),
                body: ByteBuffer(string: tsv)
            ) { response in
                #expect(response.status == .ok)
                #expect(response.json["added"] as? Int == 2)
                #expect(response.json["issue_count"] as? Int == 2)
                let issues = response.json["issues"] as? [String] ?? []
                #expect(issues.first?.hasPrefix("record 4") == true)
                #expect(issues.last?.hasPrefix("record 5") == true)
            }
            try await client.execute(
                uri: "/v1/match/hash", method: .post, headers: node.headers(.match), body: jsonBody(["type": "pdq", "value": bridgeHash])
            ) {
                let matches = $0.json["matches"] as? [[String: Any]] ?? []
                #expect((matches.first?["provenance"] as? [String: Any])?["source_item_id"] as? String == "A-1")
            }
            var exported = ByteBuffer()
            try await client.execute(uri: "/v1/lists/src/export?format=vigil-jsonl", method: .get, headers: node.headers(.curate)) { response in
                #expect(response.status == .ok)
                exported = response.body
            }
            let lines = String(buffer: exported).split(separator: "\n")
            #expect(lines.count == 2)
            #expect(lines.first?.contains("\"source_item_id\"") == true || lines.first?.contains("A-1") == true)
            try await client.execute(
                uri: "/v1/lists/copy/import?format=vigil-jsonl", method: .post, headers: node.headers(.curate, json: false), body: exported
            ) {
                #expect($0.json["added"] as? Int == 2)
                #expect($0.json["issue_count"] as? Int == 0)
            }
            let copied = try await node.store.entries(ofList: "copy", afterId: 0, limit: 10)
            let source = try await node.store.entries(ofList: "src", afterId: 0, limit: 10)
            #expect(copied.map(\.value) == source.map(\.value))
            #expect(copied.map(\.provenance.sourceItemId) == source.map(\.provenance.sourceItemId))
            try await client.execute(
                uri: "/v1/lists/src/import?format=docx", method: .post, headers: node.headers(.curate, json: false), body: ByteBuffer(string: "x")
            ) {
                #expect($0.status == .badRequest)
                #expect($0.errorCode == "unknown_format")
            }
            try await client.execute(uri: "/v1/lists/src/export?type=sha1", method: .get, headers: node.headers(.curate)) {
                #expect($0.status == .badRequest)
                #expect($0.errorCode == "unknown_type")
            }
            try await client.execute(
                uri: "/v1/lists/nope/import?format=tsv", method: .post, headers: node.headers(.curate, json: false), body: ByteBuffer(string: tsv)
            ) {
                #expect($0.status == .notFound)
            }
        }
    }
}

extension ProviderAPITests {
    @Test func metricsNeedTheAdminScopeAndShowTheIndex() async throws {
        let node = try await TestNode.make()
        _ = try await node.store.createList(HashList(name: "m", kind: .internal))
        _ = try await node.store.apply([IndicatorRecord(type: .pdq, value: bridgeHash)], toList: "m")
        try await node.engine.catchUp()
        try await node.application.test(.router) { client in
            try await client.execute(uri: "/metrics", method: .get) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/metrics", method: .get, headers: node.headers(.match)) { #expect($0.status == .forbidden) }
            try await client.execute(uri: "/metrics", method: .get, headers: node.headers(.admin)) { response in
                #expect(response.status == .ok)
                let text = String(buffer: response.body)
                #expect(text.contains("vigil_index_entries{type=\"pdq\"} 1"))
                #expect(text.contains("vigil_change_feed_position 1"))
            }
        }
    }
}

extension ProviderAPITests {
    /// Exact-digest matches obey the same list choice, kill switch and rollout as PDQ matches.
    @Test func digestMatchesRespectTheChosenLists() async throws {
        let node = try await TestNode.make()
        let md5 = "d41d8cd98f00b204e9800998ecf8427e"
        _ = try await node.store.createList(HashList(name: "on", kind: .internal))
        _ = try await node.store.createList(HashList(name: "off", kind: .internal, enabled: false))
        _ = try await node.store.apply([IndicatorRecord(type: .md5, value: md5)], toList: "on")
        _ = try await node.store.apply([IndicatorRecord(type: .md5, value: md5)], toList: "off")
        try await node.engine.catchUp()
        try await node.engine.refreshLists()
        try await node.application.test(.router) { client in
            try await client.execute(
                uri: "/v1/match/hash", method: .post, headers: node.headers(.match), body: jsonBody(["type": "md5", "value": md5])
            ) {
                let lists = ($0.json["matches"] as? [[String: Any]] ?? []).compactMap { $0["list"] as? String }
                #expect(lists == ["on"])
            }
            _ = try await node.store.updateList(named: "on", ListUpdate(enabled: false))
            try await node.engine.refreshLists()
            try await client.execute(
                uri: "/v1/match/hash", method: .post, headers: node.headers(.match), body: jsonBody(["type": "md5", "value": md5])
            ) {
                #expect(($0.json["matches"] as? [Any])?.isEmpty == true)
            }
        }
    }

    @Test func aRenamedListKeepsItsEntries() async throws {
        let node = try await TestNode.make()
        _ = try await node.store.createList(HashList(name: "old", kind: .internal))
        _ = try await node.store.createList(HashList(name: "taken", kind: .internal))
        _ = try await node.store.apply([IndicatorRecord(type: .pdq, value: bridgeHash)], toList: "old")
        try await node.engine.catchUp()
        try await node.engine.refreshLists()
        try await node.application.test(.router) { client in
            try await client.execute(uri: "/v1/lists/old", method: .patch, headers: node.headers(.curate), body: jsonBody(["name": "taken"])) {
                #expect($0.status == .conflict)
                #expect($0.errorCode == "list_exists")
            }
            try await client.execute(uri: "/v1/lists/old", method: .patch, headers: node.headers(.curate), body: jsonBody(["name": "bad name!"])) {
                #expect($0.status == .badRequest)
            }
            try await client.execute(uri: "/v1/lists/old", method: .patch, headers: node.headers(.curate), body: jsonBody(["name": "new"])) {
                #expect($0.status == .ok)
                #expect($0.json["name"] as? String == "new")
                #expect($0.json["entry_count"] as? Int == 1)
            }
            try await client.execute(uri: "/v1/lists/old", method: .get, headers: node.headers(.curate)) { #expect($0.status == .notFound) }
            try await client.execute(
                uri: "/v1/match/hash", method: .post, headers: node.headers(.match),
                body: jsonBody(["type": "pdq", "value": bridgeHash, "lists": ["new"]])
            ) {
                let lists = ($0.json["matches"] as? [[String: Any]] ?? []).compactMap { $0["list"] as? String }
                #expect(lists == ["new"])
            }
            try await client.execute(uri: "/v1/lists/new/entries", method: .get, headers: node.headers(.curate)) {
                #expect(($0.json["entries"] as? [Any])?.count == 1)
            }
        }
    }

    /// Index list tags are 16 bits; lists whose ids collide modulo 65,536 still get their own radius.
    @Test func listsSharingAnIndexTagKeepTheirOwnRadius() async throws {
        let node = try await TestNode.make()
        _ = try await node.store.createList(HashList(name: "wide", kind: .internal, matchRadius: 31))
        try await node.store.pool.write { db in try db.execute(sql: "UPDATE sqlite_sequence SET seq = 65536 WHERE name = 'lists'") }
        let tight = try await node.store.createList(HashList(name: "tight", kind: .internal, matchRadius: 0))
        #expect(tight.id == 65_537)
        _ = try await node.store.apply([IndicatorRecord(type: .pdq, value: bridgeHash)], toList: "tight")
        try await node.engine.catchUp()
        try await node.engine.refreshLists()
        let near = "f8f8f0cee0f4a84f0637022a038f67f0b36e26d596621e1d33e6b39c4e9c9b22"
        try await node.application.test(.router) { client in
            try await client.execute(
                uri: "/v1/match/hash", method: .post, headers: node.headers(.match), body: jsonBody(["type": "pdq", "value": near])
            ) {
                #expect(($0.json["matches"] as? [Any])?.isEmpty == true)
            }
            try await client.execute(
                uri: "/v1/match/hash", method: .post, headers: node.headers(.match), body: jsonBody(["type": "pdq", "value": bridgeHash])
            ) {
                #expect(($0.json["matches"] as? [[String: Any]])?.first?["list"] as? String == "tight")
            }
        }
    }

    @Test func anEntrysNoteCanBeRewrittenOrRemoved() async throws {
        let node = try await TestNode.make()
        _ = try await node.store.createList(HashList(name: "l", kind: .internal))
        let ids = try await node.store.apply(
            [
                IndicatorRecord(
                    type: .md5, value: "d41d8cd98f00b204e9800998ecf8427e", provenance: Provenance(sourceOrganisation: "NCMEC", note: "first"))
            ], toList: "l")
        let id = try #require(ids.first)
        try await node.application.test(.router) { client in
            try await client.execute(
                uri: "/v1/lists/l/entries/\(id)/note", method: .put, headers: node.headers(.curate), body: jsonBody(["note": "second"])
            ) {
                #expect($0.status == .ok)
                let provenance = $0.json["provenance"] as? [String: Any]
                #expect(provenance?["note"] as? String == "second")
                #expect(provenance?["source_organisation"] as? String == "NCMEC")
            }
            try await client.execute(
                uri: "/v1/lists/l/entries/\(id)/note", method: .put, headers: node.headers(.curate),
                body: jsonBody(["note": String(repeating: "x", count: 4097)])
            ) {
                #expect($0.status == .badRequest)
                #expect($0.errorCode == "invalid_note")
            }
            try await client.execute(uri: "/v1/lists/l/entries/\(id)/note", method: .put, headers: node.headers(.curate), body: jsonBody([:])) {
                #expect($0.status == .badRequest)
            }
            try await client.execute(
                uri: "/v1/lists/l/entries/999999/note", method: .put, headers: node.headers(.curate), body: jsonBody(["note": "x"])
            ) {
                #expect($0.status == .notFound)
            }
            try await client.execute(
                uri: "/v1/lists/l/entries/\(id)/note", method: .put, headers: node.headers(.curate), body: jsonBody(["note": ""])
            ) {
                #expect($0.status == .ok)
                #expect(($0.json["provenance"] as? [String: Any])?["note"] == nil)
            }
        }
        let stored = try await node.store.entries(ids: [id])[id]
        #expect(stored?.provenance.note == nil)
        #expect(stored?.provenance.sourceOrganisation == "NCMEC")
    }

    @Test func overlongProvenanceRefusesTheRequest() async throws {
        let node = try await TestNode.make()
        _ = try await node.store.createList(HashList(name: "l", kind: .internal))
        try await node.application.test(.router) { client in
            try await client.execute(
                uri: "/v1/lists/l/entries", method: .post, headers: node.headers(.curate),
                body: jsonBody([
                    "entries": [
                        ["type": "pdq", "value": bridgeHash],
                        [
                            "type": "md5", "value": "d41d8cd98f00b204e9800998ecf8427e",
                            "provenance": ["source_item_id": String(repeating: "x", count: 2000)],
                        ],
                    ]
                ])
            ) {
                #expect($0.status == .badRequest)
                #expect($0.errorCode == "invalid_entries")
                #expect(
                    ($0.json["error"] as? [String: Any])?["message"] as? String
                        == "entries[1]: provenance source_item_id is 2000 bytes of UTF-8; at most 1024 bytes are accepted")
            }
        }
        #expect(try await node.store.entries(ofList: "l", afterId: 0, limit: 10).isEmpty)
    }
}
