import Foundation
public import Testing
public import VigilDomain
public import VigilStore

/// Makes a fresh, empty store for one test. Every store implementation adds its factory to
/// ``all``, and the store contract (VigilStoreTests) and the Centre's store-facing suites run on it
/// unchanged: those tests use only the protocols.
public struct StoreFactory: Sendable, CustomTestStringConvertible {
    /// The implementation's name, shown in test results.
    public var name: String
    /// Makes an empty store whose stored times come from `clock`.
    public var make: @Sendable (_ clock: ManualClock) async throws -> any NodeStore

    public var testDescription: String { name }

    /// SQLite in a fresh temporary file.
    public static let sqlite = StoreFactory(name: "SQLite") { clock in
        try SQLiteStore(path: temporaryDatabasePath("contract"), clock: clock)
    }

    /// PostgreSQL: a new database on the test server (`VIGIL_TEST_POSTGRES_URL`).
    public static let postgres = StoreFactory(name: "PostgreSQL") { clock in
        try await PostgresStore(url: try await PostgresTestDatabase.make("contract"), clock: clock)
    }

    /// Every implementation the contract runs on: SQLite always, PostgreSQL where a test server is
    /// configured (always in CI, which sets `VIGIL_REQUIRE_POSTGRES=1` to make sure of it).
    public static let all: [StoreFactory] =
        PostgresTestDatabase.serverURL == nil && !PostgresTestDatabase.required ? [.sqlite] : [.sqlite, .postgres]
}

/// A path for a new SQLite database in a fresh temporary folder, named after `name`.
public func temporaryDatabasePath(_ name: String) -> String {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
        "vigil-store-\(ProcessInfo.processInfo.processIdentifier)-\(name)-\(UUID().uuidString)")
    do {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    } catch {
        // SQLite then fails to open the path, and the test reports that.
    }
    return folder.appendingPathComponent("vigil.sqlite").path
}
