import Foundation
import HTTPTypes
import Hummingbird
import VigilAPI

/// The methods each path of the OpenAPI document declares: the one table the node answers an
/// undeclared method from (405 with `Allow`, ``MethodNotAllowedMiddleware``).
///
/// Read from the embedded `openapi.yaml` (the bytes the node serves at `/openapi.yaml`): every
/// path under `paths:` with its operations' methods and tags. The scan reads only the block layout
/// the document uses (a path at two spaces, a method at four, `tags: [...]` at six); a test keeps
/// the result equal to a full YAML parse of the same bytes.
struct DocumentedMethods: Sendable, Equatable {
    /// One documented path.
    struct Path: Sendable, Equatable {
        /// The path as documented, `/v1/lists/{name}`.
        var template: String
        /// Its segments; `nil` for a `{parameter}`, which matches any one non-empty segment.
        var segments: [String?]
        /// The methods its operations declare.
        var methods: Set<HTTPRequest.Method>
        /// The tags of its operations.
        var tags: Set<String>
    }

    /// The documented paths, in document order.
    var paths: [Path]

    /// The tags of the Centre's routes, which a node serves only when its role includes the Centre.
    static let centreTags: Set<String> = ["reports", "cybertipline"]

    /// The table of `document` (the embedded `openapi.yaml` by default).
    init(document: [UInt8] = OpenAPIDocument.bytes) {
        var paths: [Path] = []
        var inPaths = false
        var method: HTTPRequest.Method?
        for rawLine in String(decoding: document, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false) {
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine[...]
            if line.trimmingPrefix(while: { $0 == " " }).hasPrefix("#") || line.allSatisfy({ $0 == " " }) { continue }
            if !line.hasPrefix(" ") {
                inPaths = line.hasPrefix("paths:")
                continue
            }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), !line.hasPrefix("   "), line.hasSuffix(":") {
                let template = String(line.dropFirst(2).dropLast())
                let segments = template.split(separator: "/").map { $0.hasPrefix("{") && $0.hasSuffix("}") ? nil : String($0) }
                paths.append(Path(template: template, segments: segments, methods: [], tags: []))
                method = nil
            } else if line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":"), !paths.isEmpty {
                method = Self.methods[String(line.dropFirst(4).dropLast())]
                if let method { paths[paths.count - 1].methods.insert(method) }
            } else if method != nil, line.hasPrefix("      tags: ["), line.hasSuffix("]"), !paths.isEmpty {
                let names = line.dropFirst("      tags: [".count).dropLast().split(separator: ",")
                paths[paths.count - 1].tags.formUnion(names.map { $0.trimmingCharacters(in: .whitespaces) })
            }
        }
        self.paths = paths
    }

    /// The OpenAPI method keys.
    private static let methods: [String: HTTPRequest.Method] = [
        "get": .get, "put": .put, "post": .post, "delete": .delete, "options": .options, "head": .head, "patch": .patch,
        "trace": .trace,
    ]

    /// The paths a node of `role` serves: the Centre's only when its role includes the Centre.
    func served(by role: NodeRole) -> DocumentedMethods {
        var table = self
        if !role.servesCentre { table.paths.removeAll { !$0.tags.isEmpty && $0.tags.isSubset(of: Self.centreTags) } }
        return table
    }

    /// The documented path a request path resolves to, as the router resolves it: segment by
    /// segment, a literal segment before a parameter; nil when none matches.
    func path(for requestPath: String) -> Path? {
        let parts = requestPath.split(separator: "/")
        var best: (path: Path, rank: [Bool])?
        for path in paths where path.segments.count == parts.count {
            var rank: [Bool] = []
            var matches = true
            for (segment, part) in zip(path.segments, parts) {
                if let segment {
                    guard segment == part else {
                        matches = false
                        break
                    }
                    rank.append(true)
                } else {
                    rank.append(false)
                }
            }
            guard matches else { continue }
            if let current = best, !Self.ranks(rank, above: current.rank) { continue }
            best = (path, rank)
        }
        return best?.path
    }

    /// Whether `rank` has a literal segment at the first place where it differs from `other`.
    private static func ranks(_ rank: [Bool], above other: [Bool]) -> Bool {
        for (a, b) in zip(rank, other) where a != b { return a }
        return false
    }
}

extension HTTPRequest.Method {
    /// The order methods are listed in an `Allow` header.
    fileprivate var allowOrder: Int {
        switch self {
        case .get: 0
        case .head: 1
        case .post: 2
        case .put: 3
        case .patch: 4
        case .delete: 5
        case .options: 6
        default: 7
        }
    }
}

/// Answers a method that a documented path does not declare with 405 and an `Allow` header that
/// lists the methods it does (RFC 9110 §15.5.6), for every route of the node in one place: before
/// routing and authentication, from ``DocumentedMethods`` (the served `openapi.yaml`). A path the
/// document does not have is left to the router (an empty 404). The body is the path's error
/// shape: HMA's `{"message": …}` on the HMA routes, `{"error":{"code":"method_not_allowed",…}}`
/// elsewhere.
struct MethodNotAllowedMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The paths the node serves, with their methods.
    let table: DocumentedMethods

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let path = table.path(for: request.uri.path), !path.methods.contains(request.method) else {
            return try await next(request, context)
        }
        let allowed = path.methods.sorted { $0.allowOrder < $1.allowOrder }.map(\.rawValue).joined(separator: ", ")
        let message = "\(path.template) does not take \(request.method.rawValue); use \(allowed)"
        if path.tags.contains("hma") {
            throw HMAError(.methodNotAllowed, message, headers: [.allow: allowed])
        }
        throw APIError(.methodNotAllowed, code: "method_not_allowed", message, headers: [.allow: allowed])
    }
}
