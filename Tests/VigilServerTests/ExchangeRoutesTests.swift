import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import VigilCentre
import VigilDomain
import VigilExchange
import VigilMatching
import VigilStore
import VigilTestSupport

@testable import VigilServer

/// `/v1/exchanges` and HMA's `/c/exchange…` routes over the same service (the credential never
/// shown), the upstream-id rule on file imports (NCMEC sending an entry again), and a
/// Vigil-to-Vigil pull from a second node served over HTTP in the test.
@Suite("Exchange routes and Vigil-to-Vigil", .serialized)
struct ExchangeRoutesTests {
    static func folder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-exchange-routes-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// A node with an `admin` key too.
    static func node() async throws -> (TestNode, admin: String) {
        let test = try await TestNode.make()
        let admin = try await test.store.createKey(organisation: "Test admin", scopes: [.admin], label: "").secret
        return (test, admin)
    }

    static func headers(_ key: String) -> HTTPFields {
        [.authorization: "Bearer " + key, .contentType: "application/json"]
    }

    @Test func v1RoutesCreateShowChangeFetchAndDeleteWithoutEverShowingTheCredential() async throws {
        let (test, admin) = try await Self.node()
        let folder = try Self.folder()
        _ = try await test.store.createList(HashList(name: "shared", kind: .knownAbuseMaterial))
        try await test.application.test(.router) { client in
            // Creating needs admin; curate may read.
            let body = jsonBody([
                "name": "drop", "kind": "file", "list": "shared", "settings": ["folder": folder], "credential": "s3cret-token",
                "interval_seconds": 60,
            ])
            try await client.execute(uri: "/v1/exchanges", method: .post, headers: test.headers(.curate), body: body) { response in
                #expect(response.status == .forbidden)
            }
            try await client.execute(uri: "/v1/exchanges", method: .post, headers: Self.headers(admin), body: body) { response in
                #expect(response.status == .created)
                #expect(response.json["name"] as? String == "drop" && response.json["has_credential"] as? Bool == true)
                #expect(!String(buffer: response.body).contains("s3cret"))
            }
            try await client.execute(uri: "/v1/exchanges", method: .post, headers: Self.headers(admin), body: body) { response in
                #expect(response.status == .conflict && response.errorCode == "exchange_exists")
            }
            // Bad kinds and settings are 400s naming the problem; a missing list is a 404.
            for (bad, code, mention) in [
                (["name": "x", "kind": "ftp", "list": "shared"], "invalid_exchange", "ftp"),
                (["name": "x", "kind": "file", "list": "shared", "settings": ["fodler": folder]], "invalid_exchange", "fodler"),
                (["name": "x", "kind": "file", "list": "nope", "settings": ["folder": folder]], "unknown_list", "nope"),
            ] as [([String: Any], String, String)] {
                try await client.execute(uri: "/v1/exchanges", method: .post, headers: Self.headers(admin), body: jsonBody(bad)) { response in
                    #expect(response.errorCode == code && String(buffer: response.body).contains(mention), "\(bad)")
                }
            }
            try await client.execute(uri: "/v1/exchanges/drop", method: .get, headers: test.headers(.curate)) { response in
                #expect(response.status == .ok)
                let status = try #require(response.json["status"] as? [String: Any])
                #expect(status["running"] as? Bool == false && status["fetched_items"] as? Int == 0 && status["up_to_date"] as? Bool == false)
                #expect(!String(buffer: response.body).contains("s3cret"))
            }
            try await client.execute(
                uri: "/v1/exchanges/drop", method: .patch, headers: Self.headers(admin), body: jsonBody(["enabled": false, "credential": ""])
            ) { response in
                #expect(response.status == .ok && response.json["enabled"] as? Bool == false && response.json["has_credential"] as? Bool == false)
            }
            try await client.execute(uri: "/v1/exchanges/drop/fetch", method: .post, headers: test.headers(.curate)) { response in
                #expect(response.status == .accepted)
            }
            try await client.execute(uri: "/v1/exchanges", method: .get, headers: test.headers(.curate)) { response in
                #expect((response.json["exchanges"] as? [[String: Any]])?.map { $0["name"] as? String } == ["drop"])
            }
            try await client.execute(uri: "/v1/exchange-kinds", method: .get, headers: test.headers(.curate)) { response in
                let kinds = (response.json["kinds"] as? [[String: Any]])?.compactMap { $0["kind"] as? String } ?? []
                #expect(kinds.contains("file") && kinds.contains("vigil"))
            }
            try await client.execute(uri: "/v1/exchanges/drop", method: .delete, headers: Self.headers(admin)) { response in
                #expect(response.status == .noContent)
            }
            try await client.execute(uri: "/v1/exchanges/drop", method: .get, headers: test.headers(.curate)) { response in
                #expect(response.status == .notFound && response.errorCode == "unknown_exchange")
            }
        }
        // Every change is in the audit trail.
        let actions = try await test.store.auditEvents(after: 0, limit: 100).map(\.event.action)
        #expect(actions.filter { $0.hasPrefix("exchange.") } == ["exchange.create", "exchange.update", "exchange.fetch-now", "exchange.delete"])
    }

