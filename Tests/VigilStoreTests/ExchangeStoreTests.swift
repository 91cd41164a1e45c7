import Foundation
import Testing
import VigilDomain
import VigilStore
import VigilTestSupport

/// Exchanges on every store: created for an existing list, read back (the sealed credential as
/// stored), changed, claimed by one worker at a time through a lease that runs out, pages recorded
/// with their checkpoint only by the lease's holder, fetches ended with success or back-off, and
/// the upstream-id rule of imports.
@Suite("Exchange store contract")
struct ExchangeStoreTests {
    static func pdq(_ seed: Int) -> String {
        var generator = SplitMix64(seed: UInt64(seed))
        return generator.hex(bytes: 32)
    }

    static func record(_ seed: Int, item: String?, source: String? = "NCMEC") -> IndicatorRecord {
        IndicatorRecord(type: .pdq, value: pdq(seed), provenance: Provenance(sourceOrganisation: source, sourceItemId: item))
    }

    /// The credential per kind (HMA's per-API credential): set, replaced, read in and out of a
    /// transaction, removed; other kinds untouched.
    @Test(arguments: StoreFactory.all)
    func aCredentialPerKindIsSetReplacedAndRemoved(_ factory: StoreFactory) async throws {
        let store = try await factory.make(ManualClock())
        #expect(try await store.exchangeKindCredentials().isEmpty)
        let first = SealedContent(masterKeyId: "k1", wrappedKey: [1, 2, 3], ciphertext: [4, 5, 6, 7])
        let second = SealedContent(masterKeyId: "k2", wrappedKey: [9, 8], ciphertext: [7, 6, 5])
        let other = SealedContent(masterKeyId: "k1", wrappedKey: [0], ciphertext: [1])
        try await store.write { tx throws(StoreError) in
            try tx.setExchangeKindCredential(first, for: "ncmec")
            try tx.setExchangeKindCredential(other, for: "stopncii")
        }
        #expect(try await store.exchangeKindCredentials() == ["ncmec": first, "stopncii": other])
        let seen = try await store.write { tx throws(StoreError) in
            try tx.setExchangeKindCredential(second, for: "ncmec")
            return try tx.exchangeKindCredential("ncmec")
        }
        #expect(seen == second)
        try await store.write { tx throws(StoreError) in try tx.setExchangeKindCredential(nil, for: "ncmec") }
        #expect(try await store.exchangeKindCredentials() == ["stopncii": other])
        #expect(try await store.write { tx throws(StoreError) in try tx.exchangeKindCredential("ncmec") } == nil)
        // Removing what is not there is no error.
        try await store.write { tx throws(StoreError) in try tx.setExchangeKindCredential(nil, for: "fb_threatexchange") }
    }

    @Test(arguments: StoreFactory.all)
    func exchangesAreCreatedReadChangedAndDeleted(_ factory: StoreFactory) async throws {
        let clock = ManualClock()
        let store = try await factory.make(clock)
        _ = try await store.createList(HashList(name: "shared", kind: .knownAbuseMaterial))
        let sealed = SealedContent(masterKeyId: "k1", wrappedKey: [1, 2, 3], ciphertext: [4, 5, 6, 7])
        let created = try await store.write { tx throws(StoreError) in
            try tx.createExchange(
                NewExchange(name: "NCMEC_FEED", kind: "ncmec", list: "shared", settings: ["environment": "test"], credential: sealed))
        }
        #expect(created.listName == "shared" && created.enabled && created.intervalSeconds == 300)
        #expect(created.state == ExchangeFetchState() && created.credential == sealed)
        let read = try await store.exchange(named: "NCMEC_FEED")
        #expect(read == created)
        #expect(try await store.exchanges().map(\.name) == ["NCMEC_FEED"])

        // Refusals: a taken name, a missing list, a bad name.
        await #expect(throws: StoreError.self) {
            _ = try await store.write { tx throws(StoreError) in try tx.createExchange(NewExchange(name: "NCMEC_FEED", kind: "file", list: "shared"))
            }
        }
        do {
            _ = try await store.write { tx throws(StoreError) in try tx.createExchange(NewExchange(name: "X", kind: "file", list: "missing")) }
            Issue.record("a missing list was accepted")
        } catch {
            #expect(error.code == .listNotFound)
        }
        do {
            _ = try await store.write { tx throws(StoreError) in try tx.createExchange(NewExchange(name: "a b", kind: "file", list: "shared")) }
            Issue.record("a bad name was accepted")
        } catch {
            #expect(error.code == .invalid)
        }
        do {
            _ = try await store.exchange(named: "nope")
            Issue.record("an absent exchange was found")
        } catch {
            #expect(error.code == .exchangeNotFound)
        }

