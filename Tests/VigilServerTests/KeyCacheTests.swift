import VigilDomain
import Foundation
import Synchronization
import Testing
@testable import VigilServer
import VigilStore

@Suite("Verified-key cache")
struct KeyCacheTests {
    @Test func rememberedKeysExpire() async throws {
        let cache = VerifiedKeyCache(lifetime: .milliseconds(100))
        let principal = Principal(keyId: 1, organisationId: 1, organisation: "o", kind: .provider, scopes: [.match])
        #expect(cache.lookup("vk_a") == .miss)
        cache.remember(principal, for: "vk_a")
        #expect(cache.lookup("vk_a") == .hit(principal))
        #expect(cache.lookup("vk_b") == .miss)
        try await Task.sleep(for: .milliseconds(150))
        // Expired: the next request goes back to the store, where a revoked key fails.
        #expect(cache.lookup("vk_a") == .miss)
    }

    @Test func oneCallerRefreshesNearTheEndWhileOthersKeepTheEntry() {
        // A hand-moved clock: the test does not depend on how promptly a busy machine wakes it.
        let start = ContinuousClock.now
        let elapsed = Mutex<Duration>(.zero)
        let cache = VerifiedKeyCache(lifetime: .seconds(5)) { start + elapsed.withLock { $0 } }
        let principal = Principal(keyId: 1, organisationId: 1, organisation: "o", kind: .provider, scopes: [.match])
        cache.remember(principal, for: "vk_a")
        elapsed.withLock { $0 = .milliseconds(3_900) }
        #expect(cache.lookup("vk_a") == .hit(principal))
        // In the last fifth: the first caller is asked to verify again, the rest still hit.
        elapsed.withLock { $0 = .milliseconds(4_100) }
        #expect(cache.lookup("vk_a") == .refresh(principal))
        #expect(cache.lookup("vk_a") == .hit(principal))
        #expect(cache.lookup("vk_a") == .hit(principal))
        // The refresh succeeded: a full lifetime again from now.
        cache.remember(principal, for: "vk_a")
        elapsed.withLock { $0 = .milliseconds(8_000) }
        #expect(cache.lookup("vk_a") == .hit(principal))
        // Past the lifetime without a refresh: gone.
        elapsed.withLock { $0 = .milliseconds(9_200) }
        #expect(cache.lookup("vk_a") == .miss)
        // A refresh that finds the key revoked drops it at once.
        cache.remember(principal, for: "vk_a")
        cache.forget("vk_a")
        #expect(cache.lookup("vk_a") == .miss)
    }
}

