import Foundation
import Testing
import VigilDomain
import VigilStore
import VigilTestSupport

/// A body that fails after writing: nothing it wrote may remain.
private let abort = StoreError.invalid("the test aborts this transaction")

@Suite("Store contract")
struct StoreContractTests {
    static func pdq(_ seed: Int) -> String {
        String((0..<64).map { i in Array("0123456789abcdef")[(seed &* 31 &+ i &* 7) & 15] })
    }

    static let secret = "a-webhook-secret-of-some-length"

    /// Records with one content key are one content (HMA's content item with several signals):
    /// one content id, the first entry's, read back together; metadata kept as given.
    @Test(arguments: StoreFactory.all)
    func contentKeysGroupEntries(_ factory: StoreFactory) async throws {
        let store = try await factory.make(ManualClock())
        let list = try await store.createList(HashList(name: "content", kind: .internal))
        let other = try await store.createList(HashList(name: "other", kind: .internal))
        let metadata = #"{"content_uri":"https://example.com/1","json":{"a":[1]}}"#
        let provenance = Provenance(sourceItemId: "ext-1", metadata: metadata)
        let md5 = "d41d8cd98f00b204e9800998ecf8427e"
        let ids = try await store.apply(
            [
                IndicatorRecord(type: .pdq, value: Self.pdq(1), provenance: provenance, contentKey: "a"),
                IndicatorRecord(type: .pdq, value: Self.pdq(2)),
                IndicatorRecord(type: .md5, value: md5, provenance: provenance, contentKey: "a"),
                IndicatorRecord(type: .sha256, value: Self.pdq(3), contentKey: "b"),
            ], toList: "content")
        #expect(ids.count == 4)
        let read = try await store.entries(ids: ids)
        #expect(ids.map { read[$0]?.content } == [ids[0], ids[1], ids[0], ids[3]])
        #expect(read[ids[0]]?.contentId == nil && read[ids[2]]?.contentId == ids[0])
        #expect(read[ids[2]]?.provenance == provenance)
        #expect(try await store.entries(ofContent: ids[0], inList: list.id).map(\.id) == [ids[0], ids[2]])
        #expect(try await store.entries(ofContent: ids[3], inList: list.id).map(\.id) == [ids[3]])
        // A later signal's own id is not a content; nor is a content found in another list.
        #expect(try await store.entries(ofContent: ids[2], inList: list.id).isEmpty)
        #expect(try await store.entries(ofContent: ids[0], inList: other.id).isEmpty)
        // A deleted signal leaves the content's others.
        try await store.removeEntry(ids[0], fromList: "content")
        #expect(try await store.entries(ofContent: ids[0], inList: list.id).map(\.id) == [ids[2]])
        // Keys group within one write only, also across the PostgreSQL store's batches of 1,000.
        let many = (0..<1_001).map { IndicatorRecord(type: .pdq, value: Self.pdq(100 + $0), contentKey: "a") }
        let manyIds = try await store.apply(many, toList: "content")
        #expect(try await store.entries(ofContent: manyIds[0], inList: list.id).count == 1_001)
        #expect(try await store.entries(ids: [manyIds[1_000]])[manyIds[1_000]]?.content == manyIds[0])
    }

