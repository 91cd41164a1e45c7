public import Foundation
import GRDB
public import Logging

#if canImport(Glibc)
import Glibc
#endif

/// What ``SQLiteStore/backup(to:pagesPerStep:afterStep:)`` wrote.
public struct SQLiteBackup: Sendable, Equatable {
    /// The backup file (its final name).
    public var path: String
    /// Its size in bytes.
    public var bytes: Int64
    /// The database pages copied.
    public var pages: Int
    /// The newest audit event in the copy (0 when the trail is empty): compare it with `vigil audit verify`.
    public var lastAuditSequence: Int64
}

extension SQLiteStore {
    /// Copies the database, consistent as of one moment, to the file `destination` while the node
    /// keeps serving (SQLite's online backup API, inside one read transaction: writers go on in
    /// the write-ahead log; every write acknowledged before the call is in the copy).
    ///
    /// The copy is written to a temporary file next to `destination`, switched to a single file
    /// (no write-ahead log), checked (`PRAGMA integrity_check`, and every migration of this
    /// version applied so that opening it migrates nothing), flushed to disk and only then renamed
    /// to `destination`: a half-written backup never has the final name. An existing file at
    /// `destination` is replaced. `pagesPerStep` pages are copied per step (-1: all at once) and
    /// `afterStep` is called after each step with the pages left (on the database's reader queue;
    /// it must not wait for the store). A temporary file that cannot be removed afterwards is
    /// logged to `logger` as a warning naming it.
    public func backup(
        to destination: String, pagesPerStep: Int32 = -1, afterStep: (@Sendable (_ remainingPages: Int) -> Void)? = nil,
        logger: Logger = Logger(label: "vigil.store.sqlite")
    ) async throws(StoreError) -> SQLiteBackup {
        let target = URL(fileURLWithPath: destination)
        let folder = target.deletingLastPathComponent()
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder), isFolder.boolValue else {
            throw .invalid("the backup's folder \(folder.path) does not exist; create it or name a file in a folder that does")
        }
        let temporary = folder.appendingPathComponent(".\(target.lastPathComponent).\(UUID().uuidString).partial")
        defer { Self.removeDatabaseFiles(temporary.path, logger: logger) }
        do {
            let pages: Int
            let lastAudit: Int64
            do {
                let copy = try DatabaseQueue(path: temporary.path)
                pages = try await pool.read { source in
                    var copied = 0
                    try copy.writeWithoutTransaction { target in
                        try source.backup(to: target, pagesPerStep: pagesPerStep) { progress in
                            copied = progress.totalPageCount
                            afterStep?(progress.remainingPageCount)
                        }
                    }
                    return copied
                }
                lastAudit = try await copy.writeWithoutTransaction { db in
                    // One self-contained file: no -wal beside it to lose or to mix up on restore.
                    _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = DELETE")
                    let check = try String.fetchAll(db, sql: "PRAGMA integrity_check")
                    guard check == ["ok"] else {
                        throw StoreError.internal(
                            "the backup failed its integrity check (\(check.prefix(3).joined(separator: "; "))); the database itself may be damaged: run `PRAGMA integrity_check` on it"
                        )
                    }
                    guard try Self.migrator.hasCompletedMigrations(db) else {
                        throw StoreError.internal("the backup lacks migrations of this version; take it again")
                    }
                    return try Int64.fetchOne(db, sql: "SELECT MAX(sequence) FROM audit_events") ?? 0
                }
                try copy.close()
            }
            try Self.flush(temporary.path)
            if FileManager.default.fileExists(atPath: target.path) { try FileManager.default.removeItem(at: target) }
            try FileManager.default.moveItem(at: temporary, to: target)
            try Self.flush(folder.path)
            let bytes = (try FileManager.default.attributesOfItem(atPath: target.path)[.size] as? NSNumber)?.int64Value ?? 0
            return SQLiteBackup(path: target.path, bytes: bytes, pages: pages, lastAuditSequence: lastAudit)
        } catch let error as StoreError {
            throw error
        } catch let error as DatabaseError where error.resultCode == .SQLITE_FULL || error.resultCode == .SQLITE_IOERR {
            throw StoreError(
                code: .unavailable,
                message: "the backup could not be written to \(folder.path) (a full disk or an I/O error); free space there or choose another folder",
                underlying: error)
        } catch let error as CocoaError {
            throw StoreError(
                code: .unavailable,
                message:
                    "the backup could not be written to \(target.path) (\(error.localizedDescription)); check the folder's permissions and space",
                underlying: error)
        } catch {
            throw StoreError.from(error)
        }
    }

    /// `fsync`s the file or folder at `path`, so that its contents (or a rename in it) survive a power cut.
    static func flush(_ path: String) throws(StoreError) {
        let descriptor = Glibc.open(path, O_RDONLY)
        guard descriptor >= 0 else { throw StoreError(code: .unavailable, message: "cannot open \(path) to flush it (errno \(errno))") }
        defer { _ = Glibc.close(descriptor) }
        guard fsync(descriptor) == 0 else { throw StoreError(code: .unavailable, message: "cannot flush \(path) to disk (errno \(errno))") }
    }

    /// Removes a database file left at `path` and its journals (nothing if absent); each one that
    /// exists but cannot be removed is logged as a warning naming it, and left. Returns the files left.
    @discardableResult
    static func removeDatabaseFiles(_ path: String, logger: Logger) -> [String] {
        var left: [String] = []
        for file in ["", "-journal", "-wal", "-shm"].map({ path + $0 }) where FileManager.default.fileExists(atPath: file) {
            do {
                try FileManager.default.removeItem(atPath: file)
            } catch {
                left.append(file)
                logger.warning(
                    "a backup's temporary file was not removed; delete it by hand",
                    metadata: ["file": "\(file)", "error": "\(error.localizedDescription)"])
            }
        }
        return left
    }
}
