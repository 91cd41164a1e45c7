public import Hummingbird
import HTTPTypes
import Logging
import VigilStore

/// Verifies the API key of every request it guards (deny by default) and records the principal.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = VigilRequestContext
    let keys: any KeyStore
    static let apiKeyHeader = HTTPField.Name("X-API-Key")

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let header = request.headers[.authorization] ?? Self.apiKeyHeader.flatMap { request.headers[$0] }
        guard var secret = header else { throw APIError.unauthorized }
        if secret.hasPrefix("Bearer ") { secret.removeFirst(7) }
        guard let principal = try await keys.verify(secret: secret) else { throw APIError.unauthorized }
        context.principal = principal
        context.logger[metadataKey: "organisation"] = .string(principal.organisation)
        return try await next(request, context)
    }
}

/// Requires one of `scopes` (admin passes every check).
struct RequireScope: RouterMiddleware {
    typealias Context = VigilRequestContext
    let scopes: Set<Scope>

    init(_ scopes: Scope...) {
        self.scopes = Set(scopes)
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let principal = context.principal else { throw APIError.unauthorized }
        guard principal.scopes.contains(.admin) || !principal.scopes.isDisjoint(with: scopes) else {
            throw APIError.forbidden(scopes.map(\.rawValue).sorted().joined(separator: "\" or \""))
        }
        return try await next(request, context)
    }
}
