import Foundation
import GRDB
import Testing
import VigilDomain

@testable import VigilStore

@Suite("SQLite store")
struct SQLiteStoreTests {
    static func temporaryDatabase(_ name: String) -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "vigil-store-\(ProcessInfo.processInfo.processIdentifier)-\(name)-\(UUID().uuidString)")
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

    // MARK: Migrations

    /// A database at schema v3 (before organisations, audit and the outbox's policy reference),
    /// migrated by the current store.
    @Test func migratingKeysAndOutboxFromV3() async throws {
        let path = Self.temporaryDatabase("migrate")
        let oldSecret = "vk_" + String(repeating: "0123456789ab", count: 4)
        do {
            let queue = try DatabaseQueue(path: path)
            try SQLiteStore.migrator.migrate(queue, upTo: "v3-signal-type-settings")
            try await queue.write { db in
                let at = "2025-06-01T00:00:00.000Z"
                for (organisation, digest) in [
                    ("Acme", KeySecret.digest(oldSecret)), ("Beta", [UInt8](repeating: 1, count: 32)), ("Acme", [UInt8](repeating: 2, count: 32)),
                ] {
                    try db.execute(
                        sql:
                            "INSERT INTO api_keys (prefix, secret_sha256, organisation, scopes, label, created_at) VALUES ('vk_x', ?, ?, 'hash,match', '', ?)",
                        arguments: [Data(digest), organisation, at])
                }
                try db.execute(
                    sql: """
                        INSERT INTO lists (name, kind, match_radius, enabled_ratio, enabled, created_at, updated_at) VALUES ('hooked', 'internal', 31, 1, 1, '\(at)', '\(at)');
                        INSERT INTO list_actions (list_id, action, webhook_url, secret, updated_at) VALUES (1, 'notify', 'https://hooks.example/a', 'the-old-secret-value', '\(at)');
                        INSERT INTO outbox (url, secret, body, created_at, next_attempt_at) VALUES ('https://hooks.example/a', 'the-old-secret-value', X'7B7D', '\(at)', '\(at)');
                        INSERT INTO outbox (url, secret, body, created_at, next_attempt_at) VALUES ('https://gone.example/b', 'a-policy-long-removed', X'7B7D', '\(at)', '\(at)');
                        """)
            }
        }
        let clock = ManualClock()
        let store = try SQLiteStore(path: path, clock: clock)
        let organisations = try await store.organisations()
        #expect(organisations.map(\.name) == ["Acme", "Beta"] && organisations.allSatisfy { $0.kind == .provider && $0.memberState == nil })
        let keys = try await store.keys()
        #expect(keys.map(\.organisation) == ["Acme", "Beta", "Acme"])
        #expect(keys.map(\.organisationId) == [organisations[0].id, organisations[1].id, organisations[0].id])
        let principal = try #require(try await store.verify(secret: oldSecret))
        #expect(principal.organisationId == organisations[0].id && principal.kind == .provider && principal.scopes == [.hash, .match])

        // The outbox holds no secret any more; the pending row signs with its policy's secret,
        // the row whose policy is gone fails permanently.
        let columns = try await store.pool.read { db in try db.columns(in: "outbox").map(\.name) }
        #expect(columns.contains("list_id") && !columns.contains("secret"))
        let due = try await store.dueDeliveries(now: clock.now(), limit: 10)
        #expect(due.map(\.id) == [1] && due.first?.secret == "the-old-secret-value" && due.first?.listId == 1)
        #expect(try await store.delivery(2)?.lastError == StoreRules.policyGone)
    }

    // MARK: The audit chain against tampering (raw SQL)

    static func auditedStore(_ name: String, events: Int) async throws -> SQLiteStore {
        let clock = ManualClock()
        let store = try SQLiteStore(path: temporaryDatabase(name), clock: clock)
        for start in stride(from: 0, to: events, by: 100) {
            _ = try await store.write { tx throws(StoreError) in
                for i in start..<min(events, start + 100) {
                    try tx.appendAudit(
                        AuditEvent(
                            actor: "key:\(i % 5)", organisation: i % 3 == 0 ? nil : "Org \(i % 3)", action: "entries.add", object: "list:\(i % 11)",
                            at: tx.now.rfc3339Text, detail: i % 4 == 0 ? "batch \(i)" : nil))
                }
            }
            clock.advance(by: 1)
        }
        return store
    }

    @Test func anUntouchedChainOfAThousandEventsVerifies() async throws {
        let store = try await Self.auditedStore("audit-1000", events: 1000)
        let started = ContinuousClock.now
        let report = try await store.verifyAuditChain()
        print("verified 1,000 audit events in \(ContinuousClock.now - started)")
        #expect(report == AuditChainReport(eventsChecked: 1000, lastGoodSequence: 1000))
    }

    @Test func anAlteredEventIsDetected() async throws {
        let store = try await Self.auditedStore("audit-altered", events: 40)
        try await store.pool.write { db in try db.execute(sql: "UPDATE audit_events SET actor = 'key:999' WHERE sequence = 17") }
        let report = try await store.verifyAuditChain()
        #expect(report.problem == .altered && report.firstBadSequence == 17 && report.lastGoodSequence == 16 && !report.isValid)
    }

    @Test func anAlteredLinkIsDetected() async throws {
        let store = try await Self.auditedStore("audit-link", events: 40)
        try await store.pool.write { db in try db.execute(sql: "UPDATE audit_events SET prev_hash = zeroblob(32) WHERE sequence = 30") }
        let report = try await store.verifyAuditChain()
        #expect(report.problem == .altered && report.firstBadSequence == 30)
    }

    @Test func aDeletedEventIsDetected() async throws {
        let store = try await Self.auditedStore("audit-deleted", events: 40)
        try await store.pool.write { db in try db.execute(sql: "DELETE FROM audit_events WHERE sequence = 23") }
        let report = try await store.verifyAuditChain()
        #expect(report.problem == .deleted && report.firstBadSequence == 23 && report.eventsChecked == 22)
        // The first event too.
        try await store.pool.write { db in try db.execute(sql: "DELETE FROM audit_events WHERE sequence = 1") }
        #expect(try await store.verifyAuditChain().firstBadSequence == 1)
    }

    @Test func swappedEventsAreDetected() async throws {
        let store = try await Self.auditedStore("audit-swapped", events: 40)
        // Swap the places of events 12 and 13 (their sequence numbers).
        try await store.pool.write { db in
            try db.execute(
                sql: """
                    UPDATE audit_events SET sequence = -1 WHERE sequence = 12;
                    UPDATE audit_events SET sequence = 12 WHERE sequence = 13;
                    UPDATE audit_events SET sequence = 13 WHERE sequence = -1;
                    """)
        }
        var report = try await store.verifyAuditChain()
        #expect(report.problem == .reordered && report.firstBadSequence == 12)

        // Swap the contents of events 30 and 31 but keep their hashes where they were.
        let other = try await Self.auditedStore("audit-swapped-content", events: 40)
        try await other.pool.write { db in
            try db.execute(
                sql: """
                    CREATE TEMP TABLE saved AS SELECT * FROM audit_events WHERE sequence IN (30, 31);
                    UPDATE audit_events SET (actor, organisation, action, object, at, detail) =
                        (SELECT actor, organisation, action, object, at, detail FROM saved WHERE saved.sequence = 61 - audit_events.sequence)
                        WHERE sequence IN (30, 31);
                    """)
        }
        report = try await other.verifyAuditChain()
        #expect(report.problem == .reordered && report.firstBadSequence == 30)
    }

    // MARK: Errors, clock and time format

    @Test func databaseErrorsAreClassifiedWithoutLeakingSQL() throws {
        let sql = "SELECT secret FROM list_actions WHERE list_id = 1"
        let cases: [(ResultCode, StoreError.Code)] = [
            (.SQLITE_BUSY, .busy), (.SQLITE_LOCKED, .busy), (.SQLITE_CONSTRAINT, .conflict), (.SQLITE_FULL, .diskFull),
            (.SQLITE_IOERR, .unavailable), (.SQLITE_CANTOPEN, .unavailable), (.SQLITE_READONLY, .unavailable),
            (.SQLITE_CORRUPT, .internal), (.SQLITE_NOTADB, .internal), (.SQLITE_ERROR, .internal),
        ]
        for (resultCode, code) in cases {
            let error = StoreError.from(DatabaseError(resultCode: resultCode, message: "near secret: detail", sql: sql))
            #expect(error.code == code)
            #expect(error.isRetryable == (code == .busy))
            #expect(!error.message.contains("SELECT") && !error.message.contains("secret") && !error.description.contains("SELECT"))
            #expect(error.underlying is DatabaseError && error.debugDescription.contains(code.name))
        }
        // Extended codes map by their primary code.
        #expect(StoreError.from(DatabaseError(resultCode: .SQLITE_CONSTRAINT_UNIQUE)).code == .conflict)
        #expect(StoreError.from(DatabaseError(resultCode: .SQLITE_BUSY_SNAPSHOT)).code == .busy)
        // A store error passes through; matching by code reads like an enum.
        let notFound = StoreError.from(StoreError.listNotFound("x"))
        #expect(notFound == .listNotFound("x"))
        guard case .listNotFound = notFound else {
            Issue.record("case .listNotFound did not match")
            return
        }
    }

    @Test func aStoreThatCannotOpenIsUnavailable() {
        do throws(StoreError) {
            _ = try SQLiteStore(path: "/nonexistent-vigil-folder/\(UUID().uuidString)/vigil.sqlite")
            Issue.record("a store opened in a folder that does not exist")
        } catch {
            #expect(error.code == .unavailable && !error.isRetryable)
        }
    }

    @Test func storedTimesComeFromTheClockInOneFormat() async throws {
        let clock = ManualClock(Date(timeIntervalSince1970: 1_767_225_600.25))
        let store = try SQLiteStore(path: Self.temporaryDatabase("clock"), clock: clock)
        #expect(try await store.createList(HashList(name: "timed", kind: .internal)).createdAt == "2026-01-01T00:00:00.250Z")
        clock.advance(by: .seconds(90))
        let (_, key) = try await store.createKey(organisation: "Timed Org", scopes: [.match], label: "")
        #expect(key.createdAt == "2026-01-01T00:01:30.250Z")
        #expect(try await store.organisation(named: "Timed Org")?.createdAt == "2026-01-01T00:01:30.250Z")
        let id = try await store.apply([IndicatorRecord(type: .md5, value: "d41d8cd98f00b204e9800998ecf8427e")], toList: "timed")[0]
        let until = clock.now().addingTimeInterval(60)
        let entry = try await store.editEntry(id, inList: "timed", EntryEdit(disabledUntil: .some(until)))
        #expect(entry.disabledUntil == "2026-01-01T00:02:30.250Z" && entry.disabledUntilDate == until)
        #expect(
            StoredEntry(id: 1, listId: 1, type: .md5, value: "", provenance: Provenance(), disabledUntil: "2026-01-01T00:02:30Z", createdAt: "")
                .disabledUntilDate == Date(timeIntervalSince1970: 1_767_225_750))
        #expect(
            StoredEntry(id: 1, listId: 1, type: .md5, value: "", provenance: Provenance(), disabledUntil: "not a time", createdAt: "")
                .disabledUntilDate == nil)
    }
}
