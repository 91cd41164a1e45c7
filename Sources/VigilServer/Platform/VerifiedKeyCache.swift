import Crypto
import Foundation
import Synchronization
import VigilDomain

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
        var until: Date
        var refreshing: Bool
    }

    private let entries = Mutex<[SIMD4<UInt64>: Entry]>([:])
    /// How long a verified key is remembered, in seconds.
    let lifetime: TimeInterval
    let clock: any WallClock

    init(lifetime: TimeInterval = 5, clock: any WallClock) {
        self.lifetime = lifetime
        self.clock = clock
    }

    func lookup(_ secret: String) -> Lookup {
        let key = Self.digest(secret)
        let now = clock.now()
        let refreshFrom = lifetime / 5
        return entries.withLock { entries in
            guard let entry = entries[key] else { return .miss }
            if entry.until < now {
                entries[key] = nil
                return .miss
            }
            if !entry.refreshing && entry.until.timeIntervalSince(now) < refreshFrom {
                entries[key]?.refreshing = true
                return .refresh(entry.principal)
            }
            return .hit(entry.principal)
        }
    }

    func remember(_ principal: Principal, for secret: String) {
        let key = Self.digest(secret)
        let until = clock.now().addingTimeInterval(lifetime)
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
        let digest =
            secret.utf8.withContiguousStorageIfAvailable { SHA256.hash(data: UnsafeRawBufferPointer($0)) }
            ?? SHA256.hash(data: Array(secret.utf8))
        return digest.withUnsafeBytes { bytes in
            SIMD4(
                bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self), bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
                bytes.loadUnaligned(fromByteOffset: 16, as: UInt64.self), bytes.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
        }
    }
}
