import Foundation
import GRDB
import Testing
import VigilDomain
import VigilStore

@Suite("SQLite store")
struct SQLiteStoreTests {
    static func temporaryDatabase(_ name: String) -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-store-\(ProcessInfo.processInfo.processIdentifier)-\(name)-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder.appendingPathComponent("vigil.sqlite").path
    }

    static func pdq(_ seed: Int) -> String {
        String((0..<64).map { i in Array("0123456789abcdef")[(seed &* 31 &+ i &* 7) & 15] })
    }

    @Test func listLifecycle() async throws {
        let store = try SQLiteStore(path: Self.temporaryDatabase("lists"))
        let created = try await store.createList(HashList(name: "known", kind: .knownAbuseMaterial, matchRadius: 20))
        #expect(created.list.matchRadius == 20 && created.entryCount == 0)
        await #expect(throws: StoreError.listExists("known")) { try await store.createList(HashList(name: "known", kind: .internal)) }
        await #expect(throws: StoreError.invalid(ListValidationError.invalidName("bad name").description)) {
            try await store.createList(HashList(name: "bad name", kind: .internal))
        }
        let updated = try await store.updateList(named: "known", ListUpdate(enabledRatio: 0.25, enabled: false))
        #expect(updated.list.enabledRatio == 0.25 && !updated.list.enabled && updated.list.matchRadius == 20)
        await #expect(throws: StoreError.invalid(ListValidationError.invalidRadius(99).description)) {
            try await store.updateList(named: "known", ListUpdate(matchRadius: 99))
        }
        #expect(try await store.lists().map(\.list.name) == ["known"])
        try await store.deleteList(named: "known")
        #expect(try await store.lists().filter { $0.list.enabled }.isEmpty)
        await #expect(throws: StoreError.listNotFound("known")) { try await store.list(named: "known") }
    }

    @Test func entriesTombstonesAndTheChangeFeed() async throws {
        let store = try SQLiteStore(path: Self.temporaryDatabase("entries"))
        _ = try await store.createList(HashList(name: "a", kind: .internal))
        let provenance = Provenance(sourceOrganisation: "NCMEC", sourceItemId: "item-1", confirmedBy: "analyst 7", note: "benign test")
        let ids = try await store.apply(
            [
                IndicatorRecord(type: .pdq, value: Self.pdq(1), provenance: provenance),
                IndicatorRecord(type: .md5, value: "d41d8cd98f00b204e9800998ecf8427e"),
                IndicatorRecord(type: .pdq, value: Self.pdq(2)),
            ], toList: "a")
        #expect(ids.count == 3)
        #expect(try await store.list(named: "a").entryCount == 3)
        let stored = try await store.entries(ids: ids)
        #expect(stored[ids[0]]?.provenance == provenance)

        // A delete record tombstones by value; removeEntry by id.
        _ = try await store.apply([IndicatorRecord(type: .pdq, value: Self.pdq(2), action: .delete)], toList: "a")
        try await store.removeEntry(ids[1], fromList: "a")
        await #expect(throws: StoreError.entryNotFound(ids[1])) { try await store.removeEntry(ids[1], fromList: "a") }
        #expect(try await store.list(named: "a").entryCount == 1)
        #expect(try await store.entries(ofList: "a", afterId: 0, limit: 100).map(\.id) == [ids[0]])
        // Tombstoned entries keep their provenance for past matches.
        #expect(try await store.entries(ids: [ids[2]])[ids[2]]?.deletedAt != nil)

        let feed = try await store.changes(after: 0, limit: 100)
        #expect(feed.map(\.kind) == [.add, .add, .add, .remove, .remove])
        #expect(feed.map(\.entryId) == [ids[0], ids[1], ids[2], ids[2], ids[1]])
        #expect(feed.map(\.sequence) == feed.map(\.sequence).sorted())
        #expect(try await store.changes(after: feed[2].sequence, limit: 1).map(\.entryId) == [ids[2]])
    }

    @Test func dataSurvivesReopening() async throws {
        let path = Self.temporaryDatabase("reopen")
        do {
            let store = try SQLiteStore(path: path)
            _ = try await store.createList(HashList(name: "kept", kind: .terroristContent))
            _ = try await store.apply([IndicatorRecord(type: .sha256, value: String(repeating: "ab", count: 32))], toList: "kept")
        }
        let reopened = try SQLiteStore(path: path)
        #expect(try await reopened.list(named: "kept").entryCount == 1)
        #expect(try await reopened.changes(after: 0, limit: 10).count == 1)
    }

    @Test func apiKeysAreHashedScopedAndRevocable() async throws {
        let store = try SQLiteStore(path: Self.temporaryDatabase("keys"))
        let (secret, info) = try await store.createKey(organisation: "Example Host", scopes: [.match, .hash], label: "upload path")
        #expect(secret.hasPrefix("vk_") && secret.count == 51)
        #expect(info.prefix == String(secret.prefix(11)))
        let principal = try #require(try await store.verify(secret: secret))
        #expect(principal.organisation == "Example Host" && principal.scopes == [.match, .hash])
        #expect(try await store.verify(secret: secret.dropLast() + (secret.hasSuffix("0") ? "1" : "0")) == nil)
        #expect(try await store.verify(secret: "nonsense") == nil)
        // Only a hash is stored: the secret itself is nowhere in the database.
        let stored = try await store.pool.read { db in try String.fetchAll(db, sql: "SELECT quote(secret_sha256) || prefix FROM api_keys") }
        #expect(!stored.joined().contains(secret))
        try await store.revokeKey(id: info.id)
        #expect(try await store.verify(secret: secret) == nil)
        #expect(try await store.keys().first?.revokedAt != nil)
        await #expect(throws: StoreError.self) { try await store.createKey(organisation: "x", scopes: [], label: "") }
    }
}
