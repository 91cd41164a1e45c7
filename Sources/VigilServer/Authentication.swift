public import Hummingbird
import HTTPTypes
import Crypto
import Foundation
import Logging
import Synchronization
import VigilStore

/// Verifies the API key of every request it guards (deny by default) and records the principal.
///
/// Verified keys are remembered for a few seconds, so that a busy node does not hash and look up
/// the same key on every request; a revoked key stops working within that time.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = VigilRequestContext
    let keys: any KeyStore
    let cache: VerifiedKeyCache
    static let apiKeyHeader = HTTPField.Name("X-API-Key")

    init(keys: any KeyStore, cache: VerifiedKeyCache = VerifiedKeyCache()) {
        self.keys = keys
        self.cache = cache
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let header = request.headers[.authorization] ?? Self.apiKeyHeader.flatMap { request.headers[$0] }
        guard var secret = header else { throw APIError.unauthorized }
        if secret.hasPrefix("Bearer ") { secret.removeFirst(7) }
        let principal: Principal
        if let cached = cache.principal(for: secret) {
            principal = cached
        } else {
            guard let verified = try await keys.verify(secret: secret) else { throw APIError.unauthorized }
            cache.remember(verified, for: secret)
            principal = verified
        }
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

/// Recently verified API keys (only live ones; unknown keys are always looked up), kept for
/// `lifetime`. Keys are held in memory as their SHA-256, never as the secret.
final class VerifiedKeyCache: Sendable {
    private let entries = Mutex<[SIMD4<UInt64>: (principal: Principal, until: ContinuousClock.Instant)]>([:])
    let lifetime: Duration

    init(lifetime: Duration = .seconds(5)) {
        self.lifetime = lifetime
    }

    func principal(for secret: String) -> Principal? {
        let key = Self.digest(secret)
        let now = ContinuousClock.now
        return entries.withLock { entries in
            guard let entry = entries[key] else { return nil }
            if entry.until < now {
                entries[key] = nil
                return nil
            }
            return entry.principal
        }
    }

    func remember(_ principal: Principal, for secret: String) {
        let key = Self.digest(secret)
        let until = ContinuousClock.now + lifetime
        entries.withLock { entries in
            if entries.count > 10_000 { entries.removeAll() }
            entries[key] = (principal, until)
        }
    }

    /// The secret's SHA-256 as four words, hashed from the string's own bytes (no copies or
    /// allocations on the hot path).
    static func digest(_ secret: String) -> SIMD4<UInt64> {
        let digest = secret.utf8.withContiguousStorageIfAvailable { SHA256.hash(data: UnsafeRawBufferPointer($0)) }
            ?? SHA256.hash(data: Array(secret.utf8))
        return digest.withUnsafeBytes { bytes in
            SIMD4(
                bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self), bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
                bytes.loadUnaligned(fromByteOffset: 16, as: UInt64.self), bytes.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
        }
    }
}
