import ArgumentParser
import Configuration
import Foundation
import VigilServer
import VigilStore

/// `--config` and `--data-directory`: where the node's settings and database are.
///
/// Settings are layered, highest first: command-line flags, `VIGIL_*` environment variables, the
/// configuration file (`--config`, or `VIGIL_CONFIG`; JSON, or YAML for `.yaml`/`.yml`), defaults.
/// `NodeConfiguration` lists the keys.
struct DataOptions: ParsableArguments {
    @Option(help: "A JSON or YAML configuration file (default: $VIGIL_CONFIG, if set).")
    var config: String?

    @Option(help: "The folder holding the node's database (default ./vigil-data).")
    var dataDirectory: String?

    @Option(
        help: "A postgres://user[:password]@host[:port]/database URL: the store on PostgreSQL instead of SQLite (default: $VIGIL_STORE_URL, if set).")
    var storeURL: String?

    /// Resolves the configuration, with `flags` (dotted keys of the options given on the command
    /// line) above the environment and the file.
    func resolve(flags: [AbsoluteConfigKey: ConfigValue] = [:]) async throws -> NodeConfiguration {
        var flags = flags
        if let dataDirectory { flags["data.directory"] = ConfigValue(.string(dataDirectory), isSecret: false) }
        if let storeURL { flags["store.url"] = ConfigValue(.string(storeURL), isSecret: true) }
        do {
            return try await NodeConfiguration.load(flags: flags, file: config)
        } catch let error as ConfigurationError {
            throw ValidationError(error.description)
        }
    }

    /// Opens the node's store: PostgreSQL when `store.url` is set, else SQLite in the configured
    /// folder (created if need be).
    func openStore(_ configuration: NodeConfiguration) async throws -> any NodeStore {
        if let url = configuration.storeURL {
            do {
                return try await PostgresStore(url: url)
            } catch {
                throw ValidationError("the PostgreSQL store cannot be opened: \(error.description)")
            }
        }
        return try openSQLite(configuration)
    }

    /// Opens the SQLite database in the configured folder, creating the folder if need be.
    func openSQLite(_ configuration: NodeConfiguration) throws -> SQLiteStore {
        let folder = configuration.dataDirectory
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        do {
            return try SQLiteStore(path: (folder as NSString).appendingPathComponent("vigil.sqlite"))
        } catch {
            throw ValidationError(error.description)
        }
    }

    /// Resolves the configuration and opens the store (for commands that need only that).
    func openStore() async throws -> any NodeStore {
        try await openStore(try await resolve())
    }
}
