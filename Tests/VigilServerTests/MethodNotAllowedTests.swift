import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import VigilAPI
import VigilDomain
import Yams

@testable import VigilServer

/// A documented path called with a method it does not declare is a 405 with `Allow`, on every
/// route, from the one table read from the served document.
@Suite("Undeclared methods")
struct MethodNotAllowedTests {
    /// The table the node reads from `openapi.yaml` is the document's paths, methods and tags as a
    /// full YAML parse sees them.
    @Test func theTableIsTheDocumentsPaths() throws {
        let root = try #require(try Yams.load(yaml: String(decoding: OpenAPIDocument.bytes, as: UTF8.self)) as? [String: Any])
        let paths = try #require(root["paths"] as? [String: Any])
        var expected: [String: (Set<String>, Set<String>)] = [:]
        for (path, item) in paths {
            let item = try #require(item as? [String: Any])
            var methods = Set<String>()
            var tags = Set<String>()
            for method in ["get", "put", "post", "delete", "patch", "head", "options", "trace"] {
                guard let operation = item[method] as? [String: Any] else { continue }
                methods.insert(method.uppercased())
                tags.formUnion(operation["tags"] as? [String] ?? [])
            }
            expected[path] = (methods, tags)
        }
        let table = DocumentedMethods()
        #expect(table.paths.count == expected.count)
        #expect(table.paths.count > 60)
        for path in table.paths {
            let want = try #require(expected[path.template], "\(path.template)")
            #expect(Set(path.methods.map(\.rawValue)) == want.0, "\(path.template)")
            #expect(path.tags == want.1, "\(path.template)")
        }
        // The Centre's paths leave the table of a provider node.
        let provider = table.served(by: .provider)
        #expect(provider.path(for: "/v1/reports") == nil)
        #expect(provider.path(for: "/v1/filings")?.template == "/v1/filings")
        #expect(table.path(for: "/v1/reports")?.template == "/v1/reports")
    }

    /// A literal segment wins over a parameter, as in the router; parameters match one segment.
    @Test func pathsResolveAsTheRouterResolvesThem() {
        let table = DocumentedMethods()
        #expect(table.path(for: "/v1/reports/validate")?.template == "/v1/reports/validate")
        #expect(table.path(for: "/v1/reports/12")?.template == "/v1/reports/{id}")
        #expect(table.path(for: "/c/signal_type/index")?.template == "/c/signal_type/index")
        #expect(table.path(for: "/c/signal_type/pdq")?.template == "/c/signal_type/{name}")
        #expect(table.path(for: "/v1/lists/a/entries/3/note")?.template == "/v1/lists/{name}/entries/{id}/note")
        #expect(table.path(for: "/v1/lists/a/b/c/d/e/f") == nil)
        #expect(table.path(for: "/nothing") == nil)
    }

    @Test func anUndeclaredMethodIs405WithAllow() async throws {
        let node = try await TestNode.make()
        try await node.application.test(.router) { client in
            let cases: [(String, HTTPRequest.Method, String)] = [
                ("/v1/lists", .put, "GET, POST"),
                ("/v1/lists/l", .post, "GET, PATCH, DELETE"),
                ("/v1/match/hash", .get, "POST"),
                ("/v1/reports/validate", .get, "POST"),
                ("/health", .trace, "GET"),
                ("/metrics", .post, "GET"),
                ("/ispws/submit", .get, "POST"),
                ("/v1/lists/l/entries/1", .get, "PATCH, DELETE"),
            ]
            for (uri, method, allow) in cases {
                // With a key, and without one: the method is wrong whoever asks.
                for scope in [Scope.admin, nil] {
                    try await client.execute(uri: uri, method: method, headers: node.headers(scope)) { response in
                        #expect(response.status == .methodNotAllowed, "\(method) \(uri)")
                        #expect(response.headers[.allow] == allow, "\(method) \(uri)")
                        #expect(response.errorCode == "method_not_allowed", "\(method) \(uri)")
                    }
                }
            }
            // The HMA routes answer in HMA's shape.
            try await client.execute(uri: "/c/banks", method: .delete, headers: node.headers(.admin)) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "GET, POST")
                #expect((response.json["message"] as? String)?.contains("/c/banks") == true)
            }
            // A declared method still reaches its route (and its authentication); an unknown path is an empty 404.
            try await client.execute(uri: "/v1/lists", method: .get, headers: node.headers(nil)) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/v1/lists", method: .get, headers: node.headers(.admin)) { #expect($0.status == .ok) }
            try await client.execute(uri: "/v1/nothing-here", method: .put, headers: node.headers(.admin)) {
                #expect($0.status == .notFound && $0.body.readableBytes == 0)
            }
        }
    }

    /// A provider node does not serve the Centre's paths: they are unknown there, whatever the method.
    @Test func aProviderNodeDoesNotAnswerForTheCentresPaths() async throws {
        var settings = TestNode.defaultSettings
        settings.role = .provider
        let node = try await TestNode.make(settings: settings)
        try await node.application.test(.router) { client in
            try await client.execute(uri: "/v1/reports", method: .put, headers: node.headers(.admin)) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/v1/filings", method: .put, headers: node.headers(.admin)) {
                #expect($0.status == .methodNotAllowed)
                #expect($0.headers[.allow] == "GET")
            }
        }
    }
}
