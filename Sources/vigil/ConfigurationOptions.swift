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

    /// Resolves the configuration, with `flags` (dotted keys of the options given on the command
    /// line) above the environment and the file.
    func resolve(flags: [AbsoluteConfigKey: ConfigValue] = [:]) async throws -> NodeConfiguration {
        var flags = flags
        if let dataDirectory { flags["data.directory"] = ConfigValue(.string(dataDirectory), isSecret: false) }
        do {
            return try await NodeConfiguration.load(flags: flags, file: config)
        } catch let error as ConfigurationError {
            throw ValidationError(error.description)
        }
    }

    /// Opens the node's database in the configured folder, creating the folder if need be.
    func openStore(_ configuration: NodeConfiguration) throws -> SQLiteStore {
        let folder = configuration.dataDirectory
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        do {
            return try SQLiteStore(path: (folder as NSString).appendingPathComponent("vigil.sqlite"))
        } catch {
            throw ValidationError(error.description)
        }
    }

    /// Resolves the configuration and opens the database (for commands that need only that).
    func openStore() async throws -> SQLiteStore {
        try openStore(try await resolve())
    }
}
