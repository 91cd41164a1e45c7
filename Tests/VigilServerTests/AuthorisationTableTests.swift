import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import VigilDomain
import VigilMatching
import VigilStore

@testable import VigilServer

/// The one authorisation table (``AccessPolicy/node``) against every route the router serves:
/// each route, found in the router and in the OpenAPI document (not in a hand-written list), is
/// sent with a key of every organisation kind and every scope that kind may hold, and without a
/// key; the answer must be what the table decides, and never a 5xx.
@Suite("One authorisation table drives every route")
struct AuthorisationTableTests {
    struct Caller {
        var label: String
        var secret: String?
        var principal: Principal?
    }

    /// `METHOD /path/{}` with every path parameter written as `{}` (the router writes `:name`,
    /// the document `{name}`).
    static func routeKey(_ method: String, _ path: String) -> String {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).map { part -> String in
            part.hasPrefix(":") || (part.hasPrefix("{") && part.hasSuffix("}")) ? "{}" : String(part)
        }
        return method.uppercased() + " " + parts.joined(separator: "/")
    }

    /// Whether an answer is the authoriser's refusal (v1's JSON error or HMA's message).
    static func isDenial(_ status: HTTPResponse.Status, _ body: String) -> Bool {
        guard status == .unauthorized || status == .forbidden else { return false }
        return status == .unauthorized || body.contains("may not call this route") || body.contains("scope this route needs")
            || body.contains("declares no scope")
    }

    @Test func everyRouteAnswersEveryKindAndScopeAsTheTableSays() async throws {
        let test = try await TestNode.make()
        let operations = try OpenAPITests.documentedOperations()
        let documented = Dictionary(operations.map { (Self.routeKey($0.method, $0.path), $0) }, uniquingKeysWith: { a, _ in a })
        let router = buildRouter(node: test.node)
        var served: [OpenAPITests.Operation] = []
        for route in router.routes {
            let key = Self.routeKey(route.method.rawValue, route.path.description)
            let operation = try #require(documented[key], "the router serves \(key), which the document does not describe")
            served.append(operation)
        }
        #expect(Set(served.map(\.id)) == Set(operations.map(\.id)), "every documented operation is served")
        #expect(served.count > 40)

        // A key for every organisation kind and every scope it may hold, and no key at all.
        var callers = [Caller(label: "no key", secret: nil, principal: nil)]
        for kind in OrganisationKind.allCases {
            let organisation = try await test.store.createOrganisation(
                NewOrganisation(name: "auth-\(kind.rawValue)", kind: kind, memberState: kind.requiresMemberState ? MemberState(rawValue: "DE") : nil))
            for scope in Scope.allowed(for: kind).sorted(by: { $0.rawValue < $1.rawValue }) {
                let (secret, info) = try await test.store.createKey(organisationId: organisation.id, scopes: [scope], label: "")
                let principal = try #require(try await test.store.verify(secret: secret))
                #expect(principal.kind == kind && principal.keyId == info.id && principal.jurisdiction == organisation.memberState)
                callers.append(Caller(label: "\(kind.rawValue)/\(scope.rawValue)", secret: secret, principal: principal))
            }
        }
        // A key's scopes are limited by its organisation's kind.
        let auditor = try #require(try await test.store.organisation(named: "auth-auditor"))
        await #expect(throws: StoreError.self) { _ = try await test.store.createKey(organisationId: auditor.id, scopes: [.curate], label: "") }

        let app = Application(router: router)
        let routes = served.sorted(by: { $0.id < $1.id })
        let everyone = callers
        let checked = try await app.test(.router) { client in
            var checked = 0
            for operation in routes {
                let uri = operation.path.replacingOccurrences(of: "{name}", with: "NOPE").replacingOccurrences(of: "{id}", with: "1")
                let method = try #require(HTTPRequest.Method(operation.method))
                for caller in everyone {
                    var headers: HTTPFields = [.contentType: "application/json"]
                    if let secret = caller.secret { headers[.authorization] = "Bearer " + secret }
                    let body = method == .get || method == .delete ? ByteBuffer() : ByteBuffer(string: "{}")
                    let (status, text) = try await client.execute(uri: uri, method: method, headers: headers, body: body) {
                        ($0.status, String(buffer: $0.body))
                    }
                    let context = "\(operation.method) \(operation.path) (\(operation.id)) as \(caller.label): \(status.code) \(text.prefix(200))"
                    #expect(status.code < 500, "\(context)")
                    if AccessPolicy.openOperations.contains(operation.id) {
                        #expect(!Self.isDenial(status, text), "open: \(context)")
                        continue
                    }
                    switch AccessPolicy.node.decide(caller.principal, operation: operation.id) {
                    case .success:
                        #expect(!Self.isDenial(status, text), "allowed: \(context)")
                    case .failure(.unauthenticated):
                        #expect(status == .unauthorized, "no key: \(context)")
                    case .failure:
                        #expect(status == .forbidden && Self.isDenial(status, text), "denied: \(context)")
                    }
                    checked += 1
                }
            }
            return checked
        }
        #expect(checked == routes.filter { !AccessPolicy.openOperations.contains($0.id) }.count * everyone.count)
        #expect(everyone.count > 15 && checked > 600)
    }

    /// Row-level rules: a provider sees only its own organisation's rows, police only rows routed
    /// to their Member State; Europol and the Centre see all.
    @Test func rowRulesDecidePerResource() {
        let policy = AccessPolicy(rules: [
            "ownRows": AccessRule(scopes: [.match], kinds: Set(OrganisationKind.allCases), rows: .ownOrganisation),
            "routedRows": AccessRule(scopes: [.match], kinds: Set(OrganisationKind.allCases), rows: .jurisdiction),
        ])
        func principal(_ kind: OrganisationKind, org: Int64, state: String? = nil) -> Principal {
            Principal(
                keyId: 1, organisationId: org, organisation: "o\(org)", kind: kind, jurisdiction: state.flatMap(MemberState.init), scopes: [.match])
        }
        func allowed(_ who: Principal, _ operation: String, _ resource: ResourceAttributes) -> Bool {
            if case .success = policy.decide(who, operation: operation, resource: resource) { return true }
            return false
        }
        let de = ResourceAttributes(owner: 7, memberStates: Set([MemberState(rawValue: "DE")].compactMap { $0 }))
        #expect(allowed(principal(.provider, org: 7), "ownRows", de))
        #expect(!allowed(principal(.provider, org: 8), "ownRows", de))
        #expect(allowed(principal(.centre, org: 1), "ownRows", de))
        #expect(allowed(principal(.police, org: 3, state: "DE"), "routedRows", de))
        #expect(!allowed(principal(.police, org: 4, state: "FR"), "routedRows", de))
        #expect(allowed(principal(.europol, org: 5), "routedRows", de))
        #expect(!allowed(principal(.provider, org: 7), "routedRows", de))
        #expect(!allowed(principal(.police, org: 3, state: "DE"), "unknownOperation", de), "deny by default")
        // A refused row answers 404, not 403, so a key cannot probe for what exists.
        #expect(Authoriser.answer(.row(operation: "x")).status == .notFound)
    }
}
