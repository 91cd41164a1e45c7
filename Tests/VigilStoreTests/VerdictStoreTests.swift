import Foundation
import GRDB
import Testing
import VigilDomain
import VigilStore
import VigilTestSupport

/// Verdicts on entries and their feedback messages on every store: one verdict per (entry,
/// reviewer), replaced by a later one with the injected clock's times; a feedback message written in
/// the same transaction only for an entry an exchange brought; messages claimed by one worker at a
/// time, retried, given up and sent; many reviewers and workers at once.
@Suite("Verdict store contract")
struct VerdictStoreTests {
    static func pdq(_ seed: Int) -> String {
        var generator = SplitMix64(seed: UInt64(seed))
        return generator.hex(bytes: 32)
    }

    /// Every kind takes every verdict but `seen` (as NCMEC, which has no "seen").
    static func takes(_ kind: String, _ verdict: EntryVerdictKind) -> Bool { verdict != .seen }

    /// A store with list `shared`, exchange `NCMEC_FEED` on it, and `count` entries it brought
    /// (linked) plus one added by hand (not linked); returns the store, the fetched ids and the hand-added id.
    static func prepared(_ factory: StoreFactory, clock: ManualClock, count: Int = 2) async throws -> (any NodeStore, [Int64], Int64) {
        let store = try await factory.make(clock)
        _ = try await store.createList(HashList(name: "shared", kind: .knownAbuseMaterial))
        _ = try await store.createList(HashList(name: "other", kind: .knownAbuseMaterial))
        let (fetched, manual) = try await store.write { tx throws(StoreError) in
            let exchange = try tx.createExchange(NewExchange(name: "NCMEC_FEED", kind: "ncmec", list: "shared"))
            let records = (0..<count).map {
                IndicatorRecord(type: .pdq, value: pdq($0), provenance: Provenance(sourceOrganisation: "NCMEC", sourceItemId: "image\($0)"))
            }
            let fetched = try tx.applyReplacingItems(records, toList: "shared").added
            try tx.linkEntries(fetched, toExchange: exchange.id)
            let manual = try tx.apply([IndicatorRecord(type: .pdq, value: pdq(1_000))], toList: "shared")
            return (fetched, manual[0])
        }
        return (store, fetched, manual)
    }

    static func record(
        _ store: any NodeStore, entry: Int64, reviewer: String, _ verdict: EntryVerdictKind, list: String = "shared"
    ) async throws(StoreError) -> (verdict: StoredEntryVerdict, changed: Bool) {
        try await store.write { tx throws(StoreError) in
            try tx.recordVerdict(
                NewEntryVerdict(entryId: entry, reviewer: reviewer, organisation: "Example", verdict: verdict), inList: list,
                takesFeedback: Self.takes)
        }
    }

    @Test(arguments: StoreFactory.all)
    func aReviewersVerdictIsOnePerEntryAndALaterOneReplacesIt(_ factory: StoreFactory) async throws {
        let clock = ManualClock()
        let (store, fetched, manual) = try await Self.prepared(factory, clock: clock)
        let start = clock.now().rfc3339
        let first = try await Self.record(store, entry: manual, reviewer: "key:7", .falsePositive)
        #expect(first.changed && first.verdict.verdict == .falsePositive && first.verdict.reviewer == "key:7")
        #expect(first.verdict.organisation == "Example" && first.verdict.entryId == manual)
        #expect(first.verdict.createdAt == start && first.verdict.updatedAt == start)
        // A hand-added entry came from no exchange: no message.
        #expect(first.verdict.feedback == nil)

        clock.advance(by: 60)
        let again = try await Self.record(store, entry: manual, reviewer: "key:7", .falsePositive)
        #expect(!again.changed && again.verdict == first.verdict)
        let changed = try await Self.record(store, entry: manual, reviewer: "key:7", .truePositive)
        #expect(changed.changed && changed.verdict.id == first.verdict.id && changed.verdict.verdict == .truePositive)
        #expect(changed.verdict.createdAt == start && changed.verdict.updatedAt == clock.now().rfc3339)
        _ = try await Self.record(store, entry: manual, reviewer: "key:8", .seen)
        let all = try await store.verdicts(entryId: manual)
        #expect(all.map(\.reviewer) == ["key:7", "key:8"] && all.map(\.verdict) == [.truePositive, .seen])
        #expect(try await store.verdicts(entryId: fetched[0]).isEmpty)

        // An entry of another list, an entry that does not exist, a list that does not exist.
        for (entry, list, code) in [
            (manual, "other", StoreError.Code.entryNotFound), (99_999, "shared", .entryNotFound), (manual, "gone", .listNotFound),
        ] {
            do {
                _ = try await Self.record(store, entry: entry, reviewer: "key:7", .seen, list: list)
                Issue.record("a verdict on entry \(entry) of \(list) was accepted")
            } catch {
                #expect(error.code == code)
            }
        }
        // A verdict written in a transaction that fails afterwards is not kept.
        do {
            try await store.write { tx throws(StoreError) in
                _ = try tx.recordVerdict(
                    NewEntryVerdict(entryId: fetched[0], reviewer: "key:9", organisation: nil, verdict: .truePositive), inList: "shared",
                    takesFeedback: Self.takes)
                throw StoreError.invalid("fail after the verdict")
            }
        } catch {
            #expect(error.code == .invalid)
        }
        #expect(try await store.verdicts(entryId: fetched[0]).isEmpty)
    }

