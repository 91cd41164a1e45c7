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
}