    @Test(arguments: StoreFactory.all)
    func listsEntriesAndTheFeed(_ factory: StoreFactory) async throws {
        let clock = ManualClock()
        let store = try await factory.make(clock)
        let created = try await store.createList(HashList(name: "known", kind: .knownAbuseMaterial, matchRadius: 20))
        #expect(created.list.matchRadius == 20 && created.entryCount == 0 && created.createdAt == "2026-01-01T00:00:00.000Z")
        await #expect(throws: StoreError.listExists("known")) { try await store.createList(HashList(name: "known", kind: .internal)) }
        do throws(StoreError) {
            _ = try await store.createList(HashList(name: "bad name", kind: .internal))
            Issue.record("an invalid name was accepted")
        } catch {
            #expect(error.code == .invalid)
        }

        let provenance = Provenance(sourceOrganisation: "NCMEC", sourceItemId: "item-1", confirmedBy: "analyst 7", note: "benign test")
        let ids = try await store.apply(
            [
                IndicatorRecord(type: .pdq, value: Self.pdq(1), provenance: provenance),
                IndicatorRecord(type: .md5, value: "d41d8cd98f00b204e9800998ecf8427e"),
                IndicatorRecord(type: .pdq, value: Self.pdq(2)),
                IndicatorRecord(type: .pdq, value: Self.pdq(3), provenance: Provenance(sourceOrganisation: "NCMEC", sourceItemId: "item-3")),
            ], toList: "known")
        #expect(ids.count == 4 && ids == ids.sorted())
        #expect(try await store.list(named: "known").entryCount == 4)
        #expect(try await store.entries(ids: ids)[ids[0]]?.provenance == provenance)

        // A rename keeps the id, the entries and the policy.
        let renamed = try await store.updateList(named: "known", ListUpdate(name: "known-2", enabledRatio: 0.5))
        #expect(renamed.id == created.id && renamed.entryCount == 4 && renamed.list.enabledRatio == 0.5 && renamed.list.matchRadius == 20)
        await #expect(throws: StoreError.listNotFound("known")) { try await store.list(named: "known") }

        // Delete by value, by id, by source item; edit.
        _ = try await store.apply([IndicatorRecord(type: .pdq, value: Self.pdq(2), action: .delete)], toList: "known-2")
        try await store.removeEntry(ids[1], fromList: "known-2")
        await #expect(throws: StoreError.entryNotFound(ids[1])) { try await store.removeEntry(ids[1], fromList: "known-2") }
        #expect(try await store.removeItems(sourceOrganisation: "NCMEC", itemIds: ["item-3", "nothing"], fromList: "known-2") == 1)
        clock.advance(by: 60)
        let until = clock.now().addingTimeInterval(3600)
        let edited = try await store.editEntry(ids[0], inList: "known-2", EntryEdit(disabledUntil: .some(until), note: .some("changed")))
        #expect(edited.provenance.note == "changed" && edited.isDisabled(at: clock.now()) && !edited.isDisabled(at: until.addingTimeInterval(1)))
        await #expect(throws: StoreError.entryNotFound(ids[1])) { try await store.editEntry(ids[1], inList: "known-2", EntryEdit(note: .some("x"))) }
        #expect(try await store.list(named: "known-2").entryCount == 1)
        #expect(try await store.entries(ofList: "known-2", afterId: 0, limit: 100).map(\.id) == [ids[0]])
        #expect(try await store.entries(ids: [ids[2]])[ids[2]]?.deletedAt != nil)

        // Deleting the list tombstones its live entries in the feed; the name is free again.
        try await store.deleteList(named: "known-2")
        await #expect(throws: StoreError.listNotFound("known-2")) { try await store.list(named: "known-2") }
        #expect(try await store.lists().allSatisfy { $0.isDeleted && !$0.list.enabled && $0.entryCount == 0 })
        // Nor can it be reached, read or written under its internal name.
        let internalName = try #require(try await store.lists().first?.list.name)
        await #expect(throws: StoreError.self) { try await store.list(named: internalName) }
        await #expect(throws: StoreError.self) {
            try await store.apply([IndicatorRecord(type: .md5, value: String(repeating: "a", count: 32))], toList: internalName)
        }
        await #expect(throws: StoreError.self) { try await store.entries(ofList: internalName, afterId: 0, limit: 10) }
        _ = try await store.createList(HashList(name: "known-2", kind: .internal))

