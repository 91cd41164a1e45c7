import Foundation
import GRDB
import Testing
import VigilDomain

@testable import VigilStore

/// SQLITE_FULL, made without a mount by SQLite's `max_page_count` on the store's writer.
@Suite("SQLite full disk")
struct DiskFullStoreTests {
    /// A full disk (SQLite's `max_page_count` on the writer) is ``StoreError/Code/diskFull``, with
    /// a message that says what to do; the store writes again once there is room, and nothing
    /// acknowledged before is lost.
    @Test func aFullDiskIsDiskFullAndWritesResume() async throws {
        let store = try SQLiteStore(path: SQLiteStoreTests.temporaryDatabase("full"))
        _ = try await store.createList(HashList(name: "full", kind: .internal))
        let pages = try await store.pool.write { db in try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0 }
        try await store.pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA max_page_count = \(pages + 2)") }
        var acknowledged: [String] = []
        var refusal: StoreError?
        for n in 0..<10_000 {
            let value = BackupTests.md5(writer: 9, n)
            do {
                _ = try await store.apply([IndicatorRecord(type: .md5, value: value)], toList: "full")
                acknowledged.append(value)
            } catch {
                refusal = error
                break
            }
        }
        let error = try #require(refusal)
        #expect(error.code == .diskFull, "\(error.debugDescription)")
        #expect(error.message.contains("disk") && error.message.contains("free space"))
        #expect(!acknowledged.isEmpty)

        try await store.pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA max_page_count = 1073741823") }
        _ = try await store.apply([IndicatorRecord(type: .md5, value: BackupTests.md5(writer: 9, 99_999))], toList: "full")
        let stored = Set(try await store.entries(ofList: "full", afterId: 0, limit: 100_000).map(\.value))
        #expect(acknowledged.allSatisfy { stored.contains($0) } && stored.count == acknowledged.count + 1)
        #expect(try await store.pool.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") } == ["ok"])
    }
}
