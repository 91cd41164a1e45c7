import ArgumentParser
import Foundation
import Logging
import VigilDomain
import VigilServer
import VigilStore

/// `vigil backup`: a consistent copy of the node's database, taken while the node serves.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy the node's database to one file, consistent as of one moment, while the node keeps serving.",
        discussion: """
            Uses SQLite's online backup: every write acknowledged before the command started is in the copy, and writers are \
            not stopped. The copy is checked (integrity, schema of this version) and written to a temporary file that is \
            renamed to FILE only when complete. To restore: stop the node, remove vigil.sqlite-wal and vigil.sqlite-shm from \
            the data folder, put the backup in place as vigil.sqlite, start the node (docs/operations.md). A PostgreSQL store \
            is backed up with pg_dump instead (docs/operations.md).
            """)

    @OptionGroup var data: DataOptions
    @Option(name: .customLong("to"), help: ArgumentHelp("The backup file to write (replaced if it exists).", valueName: "file"))
    var destination: String

    func run() async throws {
        let configuration = try await data.resolve()
        let location = configuration.dataDirectory
        if configuration.storeURL != nil {
            throw ValidationError(
                "vigil backup copies the SQLite store only; back a PostgreSQL store up with pg_dump (docs/operations.md, \"PostgreSQL\")")
        }
        let database = (location as NSString).appendingPathComponent("vigil.sqlite")
        guard FileManager.default.fileExists(atPath: database) else {
            throw ValidationError("no database at \(database); name the node's data folder with --data-directory (or data.directory)")
        }
        let store = try data.openSQLite(configuration)
        let target = URL(fileURLWithPath: destination).standardizedFileURL.path
        guard target != URL(fileURLWithPath: database).standardizedFileURL.path else {
            throw ValidationError("--to names the live database itself; write the backup to another file")
        }
        let logger = Logger(label: "vigil") { label in LineLogHandler(label: label, logLevel: configuration.logLevel) }
        print(try await Self.backup(store, to: target, clock: SystemClock(), logger: logger))
    }

    /// Backs `store` up to the file `target` and returns the line the command prints: the copy's
    /// figures and how long it took by `clock` (the CLI's wall clock; a test's manual one).
    /// `afterStep` is the store's per-step callback (see `SQLiteStore.backup`).
    static func backup(
        _ store: SQLiteStore, to target: String, clock: any WallClock, logger: Logger,
        afterStep: (@Sendable (_ remainingPages: Int) -> Void)? = nil
    ) async throws -> String {
        let started = clock.now()
        let backup: SQLiteBackup
        do {
            backup = try await store.backup(to: target, afterStep: afterStep, logger: logger)
        } catch {
            throw ValidationError(error.description)
        }
        let seconds = clock.now().timeIntervalSince(started)
        return "backup: \(backup.path): \(backup.bytes) bytes, \(backup.pages) pages, integrity ok, last audit event \(backup.lastAuditSequence), "
            + String(format: "%.2f s", seconds)
    }
}