        let feed = try await store.changes(after: 0, limit: 100)
        // An edit is in the feed too (nodes drop their copy of the entry held in memory).
        #expect(feed.map(\.kind) == [.add, .add, .add, .add, .remove, .remove, .remove, .edit, .remove])
        #expect(feed.map(\.entryId) == [ids[0], ids[1], ids[2], ids[3], ids[2], ids[1], ids[3], ids[0], ids[0]])
        #expect(zip(feed, feed.dropFirst()).allSatisfy { $0.sequence < $1.sequence })
        #expect(feed.allSatisfy { $0.listId == created.id })
        #expect(try await store.changes(after: feed[2].sequence, limit: 2).map(\.entryId) == [ids[3], ids[2]])
    }

    @Test(arguments: StoreFactory.all)
    func organisationsAndKeys(_ factory: StoreFactory) async throws {
        let store = try await factory.make(ManualClock())
        let police = try await store.createOrganisation(
            NewOrganisation(name: "Polizei Berlin", kind: .police, memberState: MemberState(rawValue: "de")))
        #expect(police.kind == .police && police.memberState?.rawValue == "DE")
        await #expect(throws: StoreError.organisationExists("Polizei Berlin")) {
            try await store.createOrganisation(NewOrganisation(name: "Polizei Berlin", kind: .provider))
        }
        do throws(StoreError) {
            _ = try await store.createOrganisation(NewOrganisation(name: "No State", kind: .police))
            Issue.record("a police force without a Member State was accepted")
        } catch {
            #expect(error.code == .invalid && error.message.contains("Member State"))
        }
        #expect(try await store.organisation(id: police.id) == police)
        #expect(try await store.organisation(named: "Polizei Berlin") == police)
        #expect(try await store.organisation(named: "nobody") == nil)

        // Scopes beyond what the kind allows are refused, by name.
        do throws(StoreError) {
            _ = try await store.createKey(organisationId: police.id, scopes: [.match, .curate, .admin], label: "")
            Issue.record("a police key with curate and admin was accepted")
        } catch {
            #expect(error.code == .invalid && error.message.contains("admin, curate") && !error.message.contains("SELECT"))
        }
        do throws(StoreError) {
            _ = try await store.createKey(organisationId: 999_999, scopes: [.match], label: "")
            Issue.record("a key for an unknown organisation was accepted")
        } catch {
            #expect(error.code == .organisationNotFound)
        }
        let (secret, info) = try await store.createKey(organisationId: police.id, scopes: [.match, .hash], label: "lookups")
        #expect(info.organisationId == police.id && info.organisation == "Polizei Berlin" && info.scopes == [.hash, .match])
        let principal = try #require(try await store.verify(secret: secret))
        #expect(
            principal
                == Principal(
                    keyId: info.id, organisationId: police.id, organisation: "Polizei Berlin", kind: .police,
                    jurisdiction: MemberState(rawValue: "DE"), scopes: [.match, .hash]))

        // The convenience registers a provider for an unknown name and reuses a known one.
        let (providerSecret, providerInfo) = try await store.createKey(organisation: "Example Host", scopes: [.admin], label: "")
        let provider = try #require(try await store.organisation(named: "Example Host"))
        #expect(provider.kind == .provider && providerInfo.organisationId == provider.id)
        #expect(try await store.verify(secret: providerSecret)?.kind == .provider)
        let (_, second) = try await store.createKey(organisation: "Example Host", scopes: [.match], label: "")
        #expect(second.organisationId == provider.id)
        await #expect(throws: StoreError.self) { try await store.createKey(organisation: "Polizei Berlin", scopes: [.admin], label: "") }
        await #expect(throws: StoreError.self) { try await store.createKey(organisation: "Fresh", scopes: [], label: "") }
        #expect(try await store.organisation(named: "Fresh") == nil)  // rolled back with the refused key
        #expect(try await store.organisations().map(\.name) == ["Example Host", "Polizei Berlin"])

        #expect(try await store.verify(secret: "nonsense") == nil)
        #expect(try await store.verify(secret: String(secret.dropLast()) + (secret.hasSuffix("0") ? "1" : "0")) == nil)
        try await store.revokeKey(id: info.id)
        #expect(try await store.verify(secret: secret) == nil)
        await #expect(throws: StoreError.keyNotFound(info.id)) { try await store.revokeKey(id: info.id) }
        let keys = try await store.keys()
        #expect(keys.map(\.id) == [info.id, providerInfo.id, second.id])
        #expect(keys[0].revokedAt != nil && keys[1].revokedAt == nil)
    }

    @Test(arguments: StoreFactory.all)
    func policiesAndTheOutbox(_ factory: StoreFactory) async throws {
        let clock = ManualClock()
        let store = try await factory.make(clock)
        let list = try await store.createList(HashList(name: "hooked", kind: .internal))
        await #expect(throws: StoreError.listNotFound("none")) { try await store.setPolicy(ActionPolicy(action: .block), forList: "none") }
        do throws(StoreError) {
            try await store.setPolicy(ActionPolicy(action: .notify, webhookURL: "ftp://x.invalid/"), forList: "hooked")
            Issue.record("an ftp webhook was accepted")
        } catch {
            #expect(error.code == .invalid)
        }
        let policy = ActionPolicy(action: .notify, webhookURL: "https://hooks.example/vigil", secret: Self.secret)
        try await store.setPolicy(policy, forList: "hooked")
        #expect(try await store.policies() == [list.id: policy])

        let ids = try await store.enqueue([
            OutboxMessage(listId: list.id, url: "https://hooks.example/vigil", body: Array("one".utf8)),
            OutboxMessage(listId: list.id, url: "https://hooks.example/vigil", body: Array("two".utf8)),
        ])
        #expect(ids.count == 2 && ids[0] < ids[1])
        var due = try await store.dueDeliveries(now: clock.now(), limit: 10)
        #expect(due.map(\.id) == ids && due.allSatisfy { $0.secret == Self.secret && $0.attempts == 0 })
        #expect(due.first?.body == Array("one".utf8))

        // A failure with a retry time: not due before it, due after.
        try await store.markFailed(ids[0], error: "HTTP 500", retryAt: clock.now().addingTimeInterval(60))
        #expect(try await store.dueDeliveries(now: clock.now(), limit: 10).map(\.id) == [ids[1]])
        clock.advance(by: 61)
        due = try await store.dueDeliveries(now: clock.now(), limit: 10)
        #expect(due.map(\.id) == ids && due[0].attempts == 1 && due[0].lastError == "HTTP 500")
        #expect(try await store.dueDeliveries(now: clock.now(), limit: 1).map(\.id) == [ids[0]])

        // Delivered: never due again.
        try await store.markDelivered(ids[0], at: clock.now())
        #expect(try await store.delivery(ids[0])?.deliveredAt == clock.now().rfc3339Text)

        // A rotated secret signs the pending delivery.
        let rotated = "a-rotated-webhook-secret-value"
        try await store.setPolicy(ActionPolicy(action: .notify, webhookURL: "https://hooks.example/vigil", secret: rotated), forList: "hooked")
        #expect(try await store.dueDeliveries(now: clock.now(), limit: 10).map(\.secret) == [rotated])

        // Given up: never due again.
        let third = try await store.enqueue([OutboxMessage(listId: list.id, url: "https://hooks.example/vigil", body: [])])[0]
        try await store.markFailed(third, error: "HTTP 410", retryAt: nil)
        #expect(try await store.delivery(third)?.failedAt != nil)

        // A policy removed before delivery: the message fails permanently, saying why.
        try await store.setPolicy(nil, forList: "hooked")
        #expect(try await store.policies().isEmpty)
        #expect(try await store.dueDeliveries(now: clock.now(), limit: 10).isEmpty)
        let orphan = try #require(try await store.delivery(ids[1]))
        #expect(orphan.failedAt != nil && orphan.deliveredAt == nil && orphan.lastError?.contains("policy") == true)
        #expect(try await store.delivery(999_999) == nil)
    }

    /// Several workers (on one node or several) claim the outbox at once: each message goes to
    /// exactly one of them, and a claim that is never finished (its worker died) is due again
    /// once its lease has passed.
    @Test(arguments: StoreFactory.all)
    func outboxClaimsAreExclusiveAndLeased(_ factory: StoreFactory) async throws {
        let clock = ManualClock()
        let store = try await factory.make(clock)
        let list = try await store.createList(HashList(name: "hooked", kind: .internal))
        try await store.setPolicy(ActionPolicy(action: .notify, webhookURL: "https://hooks.example/vigil", secret: Self.secret), forList: "hooked")
        let ids = try await store.enqueue(
            (0..<60).map { OutboxMessage(listId: list.id, url: "https://hooks.example/vigil", body: Array("message \($0)".utf8)) })
        let now = clock.now()
        let leaseUntil = now.addingTimeInterval(120)
        let claims = try await withThrowingTaskGroup(of: [Int64].self) { group in
            for _ in 0..<8 {
                group.addTask {
                    var mine: [Int64] = []
                    while true {
                        let claimed = try await store.claimDeliveries(now: now, limit: 3, leaseUntil: leaseUntil)
                        if claimed.isEmpty { return mine }
                        mine += claimed.map(\.id)
                    }
                }
            }
            var all: [[Int64]] = []
            for try await claimed in group { all.append(claimed) }
            return all
        }
        let claimed = claims.flatMap { $0 }
        #expect(claimed.count == ids.count, "every message claimed once: \(claimed.count) claims of \(ids.count) messages")
        #expect(Set(claimed) == Set(ids))

        // Finished claims are done; an unfinished one (its worker died) is not due during the
        // lease, and is due again after it.
        for id in ids.dropFirst() { try await store.markDelivered(id, at: now) }
        clock.advance(by: 60)
        #expect(try await store.claimDeliveries(now: clock.now(), limit: 10, leaseUntil: clock.now().addingTimeInterval(120)).isEmpty)
        clock.advance(by: 61)
        let again = try await store.claimDeliveries(now: clock.now(), limit: 10, leaseUntil: clock.now().addingTimeInterval(120))
        #expect(again.map(\.id) == [ids[0]] && again.first?.body == Array("message 0".utf8))
    }

    @Test(arguments: StoreFactory.all)
    func signalTypeSettings(_ factory: StoreFactory) async throws {
        let store = try await factory.make(ManualClock())
        #expect(try await store.signalTypeRatios().isEmpty)
        try await store.setSignalTypeRatio(0.5, for: "pdq")
        try await store.setSignalTypeRatio(-1, for: "md5")
        try await store.setSignalTypeRatio(0.25, for: "pdq")
        // Through the unit of work, with the closure's error type inferred.
        try await store.write { tx in try tx.setSignalTypeRatio(0.75, for: "vpdq") }
        let multiStatement = try await store.write { tx in
            try tx.setSignalTypeRatio(0.5, for: "tmk")
            return 2
        }
        #expect(multiStatement == 2)
        // A body's own error is rethrown as it was, after the rollback.
        struct Refused: Error, Equatable {}
        await #expect(throws: Refused()) {
            try await store.write { tx in
                try tx.setSignalTypeRatio(0.1, for: "vpdq")
                throw Refused()
            }
        }
        #expect(try await store.signalTypeRatios()["vpdq"] == 0.75)
        #expect(try await store.signalTypeRatios() == ["pdq": 0.25, "md5": -1, "vpdq": 0.75, "tmk": 0.5])
        await #expect(throws: StoreError.self) { try await store.setSignalTypeRatio(.nan, for: "pdq") }
    }

    /// The completion form of the unit of work: `completion` gets the body's result after the
    /// commit (what it wrote is visible then), or the body's error after the rollback (nothing it
    /// wrote remains), and writes started from a completion run one after the other.
    @Test(arguments: StoreFactory.all)
    func writesReportedToACompletion(_ factory: StoreFactory) async throws {
        let store = try await factory.make(ManualClock())
        let committed = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Int, StoreError>, Never>) in
            store.write { tx throws(StoreError) in
                try tx.setSignalTypeRatio(0.5, for: "pdq")
                return 7
            } completion: {
                continuation.resume(returning: $0)
            }
        }
        #expect(try committed.get() == 7)
        #expect(try await store.signalTypeRatios()["pdq"] == 0.5)
        let refused = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Int, StoreError>, Never>) in
            store.write { tx throws(StoreError) -> Int in
                try tx.setSignalTypeRatio(0.1, for: "pdq")
                throw abort
            } completion: {
                continuation.resume(returning: $0)
            }
        }
        #expect(throws: abort) { try refused.get() }
        #expect(try await store.signalTypeRatios()["pdq"] == 0.5, "the failed body's write was rolled back")
        // A chain of 20 writes, each started from the previous one's completion, sees each other's writes in order.
        let chain = await withCheckedContinuation { (continuation: CheckedContinuation<[Double], Never>) in
            @Sendable func step(_ i: Int, _ seen: [Double]) {
                guard i < 20 else { return continuation.resume(returning: seen) }
                store.write { tx throws(StoreError) -> Double in
                    try tx.setSignalTypeRatio(Double(i) / 100, for: "md5")
                    return Double(i) / 100
                } completion: { outcome in
                    step(i + 1, seen + [(try? outcome.get()) ?? -1])
                }
            }
            step(0, [])
        }
        #expect(chain == (0..<20).map { Double($0) / 100 })
        #expect(try await store.signalTypeRatios()["md5"] == 0.19)
    }

    @Test(arguments: StoreFactory.all)
    func theAuditChain(_ factory: StoreFactory) async throws {
        let clock = ManualClock()
        let store = try await factory.make(clock)
        #expect(try await store.verifyAuditChain() == AuditChainReport(eventsChecked: 0, lastGoodSequence: 0))
        let list = try await store.write { tx throws(StoreError) in
            let list = try tx.createList(HashList(name: "audited", kind: .internal))
            try tx.appendAudit(
                AuditEvent(actor: "key:1", organisation: "Example", action: "list.create", object: "list:\(list.id)", at: tx.now.rfc3339Text))
            return list
        }
        for i in 0..<3 {
            clock.advance(by: 1)
            _ = try await store.write { tx throws(StoreError) in
                try tx.appendAudit(
                    AuditEvent(
                        actor: "system", organisation: nil, action: "test.step", object: "list:\(list.id)", at: tx.now.rfc3339Text,
                        detail: i == 1 ? "second step" : nil))
            }
        }
        let events = try await store.auditEvents(after: 0, limit: 100)
        #expect(events.map(\.sequence) == [1, 2, 3, 4])
        #expect(events[0].prevHash == AuditChain.genesis && events[0].event.action == "list.create")
        #expect(zip(events, events.dropFirst()).allSatisfy { $0.hash == $1.prevHash })
        #expect(events[2].event.detail == "second step" && events[1].event.at == "2026-01-01T00:00:01.000Z")
        #expect(events.allSatisfy { AuditChain.hash(prevHash: $0.prevHash, sequence: $0.sequence, $0.event) == $0.hash })
        #expect(try await store.auditEvents(after: 2, limit: 1).map(\.sequence) == [3])
        #expect(try await store.verifyAuditChain() == AuditChainReport(eventsChecked: 4, lastGoodSequence: 4))

        let tooLong = AuditEvent(actor: "system", organisation: nil, action: "x", object: "y", at: "now", detail: String(repeating: "d", count: 4097))
        await #expect(throws: StoreError.self) { try await store.write { tx throws(StoreError) in try tx.appendAudit(tooLong) } }
    }

    @Test(arguments: StoreFactory.all)
    func concurrentWritersKeepOneChain(_ factory: StoreFactory) async throws {
        let store = try await factory.make(ManualClock())
        _ = try await store.write { tx throws(StoreError) in
            try tx.appendAudit(AuditEvent(actor: "system", organisation: nil, action: "start", object: "node", at: tx.now.rfc3339Text))
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<50 {
                group.addTask {
                    _ = try await store.write { tx throws(StoreError) in
                        try tx.appendAudit(
                            AuditEvent(
                                actor: "key:\(writer)", organisation: "Org \(writer % 7)", action: "test.write",
                                object: "writer:\(writer)", at: tx.now.rfc3339Text))
                    }
                }
            }
            try await group.waitForAll()
        }
        let report = try await store.verifyAuditChain()
        #expect(report.isValid && report.eventsChecked == 51 && report.lastGoodSequence == 51)
        let events = try await store.auditEvents(after: 1, limit: 100)
        #expect(Set(events.map(\.event.object)) == Set((0..<50).map { "writer:\($0)" }))
    }

    /// Several writes in one transaction (a group commit): the list's count, the feed and the audit
    /// chain come out as if each had been its own transaction, however the store keeps what the
    /// transaction read (PostgreSQL remembers the list and the chain's head within it).
    @Test(arguments: StoreFactory.all)
    func manyWritesInOneTransactionKeepCountsFeedAndChain(_ factory: StoreFactory) async throws {
        let store = try await factory.make(ManualClock())
        _ = try await store.createList(HashList(name: "grouped", kind: .internal))
        _ = try await store.createList(HashList(name: "other", kind: .internal))
        let start = try await store.changes(after: 0, limit: 100).last?.sequence ?? 0
        let (ids, counts) = try await store.write { tx throws(StoreError) in
            var ids: [Int64] = []
            var counts: [Int] = []
            for i in 0..<5 {
                let list = i == 3 ? "other" : "grouped"
                _ = try tx.list(named: list)
                ids += try tx.apply([IndicatorRecord(type: .pdq, value: Self.pdq(100 + i))], toList: list)
                try tx.appendAudit(AuditEvent(actor: "test", organisation: nil, action: "entries.add", object: "write:\(i)", at: tx.now.rfc3339Text))
                counts.append(try tx.list(named: "grouped").entryCount)
            }
            // A deletion and a renamed list inside the same transaction are seen at once.
            _ = try tx.apply([IndicatorRecord(type: .pdq, value: Self.pdq(100), action: .delete)], toList: "grouped")
            counts.append(try tx.list(named: "grouped").entryCount)
            _ = try tx.updateList(named: "other", ListUpdate(name: "renamed"))
            #expect(throws: StoreError.listNotFound("other")) { try tx.list(named: "other") }
            counts.append(try tx.list(named: "renamed").entryCount)
            return (ids, counts)
        }
        #expect(ids.count == 5 && ids == ids.sorted())
        #expect(counts == [1, 2, 3, 3, 4, 3, 1])
        #expect(try await store.list(named: "grouped").entryCount == 3)
        #expect(try await store.list(named: "renamed").entryCount == 1)
        let feed = try await store.changes(after: start, limit: 100)
        #expect(feed.map(\.entryId) == ids + [ids[0]])
        #expect(feed.map(\.kind) == [.add, .add, .add, .add, .add, .remove])
        let report = try await store.verifyAuditChain()
        #expect(report.isValid && report.eventsChecked == 5)
        // The next transaction reads the chain's head afresh and continues it.
        _ = try await store.write { tx throws(StoreError) in
            try tx.appendAudit(AuditEvent(actor: "test", organisation: nil, action: "after", object: "write:5", at: tx.now.rfc3339Text))
        }
        #expect(try await store.verifyAuditChain().eventsChecked == 6)
    }

    @Test(arguments: StoreFactory.all)
    func aFailedUnitOfWorkLeavesNothingBehind(_ factory: StoreFactory) async throws {
        let store = try await factory.make(ManualClock())
        let kept = try await store.createList(HashList(name: "kept", kind: .internal))
        try await store.setPolicy(ActionPolicy(action: .notify, webhookURL: "https://hooks.example/x", secret: Self.secret), forList: "kept")
        let feedBefore = try await store.changes(after: 0, limit: 100)

        await #expect(throws: abort) {
            try await store.write { tx throws(StoreError) in
                let list = try tx.createList(HashList(name: "doomed", kind: .internal))
                let ids = try tx.apply([IndicatorRecord(type: .md5, value: "d41d8cd98f00b204e9800998ecf8427e")], toList: "doomed")
                let seen = try tx.entries(ids: ids)
                #expect(seen.count == 1)  // the transaction reads its own writes
                _ = try tx.apply([IndicatorRecord(type: .md5, value: "0cc175b9c0f1b6a831c399e269772661")], toList: "kept")
                _ = try tx.enqueue([OutboxMessage(listId: kept.id, url: "https://hooks.example/x", body: Array("{}".utf8))])
                try tx.setPolicy(nil, forList: "kept")
                _ = try tx.createOrganisation(NewOrganisation(name: "Doomed Org", kind: .provider))
                try tx.appendAudit(
                    AuditEvent(actor: "system", organisation: nil, action: "list.create", object: "list:\(list.id)", at: tx.now.rfc3339Text))
                try tx.setSignalTypeRatio(0.5, for: "pdq")
                throw abort
            }
        }
        #expect(try await store.lists().map(\.list.name) == ["kept"])
        #expect(try await store.list(named: "kept").entryCount == 0)
        #expect(try await store.changes(after: 0, limit: 100) == feedBefore)
        #expect(try await store.dueDeliveries(now: Date.distantFuture, limit: 100).isEmpty)
        #expect(try await store.delivery(1) == nil)
        #expect(try await store.policies()[kept.id] != nil)
        #expect(try await store.organisations().isEmpty)
        #expect(try await store.auditEvents(after: 0, limit: 100).isEmpty)
        #expect(try await store.signalTypeRatios().isEmpty)

        // The same body without the throw commits everything.
        let deliveries = try await store.write { tx throws(StoreError) in
            let list = try tx.createList(HashList(name: "committed", kind: .internal))
            try tx.appendAudit(
                AuditEvent(actor: "system", organisation: nil, action: "list.create", object: "list:\(list.id)", at: tx.now.rfc3339Text))
            return try tx.enqueue([OutboxMessage(listId: kept.id, url: "https://hooks.example/x", body: Array("{}".utf8))])
        }
        #expect(try await store.list(named: "committed").entryCount == 0)
        #expect(try await store.auditEvents(after: 0, limit: 10).count == 1)
        #expect(try await store.delivery(deliveries[0])?.secret == Self.secret)
    }
}
