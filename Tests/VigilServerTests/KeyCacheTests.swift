import Foundation
import Testing
@testable import VigilServer
import VigilStore

@Suite("Verified-key cache")
struct KeyCacheTests {
    @Test func rememberedKeysExpire() async throws {
        let cache = VerifiedKeyCache(lifetime: .milliseconds(100))
        let principal = Principal(keyId: 1, organisation: "o", scopes: [.match])
        #expect(cache.principal(for: "vk_a") == nil)
        cache.remember(principal, for: "vk_a")
        #expect(cache.principal(for: "vk_a") == principal)
        #expect(cache.principal(for: "vk_b") == nil)
        try await Task.sleep(for: .milliseconds(150))
        // Expired: the next request goes back to the store, where a revoked key fails.
        #expect(cache.principal(for: "vk_a") == nil)
    }

    @Test func oneCallerRefreshesNearTheEndWhileOthersKeepTheEntry() async throws {
        let cache = VerifiedKeyCache(lifetime: .seconds(2))
        let principal = Principal(keyId: 1, organisation: "o", scopes: [.match])
        cache.remember(principal, for: "vk_a")
        #expect(cache.lookup("vk_a") == .hit(principal))
        try await Task.sleep(for: .milliseconds(1700))
        // In the last fifth: the first caller is asked to verify again, the rest still hit.
        #expect(cache.lookup("vk_a") == .refresh(principal))
        #expect(cache.lookup("vk_a") == .hit(principal))
        #expect(cache.lookup("vk_a") == .hit(principal))
        // The refresh succeeded: a full lifetime again.
        cache.remember(principal, for: "vk_a")
        try await Task.sleep(for: .milliseconds(200))
        #expect(cache.lookup("vk_a") == .hit(principal))
        // A refresh that finds the key revoked drops it at once.
        cache.forget("vk_a")
        #expect(cache.lookup("vk_a") == .miss)
    }
}

