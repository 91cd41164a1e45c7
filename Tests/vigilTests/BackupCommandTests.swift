import Foundation
import Logging
import Testing
import VigilDomain
import VigilStore

@testable import vigil

/// `vigil backup`, the built binary: a copy that restores as the documented steps say, and the
/// refusals that name what to do.
@Suite("vigil backup command")
struct BackupCommandTests {
    static func folder(_ name: String) throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-backup-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder.path
    }

    @Test func aBackupRestoresIntoAnotherDataFolder() throws {
        let data = try Self.folder("live")
        #expect(try HashCommandTests.vigil(["orgs", "create", "Example Hosting", "--kind", "provider", "--data-directory", data]).status == 0)
        let key = try HashCommandTests.vigil([
            "keys", "create", "--org", "Example Hosting", "--scopes", "match", "--label", "kept", "--data-directory", data,
        ])
        #expect(key.status == 0, "\(key.stderr)")

        let target = try Self.folder("copies") + "/vigil-backup.sqlite"
        let run = try HashCommandTests.vigil(["backup", "--data-directory", data, "--to", target])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.hasPrefix("backup: \(target): ") && run.stdout.contains("integrity ok"), "\(run.stdout)")
        #expect(!FileManager.default.fileExists(atPath: target + "-wal"))

        // Restore as docs/operations.md says: the file in place as vigil.sqlite in a data folder.
        let restored = try Self.folder("restored")
        try FileManager.default.copyItem(atPath: target, toPath: restored + "/vigil.sqlite")
        let keys = try HashCommandTests.vigil(["keys", "list", "--data-directory", restored])
        #expect(keys.status == 0 && keys.stdout.contains("Example Hosting") && keys.stdout.contains("kept"), "\(keys.stdout)\(keys.stderr)")
        let audit = try HashCommandTests.vigil(["audit", "verify", "--data-directory", restored])
        #expect(audit.status == 0 && audit.stdout.hasPrefix("valid:"), "\(audit.stdout)\(audit.stderr)")
    }

    @Test func refusalsNameWhatToDo() throws {
        let empty = try Self.folder("empty")
        let missing = try HashCommandTests.vigil(["backup", "--data-directory", empty, "--to", empty + "/copy.sqlite"])
        #expect(missing.status != 0 && missing.stderr.contains("no database at"), "\(missing.stderr)")
        #expect(!FileManager.default.fileExists(atPath: empty + "/vigil.sqlite"), "a backup of nothing makes no database")

        let postgres = try HashCommandTests.vigil(["backup", "--store-url", "postgres://vigil@db.example/vigil", "--to", empty + "/copy.sqlite"])
        #expect(postgres.status != 0 && postgres.stderr.contains("pg_dump"), "\(postgres.stderr)")

        let data = try Self.folder("self")
        #expect(try HashCommandTests.vigil(["orgs", "list", "--data-directory", data]).status == 0)
        let onto = try HashCommandTests.vigil(["backup", "--data-directory", data, "--to", data + "/vigil.sqlite"])
        #expect(onto.status != 0 && onto.stderr.contains("live database itself"), "\(onto.stderr)")
    }
}

/// The command's own work, in process: its time comes from the clock it is given, not `Date()`.
@Suite("vigil backup's clock")
struct BackupCommandClockTests {
    @Test func theDurationIsReadFromTheGivenClock() async throws {
        let data = try BackupCommandTests.folder("clock")
        let store = try SQLiteStore(path: data + "/vigil.sqlite")
        let clock = ManualClock()
        // The copy "takes" 2.5 s on the manual clock: it moves only in the store's step callback.
        let line = try await BackupCommand.backup(
            store, to: data + "/copy.sqlite", clock: clock, logger: Logger(label: "backup-test"),
            afterStep: { _ in clock.advance(by: 2.5) })
        #expect(line.hasPrefix("backup: \(data)/copy.sqlite: ") && line.hasSuffix(", 2.50 s"), "\(line)")
    }
}
