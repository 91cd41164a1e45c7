import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import OpenAPIRuntime
import Testing
import VigilAPI
import VigilDomain
import VigilMatching
import VigilStore
import VigilTestSupport
import Yams

@testable import VigilServer

/// The `/v1` API is generated from `openapi.yaml`: the node serves that file, every generated
/// route is in it with the scopes the node enforces, and requests that do not fit it are 400s.
@Suite("OpenAPI document", .serialized)
struct OpenAPITests {
    /// One operation of the document.
    struct Operation: Hashable, CustomStringConvertible {
        var method: String
        var path: String
        var id: String
        /// The key scopes its `security` alternatives name.
        var scopes: Set<String>
        /// Its tags.
        var tags: [String] = []

        /// Whether the generator makes its route (the tags the generator's configuration selects).
        var generated: Bool { tags.contains { ["lists", "matching", "hashing"].contains($0) } }

        var description: String { "\(method) \(path) (\(id))" }
    }

    /// The document's operations, read with Yams from the bytes the node embeds.
    static func documentedOperations() throws -> [Operation] {
        let root = try #require(try Yams.load(yaml: String(decoding: OpenAPIDocument.bytes, as: UTF8.self)) as? [String: Any])
        #expect(root["openapi"] as? String == "3.1.0")
        let paths = try #require(root["paths"] as? [String: Any])
        var operations: [Operation] = []
        for (path, item) in paths {
            let item = try #require(item as? [String: Any], "\(path)")
            for method in ["get", "put", "post", "delete", "patch"] {
                guard let operation = item[method] as? [String: Any] else { continue }
                let security = operation["security"] as? [[String: [String]]] ?? []
                operations.append(
                    Operation(
                        method: method.uppercased(), path: path, id: try #require(operation["operationId"] as? String, "\(method) \(path)"),
                        scopes: Set(security.flatMap { $0.values.flatMap { $0 } }), tags: operation["tags"] as? [String] ?? []))
            }
        }
        return operations
    }

    /// Records what the generated code registers, instead of serving it.
    final class RecordingTransport: ServerTransport, @unchecked Sendable {
        var routes: Set<String> = []

