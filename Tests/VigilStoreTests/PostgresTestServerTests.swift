import PostgresNIO
import Testing
import VigilDomain
import VigilTestSupport

@testable import VigilStore

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

    /// PostgreSQL aborts a transaction at its first failed statement and answers its `COMMIT` by
    /// rolling back, without an error. A body that caught a statement's error and carried on must
    /// not be told that it committed: the write fails, and nothing of it is stored.
    @Test func aCommitThatRolledBackIsAnError() async throws {
        guard PostgresTestDatabase.serverURL != nil else { return }
        let store = try await PostgresStore(url: try await PostgresTestDatabase.make("rolledback"), clock: ManualClock())
        do {
            _ = try await store.write { tx throws(StoreError) in
                _ = try tx.createList(HashList(name: "lost", kind: .internal))
                guard let session = (tx as? PostgresTransaction)?.session else { throw .internal("not a PostgreSQL transaction") }
                do throws(StoreError) {
                    try session.execute("SELECT 1 / 0")
                } catch {
                    // Swallowed on purpose: the transaction is now aborted.
                }
            }
            Issue.record("a transaction rolled back at its commit was reported as committed")
        } catch let error as StoreError {
            #expect(error.code == .internal && error.message.contains("rolled the transaction back"))
        }
        await #expect(throws: StoreError.listNotFound("lost")) { try await store.list(named: "lost") }
        await store.shutdown()
    }
}
