import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import VigilDomain
import VigilServer
import VigilStore
import VigilTestSupport

/// The HMA routes behave as HMA 2.0's source does where a client can tell (issue 12): one content
/// item for several signals, metadata round trips, pydantic's booleans and 422 problem lists,
/// `disable_until_ts`, distances and signal type names as python-threatexchange prints them, the
/// PDQ quality gate, HMA's answer shapes and its OpenAPI document. Answers were checked against
/// HMA run from source (Benchmarks/hma/parity.sh).
@Suite("HMA parity", .serialized)
struct HMAParityTests {
    static let md5 = "0123456789abcdef0123456789abcdef"

    static func json(_ response: TestResponse) -> Any? {
        try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView), options: [.fragmentsAllowed])
    }

    /// The problems of a 422 answer as (type, field) pairs.
    static func problems(_ response: TestResponse) -> [String] {
        (json(response) as? [[String: Any]] ?? []).map { "\($0["type"] as? String ?? "?"):\(($0["loc"] as? [String])?.joined(separator: ".") ?? "")" }
    }

    @Test func contentWithSeveralSignalsIsOneItem() async throws {
        let node = try await TestNode.make()
        try await node.application.test(.router) { client in
            try await HMACompatibilityTests.createBank(client, node, "MULTI")
            var id = -1
            try await client.execute(
                uri: "/c/bank/MULTI/signal", method: .post, headers: node.headers(.curate),
                body: jsonBody(["pdq": bridgeHash, "video_md5": Self.md5])
            ) {
                #expect($0.status == .ok)
                id = $0.json["id"] as? Int ?? -1
                #expect($0.json["signals"] as? [String: String] == ["pdq": bridgeHash, "video_md5": Self.md5])
            }
            // Every signal's lookup answers the one content id; distances as HMA prints them.
            for (type, signal, distance) in [("pdq", bridgeHash, "0"), ("video_md5", Self.md5, "-")] {
                try await client.execute(uri: "/m/raw_lookup?signal_type=\(type)&signal=\(signal)", method: .get, headers: node.headers(.match)) {
                    #expect($0.json["matches"] as? [Int] == [id], "\(type)")
                }
                try await client.execute(uri: "/m/lookup?signal_type=\(type)&signal=\(signal)", method: .get, headers: node.headers(.match)) {
                    let matches = $0.json["MULTI"] as? [[String: Any]] ?? []
                    #expect(matches.count == 1 && matches.first?["bank_content_id"] as? Int == id, "\(type)")
                    #expect(matches.first?["distance"] as? String == distance, "\(type)")
                }
            }
            try await client.execute(uri: "/c/bank/MULTI/content/\(id)?include_signals=true", method: .get, headers: node.headers(.curate)) {
                #expect($0.json["id"] as? Int == id)
                #expect($0.json["signals"] as? [String: String] == ["pdq": bridgeHash, "video_md5": Self.md5])
            }
            // Disabling the content disables every signal; deleting it removes every signal.
            try await client.execute(
                uri: "/c/bank/MULTI/content/\(id)", method: .put, headers: node.headers(.curate), body: jsonBody(["disable_until_ts": 0])
            ) { #expect($0.status == .ok) }
            try await client.execute(uri: "/m/lookup?signal_type=video_md5&signal=\(Self.md5)", method: .get, headers: node.headers(.match)) {
                #expect($0.status == .ok && $0.json.isEmpty)
            }
            try await client.execute(uri: "/c/bank/MULTI/content/\(id)", method: .delete, headers: node.headers(.curate)) {
                #expect($0.json["deleted"] as? Int == 1)
            }
            for (type, signal) in [("pdq", bridgeHash), ("video_md5", Self.md5)] {
                try await client.execute(uri: "/m/raw_lookup?signal_type=\(type)&signal=\(signal)", method: .get, headers: node.headers(.match)) {
                    #expect(($0.json["matches"] as? [Int])?.isEmpty == true, "\(type)")
                }
            }
            try await client.execute(uri: "/c/bank/MULTI/content/\(id)", method: .get, headers: node.headers(.curate)) {
                #expect($0.status == .notFound)
            }
        }
    }

    /// Many clients adding two-signal content at once (their writes share group commits): each
    /// gets its own content with exactly its own signals.
    @Test func concurrentContentStaysApart() async throws {
        let node = try await TestNode.make()
        try await node.application.test(.router) { client in
            try await HMACompatibilityTests.createBank(client, node, "MANY")
            var generator = SplitMix64(seed: 12)
            let items = (0..<24).map { _ in
                (
                    pdq: (0..<64).map { _ in String(Int.random(in: 0..<16, using: &generator), radix: 16) }.joined(),
                    md5: (0..<32).map { _ in String(Int.random(in: 0..<16, using: &generator), radix: 16) }.joined()
                )
            }
            let ids = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
                for (index, item) in items.enumerated() {
                    group.addTask {
                        var id = -1
                        try await client.execute(
                            uri: "/c/bank/MANY/signal", method: .post, headers: node.headers(.curate),
                            body: jsonBody(["pdq": item.pdq, "video_md5": item.md5])
                        ) {
                            #expect($0.status == .ok)
                            id = $0.json["id"] as? Int ?? -1
                        }
                        return (index, id)
                    }
                }
                var ids = Array(repeating: -1, count: items.count)
                for try await (index, id) in group { ids[index] = id }
                return ids
            }
            #expect(Set(ids).count == items.count && !ids.contains(-1))
            for (item, id) in zip(items, ids) {
                try await client.execute(uri: "/c/bank/MANY/content/\(id)?include_signals=true", method: .get, headers: node.headers(.curate)) {
                    #expect($0.json["signals"] as? [String: String] == ["pdq": item.pdq, "video_md5": item.md5])
                }
                try await client.execute(uri: "/m/raw_lookup?signal_type=video_md5&signal=\(item.md5)", method: .get, headers: node.headers(.match)) {
                    #expect($0.json["matches"] as? [Int] == [id])
                }
            }
        }
    }

    @Test func metadataRoundTrips() async throws {
        let node = try await TestNode.make()
        try await node.application.test(.router) { client in
            try await HMACompatibilityTests.createBank(client, node, "META")
            let metadata =
                #"{"content_id":"ext-id-123","content_uri":"https://example.com/item/123","json":{"nested":{"key":"value"},"n":[1,2]},"collab":{"X":["k"]}}"#
            var id = -1
            try await client.execute(
                uri: "/c/bank/META/content", method: .post, headers: HMACompatibilityTests.multipartHeaders(node, .curate),
                body: HMACompatibilityTests.multipart([
                    (name: "photo", filename: "a.jpg", body: try HMACompatibilityTests.photo()),
                    (name: "metadata", filename: nil, body: Array(metadata.utf8)), (name: "note", filename: nil, body: Array("seen".utf8)),
                ])
            ) {
                #expect($0.status == .ok, "\(HMACompatibilityTests.text($0))")
                id = $0.json["id"] as? Int ?? -1
            }
            try await client.execute(uri: "/c/bank/META/content/\(id)", method: .get, headers: node.headers(.curate)) {
                let stored = $0.json["metadata"] as? [String: Any] ?? [:]
                #expect(stored["content_id"] as? String == "ext-id-123")
                #expect(stored["content_uri"] as? String == "https://example.com/item/123")
                #expect((stored["json"] as? [String: Any])?["nested"] as? [String: String] == ["key": "value"])
                #expect((stored["json"] as? [String: Any])?["n"] as? [Int] == [1, 2])
                // HMA drops a client's collab: its collab comes from the exchanges content was fetched from.
                #expect(stored.keys.contains("collab") && stored["collab"] is NSNull)
                #expect($0.json["note"] as? String == "seen")
            }
            for query in ["include_metadata=false", "include_metadata=1"] {
                try await client.execute(uri: "/c/bank/META/content/\(id)?\(query)", method: .get, headers: node.headers(.curate)) {
                    #expect($0.json["metadata"] == nil, "\(query)")
                }
            }
            // PUT answers HMA's stored content, its fields exactly.
            try await client.execute(
                uri: "/c/bank/META/content/\(id)", method: .put, headers: node.headers(.curate), body: jsonBody(["note": "again"])
            ) {
                #expect(Set($0.json.keys) == ["bank", "collab_metadata", "disable_until_ts", "id", "note", "original_media_uri", "user_metadata"])
                #expect($0.json["note"] as? String == "again" && $0.json["collab_metadata"] as? [String: Any] != nil)
                let user = $0.json["user_metadata"] as? [String: Any] ?? [:]
                #expect(Set(user.keys) == ["content_id", "content_uri", "json"])
            }
            // An unknown field is refused as HMA's model refuses it.
            try await client.execute(
                uri: "/c/bank/META/content", method: .post, headers: HMACompatibilityTests.multipartHeaders(node, .curate),
                body: HMACompatibilityTests.multipart([
                    (name: "photo", filename: "a.jpg", body: try HMACompatibilityTests.photo()),
                    (name: "metadata", filename: nil, body: Array(#"{"invalid_metadata":5}"#.utf8)),
                ])
            ) {
                #expect($0.status == .badRequest)
                #expect(($0.json["message"] as? String)?.hasPrefix("Invalid metadata:") == true)
            }
        }
    }

    @Test func booleansAndValidationAsHMAReadsThem() async throws {
        let node = try await TestNode.make()
        try await node.application.test(.router) { client in
            try await HMACompatibilityTests.createBank(client, node, "FLAGS")
            let id = try await HMACompatibilityTests.addSignal(client, node, bank: "FLAGS", ["pdq": bridgeHash])
            for value in ["true", "TRUE", "1", "yes", "on", "y", "t"] {
                try await client.execute(
                    uri: "/m/raw_lookup?signal_type=pdq&signal=\(bridgeHash)&include_distance=\(value)", method: .get, headers: node.headers(.match)
                ) {
                    #expect(($0.json["matches"] as? [[String: Any]])?.first?["bank_content_id"] as? Int == id, "\(value)")
                }
            }
            for value in ["false", "0", "off", "no"] {
                try await client.execute(
                    uri: "/m/raw_lookup?signal_type=pdq&signal=\(bridgeHash)&include_distance=\(value)", method: .get, headers: node.headers(.match)
                ) { #expect($0.json["matches"] as? [Int] == [id], "\(value)") }
            }
            try await client.execute(
                uri: "/m/raw_lookup?signal_type=pdq&signal=\(bridgeHash)&include_distance=maybe", method: .get, headers: node.headers(.match)
            ) {
                #expect($0.status == .unprocessableContent)
                #expect(Self.problems($0) == ["bool_parsing:include_distance"])
                #expect((Self.json($0) as? [[String: Any]])?.first?["msg"] as? String == "Input should be a valid boolean, unable to interpret input")
            }
            try await client.execute(
                uri: "/m/lookup?signal_type=pdq&signal=\(bridgeHash)&bypass_coinflip=x", method: .get, headers: node.headers(.match)
            ) {
                #expect($0.status == .unprocessableContent && Self.problems($0) == ["bool_parsing:bypass_coinflip"])
            }
            try await client.execute(uri: "/m/raw_lookup?signal_type=pdq", method: .get, headers: node.headers(.match)) {
                #expect($0.status == .unprocessableContent && Self.problems($0) == ["missing:signal"])
            }
            try await client.execute(uri: "/h/hash", method: .get, headers: node.headers(.hash)) {
                #expect($0.status == .unprocessableContent && Self.problems($0) == ["missing:url"])
            }
            // include_signals is HMA's "true" only (its GET reads the text, not a pydantic boolean).
            try await client.execute(uri: "/c/bank/FLAGS/content/\(id)?include_signals=yes", method: .get, headers: node.headers(.curate)) {
                #expect($0.status == .ok && $0.json["signals"] == nil)
            }
            // Bank bodies: pydantic's problems; `enabled` counts only when enabled_ratio is null.
            let bodies: [(ByteBuffer, [String])] = [
                (jsonBody([String: Any]()), ["missing:name"]), (jsonBody(["name": 5]), ["string_type:name"]),
                (ByteBuffer(string: "not json"), ["model_type:"]), (jsonBody(["name": "X", "enabled": "maybe"]), ["bool_parsing:enabled"]),
            ]
            for (body, expected) in bodies {
                try await client.execute(uri: "/c/banks", method: .post, headers: node.headers(.curate), body: body) {
                    #expect($0.status == .unprocessableContent && Self.problems($0) == expected, "\(expected)")
                }
            }
            try await client.execute(uri: "/c/banks", method: .post, headers: node.headers(.curate), body: jsonBody(["name": "D", "enabled": false]))
            {
                #expect($0.status == .created && ($0.json["matching_enabled_ratio"] as? NSNumber)?.doubleValue == 1)
            }
            try await client.execute(
                uri: "/c/banks", method: .post, headers: node.headers(.curate),
                body: jsonBody(["name": "E", "enabled": false, "enabled_ratio": NSNull()])
            ) {
                #expect($0.status == .created && ($0.json["matching_enabled_ratio"] as? NSNumber)?.doubleValue == 0)
            }
            try await client.execute(uri: "/c/bank/D", method: .put, headers: node.headers(.curate), body: jsonBody(["enabled": "maybe"])) {
                #expect($0.status == .unprocessableContent && Self.problems($0) == ["bool_parsing:enabled"])
            }
            try await client.execute(
                uri: "/c/bank/D", method: .put, headers: node.headers(.curate), body: jsonBody(["enabled": "yes", "enabled_ratio": "0.25"])
            ) {
                #expect($0.status == .ok && ($0.json["matching_enabled_ratio"] as? NSNumber)?.doubleValue == 0.25)
            }
        }
    }

    @Test func disableUntilIsReadBackAsWritten() async throws {
        let node = try await TestNode.make()
        try await node.application.test(.router) { client in
            try await HMACompatibilityTests.createBank(client, node, "DIS")
            let id = try await HMACompatibilityTests.addSignal(client, node, bank: "DIS", ["pdq": bridgeHash])
            // 0: disabled until enabled again; "12" (text, a time long past): enabled; 1: enabled.
            for (given, readBack, matches) in [(0, 0, false), (12, 12, true), (1, 1, true)] as [(Any, Int, Bool)] {
                let body = given as? Int == 12 ? jsonBody(["disable_until_ts": "12"]) : jsonBody(["disable_until_ts": given])
                try await client.execute(uri: "/c/bank/DIS/content/\(id)", method: .put, headers: node.headers(.curate), body: body) {
                    #expect($0.status == .ok && $0.json["disable_until_ts"] as? Int == readBack, "\(given)")
                }
                try await client.execute(uri: "/c/bank/DIS/content/\(id)", method: .get, headers: node.headers(.curate)) {
                    #expect($0.json["disable_until_ts"] as? Int == readBack, "\(given)")
                }
                try await client.execute(uri: "/m/lookup?signal_type=pdq&signal=\(bridgeHash)", method: .get, headers: node.headers(.match)) {
                    #expect(($0.json["DIS"] != nil) == matches, "\(given)")
                }
            }
            try await client.execute(
                uri: "/c/bank/DIS/content/\(id)", method: .put, headers: node.headers(.curate), body: jsonBody(["disable_until_ts": "x"])
            ) {
                #expect($0.status == .badRequest && $0.json["message"] as? String == "Invalid int: 'x'")
            }
        }
    }

    @Test func signalTypeNamesQualityGateAndMessages() async throws {
        let node = try await TestNode.make()
        try await node.application.test(.router) { client in
            try await client.execute(uri: "/c/signal_type", method: .get, headers: node.headers(.curate)) {
                let names = (Self.json($0) as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
                #expect(names == ["pdq", "video_md5", "video_sha256", "vpdq"])
            }
            // A flat image's PDQ has quality 0: HMA answers "" and refuses to look it up or bank it.
            let flat = try TestNode.fixture("generated/045-png-rgb-grey128-64x64-grey128.png")
            let upload = HMACompatibilityTests.multipart([(name: "photo", filename: "flat.png", body: Array(flat.readableBytesView))])
            try await client.execute(uri: "/h/hash", method: .post, headers: HMACompatibilityTests.multipartHeaders(node, .hash), body: upload) {
                #expect($0.status == .ok && $0.json["pdq"] as? String == "")
            }
            try await client.execute(uri: "/m/lookup", method: .post, headers: HMACompatibilityTests.multipartHeaders(node, .match), body: upload) {
                #expect($0.status == .badRequest && $0.json["message"] as? String == "invalid signal: invalid PDQ hash")
            }
            try await HMACompatibilityTests.createBank(client, node, "GATE")
            try await client.execute(
                uri: "/c/bank/GATE/content", method: .post, headers: HMACompatibilityTests.multipartHeaders(node, .curate), body: upload
            ) {
                #expect($0.status == .badRequest && $0.json["message"] as? String == "Invalid pdq signal: invalid PDQ hash")
            }
            try await client.execute(uri: "/c/bank/GATE/signal", method: .post, headers: node.headers(.curate), body: jsonBody(["video_md5": "xyz"]))
            {
                #expect($0.json["message"] as? String == "Invalid video_md5 signal: 'xyz' is not a valid MD5 hash")
            }
        }
    }

    @Test func openAPIDocumentDescribesTheHMARoutes() async throws {
        let node = try await TestNode.make()
        try await node.application.test(.router) { client in
            try await client.execute(uri: "/openapi/openapi.json", method: .get) { response in
                #expect(response.status == .ok)
                #expect((response.json["info"] as? [String: Any])?["title"] as? String == "Open Media Match API")
                let paths = response.json["paths"] as? [String: [String: Any]] ?? [:]
                #expect(!paths.isEmpty && paths.keys.allSatisfy { !$0.hasPrefix("/v1") })
                let ids = Set(paths.values.flatMap { $0.values.compactMap { ($0 as? [String: Any])?["operationId"] as? String } })
                // Every HMA operation the node authorises (and the open ones) is described, nothing else.
                let hma = Set(AccessPolicy.node.rules.keys.filter { $0.hasPrefix("hma") }).union(
                    AccessPolicy.openOperations.filter { $0.hasPrefix("hma") })
                #expect(ids == hma)
                for path in ["/m/raw_lookup", "/c/banks", "/c/bank/{name}/content/{id}", "/status"] { #expect(paths[path] != nil, "\(path)") }
                // The references it makes resolve inside it.
                let components = response.json["components"] as? [String: [String: Any]] ?? [:]
                #expect(components["responses"]?["HMAValidation"] != nil && components["responses"]?["HMAError"] != nil)
            }
        }
    }
}
