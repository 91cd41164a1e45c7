import Foundation
import HTTPTypes
import Hummingbird
import Logging
import VigilDomain
import VigilStore

/// Verifies the API key of every request it guards (deny by default) and records the principal.
///
/// The key comes as `Authorization: Bearer <key>`, `X-API-Key: <key>`, or HTTP Basic credentials
/// (as NCMEC's CyberTipline protocol sends them): the user name is the key's organisation's name
/// and the password the key; a name that is not the key's organisation's is refused.
///
/// Verified keys are remembered for a few seconds, so that a busy node does not hash and look up
/// the same key on every request; a revoked key stops working within that time.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = VigilRequestContext
    let keys: any KeyStore
    let cache: VerifiedKeyCache
    static let apiKeyHeader = HTTPField.Name("X-API-Key")

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let header = request.headers[.authorization] ?? Self.apiKeyHeader.flatMap { request.headers[$0] }
        guard var secret = header else { throw APIError.unauthorized }
        var basicUser: String?
        if secret.hasPrefix("Bearer ") {
            secret.removeFirst(7)
        } else if secret.hasPrefix("Basic ") {
            guard let credentials = Self.basicCredentials(secret.dropFirst(6)) else { throw APIError.unauthorized }
            (basicUser, secret) = credentials
        }
        let principal: Principal
        switch cache.lookup(secret) {
        case .hit(let cached):
            principal = cached
        case .miss, .refresh:
            // On a refresh only this request waits for the store; the others go on with the
            // cached principal until it expires.
            let verified: Principal?
            do {
                verified = try await keys.verify(secret: secret)
            } catch let error as StoreError {
                // The store could not answer (busy, or the database unreachable): the one error map
                // says so (503 with Retry-After), never a bare 500.
                cache.forget(secret)
                throw ErrorMap.answer(error)
            } catch {
                cache.forget(secret)
                throw error
            }
            guard let verified else {
                cache.forget(secret)
                throw APIError.unauthorized
            }
            cache.remember(verified, for: secret)
            principal = verified
        }
        if let basicUser, basicUser != principal.organisation { throw APIError.unauthorized }
        context.principal = principal
        context.logger[metadataKey: "organisation"] = .string(principal.organisation)
        return try await next(request, context)
    }

    /// The user name and password of HTTP Basic credentials (RFC 7617), or nil when malformed.
    static func basicCredentials(_ encoded: Substring) -> (user: String, password: String)? {
        guard let data = Data(base64Encoded: String(encoded.trimmingCharacters(in: .whitespaces))),
            let text = String(data: data, encoding: .utf8), let colon = text.firstIndex(of: ":")
        else { return nil }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }
}
