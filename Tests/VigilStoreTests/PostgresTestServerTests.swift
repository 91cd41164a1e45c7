import Testing
import VigilStore
import VigilTestSupport

@Suite("PostgreSQL test server")
struct PostgresTestServerTests {
    /// CI sets VIGIL_REQUIRE_POSTGRES=1: the PostgreSQL half of the contract suite must have a
    /// server to run on, or this fails (so that it cannot be skipped unnoticed).
    @Test func theServerIsThereWhenRequired() async throws {
        guard PostgresTestDatabase.required else { return }
        let url = try #require(PostgresTestDatabase.serverURL, "VIGIL_REQUIRE_POSTGRES=1 but VIGIL_TEST_POSTGRES_URL is not set")
        let store = try await PostgresStore(url: try await PostgresTestDatabase.make("ping"))
        try await store.ping()
        #expect(url.hasPrefix("postgres"))
        await store.shutdown()
    }
}
