import Foundation
import GRDB
import Logging
import Synchronization
import Testing
import VigilDomain

@testable import VigilStore

/// `SQLiteStore.backup(to:)` while writers keep writing: every write acknowledged before the
/// backup started is in the copy, nothing begun after its snapshot is, the copy is whole
/// (integrity, the audit chain) and opens without a migration.
@Suite("SQLite backup")
struct BackupTests {
    /// What the writers acknowledged, shared with the test.
    final class Ledger: Sendable {
        struct State {
            /// Per writer, the values whose write returned, in order.
            var acknowledged: [[String]]
            /// Per writer, the values whose write began after the backup's snapshot was open.
            var begunAfterSnapshot: [[String]]
            var snapshotOpen = false
            var stop = false
        }
        let state: Mutex<State>
        /// Signalled on every acknowledgement (for the backup's step callback, which runs off the
        /// test's tasks and waits on counts).
        let condition = NSCondition()
        let events: AsyncStream<Void>
        let continuation: AsyncStream<Void>.Continuation

        init(writers: Int) {
            state = Mutex(State(acknowledged: Array(repeating: [], count: writers), begunAfterSnapshot: Array(repeating: [], count: writers)))
            (events, continuation) = AsyncStream.makeStream(of: Void.self)
        }

        func acknowledge(_ value: String, writer: Int, begunAfterSnapshot: Bool) {
            state.withLock {
                $0.acknowledged[writer].append(value)
                if begunAfterSnapshot { $0.begunAfterSnapshot[writer].append(value) }
            }
            condition.lock()
            condition.broadcast()
            condition.unlock()
            continuation.yield()
        }

        /// Blocks the calling thread (not a task's) until `enough` holds, or 60 s pass (a watchdog: false).
        func block(until enough: (State) -> Bool) -> Bool {
            let deadline = Date().addingTimeInterval(60)
            condition.lock()
            defer { condition.unlock() }
            while !enough(state.withLock { $0 }) {
                if !condition.wait(until: deadline) { return enough(state.withLock { $0 }) }
            }
            return true
        }
    }

    static func md5(writer: Int, _ n: Int) -> String {
        String(format: "%08x%08x%016x", 0xB0C0 + writer, n, writer &* 1_000_003 &+ n)
    }