        let updated = try await store.write { tx throws(StoreError) in
            try tx.updateExchange(
                named: "NCMEC_FEED", ExchangeUpdate(settings: ["environment": "prod"], credential: .some(nil), enabled: false, intervalSeconds: 60))
        }
        #expect(updated.settings == ["environment": "prod"] && updated.credential == nil && !updated.enabled && updated.intervalSeconds == 60)
        #expect(try await store.exchange(named: "NCMEC_FEED") == updated)

        try await store.write { tx throws(StoreError) in try tx.deleteExchange(named: "NCMEC_FEED") }
        #expect(try await store.exchanges().isEmpty)
        // The list stays.
        #expect(try await store.list(named: "shared").list.name == "shared")
    }

    @Test(arguments: StoreFactory.all)
    func oneWorkerHoldsAFetchUntilItsLeaseRunsOut(_ factory: StoreFactory) async throws {
        let clock = ManualClock()
        let store = try await factory.make(clock)
        _ = try await store.createList(HashList(name: "shared", kind: .knownAbuseMaterial))
        _ = try await store.write { tx throws(StoreError) in try tx.createExchange(NewExchange(name: "feed", kind: "file", list: "shared")) }
        let now = clock.now()

        // Many workers claim at once: exactly one gets it.
        let winners = try await withThrowingTaskGroup(of: String?.self) { group in
            for worker in 0..<16 {
                group.addTask {
                    try await store.write { tx throws(StoreError) in
                        try tx.claimExchange(named: "feed", owner: "node-\(worker)", at: now, leaseSeconds: 60)?.state.leaseOwner
                    }
                }
            }
            var winners: [String] = []
            for try await owner in group { if let owner { winners.append(owner) } }
            return winners
        }
        #expect(winners.count == 1)
        let owner = try #require(winners.first)
        let other = owner == "node-0" ? "node-1" : "node-0"
        #expect(try await store.exchange(named: "feed").isRunning(at: now))

        // Only the holder records pages; the checkpoint and counts move with them.
        let page = try await store.write { tx throws(StoreError) in
            try tx.recordExchangePage(
                named: "feed", owner: owner, at: now.addingTimeInterval(10), leaseSeconds: 60, checkpointState: "{\"p\":1}",
                checkpointTimestamp: 1_700_000_000, items: 3, hasMore: true)
        }
        #expect(page.state.checkpointState == "{\"p\":1}" && page.state.checkpointTimestamp == 1_700_000_000 && page.state.fetchedItems == 3)
        #expect(!page.state.upToDate)
        do {
            _ = try await store.write { tx throws(StoreError) in
                try tx.recordExchangePage(
                    named: "feed", owner: other, at: now, leaseSeconds: 60, checkpointState: "x", checkpointTimestamp: nil, items: 1, hasMore: false)
            }
            Issue.record("a worker without the lease recorded a page")
        } catch {
            #expect(error.code == .stateChanged)
        }
        // The renewed lease (10 s + 60 s) keeps others out at 69 s; at 71 s another worker takes over.
        #expect(
            try await store.write { tx throws(StoreError) in
                try tx.claimExchange(named: "feed", owner: other, at: now.addingTimeInterval(69), leaseSeconds: 60)
            } == nil)
        let taken = try await store.write { tx throws(StoreError) in
            try tx.claimExchange(named: "feed", owner: other, at: now.addingTimeInterval(71), leaseSeconds: 60)
        }
        #expect(taken?.state.leaseOwner == other && taken?.state.checkpointState == "{\"p\":1}")
        // The first worker's end changes nothing now.
        _ = try await store.write { tx throws(StoreError) in
            try tx.finishExchangeFetch(named: "feed", owner: owner, at: now.addingTimeInterval(72), .succeeded(upToDate: true, next: now))
        }
        #expect(try await store.exchange(named: "feed").state.leaseOwner == other)

        // A failure backs off: not due before its time, the error and count kept.
        let failedAt = now.addingTimeInterval(80)
        let failed = try #require(
            try await store.write { tx throws(StoreError) in
                try tx.finishExchangeFetch(
                    named: "feed", owner: other, at: failedAt, .failed(error: "HTTP 503", next: failedAt.addingTimeInterval(5)))
            })
        #expect(failed.state.lastFetchSucceeded == false && failed.state.failures == 1 && failed.state.lastError == "HTTP 503")
        #expect(failed.state.leaseOwner == nil && failed.state.runningSince == nil)
        #expect(
            try await store.write { tx throws(StoreError) in
                try tx.claimExchange(named: "feed", owner: owner, at: failedAt.addingTimeInterval(4), leaseSeconds: 60)
            } == nil)
        #expect(
            try await store.write { tx throws(StoreError) in
                try tx.claimExchange(named: "feed", owner: owner, at: failedAt.addingTimeInterval(5), leaseSeconds: 60)
            } != nil)
        let succeeded = try #require(
            try await store.write { tx throws(StoreError) in
                try tx.finishExchangeFetch(
                    named: "feed", owner: owner, at: failedAt.addingTimeInterval(6),
                    .succeeded(upToDate: true, next: failedAt.addingTimeInterval(306)))
            })
        #expect(
            succeeded.state.lastFetchSucceeded == true && succeeded.state.failures == 0 && succeeded.state.lastError == nil
                && succeeded.state.upToDate)
        #expect(succeeded.state.lastSuccessAt == failedAt.addingTimeInterval(6).rfc3339)
        // Disabled: nobody claims it; fetch now makes it due at once.
        _ = try await store.write { tx throws(StoreError) in try tx.updateExchange(named: "feed", ExchangeUpdate(enabled: false)) }
        #expect(
            try await store.write { tx throws(StoreError) in
                try tx.claimExchange(named: "feed", owner: owner, at: failedAt.addingTimeInterval(400), leaseSeconds: 60)
            } == nil)
        _ = try await store.write { tx throws(StoreError) in try tx.updateExchange(named: "feed", ExchangeUpdate(enabled: true, dueNow: true)) }
        #expect(
            try await store.write { tx throws(StoreError) in
                try tx.claimExchange(named: "feed", owner: owner, at: failedAt.addingTimeInterval(7), leaseSeconds: 60)
            } != nil)
    }

    @Test(arguments: StoreFactory.all)
    func anItemSentAgainReplacesItsEntries(_ factory: StoreFactory) async throws {
        let clock = ManualClock()
        let store = try await factory.make(clock)
        _ = try await store.createList(HashList(name: "shared", kind: .knownAbuseMaterial))
        _ = try await store.createList(HashList(name: "other", kind: .knownAbuseMaterial))
        // Item A with two values, item B with one, a record without an item id.
        let first = try await store.write { tx throws(StoreError) in
            try tx.applyReplacingItems(
                [Self.record(1, item: "A"), Self.record(2, item: "A"), Self.record(3, item: "B"), Self.record(4, item: nil)], toList: "shared")
        }
        #expect(first.added.count == 4 && first.replaced == 0)
        _ = try await store.apply([Self.record(1, item: "A")], toList: "other")
        // A is sent again with one changed value: its two entries are replaced by the new two; B and the rest stay.
        let second = try await store.write { tx throws(StoreError) in
            try tx.applyReplacingItems([Self.record(1, item: "A"), Self.record(5, item: "A"), Self.record(4, item: nil)], toList: "shared")
        }
        #expect(second.added.count == 3 && second.replaced == 2)
        let live = try await store.entries(ofList: "shared", afterId: 0, limit: 100)
        #expect(live.map(\.value).sorted() == [Self.pdq(1), Self.pdq(3), Self.pdq(4), Self.pdq(4), Self.pdq(5)].sorted())
        #expect(live.filter { $0.provenance.sourceItemId == "A" }.count == 2)
        #expect(try await store.list(named: "shared").entryCount == 5)
        // The same id from another source is another item; another list is not touched.
        _ = try await store.write { tx throws(StoreError) in
            try tx.applyReplacingItems([Self.record(6, item: "A", source: "StopNCII")], toList: "shared")
        }
        #expect(try await store.entries(ofList: "shared", afterId: 0, limit: 100).count == 6)
        #expect(try await store.entries(ofList: "other", afterId: 0, limit: 100).count == 1)
        // The feed says what was replaced (removes for the old entries).
        let removes = try await store.changes(after: 0, limit: 1_000).filter { $0.kind == .remove }
        #expect(removes.count == 2)
        // A batch that sends an item twice (an entry, then its update later in the same page) keeps its last version.
        let twice = try await store.write { tx throws(StoreError) in
            try tx.applyReplacingItems([Self.record(7, item: "B"), Self.record(8, item: "C"), Self.record(9, item: "B")], toList: "shared")
        }
        #expect(twice.added.count == 2 && twice.replaced == 1)
        let after = try await store.entries(ofList: "shared", afterId: 0, limit: 100)
        #expect(after.filter { $0.provenance.sourceItemId == "B" }.map(\.value) == [Self.pdq(9)])
        #expect(after.filter { $0.provenance.sourceItemId == "C" }.map(\.value) == [Self.pdq(8)])
    }
}
