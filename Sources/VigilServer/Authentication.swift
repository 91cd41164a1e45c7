public import Hummingbird
import VigilDomain
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
        switch cache.lookup(secret) {
        case .hit(let cached):
            principal = cached
        case .miss, .refresh:
            // On a refresh only this request waits for the store; the others go on with the
            // cached principal until it expires.
            let verified: Principal?
            do {
                verified = try await keys.verify(secret: secret)
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
///
/// In the last fifth of an entry's lifetime one request is told to verify the key again while the
/// others keep using it, so that a busy node does not send every concurrent request of a key to
/// the store at once when its entry expires. A revoked key still stops working within `lifetime`.
final class VerifiedKeyCache: Sendable {
    /// What the cache knows of a key.
    enum Lookup: Equatable {
        /// Unknown or expired: verify it.
        case miss
        /// Verified recently.
        case hit(Principal)
        /// Verified, but due for a check: this caller should verify it again.
        case refresh(Principal)
    }

    private struct Entry {
        var principal: Principal
        var until: ContinuousClock.Instant
        var refreshing: Bool
    }

    private let entries = Mutex<[SIMD4<UInt64>: Entry]>([:])
    let lifetime: Duration
    /// The time now (the continuous clock; tests pass their own).
    let now: @Sendable () -> ContinuousClock.Instant

    init(lifetime: Duration = .seconds(5), now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }) {
        self.lifetime = lifetime
        self.now = now
    }

    func lookup(_ secret: String) -> Lookup {
        let key = Self.digest(secret)
        let now = now()
        let refreshFrom = lifetime / 5
        return entries.withLock { entries in
            guard let entry = entries[key] else { return .miss }
            if entry.until < now {
                entries[key] = nil
                return .miss
            }
            if !entry.refreshing && entry.until - now < refreshFrom {
                entries[key]?.refreshing = true
                return .refresh(entry.principal)
            }
            return .hit(entry.principal)
        }
    }

    func remember(_ principal: Principal, for secret: String) {
        let key = Self.digest(secret)
        let until = now() + lifetime
        entries.withLock { entries in
            if entries.count > 10_000 { entries.removeAll() }
            entries[key] = Entry(principal: principal, until: until, refreshing: false)
        }
    }

    /// Drops a key (revoked, or its check failed).
    func forget(_ secret: String) {
        let key = Self.digest(secret)
        _ = entries.withLock { $0.removeValue(forKey: key) }
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