    @Test func backupUnderWriteLoadHoldsEveryAcknowledgedWrite() async throws {
        let path = SQLiteStoreTests.temporaryDatabase("backup")
        let store = try SQLiteStore(path: path)
        let writers = 4
        for writer in 0..<writers { _ = try await store.createList(HashList(name: "w\(writer)", kind: .internal)) }
        let ledger = Ledger(writers: writers)

        let load = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<writers {
                    group.addTask {
                        var n = 0
                        while !ledger.state.withLock({ $0.stop }) {
                            let value = Self.md5(writer: writer, n)
                            let afterSnapshot = ledger.state.withLock { $0.snapshotOpen }
                            // One entry and its audit event in one transaction: the copy must hold both or neither.
                            try await store.write { tx throws(StoreError) in
                                let ids = try tx.apply([IndicatorRecord(type: .md5, value: value)], toList: "w\(writer)")
                                _ = try tx.appendAudit(
                                    AuditEvent(
                                        actor: "writer \(writer)", organisation: nil, action: "entry.add", object: "entry:\(ids[0])",
                                        at: tx.now.rfc3339Text, detail: value))
                            }
                            ledger.acknowledge(value, writer: writer, begunAfterSnapshot: afterSnapshot)
                            n += 1
                        }
                    }
                }
                try await group.waitForAll()
            }
        }

        // Wait (by count) until every writer has 50 acknowledged writes: enough pages to copy in steps.
        for await _ in ledger.events where ledger.state.withLock({ $0.acknowledged.allSatisfy { $0.count >= 50 } }) { break }
        let acknowledgedBefore = ledger.state.withLock { $0.acknowledged }

        let target = (path as NSString).deletingLastPathComponent + "/copy.sqlite"
        let steps = Atomic<Int>(0)
        let waitedForWriters = Atomic<Bool>(false)
        let backup = try await store.backup(to: target, pagesPerStep: 2) { _ in
            // After the first step the copy's snapshot is open: writers go on; hold the copy until
            // each has acknowledged 10 writes begun after it.
            guard steps.add(1, ordering: .relaxed).newValue == 1 else { return }
            ledger.state.withLock { $0.snapshotOpen = true }
            waitedForWriters.store(ledger.block { $0.begunAfterSnapshot.allSatisfy { $0.count >= 10 } }, ordering: .relaxed)
        }
        ledger.state.withLock { $0.stop = true }
        try await load.value
        ledger.continuation.finish()

        let writersWentOn = waitedForWriters.load(ordering: .relaxed)
        let stepCount = steps.load(ordering: .relaxed)
        #expect(writersWentOn, "the writers went on while the backup was open")
        #expect(stepCount > 1 && backup.pages > 2, "copied in \(stepCount) steps")
        #expect(!FileManager.default.fileExists(atPath: target + "-wal"), "the backup is one file")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: (target as NSString).deletingLastPathComponent).filter {
            $0.hasSuffix(".partial")
        }
        #expect(leftovers.isEmpty)

        // The copy opens without migrating and is whole.
        let queue = try DatabaseQueue(path: target)
        let (migrated, integrity) = try await queue.read { db in
            (try SQLiteStore.migrator.hasCompletedMigrations(db), try String.fetchAll(db, sql: "PRAGMA integrity_check"))
        }
        try queue.close()
        #expect(migrated && integrity == ["ok"])

        let copy = try SQLiteStore(path: target)
        let chain = try await copy.verifyAuditChain()
        #expect(chain.isValid && chain.lastGoodSequence == backup.lastAuditSequence)
        let begunAfter = ledger.state.withLock { $0.begunAfterSnapshot }
        var entriesInCopy = 0
        for writer in 0..<writers {
            let stored = Set(try await copy.entries(ofList: "w\(writer)", afterId: 0, limit: 100_000).map(\.value))
            entriesInCopy += stored.count
            let missing = acknowledgedBefore[writer].filter { !stored.contains($0) }
            #expect(missing.isEmpty, "writer \(writer): \(missing.count) acknowledged writes missing from the backup")
            let late = begunAfter[writer].filter { stored.contains($0) }
            #expect(late.isEmpty, "writer \(writer): \(late.count) writes begun after the snapshot are in it")
        }
        // Each write's entry and audit event came together: as many events as entries.
        #expect(Int64(entriesInCopy) == chain.eventsChecked, "\(entriesInCopy) entries, \(chain.eventsChecked) audit events")

        // The live store went on: it holds everything, the copy fewer.
        let total = ledger.state.withLock { $0.acknowledged.map(\.count).reduce(0, +) }
        #expect(try await store.verifyAuditChain().eventsChecked == Int64(total))
        #expect(entriesInCopy < total)
    }

    /// The log messages a logger was given, with their metadata.
    final class LogRecords: Sendable {
        let lines = Mutex<[(Logger.Level, String, Logger.Metadata)]>([])

        struct Handler: LogHandler {
            let records: LogRecords
            var metadata: Logger.Metadata = [:]
            var logLevel: Logger.Level = .trace
            subscript(metadataKey key: String) -> Logger.Metadata.Value? {
                get { metadata[key] }
                set { metadata[key] = newValue }
            }
            func log(event: LogEvent) {
                records.lines.withLock { $0.append((event.level, event.message.description, event.metadata ?? [:])) }
            }
        }
    }

    /// The backup's cleanup: a temporary file that exists but cannot be removed is logged as a
    /// warning naming it (it was dropped with `try?`); absent journals are not an error.
    @Test func aTemporaryFileTheCleanupCannotRemoveIsLogged() throws {
        let records = LogRecords()
        let logger = Logger(label: "backup-test") { _ in LogRecords.Handler(records: records) }

        // Files in /proc exist and cannot be removed, not even by root.
        let stuck = "/proc/self/status"
        #expect(SQLiteStore.removeDatabaseFiles(stuck, logger: logger) == [stuck])
        let lines = records.lines.withLock { $0 }
        #expect(lines.count == 1)
        #expect(lines.first?.0 == .warning)
        #expect(lines.first?.1.contains("not removed") == true)
        #expect(lines.first?.2["file"] == .string(stuck))

        // A file that can be removed, with journals absent: removed, nothing logged.
        let path = SQLiteStoreTests.temporaryDatabase("backup-cleanup")
        try Data("partial".utf8).write(to: URL(fileURLWithPath: path))
        try Data("wal".utf8).write(to: URL(fileURLWithPath: path + "-wal"))
        #expect(SQLiteStore.removeDatabaseFiles(path, logger: logger).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: path) && !FileManager.default.fileExists(atPath: path + "-wal"))
        #expect(records.lines.withLock { $0.count } == 1)
    }

    @Test func aBackupIntoAFolderThatIsNotThereNamesIt() async throws {
        let store = try SQLiteStore(path: SQLiteStoreTests.temporaryDatabase("backup-missing"))
        await #expect(throws: StoreError.self) { try await store.backup(to: "/nonexistent-\(UUID().uuidString)/copy.sqlite") }
        do {
            _ = try await store.backup(to: "/nonexistent-folder-for-vigil/copy.sqlite")
        } catch {
            #expect(error.code == .invalid && error.message.contains("/nonexistent-folder-for-vigil"))
        }
    }
}
