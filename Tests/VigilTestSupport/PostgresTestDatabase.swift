import Foundation
import Logging
import NIOPosix
import PostgresNIO

/// Throwaway PostgreSQL databases for the tests that run on PostgreSQL (the store contract suite,
/// several nodes on one database), on the server `make test` starts (`scripts/test.sh` with
/// `scripts/postgres-cluster.sh`): `VIGIL_TEST_POSTGRES_URL` names it. Each call makes a new,
/// empty database. Where the variable is unset, those tests do not run, unless
/// `VIGIL_REQUIRE_POSTGRES=1` (set by `.ci/run`), which makes the absence a failure.
public enum PostgresTestDatabase {
    /// The test server's URL, if one is configured.
    public static var serverURL: String? {
        let value = ProcessInfo.processInfo.environment["VIGIL_TEST_POSTGRES_URL"] ?? ""
        return value.isEmpty ? nil : value
    }

    /// Whether the tests must run on PostgreSQL (CI).
    public static var required: Bool { ProcessInfo.processInfo.environment["VIGIL_REQUIRE_POSTGRES"] == "1" }

    /// Whether the PostgreSQL tests run: a server is configured, or one is required (and its
    /// absence then fails them).
    public static var enabled: Bool { serverURL != nil || required }

    /// Why no test database can be made.
    public struct Unavailable: Error, CustomStringConvertible {
        public let description: String
    }

    /// Runs one statement on the test server's own database (as its superuser).
    public static func execute(_ sql: String) async throws {
        try await run(PostgresQuery(unsafeSQL: sql))
    }

    /// Creates an empty database on the test server and returns its URL.
    public static func make(_ label: String) async throws -> String {
        guard let serverURL, var components = URLComponents(string: serverURL) else {
            throw Unavailable(description: "VIGIL_TEST_POSTGRES_URL is not set (or not a URL): start a cluster with scripts/postgres-cluster.sh")
        }
        let name = "vigil_test_\(label)_\(UUID().uuidString.prefix(8).lowercased())"
        try await run("CREATE DATABASE \(unescaped: name)")
        components.path = "/\(name)"
        guard let url = components.string else { throw Unavailable(description: "the test database's URL could not be written") }
        return url
    }

    /// Runs `query` on one new connection to the test server's own database, then closes it.
    private static func run(_ query: PostgresQuery) async throws {
        guard let serverURL, let components = URLComponents(string: serverURL), let host = components.host else {
            throw Unavailable(description: "VIGIL_TEST_POSTGRES_URL is not set (or not a URL): start a cluster with scripts/postgres-cluster.sh")
        }
        let logger = Logger(label: "vigil.test.postgres")
        let database = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        let connection = try await PostgresConnection.connect(
            on: MultiThreadedEventLoopGroup.singleton.any(),
            configuration: PostgresConnection.Configuration(
                host: host, port: components.port ?? 5432, username: components.user ?? "postgres", password: components.password,
                database: database.isEmpty ? "postgres" : database, tls: .disable),
            id: 1, logger: logger)
        do {
            try await connection.query(query, logger: logger)
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
    }
}
