import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import VigilDomain
import VigilMatching
import VigilServer
import VigilStore
import VigilTestSupport

/// Rules every request body is held to, on every route that reads one.
@Suite("Request body rules")
struct RequestRulesTests {
    /// JSON is declared and UTF-8: a body without a content type is 415, UTF-16 JSON (which
    /// Foundation's decoder would read) is 400, on the generated routes, the direct match path and HMA.
    @Test func jsonMustBeDeclaredAndUTF8() async throws {
        let node = try await TestNode.make()
        let utf16 = ByteBuffer(bytes: Array(#"{"name":"x","kind":"internal"}"#.utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })
        let hashUTF16 = ByteBuffer(
            bytes: Array(#"{"type":"md5","value":"00000000000000000000000000000000"}"#.utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })
        try await node.application.test(.router) { client in
            try await client.execute(
                uri: "/v1/lists", method: .post, headers: node.headers(.curate, json: false), body: jsonBody(["name": "x", "kind": "internal"])
            ) {
                #expect($0.status == .unsupportedMediaType)
                #expect($0.errorCode == "unsupported_media_type")
            }
            try await client.execute(uri: "/v1/lists", method: .post, headers: node.headers(.curate), body: utf16) {
                #expect($0.status == .badRequest)
                #expect($0.errorCode == "invalid_json")
            }
            try await client.execute(uri: "/v1/match/hash", method: .post, headers: node.headers(.match), body: hashUTF16) {
                #expect($0.status == .badRequest, "the direct path hands it on, the generated route refuses it")
            }
            try await client.execute(uri: "/c/banks", method: .post, headers: node.headers(.curate), body: utf16) {
                #expect($0.status == .badRequest)
            }
            // Nothing was created by any of them.
            try await client.execute(uri: "/v1/lists", method: .get, headers: node.headers(.curate)) {
                #expect($0.status == .ok)
                #expect(($0.json["lists"] as? [Any])?.isEmpty == true)
            }
        }
    }

    /// The body limit holds for every route but list imports, which stream: a list larger than
    /// `http.max-body-bytes` imports (the reshape's global limit had refused it with a 413, found
    /// by the same-run comparison with the commit before it), while a JSON body over it is refused.
    @Test func importsStreamPastTheBodyLimit() async throws {
        var settings = TestNode.defaultSettings
        settings.maxBodyBytes = 2_048
        let node = try await TestNode.make(settings: settings)
        _ = try await node.store.createList(HashList(name: "big", kind: .internal))
        var random = SplitMix64(seed: 7)
        let tsv = (0..<400).map { i in "\(random.hex(bytes: 32))\tI-\(i)\n" }.joined()
        #expect(tsv.utf8.count > 8 * settings.maxBodyBytes)
        var headers = node.headers(.curate, json: false)
        headers[.contentLength] = "\(tsv.utf8.count)"
        let importHeaders = headers
        try await node.application.test(.router) { client in
            try await client.execute(
                uri: "/v1/lists/big/import?format=tsv", method: .post, headers: importHeaders, body: ByteBuffer(string: tsv)
            ) { response in
                #expect(response.status == .ok)
                #expect(response.json["added"] as? Int == 400)
            }
            let names = (0..<600).map { "n\($0)" }
            try await client.execute(
                uri: "/v1/lists/big/entries", method: .post, headers: node.headers(.curate),
                body: jsonBody(["entries": names.map { ["type": "md5", "value": $0] }])
            ) { response in
                #expect(response.status == .contentTooLarge)
            }
        }
    }

    /// `PATCH …/entries/{id}` must say what `disabled_until` is: `{}` is refused (it used to answer
    /// 200 and silently re-enable the entry), and the entry stays disabled.
    @Test func anEmptyEntryPatchIsRefusedAndChangesNothing() async throws {
        let node = try await TestNode.make()
        _ = try await node.store.createList(HashList(name: "l", kind: .internal))
        let id = try #require(try await node.store.apply([IndicatorRecord(type: .pdq, value: bridgeHash)], toList: "l").first)
        let until = Date(timeIntervalSinceNow: 86_400)
        _ = try await node.store.editEntry(id, inList: "l", EntryEdit(disabledUntil: .some(until)))
        try await node.application.test(.router) { client in
            try await client.execute(uri: "/v1/lists/l/entries/\(id)", method: .patch, headers: node.headers(.curate), body: jsonBody([:])) {
                #expect($0.status == .badRequest)
                #expect($0.errorCode == "invalid_request")
            }
        }
        let entry = try #require(try await node.store.entries(ids: [id])[id])
        #expect(entry.disabledUntil != nil, "still disabled")
    }
}