    @Test func hmaRoutesAnswerInHMAsShapes() async throws {
        let (test, admin) = try await Self.node()
        let folder = try Self.folder()
        try await test.application.test(.router) { client in
            try await client.execute(uri: "/c/exchanges/apis", method: .get, headers: test.headers(.curate)) { response in
                let apis = (try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))) as? [String] ?? []
                #expect(apis.contains("file") && apis.contains("vigil"))
            }
            let create = jsonBody(["bank": "DROP_FOLDER", "api": "file", "api_json": ["folder": folder, "page_size": 100]])
            try await client.execute(uri: "/c/exchanges", method: .post, headers: Self.headers(admin), body: create) { response in
                #expect(response.status == .created && response.json["message"] as? String == "Created successfully")
            }
            // HMA's refusals, with its messages.
            for (body, message) in [
                (["bank": "lower", "api": "file", "api_json": ["folder": folder]], "Field `bank` must match /^[A-Z0-9_]+$/"),
                (["bank": "OTHER", "api": "nope", "api_json": [:]], "No such exchange type 'nope'"),
                (["bank": "OTHER", "api_json": [:]], "Field `api_type` is required"),
                (["bank": "OTHER", "api": "file", "api_json": "x"], "Field `api_json` must be object"),
                (["api": "file"], "bank is required"),
            ] as [([String: Any], String)] {
                try await client.execute(uri: "/c/exchanges", method: .post, headers: Self.headers(admin), body: jsonBody(body)) { response in
                    #expect(response.status == .badRequest && response.json["message"] as? String == message, "\(body)")
                }
            }
            try await client.execute(uri: "/c/exchanges", method: .get, headers: test.headers(.curate)) { response in
                #expect(String(buffer: response.body) == #"["DROP_FOLDER"]"#)
            }
            try await client.execute(uri: "/c/exchange/DROP_FOLDER", method: .get, headers: test.headers(.curate)) { response in
                #expect(response.json["name"] as? String == "DROP_FOLDER" && response.json["api"] as? String == "file")
                #expect(response.json["enabled"] as? Bool == true && response.json["page_size"] as? String == "100")
            }
            try await client.execute(uri: "/c/exchange/DROP_FOLDER/status", method: .get, headers: test.headers(.curate)) { response in
                let keys = Set(response.json.keys)
                #expect(
                    keys == [
                        "checkpoint_ts", "running_fetch_start_ts", "last_fetch_complete_ts", "last_fetch_succeeded", "up_to_date", "fetched_items",
                    ])
                #expect(response.json["fetched_items"] as? Int == 0 && response.json["up_to_date"] as? Bool == false)
            }
            try await client.execute(
                uri: "/c/exchange/DROP_FOLDER", method: .put, headers: Self.headers(admin), body: jsonBody(["enabled": false])
            ) { response in
                #expect(response.status == .ok && response.json["enabled"] as? Bool == false)
            }
            try await client.execute(uri: "/c/exchange/NOPE", method: .get, headers: test.headers(.curate)) { response in
                #expect(response.status == .notFound && response.json["message"] as? String == "Exchange 'NOPE' not found")
            }
            // The bank was created with the exchange, and stays when it is deleted.
            try await client.execute(uri: "/c/exchange/DROP_FOLDER", method: .delete, headers: Self.headers(admin)) { response in
                #expect(response.status == .ok && response.json["message"] as? String == "Exchange deleted")
            }
            try await client.execute(uri: "/c/bank/DROP_FOLDER", method: .get, headers: test.headers(.curate)) { response in
                #expect(response.status == .ok)
            }
        }
    }

    /// HMA's per-API credential (`POST /c/exchanges/api/{api}`, as HMA's own `test_exchange_api_set_auth`
    /// checks it) and Vigil's `PUT /v1/exchange-kinds/{kind}/credentials`: set, read back only as
    /// "set", removed; sealed in the store, never in an answer.
    @Test func aCredentialPerKindIsSetReadBackOnlyAsSetAndRemoved() async throws {
        let (test, admin) = try await Self.node()
        try await test.application.test(.router) { client in
            try await client.execute(uri: "/c/exchanges/api/vigil", method: .get, headers: test.headers(.curate)) { response in
                #expect(response.json["supports_authentification"] as? Bool == true && response.json["has_set_authentification"] as? Bool == false)
            }
            let key = "vk_peer-key-0000000000"
            let set = jsonBody(["credential_json": ["api_key": key]])
            try await client.execute(uri: "/c/exchanges/api/vigil", method: .post, headers: test.headers(.curate), body: set) { response in
                #expect(response.status == .forbidden)
            }
            try await client.execute(uri: "/c/exchanges/api/vigil", method: .post, headers: Self.headers(admin), body: set) { response in
                #expect(response.status == .ok && response.json["has_set_authentification"] as? Bool == true)
                #expect(!String(buffer: response.body).contains(key))
            }
            try await client.execute(uri: "/c/exchanges/api/vigil", method: .get, headers: test.headers(.curate)) { response in
                #expect(response.json["has_set_authentification"] as? Bool == true)
            }
            // No credential_json: nothing changes. A wrong shape or field, a kind without credentials: 400 naming it.
            try await client.execute(uri: "/c/exchanges/api/vigil", method: .post, headers: Self.headers(admin), body: jsonBody(["x": 1])) {
                response in
                #expect(response.status == .ok && response.json["has_set_authentification"] as? Bool == true)
            }
            for (api, body, mention) in [
                ("vigil", ["credential_json": ["token": "x"]], "token"),
                ("vigil", ["credential_json": ["api_key": ""]], "api_key"),
                ("vigil", ["credential_json": "abc"], "object"),
                ("sample", ["credential_json": ["api_key": "x"]], "sample"),
                ("nope", ["credential_json": [String: Any]()], "nope"),
            ] as [(String, [String: Any], String)] {
                try await client.execute(uri: "/c/exchanges/api/\(api)", method: .post, headers: Self.headers(admin), body: jsonBody(body)) {
                    response in
                    #expect(response.status == .badRequest && (response.json["message"] as? String ?? "").contains(mention), "\(api) \(body)")
                }
            }
            // The store holds it sealed, bound to the kind: opened, it is the key.
            let sealed = try #require(try await test.store.exchangeKindCredentials()["vigil"])
            #expect(Data(sealed.ciphertext).range(of: Data(key.utf8)) == nil)
            #expect(try #require(test.node.secrets).openSecret(sealed, context: "exchange-kind:vigil") == key)
            // Unset with {}, as HMA.
            try await client.execute(
                uri: "/c/exchanges/api/vigil", method: .post, headers: Self.headers(admin), body: jsonBody(["credential_json": [String: Any]()])
            ) { response in
                #expect(response.status == .ok && response.json["has_set_authentification"] as? Bool == false)
            }
            // Vigil's route: set and remove, never echoed; the kinds list says so.
            let put = jsonBody(["credential": key])
            try await client.execute(uri: "/v1/exchange-kinds/vigil/credentials", method: .put, headers: test.headers(.curate), body: put) {
                response in
                #expect(response.status == .forbidden)
            }
            try await client.execute(uri: "/v1/exchange-kinds/vigil/credentials", method: .put, headers: Self.headers(admin), body: put) { response in
                #expect(response.status == .ok && response.json["has_credential"] as? Bool == true)
                #expect(!String(buffer: response.body).contains(key))
            }
            try await client.execute(uri: "/v1/exchange-kinds", method: .get, headers: test.headers(.curate)) { response in
                let kinds = (response.json["kinds"] as? [[String: Any]]) ?? []
                let vigil = kinds.first { $0["kind"] as? String == "vigil" }
                let file = kinds.first { $0["kind"] as? String == "file" }
                #expect(vigil?["has_credential"] as? Bool == true && vigil?["takes_credential"] as? Bool == true)
                #expect(file?["takes_credential"] as? Bool == false && file?["has_credential"] as? Bool == false)
                #expect(!String(buffer: response.body).contains(key))
            }
            for (kind, status) in [("file", HTTPResponse.Status.badRequest), ("nope", .badRequest)] {
                try await client.execute(
                    uri: "/v1/exchange-kinds/\(kind)/credentials", method: .put, headers: Self.headers(admin), body: jsonBody(["credential": "x"])
                ) { response in
                    #expect(response.status == status && response.errorCode == "invalid_exchange", "\(kind)")
                }
            }
            try await client.execute(
                uri: "/v1/exchange-kinds/vigil/credentials", method: .put, headers: Self.headers(admin), body: jsonBody(["credential": ""])
            ) { response in
                #expect(response.status == .ok && response.json["has_credential"] as? Bool == false)
            }
        }
        let actions = try await test.store.auditEvents(after: 0, limit: 100).map(\.event.action)
        #expect(actions.filter { $0 == "exchange-kind.credential" }.count == 4)
    }

    /// An exchange without a credential of its own fetches with its kind's: a `vigil` exchange with
    /// none is refused by the source node, then fetches once the kind's credential is the source's key;
    /// an exchange's own credential goes first.
    @Test func anExchangeWithoutItsOwnCredentialUsesItsKinds() async throws {
        let source = try await TestNode.make()
        _ = try await source.store.createList(HashList(name: "known", kind: .knownAbuseMaterial))
        var generator = SplitMix64(seed: 11)
        _ = try await source.store.apply((0..<10).map { _ in IndicatorRecord(type: .pdq, value: generator.hex(bytes: 32)) }, toList: "known")
        let peer = try await source.store.createOrganisation(NewOrganisation(name: "Peer provider", kind: .provider))
        let key = try await source.store.createKey(organisationId: peer.id, scopes: [.curate], label: "exchange").secret
        try await source.application.test(.live) { sourceClient in
            let port = try #require(sourceClient.port)
            let puller = try await TestNode.make()
            let node = puller.node
            _ = try await puller.store.createList(HashList(name: "from-centre", kind: .knownAbuseMaterial))
            let service = ExchangeService(node: node)
            let settings = ["url": "http://127.0.0.1:\(port)", "list": "known"]
            _ = try await service.create(.init(name: "centre", kind: "vigil", list: "from-centre", settings: settings), by: .system)
            let fetcher = ExchangeFetcher(node: node, settings: ExchangeFetchSettings(owner: "puller"))
            guard case .failed(_, let refused, _) = try await fetcher.fetch(named: "centre", force: true) else {
                Issue.record("fetched without a credential")
                return
            }
            #expect(refused.contains("credential"), "\(refused)")
            #expect(try await service.setKindCredential(key, kind: "vigil", by: .system))
            #expect(try await fetcher.fetch(named: "centre", force: true) == .fetched(pages: 1, items: 10, upToDate: true))
            // Its own (a wrong one) goes first.
            _ = try await service.update(named: "centre", .init(credential: .some("vk_wrong")), by: .system)
            guard case .failed(_, let wrong, _) = try await fetcher.fetch(named: "centre", force: true) else {
                Issue.record("the exchange's own credential was not used")
                return
            }
            #expect(wrong.contains("credential"), "\(wrong)")
        }
    }

    /// HMA's `sample` exchange created through `/c/exchanges` with an empty `api_json`, fetched, and
    /// its examples looked up through HMA's `/m/lookup` (as HMA's own `test_lookups` does).
    @Test func theSampleExchangeFillsItsBankWithPythonThreatExchangesExamples() async throws {
        var settings = TestNode.defaultSettings
        settings.hmaSignalTypes = [.pdq, .md5]
        let test = try await TestNode.make(settings: settings)
        let admin = try await test.store.createKey(organisation: "Test admin", scopes: [.admin], label: "").secret
        try await test.application.test(.router) { client in
            try await client.execute(uri: "/c/exchanges/api/sample", method: .get, headers: test.headers(.curate)) { response in
                #expect(response.json["supports_authentification"] as? Bool == false && response.json["has_set_authentification"] as? Bool == false)
            }
            let create = jsonBody(["bank": "SAMPLE", "api": "sample", "api_json": [String: Any]()])
            try await client.execute(uri: "/c/exchanges", method: .post, headers: Self.headers(admin), body: create) { response in
                #expect(response.status == .created)
            }
            let fetcher = ExchangeFetcher(node: test.node, settings: ExchangeFetchSettings(owner: "test"))
            #expect(try await fetcher.fetch(named: "SAMPLE") == .fetched(pages: 1, items: 18, upToDate: true))
            #expect(try await fetcher.fetch(named: "SAMPLE", force: true) == .fetched(pages: 1, items: 0, upToDate: true))
            _ = try await test.engine.catchUp()
            for (type, signal) in [
                ("pdq", "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"), ("video_md5", "cab08b36195edb1a1231d2d09fa450e0"),
            ] {
                try await client.execute(
                    uri: "/m/lookup?signal_type=\(type)&signal=\(signal)", method: .get, headers: test.headers(.match)
                ) { response in
                    #expect(response.status == .ok)
                    #expect(Array(response.json.keys) == ["SAMPLE"] && ((response.json["SAMPLE"] as? [Any])?.count ?? 0) >= 1, "\(type)")
                }
            }
            // The node's HMA types are pdq and video_md5 here: video_sha256 is neither listed nor fetched.
            try await client.execute(uri: "/c/signal_type", method: .get, headers: test.headers(.curate)) { response in
                #expect(String(buffer: response.body).contains("video_md5") && !String(buffer: response.body).contains("video_sha256"))
            }
        }
    }

    /// Two NCMEC pages imported as files: the second sends image `img-1` again with a new MD5. The
    /// image is then one entry, with the new value (it used to stand twice, and match twice).
    @Test func anNCMECEntrySentAgainInAFileImportReplacesTheEarlierOne() async throws {
        let test = try await TestNode.make()
        _ = try await test.store.createList(HashList(name: "ncmec", kind: .knownAbuseMaterial))
        @Sendable func page(_ md5: String) -> ByteBuffer {
            ByteBuffer(
                string: """
                    <?xml version="1.0" encoding="UTF-8"?>
                    <queryResult xmlns="https://hashsharing.ncmec.org/hashsharing/v2">
                      <images count="1" maxTimestamp="2024-03-01T09:00:00Z">
                        <image><member id="7">Synthetic Member</member><timestamp>2024-03-01T09:00:00Z</timestamp><id>img-1</id>
                          <fingerprints><md5>\(md5)</md5></fingerprints></image>
                      </images>
                    </queryResult>
                    """)
        }
        let first = "d440e50454f31af3176813e02ea68ef7"
        let second = "86e4d3cea27d26934b484e73cf575dca"
        try await test.application.test(.router) { client in
            for md5 in [first, second] {
                try await client.execute(
                    uri: "/v1/lists/ncmec/import?format=ncmec-xml", method: .post, headers: test.headers(.curate, json: false), body: page(md5)
                ) { response in
                    #expect(response.status == .ok && response.json["added"] as? Int == 1)
                }
            }
        }
        let live = try await test.store.entries(ofList: "ncmec", afterId: 0, limit: 10)
        #expect(live.map(\.value) == [second])
        #expect(live.first?.provenance.sourceItemId == "img-1")
    }

    @Test func aNodePullsAnotherNodesListWithProvenanceIncrementallyWithDeletions() async throws {
        // The source: a Centre-like node with a list and a key for the puller.
        let source = try await TestNode.make()
        _ = try await source.store.createList(HashList(name: "known", kind: .knownAbuseMaterial))
        var generator = SplitMix64(seed: 7)
        let records = (0..<1_200).map { index in
            IndicatorRecord(
                type: .pdq, value: generator.hex(bytes: 32),
                provenance: Provenance(sourceOrganisation: "NCMEC", sourceItemId: "img-\(index)", confirmedBy: "Centre analyst"))
        }
        _ = try await source.store.apply(records, toList: "known")
        _ = try await source.store.createList(HashList(name: "other", kind: .internal))
        _ = try await source.store.apply([IndicatorRecord(type: .md5, value: generator.hex(bytes: 16))], toList: "other")
        let added = [generator.hex(bytes: 32), generator.hex(bytes: 32)]
        let peer = try await source.store.createOrganisation(NewOrganisation(name: "Peer provider", kind: .provider))
        let key = try await source.store.createKey(organisationId: peer.id, scopes: [.curate], label: "exchange").secret

        try await source.application.test(.live) { sourceClient in
            let port = try #require(sourceClient.port)
            var puller = try await TestNode.make()
            let clock = ManualClock()
            puller.clock = clock
            let node = puller.node
            _ = try await puller.store.createList(HashList(name: "from-centre", kind: .knownAbuseMaterial))
            let service = ExchangeService(node: node)
            _ = try await service.create(
                .init(
                    name: "centre", kind: "vigil", list: "from-centre",
                    settings: ["url": "http://127.0.0.1:\(port)", "list": "known", "source": "Centre/known", "page_size": "500"], credential: key),
                by: .system)
            let fetcher = ExchangeFetcher(node: node, settings: ExchangeFetchSettings(owner: "puller"))
            #expect(try await fetcher.fetch(named: "centre") == .fetched(pages: 3, items: 1_200, upToDate: true))
            var live = try await puller.store.entries(ofList: "from-centre", afterId: 0, limit: 10_000)
            #expect(Set(live.map(\.value)) == Set(records.map(\.value)) && live.count == 1_200)
            let sourceEntries = try await source.store.entries(ofList: "known", afterId: 0, limit: 10_000)
            let first = try #require(live.first)
            #expect(first.provenance.sourceOrganisation == "Centre/known" && first.provenance.confirmedBy == "Centre analyst")
            #expect(first.provenance.sourceItemId == String(sourceEntries[0].id) && first.provenance.note == "from NCMEC item img-0")

            // At the source: one entry deleted, one edited, two added.
            try await source.store.removeEntry(sourceEntries[5].id, fromList: "known")
            _ = try await source.store.editEntry(sourceEntries[6].id, inList: "known", EntryEdit(note: .some("reviewed again")))
            _ = try await source.store.apply(added.map { IndicatorRecord(type: .pdq, value: $0) }, toList: "known")
            clock.advance(by: 301)
            guard case .fetched(_, let items, true) = try await fetcher.fetch(named: "centre") else {
                Issue.record("not fetched")
                return
            }
            #expect(items == 4)
            live = try await puller.store.entries(ofList: "from-centre", afterId: 0, limit: 10_000)
            #expect(live.count == 1_201)
            #expect(!live.contains { $0.value == sourceEntries[5].value })
            let edited = live.filter { $0.provenance.sourceItemId == String(sourceEntries[6].id) }
            #expect(edited.count == 1 && edited.first?.provenance.note == "from NCMEC item img-6; reviewed again")
            #expect(Set(added).isSubset(of: Set(live.map(\.value))))

            // A wrong key: the status says the source refused it; nothing changes.
            _ = try await service.update(named: "centre", .init(credential: .some("vk_wrong")), by: .system)
            clock.advance(by: 301)
            guard case .failed(0, let error, _) = try await fetcher.fetch(named: "centre") else {
                Issue.record("not failed")
                return
            }
            #expect(error.contains("refused the credential"))
            #expect(try await puller.store.list(named: "from-centre").entryCount == 1_201)
        }
    }
}
