import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import VigilDomain
import VigilMatching
import VigilServer
import VigilStore

/// The HMA 2.0 ("OpenMediaMatch") compatible routes, driven with the payload shapes HMA's own
/// tests use (synthetic hashes), asserting HMA's answer shapes.
@Suite("HMA compatibility", .serialized)
struct HMACompatibilityTests {
    /// HMA's compare specimens: 9 bits apart.
    static let specimen1 = "facd8bcb2a49bcebdec1985298d5fe84bcd006c187c598c720c3c087b3fdb318"
    static let specimen2 = "facd8bcb2a49bcebdec1985228d5ae84bcd006c187c598c720c2b087b3fdb318"
    static let boundary = "hma-test-boundary-7f3a"

    static func anyJSON(_ response: TestResponse) -> Any? {
        try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView), options: [.fragmentsAllowed])
    }

    static func text(_ response: TestResponse) -> String {
        String(buffer: response.body)
    }

    /// A `multipart/form-data` body as HMA's clients send it: files under a content type field.
    static func multipart(_ parts: [(name: String, filename: String?, body: [UInt8])]) -> ByteBuffer {
        var bytes: [UInt8] = []
        for part in parts {
            var header = "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(part.name)\""
            if let filename = part.filename { header += "; filename=\"\(filename)\"\r\nContent-Type: application/octet-stream" }
            header += "\r\n\r\n"
            bytes += Array(header.utf8) + part.body + Array("\r\n".utf8)
        }
        bytes += Array("--\(boundary)--\r\n".utf8)
        return ByteBuffer(bytes: bytes)
    }

    static func multipartHeaders(_ node: TestNode, _ scope: Scope) -> HTTPFields {
        var fields = node.headers(scope, json: false)
        fields[.contentType] = "multipart/form-data; boundary=\(boundary)"
        return fields
    }

    static func photo() throws -> [UInt8] {
        Array(try TestNode.fixture("reference/images/pdq-data/bridge-mods/aaa-orig.jpg").readableBytesView)
    }

    /// HMA's tests' `create_bank` helper.
    static func createBank(_ client: some TestClientProtocol, _ node: TestNode, _ name: String) async throws {
        try await client.execute(uri: "/c/banks", method: .post, headers: node.headers(.curate), body: jsonBody(["name": name])) { response in
            #expect(response.status == .created)
            #expect(response.json["name"] as? String == name)
            #expect((response.json["matching_enabled_ratio"] as? NSNumber)?.doubleValue == 1.0)
            #expect(response.json.count == 2)
        }
    }

    /// Adds a signal as HMA's e2e test does; returns the content id.
    static func addSignal(_ client: some TestClientProtocol, _ node: TestNode, bank: String, _ signals: [String: String]) async throws -> Int {
        var id = -1
        try await client.execute(uri: "/c/bank/\(bank)/signal", method: .post, headers: node.headers(.curate), body: jsonBody(signals)) { response in
            #expect(response.status == .ok)
            id = response.json["id"] as? Int ?? -1
            #expect(response.json["signals"] as? [String: String] == signals.mapValues { $0.lowercased() })
        }
        return id
    }

    @Test func statusIsOpenAndReflectsTheIndex() async throws {
        let node = try await TestNode.make(load: false)
        try await node.application.test(.router) { client in
            try await client.execute(uri: "/status", method: .get) {
                #expect($0.status == .serviceUnavailable)
                #expect(Self.text($0) == "INDEX-NOT-LOADED")
            }
            try await client.execute(uri: "/status/live", method: .get) {
                #expect($0.status == .ok)
                #expect(Self.text($0) == "I-AM-ALIVE")
            }
            try await node.engine.load()
            try await client.execute(uri: "/status", method: .get) {
                #expect($0.status == .ok)
                #expect(Self.text($0) == "I-AM-ALIVE")
            }
        }
    }

    /// Every HMA route but /status: 401 without a key and 403 with another scope, in HMA's
    /// `{"message": …}` shape; allowed with its own scope.
    @Test func everyRouteNeedsItsScope() async throws {
        let node = try await TestNode.make()
        _ = try await node.store.createList(HashList(name: "B", kind: .internal))
        let routes: [(HTTPRequest.Method, String, Scope)] = [
            (.get, "/h/hash", .hash), (.post, "/h/hash", .hash),
            (.get, "/m/lookup?signal_type=pdq&signal=\(bridgeHash)", .match), (.post, "/m/lookup", .match),
            (.get, "/m/raw_lookup?signal_type=pdq&signal=\(bridgeHash)", .match), (.post, "/m/compare", .match),
            (.get, "/m/index/status", .match), (.get, "/c/banks", .curate), (.get, "/c/bank/B", .curate),
            (.post, "/c/banks", .curate), (.put, "/c/bank/B", .curate), (.delete, "/c/bank/NONE", .curate),
            (.get, "/c/bank/B/content/1", .curate), (.put, "/c/bank/B/content/1", .curate), (.delete, "/c/bank/B/content/1", .curate),
            (.post, "/c/bank/B/content", .curate), (.post, "/c/bank/B/signal", .curate), (.get, "/c/signal_type", .curate),
            (.get, "/c/signal_type/index", .curate), (.get, "/c/content_type", .curate), (.put, "/c/signal_type/pdq", .curate),
        ]
        try await node.application.test(.router) { client in
            for (method, uri, scope) in routes {
                try await client.execute(uri: uri, method: method, headers: node.headers(nil), body: jsonBody([:])) { response in
                    #expect(response.status == .unauthorized, "\(method) \(uri) without a key")
                    #expect(response.json["message"] is String, "\(method) \(uri): HMA error shape")
                }
                let readsBanks = method == .get && (uri == "/c/banks" || uri == "/c/bank/B")
                for other in Scope.allowed(for: .provider).sorted(by: { $0.rawValue < $1.rawValue })
                where other != scope && other != .admin && !(readsBanks && other == .match) {
                    try await client.execute(uri: uri, method: method, headers: node.headers(other), body: jsonBody([:])) {
                        #expect($0.status == .forbidden, "\(method) \(uri) with a \(other) key")
                        #expect($0.json["message"] is String)
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

    /// test_banks_empty_index, test_banks_create, test_banks_update, test_banks_delete.
    @Test func bankLifecycle() async throws {
        let node = try await TestNode.make()
        try await node.application.test(.router) { client in
            try await client.execute(uri: "/c/banks", method: .get, headers: node.headers(.curate)) {
                #expect($0.status == .ok)
                #expect(Self.anyJSON($0) as? [Any] != nil && (Self.anyJSON($0) as? [Any])?.isEmpty == true)
            }
            for bad in ["01_TEST_BANK", "my_test_bank"] {
                try await client.execute(uri: "/c/banks", method: .post, headers: node.headers(.curate), body: jsonBody(["name": bad])) {
                    #expect($0.status == .badRequest, "\(bad)")
                    #expect($0.json["message"] as? String == "Bank names must be UPPER_WITH_UNDERSCORE")
                }
            }
            try await Self.createBank(client, node, "MY_TEST_BANK_01")
            try await client.execute(uri: "/c/banks", method: .post, headers: node.headers(.curate), body: jsonBody(["name": "MY_TEST_BANK_01"])) {
                #expect($0.status == .forbidden)
                #expect($0.json["message"] as? String == "Bank already exists")
            }
            try await client.execute(uri: "/c/banks", method: .get, headers: node.headers(.match)) { response in
                let banks = Self.anyJSON(response) as? [[String: Any]] ?? []
                #expect(banks.count == 1)
                #expect(banks.first?["name"] as? String == "MY_TEST_BANK_01")
                #expect((banks.first?["matching_enabled_ratio"] as? NSNumber)?.doubleValue == 1.0)
            }
            try await client.execute(uri: "/c/bank/MY_TEST_BANK_01", method: .get, headers: node.headers(.curate)) {
                #expect($0.status == .ok)
                #expect($0.json["name"] as? String == "MY_TEST_BANK_01")
            }
            try await client.execute(uri: "/c/bank/NO_SUCH_BANK", method: .get, headers: node.headers(.curate)) {
                #expect($0.status == .notFound)
                #expect($0.json["message"] as? String == "bank 'NO_SUCH_BANK' not found")
            }
            // Update: name validation, then ratio changes.
            try await client.execute(
                uri: "/c/bank/MY_TEST_BANK_01", method: .put, headers: node.headers(.curate), body: jsonBody(["name": "1_invalid_name"])
            ) {
                #expect($0.status == .badRequest)
            }
            // Rename (the bank keeps its id and content), then back; a taken name is refused as on create.
            try await client.execute(
                uri: "/c/bank/MY_TEST_BANK_01", method: .put, headers: node.headers(.curate), body: jsonBody(["name": "MY_TEST_BANK_RENAMED"])
            ) {
                #expect($0.status == .ok)
                #expect($0.json["name"] as? String == "MY_TEST_BANK_RENAMED")
            }
            try await client.execute(uri: "/c/bank/MY_TEST_BANK_01", method: .get, headers: node.headers(.curate)) { #expect($0.status == .notFound) }
            try await Self.createBank(client, node, "MY_TEST_BANK_01")
            try await client.execute(
                uri: "/c/bank/MY_TEST_BANK_RENAMED", method: .put, headers: node.headers(.curate), body: jsonBody(["name": "MY_TEST_BANK_01"])
            ) {
                #expect($0.status == .forbidden)
                #expect($0.json["message"] as? String == "Bank already exists")
            }
            try await client.execute(uri: "/c/bank/MY_TEST_BANK_01", method: .delete, headers: node.headers(.curate)) { #expect($0.status == .ok) }
            try await client.execute(
                uri: "/c/bank/MY_TEST_BANK_RENAMED", method: .put, headers: node.headers(.curate), body: jsonBody(["name": "MY_TEST_BANK_01"])
            ) {
                #expect($0.status == .ok)
                #expect($0.json["name"] as? String == "MY_TEST_BANK_01")
            }
            try await client.execute(uri: "/c/bank/MY_TEST_BANK_01", method: .put, headers: node.headers(.curate), body: jsonBody(["enabled": false]))
            {
                #expect($0.status == .ok)
                #expect(($0.json["matching_enabled_ratio"] as? NSNumber)?.doubleValue == 0)
            }
            try await client.execute(
                uri: "/c/bank/MY_TEST_BANK_01", method: .put, headers: node.headers(.curate), body: jsonBody(["enabled_ratio": 0.5])
            ) {
                #expect($0.status == .ok)
                #expect(($0.json["matching_enabled_ratio"] as? NSNumber)?.doubleValue == 0.5)
                #expect($0.json["name"] as? String == "MY_TEST_BANK_01")
            }
            try await client.execute(uri: "/c/bank/NOPE", method: .put, headers: node.headers(.curate), body: jsonBody(["enabled": true])) {
                #expect($0.status == .notFound)
                #expect($0.json["message"] as? String == "Bank not found")
            }
            // Delete is idempotent in HMA.
            for _ in 0..<2 {
                try await client.execute(uri: "/c/bank/MY_TEST_BANK_01", method: .delete, headers: node.headers(.curate)) {
                    #expect($0.status == .ok)
                    #expect($0.json["message"] as? String == "Done")
                }
            }
            try await client.execute(uri: "/c/banks", method: .get, headers: node.headers(.curate)) {
                #expect((Self.anyJSON($0) as? [Any])?.isEmpty == true)
            }
        }
    }

    /// test_e2e_workflow: add signals, index status, lookup, lookup of an unknown hash.
    @Test func signalsLookupsAndIndexStatus() async throws {
        let node = try await TestNode.make()
        try await node.application.test(.router) { client in
            try await Self.createBank(client, node, "TEST_BANK")
            let hashes = [bridgeHash, Self.specimen1]
            var ids: [Int] = []
            for pdq in hashes { ids.append(try await Self.addSignal(client, node, bank: "TEST_BANK", ["pdq": pdq])) }
            #expect(ids.allSatisfy { $0 > 0 })
            try await client.execute(uri: "/m/index/status?signal_type=pdq", method: .get, headers: node.headers(.match)) { response in
                #expect(response.status == .ok)
                let pdq = response.json["pdq"] as? [String: Any] ?? [:]
                #expect(pdq["present"] as? Bool == true)
                #expect(pdq["size"] as? Int == hashes.count)
                #expect(pdq["built_to"] is Int)
                #expect(response.json.count == 1)
            }
            try await client.execute(uri: "/m/index/status", method: .get, headers: node.headers(.match)) {
                #expect(Set($0.json.keys) == ["pdq", "video_md5", "video_sha256", "vpdq"])
            }
            try await client.execute(uri: "/m/index/status?signal_type=tmk", method: .get, headers: node.headers(.match)) {
                #expect($0.status == .badRequest)
            }
            try await client.execute(uri: "/m/lookup?signal_type=pdq&signal=\(Self.specimen1)", method: .get, headers: node.headers(.match)) {
                response in
                #expect(response.status == .ok)
                let bank = response.json["TEST_BANK"] as? [[String: Any]] ?? []
                #expect(response.json.count == 1)
                #expect(bank.count == 1)
                #expect(bank.first?["bank_content_id"] as? Int == ids[1])
                #expect(bank.first?["distance"] as? String == "0")
            }
            // 9 bits away still matches at the default radius, with the distance as text.
            try await client.execute(uri: "/m/lookup?signal_type=pdq&signal=\(Self.specimen2)", method: .get, headers: node.headers(.match)) {
                #expect(($0.json["TEST_BANK"] as? [[String: Any]])?.first?["distance"] as? String == "9")
            }
            try await client.execute(
                uri: "/m/lookup?signal_type=pdq&signal=\(String(repeating: "5", count: 64))", method: .get, headers: node.headers(.match)
            ) {
                #expect($0.status == .ok)
                #expect(Self.anyJSON($0) as? [String: Any] != nil && $0.json.isEmpty)
            }
            try await client.execute(uri: "/m/lookup", method: .get, headers: node.headers(.match)) {
                #expect($0.status == .badRequest)
                #expect($0.json["message"] as? String == "Either url or both signal and signal_type are required")
            }
            // URL fetching is off unless the node allows hosts: 403, in HMA's shape.
            try await client.execute(uri: "/m/lookup?url=https://example.com/a.jpg", method: .get, headers: node.headers(.match)) {
                #expect($0.status == .forbidden)
                #expect(($0.json["message"] as? String)?.contains("URL") == true)
            }
            try await client.execute(uri: "/m/raw_lookup?signal_type=pdq&signal=banana", method: .get, headers: node.headers(.match)) {
                #expect($0.status == .badRequest)
                #expect(($0.json["message"] as? String)?.hasPrefix("invalid signal") == true)
            }
            try await client.execute(uri: "/m/raw_lookup?signal_type=tmk&signal=\(bridgeHash)", method: .get, headers: node.headers(.match)) {
                #expect($0.status == .badRequest)
                #expect($0.json["message"] as? String == "No such SignalType 'tmk'")
            }
            // test_banks_add_hash_index: raw lookup answers bare ids.
            try await client.execute(uri: "/m/raw_lookup?signal_type=pdq&signal=\(bridgeHash)", method: .get, headers: node.headers(.match)) {
                #expect($0.status == .ok)
                #expect($0.json["matches"] as? [Int] == [ids[0]])
            }
        }
    }

    /// test_match_api: the multi-bank fixture, bank filters, include_distance, video_md5.
    @Test func lookupsWithBankFilters() async throws {
        let node = try await TestNode.make()
        let md5 = "d41d8cd98f00b204e9800998ecf8427e"
        try await node.application.test(.router) { client in
            for bank in ["BANK_A", "BANK_B", "BANK_C"] {
                try await Self.createBank(client, node, bank)
                _ = try await Self.addSignal(client, node, bank: bank, ["pdq": bridgeHash])
            }
            let raw = "/m/raw_lookup?signal=\(bridgeHash)&signal_type=pdq"
            for (banks, count) in [("", 3), ("&banks=BANK_A", 1), ("&banks=BANK_A,BANK_B", 2), ("&banks=NON_EXISTENT_BANK", 0)] {
                try await client.execute(uri: raw + banks, method: .get, headers: node.headers(.match)) {
                    #expect($0.status == .ok)
                    #expect(($0.json["matches"] as? [Int])?.count == count, "\(banks)")
                }
            }
            try await client.execute(uri: raw + "&include_distance=true&banks=BANK_A,BANK_B", method: .get, headers: node.headers(.match)) {
                response in
                let matches = response.json["matches"] as? [[String: Any]] ?? []
                #expect(matches.count == 2)
                for match in matches {
                    #expect(match["bank_content_id"] is Int)
                    #expect(match["distance"] is String)
                }
            }
            let lookup = "/m/lookup?signal=\(bridgeHash)&signal_type=pdq"
            for (banks, expected) in [
                ("", ["BANK_A", "BANK_B", "BANK_C"]), ("&banks=BANK_A", ["BANK_A"]), ("&banks=BANK_A,BANK_C", ["BANK_A", "BANK_C"]),
                ("&banks=NON_EXISTENT_BANK", []),
            ] {
                try await client.execute(uri: lookup + banks, method: .get, headers: node.headers(.match)) {
                    #expect($0.status == .ok)
                    #expect(Set($0.json.keys) == Set(expected), "\(banks)")
                }
            }
            // A disabled bank is skipped by lookup but not by raw_lookup (HMA: "enable/disable status is NOT checked").
            try await client.execute(uri: "/c/bank/BANK_C", method: .put, headers: node.headers(.curate), body: jsonBody(["enabled": false])) { _ in }
            try await client.execute(uri: lookup, method: .get, headers: node.headers(.match)) {
                #expect(Set($0.json.keys) == ["BANK_A", "BANK_B"])
            }
            try await client.execute(uri: raw, method: .get, headers: node.headers(.match)) {
                #expect(($0.json["matches"] as? [Int])?.count == 3)
            }
            // video_md5 (and the md5 alias) map to Vigil's md5.
            let id = try await Self.addSignal(client, node, bank: "BANK_A", ["video_md5": md5])
            for name in ["video_md5", "md5"] {
                try await client.execute(uri: "/m/lookup?signal=\(md5)&signal_type=\(name)", method: .get, headers: node.headers(.match)) {
                    #expect(($0.json["BANK_A"] as? [[String: Any]])?.first?["bank_content_id"] as? Int == id)
                    // python-threatexchange prints an exact match's distance as "-", as HMA answers.
                    #expect(($0.json["BANK_A"] as? [[String: Any]])?.first?["distance"] as? String == "-")
                }
            }
        }
    }

    /// test_compare_hashes, with its malformed inputs.
    @Test func compare() async throws {
        let node = try await TestNode.make()
        try await node.application.test(.router) { client in
            try await client.execute(
                uri: "/m/compare", method: .post, headers: node.headers(.match), body: jsonBody(["pdq": [Self.specimen1, Self.specimen2]])
            ) { response in
                #expect(response.status == .ok)
                let pdq = response.json["pdq"] as? [Any] ?? []
                #expect(pdq.count == 2)
                #expect(pdq.first as? Bool == true)
                #expect((pdq.last as? [String: Any])?["distance"] as? Int == 9)
            }
            try await client.execute(
                uri: "/m/compare", method: .post, headers: node.headers(.match),
                body: jsonBody(["video_md5": ["d41d8cd98f00b204e9800998ecf8427e", "d41d8cd98f00b204e9800998ecf8427f"]])
            ) { response in
                let md5 = response.json["video_md5"] as? [Any] ?? []
                #expect(md5.first as? Bool == false)
                #expect((md5.last as? [String: Any])?.isEmpty == true)
            }
            let bad: [Any] = [
                ["banana"], ["pdq": "banana"], ["pdq": [String]()], ["pdq": ["banana", "banana"]],
                ["pdq": [Self.specimen1, Self.specimen2, Self.specimen1]], ["tmk": [Self.specimen1, Self.specimen2]],
            ]
            for input in bad {
                try await client.execute(uri: "/m/compare", method: .post, headers: node.headers(.match), body: jsonBody(input)) {
                    #expect($0.status == .badRequest, "\(input)")
                    #expect($0.json["message"] is String)
                }
            }
        }
    }

    /// test_bank_get_content, _404, _with_signals, test_banks_delete_content, test_bank_update_content.
    @Test func bankContent() async throws {
        let node = try await TestNode.make()
        try await node.application.test(.router) { client in
            try await client.execute(uri: "/c/bank/TEST_BANK_GET/content/1", method: .get, headers: node.headers(.curate)) {
                #expect($0.status == .notFound)
            }
            try await Self.createBank(client, node, "TEST_BANK_GET")
            try await client.execute(uri: "/c/bank/TEST_BANK_GET/content/1", method: .get, headers: node.headers(.curate)) {
                #expect($0.status == .notFound)
                #expect($0.json["message"] as? String == "content '1' not found")
            }
            var id = -1
            try await client.execute(
                uri: "/c/bank/TEST_BANK_GET/signal", method: .post, headers: node.headers(.curate),
                body: jsonBody(["pdq": bridgeHash, "note": "Reported by user X"])
            ) {
                #expect($0.status == .ok)
                id = $0.json["id"] as? Int ?? -1
            }
            try await client.execute(uri: "/c/bank/TEST_BANK_GET/content/\(id)", method: .get, headers: node.headers(.curate)) { response in
                #expect(response.status == .ok)
                #expect(response.json["id"] as? Int == id)
                #expect(response.json["disable_until_ts"] as? Int == 1)
                #expect(response.json.keys.contains("original_media_uri"))
                #expect(response.json["original_media_uri"] is NSNull)
                let bank = response.json["bank"] as? [String: Any] ?? [:]
                #expect(bank["name"] as? String == "TEST_BANK_GET")
                #expect(bank["matching_enabled_ratio"] is NSNumber)
                #expect(response.json["signals"] == nil)
                #expect(response.json["note"] as? String == "Reported by user X")
            }
            try await client.execute(uri: "/c/bank/TEST_BANK_GET/content/\(id)?include_signals=true", method: .get, headers: node.headers(.curate)) {
                #expect($0.json["signals"] as? [String: String] == ["pdq": bridgeHash])
            }
            // test_bank_update_content: a disabled content stops matching (raw_lookup still sees it),
            // and disable_until_ts 1 enables it again.
            let until = Int(Date().timeIntervalSince1970) + 86_400
            try await client.execute(
                uri: "/c/bank/TEST_BANK_GET/content/\(id)", method: .put, headers: node.headers(.curate), body: jsonBody(["disable_until_ts": until])
            ) {
                #expect($0.status == .ok)
                #expect($0.json["disable_until_ts"] as? Int == until)
            }
            try await client.execute(uri: "/c/bank/TEST_BANK_GET/content/\(id)", method: .get, headers: node.headers(.curate)) {
                #expect($0.json["disable_until_ts"] as? Int == until)
            }
            try await client.execute(uri: "/m/lookup?signal_type=pdq&signal=\(bridgeHash)", method: .get, headers: node.headers(.match)) {
                #expect(($0.json["TEST_BANK_GET"] as? [Any]) == nil)
            }
            try await client.execute(uri: "/m/raw_lookup?signal_type=pdq&signal=\(bridgeHash)", method: .get, headers: node.headers(.match)) {
                #expect(($0.json["matches"] as? [Int]) == [id])
            }
            // A bad field refuses the whole update (the note below is not written either).
            for body in [
                ["disable_until_ts": -5, "note": "x"], ["disable_until_ts": until + 6 * 365 * 86_400], ["note": String(repeating: "n", count: 256)],
                ["note": 5],
            ] as [[String: Any]] {
                try await client.execute(
                    uri: "/c/bank/TEST_BANK_GET/content/\(id)", method: .put, headers: node.headers(.curate), body: jsonBody(body)
                ) {
                    #expect($0.status == .badRequest, "\(body)")
                    #expect($0.json["message"] is String)
                }
            }
            try await client.execute(
                uri: "/c/bank/TEST_BANK_GET/content/\(id)", method: .put, headers: node.headers(.curate),
                body: jsonBody(["disable_until_ts": 1, "note": "Checked again by analyst 4"])
            ) {
                #expect($0.json["disable_until_ts"] as? Int == 1)
                #expect($0.json["note"] as? String == "Checked again by analyst 4")
            }
            try await client.execute(uri: "/c/bank/TEST_BANK_GET/content/\(id)", method: .get, headers: node.headers(.curate)) {
                #expect($0.json["note"] as? String == "Checked again by analyst 4")
            }
            try await client.execute(uri: "/m/lookup?signal_type=pdq&signal=\(bridgeHash)", method: .get, headers: node.headers(.match)) {
                #expect(($0.json["TEST_BANK_GET"] as? [Any])?.count == 1)
            }
            try await client.execute(uri: "/c/bank/TEST_BANK_GET/content/\(id)", method: .delete, headers: node.headers(.curate)) {
                #expect($0.status == .ok)
                #expect($0.json["deleted"] as? Int == 1)
            }
            try await client.execute(uri: "/c/bank/TEST_BANK_GET/content/\(id)", method: .delete, headers: node.headers(.curate)) {
                #expect($0.json["deleted"] as? Int == 0)
            }
            try await client.execute(uri: "/m/raw_lookup?signal_type=pdq&signal=\(bridgeHash)", method: .get, headers: node.headers(.match)) {
                #expect(($0.json["matches"] as? [Int])?.isEmpty == true)
            }
            // Signal form errors.
            let cases: [([String: Any], String?)] = [
                ([:], "No signals given"), (["tmk": bridgeHash], "No such signal type tmk"), (["pdq": "banana"], nil),
            ]
            for (body, message) in cases {
                try await client.execute(uri: "/c/bank/TEST_BANK_GET/signal", method: .post, headers: node.headers(.curate), body: jsonBody(body)) {
                    #expect($0.status == .badRequest)
                    if let message { #expect($0.json["message"] as? String == message) }
                }
            }
            try await client.execute(uri: "/c/bank/NOPE/signal", method: .post, headers: node.headers(.curate), body: jsonBody(["pdq": bridgeHash])) {
                #expect($0.status == .notFound)
            }
        }
    }

    /// Hashing and banking uploads (multipart, field named for the content type); `url=` is refused
    /// while the node allows no hosts.
    @Test func uploadsHashLookAndBank() async throws {
        let node = try await TestNode.make()
        let photo = try Self.photo()
        try await node.application.test(.router) { client in
            var pdq = ""
            try await client.execute(
                uri: "/h/hash", method: .post, headers: Self.multipartHeaders(node, .hash), body: Self.multipart([("photo", "a.jpg", photo)])
            ) {
                #expect($0.status == .ok)
                pdq = $0.json["pdq"] as? String ?? ""
                #expect(pdq.count == 64)
                #expect($0.json.count == 1)
            }
            try await client.execute(
                uri: "/h/hash", method: .post, headers: Self.multipartHeaders(node, .hash),
                body: Self.multipart([("video", "v.mp4", Array("hello".utf8))])
            ) {
                // A video is hashed into video_md5 and vpdq; bytes that are no video cannot give the
                // vpdq, and the answer says so rather than leaving the signal out.
                #expect($0.status == .unsupportedMediaType)
                #expect(($0.json["message"] as? String ?? "").contains("not an MP4"), "\(Self.text($0))")
            }
            try await client.execute(
                uri: "/h/hash?types=video_md5", method: .post, headers: Self.multipartHeaders(node, .hash),
                body: Self.multipart([("video", "v.mp4", Array("hello".utf8))])
            ) {
                #expect($0.json["video_md5"] as? String == "5d41402abc4b2a76b9719d911017c592")
            }
            try await client.execute(
                uri: "/h/hash", method: .post, headers: Self.multipartHeaders(node, .hash), body: Self.multipart([("file", "a.jpg", photo)])
            ) {
                #expect($0.status == .badRequest)
                #expect($0.json["message"] as? String == "no such content_type: 'file'")
            }
            try await client.execute(
                uri: "/h/hash", method: .post, headers: Self.multipartHeaders(node, .hash),
                body: Self.multipart([("photo", "a.jpg", photo), ("photo", "b.jpg", photo)])
            ) {
                #expect($0.json["message"] as? String == "Only one file allowed per request")
            }
            try await client.execute(uri: "/h/hash", method: .post, headers: node.headers(.hash), body: jsonBody([:])) {
                #expect($0.status == .badRequest)
                #expect($0.json["message"] as? String == "Missing multipart/form-data file upload")
            }
            try await client.execute(uri: "/h/hash?url=https://example.com/a.jpg&content_type=photo", method: .get, headers: node.headers(.hash)) {
                #expect($0.status == .forbidden)
                #expect(($0.json["message"] as? String)?.contains("URL") == true)
            }
            // Bank the upload with metadata and a note, then look the file up.
            try await Self.createBank(client, node, "NEW_BANK")
            try await client.execute(
                uri: "/c/bank/NEW_BANK/content?url=https://example.com/a.jpg&content_type=photo", method: .post, headers: node.headers(.curate),
                body: jsonBody(["metadata": ["content_id": "1197433091"]])
            ) {
                #expect($0.status == .forbidden)
                #expect($0.json["message"] is String)
            }
            try await client.execute(uri: "/c/bank/NEW_BANK/content", method: .post, headers: node.headers(.curate), body: jsonBody([:])) {
                #expect($0.json["message"] as? String == "Neither `url` nor multipart file upload was received")
            }
            try await client.execute(
                uri: "/c/bank/NEW_BANK/content", method: .post, headers: Self.multipartHeaders(node, .curate),
                body: Self.multipart([("photo", "a.jpg", photo), ("metadata", nil, Array(#"{"invalid_metadata": 5}"#.utf8))])
            ) {
                #expect($0.status == .badRequest)
            }
            var id = -1
            try await client.execute(
                uri: "/c/bank/NEW_BANK/content", method: .post, headers: Self.multipartHeaders(node, .curate),
                body: Self.multipart([
                    ("photo", "a.jpg", photo), ("metadata", nil, Array(#"{"content_id": "1197433091", "json": {"asdf": {}}}"#.utf8)),
                    ("note", nil, Array("Reported by user X".utf8)),
                ])
            ) { response in
                #expect(response.status == .ok)
                id = response.json["id"] as? Int ?? -1
                #expect(response.json["signals"] as? [String: String] == ["pdq": pdq])
            }
            try await client.execute(uri: "/c/bank/NEW_BANK/content/\(id)", method: .get, headers: node.headers(.curate)) {
                #expect(($0.json["metadata"] as? [String: Any])?["content_id"] as? String == "1197433091")
                #expect($0.json["note"] as? String == "Reported by user X")
            }
            try await client.execute(uri: "/c/bank/NEW_BANK/content/\(id)?include_metadata=false", method: .get, headers: node.headers(.curate)) {
                #expect($0.json["metadata"] == nil)
            }
            try await client.execute(
                uri: "/m/lookup", method: .post, headers: Self.multipartHeaders(node, .match), body: Self.multipart([("photo", "a.jpg", photo)])
            ) { response in
                #expect(response.status == .ok)
                let byBank = response.json["pdq"] as? [String: Any] ?? [:]
                #expect(((byBank["NEW_BANK"] as? [[String: Any]])?.first)?["bank_content_id"] as? Int == id)
            }
        }
    }

    @Test func signalAndContentTypeConfiguration() async throws {
        let node = try await TestNode.make()
        try await node.application.test(.router) { client in
            try await client.execute(uri: "/c/signal_type", method: .get, headers: node.headers(.curate)) { response in
                let types = Self.anyJSON(response) as? [[String: Any]] ?? []
                #expect(types.compactMap { $0["name"] as? String } == ["pdq", "video_md5", "video_sha256", "vpdq"])
                #expect(types.allSatisfy { $0["enabled_ratio"] is NSNumber })
            }
            // Stored and read back as HMA does; a negative ratio disables the type for lookups and hashing.
            try await client.execute(uri: "/c/signal_type/pdq", method: .put, headers: node.headers(.curate), body: jsonBody(["enabled_ratio": 0.5]))
            {
                #expect($0.status == .noContent)
            }
            try await client.execute(uri: "/c/signal_type", method: .get, headers: node.headers(.curate)) { response in
                let types = Self.anyJSON(response) as? [[String: Any]] ?? []
                #expect((types.first { $0["name"] as? String == "pdq" }?["enabled_ratio"] as? NSNumber)?.doubleValue == 0.5)
                #expect((types.first { $0["name"] as? String == "video_sha256" }?["enabled_ratio"] as? NSNumber)?.doubleValue == 1)
            }
            for (uri, body) in [
                ("/c/signal_type/tmk", jsonBody(["enabled_ratio": 1])), ("/c/signal_type/pdq", jsonBody([:])),
                ("/c/signal_type/pdq", jsonBody(["enabled_ratio": "lots"])),
            ] {
                try await client.execute(uri: uri, method: .put, headers: node.headers(.curate), body: body) {
                    #expect($0.status == .badRequest, "\(uri)")
                    #expect($0.json["message"] is String)
                }
            }
            try await client.execute(uri: "/m/lookup?signal_type=pdq&signal=\(bridgeHash)", method: .get, headers: node.headers(.match)) {
                #expect($0.status == .ok)
            }
            try await client.execute(uri: "/c/signal_type/pdq", method: .put, headers: node.headers(.curate), body: jsonBody(["enabled_ratio": "-1"]))
            {
                #expect($0.status == .noContent)
            }
            try await client.execute(uri: "/m/lookup?signal_type=pdq&signal=\(bridgeHash)", method: .get, headers: node.headers(.match)) {
                #expect($0.status == .badRequest)
                #expect($0.json["message"] as? String == "SignalType 'pdq' is not enabled")
            }
            let photo = try Self.photo()
            try await client.execute(
                uri: "/h/hash", method: .post, headers: Self.multipartHeaders(node, .hash), body: Self.multipart([("photo", "a.jpg", photo)])
            ) {
                #expect($0.json["pdq"] == nil)
            }
            try await client.execute(uri: "/c/signal_type/pdq", method: .put, headers: node.headers(.curate), body: jsonBody(["enabled_ratio": 1])) {
                #expect($0.status == .noContent)
            }
            try await client.execute(
                uri: "/h/hash", method: .post, headers: Self.multipartHeaders(node, .hash), body: Self.multipart([("photo", "a.jpg", photo)])
            ) {
                #expect($0.json["pdq"] is String)
            }
            try await client.execute(uri: "/c/content_type", method: .get, headers: node.headers(.curate)) { response in
                let types = Self.anyJSON(response) as? [[String: Any]] ?? []
                #expect(types.compactMap { $0["name"] as? String } == ["photo", "video"])
                #expect(types.allSatisfy { $0["enabled"] as? Bool == true })
            }
            try await client.execute(uri: "/c/signal_type/index?signal_type=pdq", method: .get, headers: node.headers(.curate)) { response in
                let pdq = response.json["pdq"] as? [String: Any] ?? [:]
                #expect(Set(pdq.keys) == ["db_size", "index_size", "index_out_of_date", "newest_db_item", "index_built_to"])
                #expect(pdq["index_out_of_date"] as? Bool == false)
            }
        }
    }

    /// A loopback content server for the `url=` forms.
    static func serve(port: AsyncStream<Int>.Continuation) async throws {
        let image = try photo()
        let router = Router()
        router.get("img.jpg") { _, _ in
            Response(status: .ok, headers: [.contentType: "image/jpeg"], body: .init(byteBuffer: ByteBuffer(bytes: image)))
        }
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in port.yield(channel.localAddress?.port ?? 0) })
        try await app.runService(gracefulShutdownSignals: [])
    }

    /// test_banks_add_content, test_lookup_success (GET), hash_media: the `url=` forms on a node
    /// that allows the host.
    @Test func urlFormsWithAnAllowedHost() async throws {
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let server = Task { try await Self.serve(port: continuation) }
        defer { server.cancel() }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        let node = try await TestNode.make(
            settings: ServerSettings(maxBodyBytes: 1 << 20, urlFetch: URLFetchPolicy(allowedHosts: ["127.0.0.1"], allowPrivate: true)))
        let imageURL = "http://127.0.0.1:\(port)/img.jpg"
        try await node.application.test(.router) { client in
            var pdq = ""
            try await client.execute(uri: "/h/hash?url=\(imageURL)", method: .get, headers: node.headers(.hash)) {
                #expect($0.status == .ok)
                pdq = $0.json["pdq"] as? String ?? ""
                #expect(pdq.count == 64)
            }
            try await Self.createBank(client, node, "NEW_BANK")
            var id = -1
            try await client.execute(
                uri: "/c/bank/NEW_BANK/content?url=\(imageURL)&content_type=photo", method: .post, headers: node.headers(.curate),
                body: jsonBody([
                    "metadata": ["content_id": "ext-id-123", "content_uri": "https://example.com/item/123"], "note": "Reported by user X",
                ])
            ) { response in
                #expect(response.status == .ok)
                id = response.json["id"] as? Int ?? -1
                #expect(response.json["signals"] as? [String: String] == ["pdq": pdq])
            }
            try await client.execute(uri: "/c/bank/NEW_BANK/content/\(id)", method: .get, headers: node.headers(.curate)) {
                #expect(($0.json["metadata"] as? [String: Any])?["content_id"] as? String == "ext-id-123")
                #expect($0.json["note"] as? String == "Reported by user X")
            }
            try await client.execute(uri: "/m/lookup?url=\(imageURL)", method: .get, headers: node.headers(.match)) { response in
                #expect(response.status == .ok)
                #expect(((response.json["pdq"] as? [String: Any])?["NEW_BANK"] as? [[String: Any]])?.first?["bank_content_id"] as? Int == id)
            }
            try await client.execute(uri: "/m/lookup?url=\(imageURL)&signal_type=pdq", method: .get, headers: node.headers(.match)) {
                #expect(($0.json["NEW_BANK"] as? [Any])?.count == 1)
            }
            // Off the allow-list: HMA's 400 and words.
            try await client.execute(uri: "/h/hash?url=http://example.com/a.jpg", method: .get, headers: node.headers(.hash)) {
                #expect($0.status == .badRequest)
                #expect(($0.json["message"] as? String)?.hasPrefix("Invalid or unsafe URL provided") == true)
                #expect($0.json["message"] is String)
            }
        }
    }
}
