import Foundation
import Synchronization
import Testing
import VigilDomain
import VigilStore

@testable import VigilServer

@Suite("Verified-key cache")
struct KeyCacheTests {
    @Test func rememberedKeysExpire() {
        let clock = ManualClock()
        let cache = VerifiedKeyCache(lifetime: 0.1, clock: clock)
        let principal = Principal(keyId: 1, organisationId: 1, organisation: "o", kind: .provider, scopes: [.match])
        #expect(cache.lookup("vk_a") == .miss)
        cache.remember(principal, for: "vk_a")
        #expect(cache.lookup("vk_a") == .hit(principal))
        #expect(cache.lookup("vk_b") == .miss)
        clock.advance(by: 0.15)
        // Expired: the next request goes back to the store, where a revoked key fails.
        #expect(cache.lookup("vk_a") == .miss)
    }

    @Test func oneCallerRefreshesNearTheEndWhileOthersKeepTheEntry() {
        // A hand-moved clock: the test does not depend on how promptly a busy machine wakes it.
        let clock = ManualClock()
        let start = clock.now()
        let cache = VerifiedKeyCache(lifetime: 5, clock: clock)
        let principal = Principal(keyId: 1, organisationId: 1, organisation: "o", kind: .provider, scopes: [.match])
        func at(_ seconds: Double) { clock.set(start.addingTimeInterval(seconds)) }
        cache.remember(principal, for: "vk_a")
        at(3.9)
        #expect(cache.lookup("vk_a") == .hit(principal))
        // In the last fifth: the first caller is asked to verify again, the rest still hit.
        at(4.1)
        #expect(cache.lookup("vk_a") == .refresh(principal))
        #expect(cache.lookup("vk_a") == .hit(principal))
        #expect(cache.lookup("vk_a") == .hit(principal))
        // The refresh succeeded: a full lifetime again from now.
        cache.remember(principal, for: "vk_a")
        at(8.0)
        #expect(cache.lookup("vk_a") == .hit(principal))
        // Past the lifetime without a refresh: gone.
        at(9.2)
        #expect(cache.lookup("vk_a") == .miss)
        // A refresh that finds the key revoked drops it at once.
        cache.remember(principal, for: "vk_a")
        cache.forget("vk_a")
        #expect(cache.lookup("vk_a") == .miss)
    }
}