        func register(
            _ handler: @escaping @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?),
            method: HTTPRequest.Method, path: String
        ) throws {
            routes.insert("\(method.rawValue) \(path)")
        }
    }

    @Test func theNodeServesTheDocumentItWasGeneratedFrom() async throws {
        let node = try await TestNode.make()
        try await node.application.test(.router) { client in
            // Open, like /health: it is public documentation.
            try await client.execute(uri: "/openapi.yaml", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/yaml")
                #expect(Array(response.body.readableBytesView) == OpenAPIDocument.bytes)
            }
        }
        // The embedded bytes are the canonical file, and docs/openapi.yaml is that file.
        let canonical = try Data(contentsOf: TestPaths.packageRoot.appendingPathComponent("Sources/VigilAPI/openapi.yaml"))
        #expect([UInt8](canonical) == OpenAPIDocument.bytes)
        let docs = try Data(contentsOf: TestPaths.packageRoot.appendingPathComponent("docs/openapi.yaml"))
        #expect(docs == canonical)
    }

    /// The generated routes are exactly the document's /v1 operations, and the node's scope for
    /// each is the one the document states.
    @Test func everyV1RouteIsDocumentedWithItsScopes() async throws {
        let operations = try Self.documentedOperations()
        let v1 = operations.filter(\.generated)
        #expect(v1.count == 23)
        #expect(v1.allSatisfy { $0.path.hasPrefix("/v1/") })
        #expect(Set(operations.map(\.id)).count == operations.count, "operation ids are unique")

        let node = try await TestNode.make()
        let api = V1Handler(
            node: node.node, fetcher: URLFetcher(policy: node.settings.urlFetch),
            hashing: MediaHashing(limits: node.settings.decodeLimits, pool: HashingPool(limits: HashingLimits())))
        let transport = RecordingTransport()
        try api.registerHandlers(on: transport)
        #expect(transport.routes == Set(v1.map { "\($0.method) \($0.path)" }))

        #expect(Set(OperationPolicy.v1.keys) == Set(v1.map(\.id)))
        // The one authorisation table states the document's scopes for every operation, and
        // exactly the document's open operations are open.
        #expect(AccessPolicy.openOperations == Set(operations.filter { $0.scopes.isEmpty }.map(\.id)))
        #expect(Set(AccessPolicy.node.rules.keys) == Set(operations.filter { !$0.scopes.isEmpty }.map(\.id)))
        for operation in operations where !operation.scopes.isEmpty {
            let rule = try #require(AccessPolicy.node.rules[operation.id], "\(operation)")
            #expect(Set(rule.scopes.map(\.rawValue)) == operation.scopes, "\(operation)")
        }
    }

    /// The plain routes the document describes (operational, HMA and the Centre's) exist too.
    @Test func everyDocumentedPlainRouteIsServed() async throws {
        let node = try await TestNode.make()
        let plain = try Self.documentedOperations().filter { !$0.generated }
        #expect(plain.count > 20)
        try await node.application.test(.router) { client in
            for operation in plain {
                let uri = operation.path.replacingOccurrences(of: "{name}", with: "NOPE").replacingOccurrences(of: "{id}", with: "1")
                let method = try #require(HTTPRequest.Method(operation.method))
                try await client.execute(uri: uri, method: method, headers: node.headers(.admin), body: jsonBody([:])) { response in
                    // An unknown route is an empty 404; a route's own "not found" says so.
                    #expect(response.status != .notFound || response.body.readableBytes > 0, "\(operation)")
                    #expect(response.status != .methodNotAllowed, "\(operation)")
                }
            }
            try await client.execute(uri: "/v1/nothing-here", method: .get, headers: node.headers(.admin)) {
                #expect($0.status == .notFound && $0.body.readableBytes == 0)
            }
        }
    }

    /// Deny by default: an operation without a rule is refused, even to admin keys.
    @Test func anOperationWithoutAPolicyIsClosed() async throws {
        let admin = Principal(keyId: 1, organisationId: 1, organisation: "o", kind: .provider, scopes: [.admin])
        let hasher = Principal(keyId: 2, organisationId: 1, organisation: "o", kind: .provider, scopes: [.hash])
        func call(_ guardian: OperationGuard, _ principal: Principal?, _ id: String, body: HTTPBody? = nil) async throws -> HTTPResponse.Status {
            try await RequestPrincipal.$current.withValue(principal) {
                try await guardian.intercept(
                    HTTPRequest(method: .post, scheme: nil, authority: nil, path: "/v1/x", headerFields: [.contentType: "application/json"]),
                    body: body, metadata: .init(),
                    operationID: id
                ) { _, body, _ in
                    _ = try await body?.collect(upTo: .max, orThrow: APIError.badRequest("x", "x"))
                    return (HTTPResponse(status: .ok), nil)
                }
            }.0.status
        }
        await #expect(throws: APIError(.forbidden, code: "forbidden", "this route declares no scope, so no API key may call it")) {
            try await call(OperationGuard(authoriser: Authoriser(), policies: [:], maxUploadBytes: 100), admin, Operations.ListLists.id)
        }
        await #expect(throws: APIError.unauthorized) {
            try await call(OperationGuard(authoriser: Authoriser(), maxUploadBytes: 100), nil, Operations.MatchHash.id)
        }
        await #expect(throws: APIError.forbidden("match")) {
            try await call(OperationGuard(authoriser: Authoriser(), maxUploadBytes: 100), hasher, Operations.MatchHash.id)
        }
        #expect(try await call(OperationGuard(authoriser: Authoriser(), maxUploadBytes: 100), admin, Operations.MatchHash.id) == .ok)
        #expect(try await call(OperationGuard(authoriser: Authoriser(), maxUploadBytes: 100), hasher, Operations.HashFile.id) == .ok)

        // JSON bodies and uploads are held to their limits whether their length is declared or
        // streamed; imports stream without one.
        let small = OperationGuard(authoriser: Authoriser(), maxJSONBytes: 10, maxUploadBytes: 12)
        let jsonTooLarge = APIError.jsonTooLarge(limit: 10)
        let uploadTooLarge = APIError.uploadTooLarge(limit: 12)
        @Sendable func stream() -> HTTPBody {
            HTTPBody(
                AsyncStream<ArraySlice<UInt8>> { continuation in
                    for _ in 0..<3 { continuation.yield(Array(repeating: 32, count: 5)[...]) }
                    continuation.finish()
                }, length: .unknown)
        }
        await #expect(throws: jsonTooLarge) { try await call(small, admin, Operations.MatchHash.id, body: HTTPBody(Array(repeating: 32, count: 11))) }
        await #expect(throws: jsonTooLarge) { try await call(small, admin, Operations.MatchHash.id, body: stream()) }
        #expect(try await call(small, admin, Operations.MatchHash.id, body: HTTPBody(Array(repeating: 32, count: 10))) == .ok)
        await #expect(throws: uploadTooLarge) {
            try await call(small, admin, Operations.HashFile.id, body: HTTPBody(Array(repeating: 32, count: 13)))
        }
        await #expect(throws: uploadTooLarge) { try await call(small, admin, Operations.MatchFile.id, body: stream()) }
        #expect(try await call(small, admin, Operations.ImportList.id, body: stream()) == .ok)
    }

    /// Requests that do not fit the document are 400s in Vigil's error shape, before any work.
    @Test func requestsThatViolateTheDocumentAre400s() async throws {
        let node = try await TestNode.make()
        _ = try await node.store.createList(HashList(name: "l", kind: .internal))
        try await node.application.test(.router) { client in
            let cases: [(String, HTTPRequest.Method, Scope, ByteBuffer, String, String)] = [
                ("/v1/match/hash", .post, .match, jsonBody(["type": "pdq", "value": 123]), "invalid_json", "value"),
                ("/v1/match/hash", .post, .match, jsonBody(["type": "pdq", "value": bridgeHash, "lists": "l"]), "invalid_json", "lists"),
                ("/v1/lists", .post, .curate, jsonBody(["name": "x", "kind": "internal", "match_radius": "wide"]), "invalid_json", "match_radius"),
                ("/v1/lists/l/entries", .post, .curate, jsonBody(["entries": [["type": "pdq"]]]), "invalid_json", "\"value\" is missing"),
                ("/v1/lists/l/action", .put, .curate, jsonBody(["action": "explode"]), "invalid_json", "action"),
                ("/v1/compare", .post, .match, jsonBody(["a": bridgeHash, "b": false]), "invalid_json", "b"),
                ("/v1/lists/l/entries?limit=many", .get, .curate, ByteBuffer(), "invalid_parameter", "integers"),
                ("/v1/lists/l/entries?limit=10001", .get, .curate, ByteBuffer(), "invalid_parameter", "from 0 to 10000"),
                ("/v1/lists/l/entries?limit=-1", .get, .curate, ByteBuffer(), "invalid_parameter", "from 0 to 10000"),
                ("/v1/lists/l/entries/abc", .delete, .curate, ByteBuffer(), "invalid_id", "integers"),
                ("/v1/hash?dihedral=maybe", .post, .hash, ByteBuffer(string: "x"), "invalid_parameter", "dihedral"),
                ("/v1/lists/l/export?format=xlsx", .get, .curate, ByteBuffer(), "unknown_format", "vigil-jsonl, tsv, hma-csv"),
                // null only where the document allows it (the decoders would read it as absent).
                (
                    "/v1/lists", .post, .curate, jsonBody(["name": "x", "kind": "internal", "enabled": NSNull()]), "invalid_json",
                    "null is not a value of enabled"
                ),
                ("/v1/lists/l", .patch, .curate, jsonBody(["name": NSNull()]), "invalid_json", "null is not a value of name"),
                ("/v1/lists/l/action", .put, .curate, jsonBody(["action": "block", "webhook_url": NSNull()]), "invalid_json", "webhook_url"),
                (
                    "/v1/match/hash", .post, .match, jsonBody(["type": "pdq", "value": bridgeHash, "subject": ["other_data": NSNull()]]),
                    "invalid_json",
                    "subject.other_data"
                ),
                (
                    "/v1/lists/l/entries", .post, .curate,
                    jsonBody(["entries": [["type": "pdq", "value": bridgeHash, "provenance": ["source_item_id": NSNull()]]]]), "invalid_json",
                    "entries[0].provenance.source_item_id"
                ),
                (
                    "/v1/match/conversation", .post, .match, jsonBody(["language": NSNull(), "messages": [["sender": "a", "text": "b"]]]),
                    "invalid_json", "language"
                ),
            ]
            for (uri, method, scope, body, code, mention) in cases {
                try await client.execute(uri: uri, method: method, headers: node.headers(scope), body: body) { response in
                    #expect(response.status == .badRequest, "\(method) \(uri)")
                    #expect(response.errorCode == code, "\(method) \(uri): \(String(buffer: response.body))")
                    let message = (response.json["error"] as? [String: Any])?["message"] as? String ?? ""
                    #expect(message.contains(mention), "\(method) \(uri): \(message)")
                    #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
                }
            }
            #expect(try await node.store.list(named: "l").entryCount == 0)
            #expect(try await node.engine.policies.isEmpty)
        }
    }

    /// What the server checks past a field's type, the document states too, so that a request it
    /// allows is not refused (schemathesis's `positive_data_acceptance`): a hash value's length by
    /// its type, the companions of a decision and of a classification, HMA's single upload and its
    /// leniently read flags, CyberTipline ids from 1, a report draft for validation, and an import
    /// without a body.
    @Test func theDocumentStatesTheServersRules() throws {
        let root = try #require(try Yams.load(yaml: String(decoding: OpenAPIDocument.bytes, as: UTF8.self)) as? [String: Any])
        let components = try #require(root["components"] as? [String: Any])
        let schemas = try #require(components["schemas"] as? [String: Any])
        let paths = try #require(root["paths"] as? [String: Any])
        func object(_ value: Any?, _ keys: String...) -> [String: Any]? {
            keys.reduce(value as? [String: Any]) { $0?[$1] as? [String: Any] }
        }
        func operation(_ method: String, _ path: String) -> [String: Any]? { object(paths[path], method) }

        // A hash value's form follows its type, as `SignalType.valueFormat` says: md5's hex digits,
        // else vpdq's lines, else pdq's and sha256's hex digits.
        for name in ["HashQuery", "NewEntry"] {
            let schema = try #require(schemas[name] as? [String: Any], "\(name)")
            #expect(object(schema, "if", "properties", "type")?["const"] as? String == SignalType.md5.rawValue, "\(name)")
            #expect(object(schema, "then", "properties", "value")?["pattern"] as? String == "^[0-9a-fA-F]{\(SignalType.md5.hexLength ?? 0)}$")
            #expect(object(schema, "else", "if", "properties", "type")?["const"] as? String == SignalType.vpdq.rawValue, "\(name)")
            let vpdqPattern = try #require(object(schema, "else", "then", "properties", "value")?["pattern"] as? String)
            let line = "0,100,\(String(repeating: "a", count: 64)),0.000"
            #expect(try Regex(vpdqPattern).wholeMatch(in: line + "\n" + line.replacingOccurrences(of: "0,100", with: "30,99") + "\n") != nil)
            #expect(try Regex(vpdqPattern).wholeMatch(in: String(repeating: "a", count: 64)) == nil)
            // Then a text indicator's JSON object, else pdq's and sha256's hex digits.
            #expect(object(schema, "else", "else", "if", "properties", "type")?["const"] as? String == SignalType.textIndicator.rawValue)
            let textPattern = try #require(object(schema, "else", "else", "then", "properties", "value")?["pattern"] as? String)
            #expect(try Regex(textPattern).wholeMatch(in: #"{"id":"a"}"#) != nil && Regex(textPattern).wholeMatch(in: "abc") == nil)
            for other in SignalType.allCases where other != .md5 && other != .vpdq && other != .textIndicator {
                #expect(
                    object(schema, "else", "else", "else", "properties", "value")?["pattern"] as? String == "^[0-9a-fA-F]{\(other.hexLength ?? 0)}$",
                    "\(other)")
            }
        }
        // A decision names what its kind needs; a classification its Member States exactly when "some".
        let decision = try #require(schemas["Decision"] as? [String: Any])
        let branches = try #require(decision["oneOf"] as? [[String: Any]])
        let needs = Dictionary(
            uniqueKeysWithValues: branches.compactMap { branch -> (String, Set<String>)? in
                guard let names = object(branch, "properties", "decision")?["enum"] as? [String], names.count == 1 else { return nil }
                return (names[0], Set(branch["required"] as? [String] ?? []))
            })
        #expect(needs == ["forward": [], "unfounded": ["reason", "explanation"], "request_information": ["question"]])
        let classify = try #require(
            object(operation("post", "/v1/items/{id}/classification"), "requestBody", "content", "application/json", "schema"))
        let classes = try #require(classify["oneOf"] as? [[String: Any]])
        #expect(classes.count == 2)
        #expect(
            classes.contains {
                object($0, "properties", "member_states")?["minItems"] as? Int == 1 && ($0["required"] as? [String]) == ["member_states"]
            })
        #expect(classes.contains { object($0, "properties", "member_states")?["maxItems"] as? Int == 0 })
        // HMA: one file part, flags read as HMA reads them (any string: pydantic's booleans, 422 otherwise).
        let upload = try #require(object(components["requestBodies"], "HMAUpload", "content", "multipart/form-data", "schema"))
        #expect((upload["oneOf"] as? [[String: [String]]])?.map { $0["required"] ?? [] } == [["photo"], ["video"]])
        for (method, path, flag) in [("get", "/m/raw_lookup", "include_distance"), ("post", "/m/lookup", "bypass_coinflip")] {
            let parameters = operation(method, path)?["parameters"] as? [Any] ?? []
            let parameter = parameters.compactMap { $0 as? [String: Any] }.first { $0["name"] as? String == flag }
            #expect(object(parameter, "schema")?["type"] as? String == "string", "\(path) \(flag)")
        }
        #expect(try HMAFields.bool("YES", field: "f") && HMAFields.bool("1", field: "f") && !HMAFields.bool("off", field: "f"))
        #expect(throws: HMAValidationError.self) { try HMAFields.bool("maybe", field: "f") }
        // CyberTipline report ids start at 1 (the server refuses 0).
        for path in ["/ispws/finish", "/ispws/retract"] {
            let id = object(operation("post", path), "requestBody", "content", "application/x-www-form-urlencoded", "schema", "properties", "id")
            #expect(id?["minimum"] as? Int == 1, "\(path)")
        }
        #expect(
            object(operation("post", "/ispws/upload"), "requestBody", "content", "multipart/form-data", "schema", "properties", "id")?["minimum"]
                as? Int == 1)
        // Validation takes a draft: no required fields.
        #expect(
            object(operation("post", "/v1/reports/validate"), "requestBody", "content", "application/json", "schema")?["$ref"] as? String
                == "#/components/schemas/ReportDraft")
        #expect(object(schemas["ReportDraft"])?["required"] == nil && object(schemas["ReportDraft"], "properties", "provider")?["required"] == nil)
        #expect((object(schemas["Report"])?["required"] as? [String])?.contains("users") == true)
        // An import's body is optional (none imports nothing; importExportAndAccept).
        #expect(object(operation("post", "/v1/lists/{name}/import"), "requestBody")?["required"] as? Bool == false)
    }

    /// Uploads may come as the raw body or as the `file` part of a form, within the same limit.
    @Test func uploadsAsRawBodyOrMultipartForm() async throws {
        let node = try await TestNode.make()
        let photo = try TestPaths.fixtureBytes("reference/images/pdq-data/bridge-mods/aaa-orig.jpg")
        @Sendable func form(_ parts: [(name: String, type: String, body: [UInt8])], boundary: String = "vigil-test-boundary") -> ByteBuffer {
            var bytes: [UInt8] = []
            for part in parts {
                bytes += Array(
                    "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(part.name)\"; filename=\"f\"\r\nContent-Type: \(part.type)\r\n\r\n"
                        .utf8)
                bytes += part.body + Array("\r\n".utf8)
            }
            return ByteBuffer(bytes: bytes + Array("--\(boundary)--\r\n".utf8))
        }
        var formHeaders = node.headers(.hash, json: false)
        formHeaders[.contentType] = "multipart/form-data; boundary=vigil-test-boundary"
        let headers = formHeaders
        try await node.application.test(.router) { client in
            try await client.execute(
                uri: "/v1/hash", method: .post, headers: headers,
                body: form([("note", "text/plain", Array("hi".utf8)), ("file", "image/jpeg", photo)])
            ) {
                #expect($0.status == .ok)
                #expect($0.json["pdq"] as? String == bridgeHash)
            }
            var matching = headers
            matching[.authorization] = node.headers(.match)[.authorization]
            try await client.execute(
                uri: "/v1/match/file", method: .post, headers: matching, body: form([("file", "application/octet-stream", photo)])
            ) {
                #expect($0.status == .ok)
                #expect(($0.json["query"] as? [String: String])?["pdq"] == bridgeHash)
            }
            // Raw bodies of any content type, as curl --data-binary sends them.
            var raw = node.headers(.hash, json: false)
            raw[.contentType] = "application/x-www-form-urlencoded"
            try await client.execute(uri: "/v1/hash", method: .post, headers: raw, body: ByteBuffer(bytes: photo)) {
                #expect($0.json["pdq"] as? String == bridgeHash)
            }
            let refused: [(ByteBuffer, HTTPResponse.Status, String)] = [
                (form([("photo", "image/jpeg", photo)]), .badRequest, "invalid_multipart"),
                (form([("file", "image/jpeg", photo), ("file", "image/jpeg", photo)]), .badRequest, "invalid_multipart"),
                (form([("file", "image/jpeg", photo)], boundary: "another-boundary"), .badRequest, "invalid_multipart"),
                (form([("file", "image/jpeg", [])]), .badRequest, "empty_body"),
                (form([("file", "image/jpeg", Array(repeating: 7, count: (1 << 20) + 1))]), .contentTooLarge, "body_too_large"),
                (
                    form([("big", "image/jpeg", Array(repeating: 7, count: 1 << 20)), ("file", "image/jpeg", photo)]), .contentTooLarge,
                    "body_too_large"
                ),
            ]
            for (body, status, code) in refused {
                try await client.execute(uri: "/v1/hash", method: .post, headers: headers, body: body) {
                    #expect($0.status == status, "\(code): \(String(buffer: $0.body))")
                    #expect($0.errorCode == code, "\(String(buffer: $0.body))")
                }
            }
            var noBoundary = headers
            noBoundary[.contentType] = "multipart/form-data"
            try await client.execute(uri: "/v1/hash", method: .post, headers: noBoundary, body: form([("file", "image/jpeg", photo)])) {
                #expect($0.status == .badRequest)
                #expect($0.errorCode == "invalid_multipart")
            }
        }
    }

    /// Imports record the caller (bound for the generated handlers); exports answer in their
    /// format's content type; the generated code checks `Accept`.
    @Test func importExportAndAccept() async throws {
        let node = try await TestNode.make()
        _ = try await node.store.createList(HashList(name: "e", kind: .internal))
        try await node.application.test(.router) { client in
            try await client.execute(
                uri: "/v1/lists/e/import?format=tsv", method: .post, headers: node.headers(.curate, json: false),
                body: ByteBuffer(string: "\(bridgeHash)\tA-1\n")
            ) {
                #expect($0.status == .ok)
                #expect($0.json["added"] as? Int == 1)
            }
            let entries = try await node.store.entries(ofList: "e", afterId: 0, limit: 10)
            #expect(entries.map(\.provenance.submittedBy) == ["Test curate"])
            // The body is optional by the document: none imports nothing.
            try await client.execute(uri: "/v1/lists/e/import?format=tsv", method: .post, headers: node.headers(.curate, json: false)) {
                #expect($0.status == .ok)
                #expect($0.json["added"] as? Int == 0 && $0.json["issue_count"] as? Int == 0)
            }
            for (format, type) in [("vigil-jsonl", "application/x-ndjson"), ("tsv", "text/tab-separated-values"), ("hma-csv", "text/csv")] {
                try await client.execute(uri: "/v1/lists/e/export?format=\(format)", method: .get, headers: node.headers(.curate)) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentType] == type)
                    #expect(String(buffer: response.body).contains(bridgeHash))
                }
            }
            var html = node.headers(.match)
            html[.accept] = "text/html"
            try await client.execute(uri: "/v1/index/status", method: .get, headers: html) {
                #expect($0.status == .notAcceptable)
                #expect($0.errorCode == "not_acceptable")
            }
            html[.accept] = "text/html, */*;q=0.8"
            try await client.execute(uri: "/v1/index/status", method: .get, headers: html) { #expect($0.status == .ok) }
        }
    }
}