    @Test(arguments: StoreFactory.all)
    func aVerdictOnAnEntryAnExchangeBroughtWritesOneMessageThatIsClaimedRetriedAndSent(_ factory: StoreFactory) async throws {
        let clock = ManualClock()
        let (store, fetched, _) = try await Self.prepared(factory, clock: clock)
        let entry = fetched[0]
        let recorded = try await Self.record(store, entry: entry, reviewer: "key:7", .truePositive)
        let message = try #require(recorded.verdict.feedback)
        #expect(message.state == .pending && message.attempts == 0 && message.verdict == .truePositive)
        #expect(message.exchangeName == "NCMEC_FEED" && message.entryId == entry && message.nextAttemptAt == clock.now().rfc3339)
        #expect(try await store.feedback(id: message.id) == message)
        // A verdict the service does not take writes none.
        let seen = try await Self.record(store, entry: fetched[1], reviewer: "key:7", .seen)
        #expect(seen.verdict.feedback == nil)

        // One claim takes it until the lease ends.
        let now = clock.now()
        let lease = now.addingTimeInterval(60)
        let claimed = try await store.write { tx throws(StoreError) in try tx.claimFeedback(now: now, limit: 10, leaseUntil: lease) }
        #expect(claimed.map(\.id) == [message.id])
        #expect(try await store.write { tx throws(StoreError) in try tx.claimFeedback(now: now, limit: 10, leaseUntil: lease) }.isEmpty)
        clock.advance(by: 61)
        let later = clock.now()
        let again = try await store.write { tx throws(StoreError) in
            try tx.claimFeedback(now: later, limit: 10, leaseUntil: later.addingTimeInterval(60))
        }
        #expect(again.map(\.id) == [message.id], "a worker that stopped leaves the message to be claimed again")

        // A retry, then sent.
        let retryAt = later.addingTimeInterval(5)
        let retried = try await store.write { tx throws(StoreError) in
            try tx.recordFeedbackAttempt(id: message.id, .retry(error: "HTTP 503", at: retryAt))
        }
        #expect(retried.state == .pending && retried.attempts == 1 && retried.lastError == "HTTP 503" && retried.nextAttemptAt == retryAt.rfc3339)
        let sent = try await store.write { tx throws(StoreError) in try tx.recordFeedbackAttempt(id: message.id, .sent) }
        #expect(sent.state == .sent && sent.attempts == 2 && sent.sentAt == later.rfc3339 && sent.nextAttemptAt == nil)
        clock.advance(by: 3_600)
        let afterwards = clock.now()
        #expect(
            try await store.write { tx throws(StoreError) in
                try tx.claimFeedback(now: afterwards, limit: 10, leaseUntil: afterwards.addingTimeInterval(60))
            }.isEmpty, "a sent message is never claimed again")
        #expect(try await store.verdicts(entryId: entry).first?.feedback == sent)
    }

    @Test(arguments: StoreFactory.all)
    func aChangedVerdictSupersedesTheUnsentMessageAndAGivenUpOneStays(_ factory: StoreFactory) async throws {
        let clock = ManualClock()
        let (store, fetched, _) = try await Self.prepared(factory, clock: clock)
        let first = try #require(try await Self.record(store, entry: fetched[0], reviewer: "key:7", .truePositive).verdict.feedback)
        let second = try #require(try await Self.record(store, entry: fetched[0], reviewer: "key:7", .falsePositive).verdict.feedback)
        #expect(second.id != first.id && second.verdict == .falsePositive && second.state == .pending)
        #expect(try await store.feedback(id: first.id)?.state == .superseded)
        let now = clock.now()
        let due = try await store.write { tx throws(StoreError) in try tx.claimFeedback(now: now, limit: 10, leaseUntil: now.addingTimeInterval(60)) }
        #expect(due.map(\.id) == [second.id])
        let givenUp = try await store.write { tx throws(StoreError) in
            try tx.recordFeedbackAttempt(id: second.id, .givenUp(error: "NCMEC refused the request with HTTP 400"))
        }
        #expect(givenUp.state == .givenUp && givenUp.attempts == 1 && givenUp.lastError?.contains("HTTP 400") == true)
        // A late "sent" from a worker that had the superseded message in flight is recorded as it happened.
        let late = try await store.write { tx throws(StoreError) in try tx.recordFeedbackAttempt(id: first.id, .sent) }
        #expect(late.state == .sent)
        // A deleted exchange: the message says so by having no exchange name, and new verdicts send nothing.
        try await store.write { tx throws(StoreError) in try tx.deleteExchange(named: "NCMEC_FEED") }
        #expect(try await store.feedback(id: second.id)?.exchangeName == nil)
        #expect(try await Self.record(store, entry: fetched[1], reviewer: "key:7", .truePositive).verdict.feedback == nil)
    }

    /// Entries fetched before v22-verdicts are linked by the migration to their list's exchange of
    /// the kind matching their source organisation; others (no such exchange, no source) are not.
    @Test func theMigrationLinksEntriesFetchedBeforeItByListAndSource() async throws {
        let path = temporaryDatabasePath("verdict-migration")
        let ids = try await {
            let store = try SQLiteStore(path: path, clock: ManualClock())
            _ = try await store.createList(HashList(name: "shared", kind: .knownAbuseMaterial))
            return try await store.write { tx throws(StoreError) in
                _ = try tx.createExchange(NewExchange(name: "NCMEC_FEED", kind: "ncmec", list: "shared"))
                _ = try tx.createExchange(NewExchange(name: "STOP", kind: "stopncii", list: "shared"))
                return try tx.apply(
                    [
                        IndicatorRecord(type: .pdq, value: Self.pdq(1), provenance: Provenance(sourceOrganisation: "NCMEC", sourceItemId: "a")),
                        IndicatorRecord(type: .pdq, value: Self.pdq(2), provenance: Provenance(sourceOrganisation: "StopNCII", sourceItemId: "b")),
                        IndicatorRecord(
                            type: .pdq, value: Self.pdq(3), provenance: Provenance(sourceOrganisation: "ThreatExchange", sourceItemId: "c")),
                        IndicatorRecord(type: .pdq, value: Self.pdq(4)),
                    ], toList: "shared")
            }
        }()
        // The database as it was before v22: without its tables, the migration not applied.
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try db.execute(
                sql: """
                    DROP TABLE exchange_feedback; DROP TABLE entry_verdicts; DROP TABLE exchange_entries;
                    DELETE FROM grdb_migrations WHERE identifier = 'v22-verdicts';
                    """)
        }
        try queue.close()
        let store = try SQLiteStore(path: path, clock: ManualClock())
        let links = try await store.write { tx throws(StoreError) in
            var names: [String?] = []
            for id in ids { names.append(try tx.exchangeOfEntry(id)?.name) }
            return names
        }
        #expect(links == ["NCMEC_FEED", "STOP", nil, nil])
    }

    /// Many reviewers at once on the same entries, and several workers claiming at once: one
    /// verdict per reviewer and entry, one message per verdict, each message claimed by one worker.
    @Test(arguments: StoreFactory.all)
    func manyReviewersAndWorkersAtOnce(_ factory: StoreFactory) async throws {
        let clock = ManualClock()
        let (store, fetched, _) = try await Self.prepared(factory, clock: clock, count: 4)
        let reviewers = (0..<12).map { "key:\($0)" }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for reviewer in reviewers {
                for entry in fetched {
                    group.addTask {
                        // Each reviewer sends the same verdict twice: the second changes nothing.
                        _ = try await Self.record(store, entry: entry, reviewer: reviewer, .truePositive)
                        _ = try await Self.record(store, entry: entry, reviewer: reviewer, .truePositive)
                    }
                }
            }
            try await group.waitForAll()
        }
        var messages = Set<Int64>()
        for entry in fetched {
            let verdicts = try await store.verdicts(entryId: entry)
            #expect(verdicts.count == reviewers.count)
            for verdict in verdicts { messages.insert(try #require(verdict.feedback).id) }
        }
        #expect(messages.count == reviewers.count * fetched.count)
        let now = clock.now()
        let claims = try await withThrowingTaskGroup(of: [Int64].self) { group in
            for _ in 0..<8 {
                group.addTask {
                    var mine: [Int64] = []
                    while true {
                        let batch = try await store.write { tx throws(StoreError) in
                            try tx.claimFeedback(now: now, limit: 5, leaseUntil: now.addingTimeInterval(60))
                        }
                        if batch.isEmpty { return mine }
                        mine += batch.map(\.id)
                    }
                }
            }
            var all: [[Int64]] = []
            for try await claimed in group { all.append(claimed) }
            return all
        }
        let claimed = claims.flatMap { $0 }
        #expect(claimed.count == messages.count && Set(claimed) == messages, "every message claimed exactly once")
    }
}
