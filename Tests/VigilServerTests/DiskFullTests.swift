import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
import Testing
import VigilDomain
import VigilServer
import VigilStore

/// A full disk (SQLite's `max_page_count` on the store's writer: the same SQLITE_FULL as a full
/// file system, without a mount) is a 507 `disk_full` that says what to do, `/ready` says so, and
/// writes succeed again without a restart once there is room.
@Suite("Full disk")
struct DiskFullTests {
    static func md5(_ n: Int) -> String { String(format: "%032x", 0xD15C_0000 + n) }

    @Test func aFullDiskIs507AndReadyReportsItUntilThereIsRoom() async throws {
        let test = try await TestNode.make()
        try await test.application.test(.router) { client in
            try await client.execute(
                uri: "/v1/lists", method: .post, headers: test.headers(.curate), body: jsonBody(["name": "full", "kind": "internal"])
            ) { #expect($0.status == .created) }
            let pages = try await test.store.pool.write { db in try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0 }
            try await test.store.pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA max_page_count = \(pages + 2)") }

            var acknowledged: [String] = []
            var refused: (status: HTTPResponse.Status, code: String?, message: String, retryAfter: String?)?
            for n in 0..<5_000 where refused == nil {
                let value = Self.md5(n)
                try await client.execute(
                    uri: "/v1/lists/full/entries", method: .post, headers: test.headers(.curate),
                    body: jsonBody(["entries": [["type": "md5", "value": value]]])
                ) { response in
                    if response.status == .created {
                        acknowledged.append(value)
                    } else {
                        let error = response.json["error"] as? [String: Any]
                        refused = (response.status, error?["code"] as? String, error?["message"] as? String ?? "", response.headers[.retryAfter])
                    }
                }
            }
            let refusal = try #require(refused)
            #expect(refusal.status.code == 507 && refusal.code == "disk_full", "\(refusal)")
            #expect(refusal.message.contains("disk") && refusal.message.contains("free space") && refusal.retryAfter != nil)
            #expect(!acknowledged.isEmpty)

            // /ready says why; matching (a read) still answers.
            try await client.execute(uri: "/ready", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                let problems = response.json["problems"] as? [String] ?? []
                #expect(problems.contains { $0.hasPrefix("disk_full:") && $0.contains("free space") }, "\(problems)")
            }
            try await client.execute(
                uri: "/v1/match/hash", method: .post, headers: test.headers(.match), body: jsonBody(["type": "md5", "value": acknowledged[0]])
            ) { #expect($0.status == .ok) }
            try await client.execute(uri: "/ready", method: .get) { #expect($0.status == .serviceUnavailable, "a match is no write") }

            // Room again: the same write succeeds without a restart, and /ready is ready.
            try await test.store.pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA max_page_count = 1073741823") }
            try await client.execute(
                uri: "/v1/lists/full/entries", method: .post, headers: test.headers(.curate),
                body: jsonBody(["entries": [["type": "md5", "value": Self.md5(99_999)]]])
            ) { #expect($0.status == .created) }
            try await client.execute(uri: "/ready", method: .get) { #expect($0.status == .ok) }

            let stored = Set(try await test.store.entries(ofList: "full", afterId: 0, limit: 100_000).map(\.value))
            #expect(acknowledged.allSatisfy { stored.contains($0) })
            #expect(try await test.store.pool.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") } == ["ok"])
        }
    }

    /// `/ready` clears by itself once the data folder has more free space than when a write was refused.
    @Test func readyClearsWhenTheFolderHasMoreRoom() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-space-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let filler = folder.appendingPathComponent("filler")
        try Data(count: 16 << 20).write(to: filler)
        let storage = StorageHealth(directory: folder.path)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        storage.refused(at: now)
        #expect(storage.problems(at: now).count == 1)
        try FileManager.default.removeItem(at: filler)
        #expect(storage.problems(at: now).isEmpty, "16 MiB freed")
        #expect(!storage.isFull)
    }
}
