import Foundation
import Testing
import VigilDomain
import VigilStore
import VigilTestSupport

/// The provider node's review queue, on every store: queued with a match's actions in one
/// transaction, paged open first, decided once (many deciders at once: one wins), audited.
@Suite("Review store contract")
struct ReviewStoreTests {
    static let hashes = [
        FileHash(algorithm: .sha256, value: String(repeating: "a1", count: 32)), FileHash(algorithm: .md5, value: String(repeating: "b2", count: 16)),
    ]

    static func item(_ n: Int) -> NewReview {
        NewReview(
            reasons: [
                .classifier("local-test/1.0", labels: [LabelScore(label: "nudity", score: 0.9 + Double(n % 10) / 100, threshold: 0.9)]),
                .listMatch("quarantined", entryIds: [Int64(n)]),
            ], hashes: hashes, mediaType: "image/png")
    }

    static func decision(_ outcome: ReviewOutcome, by: String = "key:1", note: String? = nil) -> ReviewDecision {
        ReviewDecision(outcome: outcome, by: by, organisation: "Example Hosting", at: "2026-01-01T00:00:00Z", note: note)
    }

    @Test(arguments: StoreFactory.all)
    func itemsAreQueuedReadAndPagedOpenFirst(_ factory: StoreFactory) async throws {
        let clock = ManualClock()
        let store = try await factory.make(clock)
        let ids = try await store.queueReviews((0..<7).map(Self.item))
        #expect(ids.count == 7 && ids == ids.sorted())
        let first = try #require(try await store.review(id: ids[0]))
        #expect(first.state == .open && first.decision == nil && first.createdAt == clock.now().rfc3339)
        #expect(first.reasons == Self.item(0).reasons && first.hashes == Self.hashes && first.mediaType == "image/png")
        #expect(try await store.review(id: 9_999) == nil)

        // Decide two; the queue lists the five open ones first, then the two decided, each by id.
        _ = try await store.decideReview(id: ids[1], Self.decision(.confirmed))
        _ = try await store.decideReview(id: ids[4], Self.decision(.falsePositive, note: "a beach photo"))
        var seen: [Int64] = []
        var after: ReviewCursor?
        repeat {
            let page = try await store.reviews(state: nil, after: after, limit: 3)
            seen += page.map(\.id)
            after = page.count == 3 ? page.last.map { ReviewCursor(state: $0.state, id: $0.id) } : nil
        } while after != nil
        #expect(seen == [ids[0], ids[2], ids[3], ids[5], ids[6], ids[1], ids[4]])
        #expect(try await store.reviews(state: .decided, after: nil, limit: 10).map(\.id) == [ids[1], ids[4]])
        #expect(try await store.reviews(state: .open, after: ReviewCursor(state: .open, id: ids[3]), limit: 10).map(\.id) == [ids[5], ids[6]])
        let decided = try #require(try await store.review(id: ids[4]))
        #expect(decided.state == .decided && decided.decision?.outcome == .falsePositive && decided.decision?.note == "a beach photo")
        #expect(decided.decision?.at == clock.now().rfc3339 && decided.decision?.by == "key:1")
        #expect(ReviewCursor(text: "open.12") == ReviewCursor(state: .open, id: 12))
        for text in ["open", "closed.1", "open.", "open.-1", "open.1.2", "decided.1234567890123456789", "open.١"] {
            #expect(ReviewCursor(text: text) == nil, "\(text)")
        }
    }

    @Test(arguments: StoreFactory.all)
    func aDecisionIsRecordedOnceWithItsAuditEvent(_ factory: StoreFactory) async throws {
        let store = try await factory.make(ManualClock())
        let id = try await store.queueReviews([Self.item(1)])[0]
        let before = try await store.auditEvents(after: 0, limit: 1_000).count
        let decided = try await store.decideReview(id: id, Self.decision(.seen, by: "key:7"))
        #expect(decided.decision?.outcome == .seen)
        let again = await #expect(throws: StoreError.self) { _ = try await store.decideReview(id: id, Self.decision(.confirmed, by: "key:8")) }
        #expect(again?.code == .reviewDecided && again?.message.contains("key:7") == true)
        #expect(try await store.review(id: id)?.decision?.by == "key:7", "the first decision stands")
        let unknown = await #expect(throws: StoreError.self) { _ = try await store.decideReview(id: 424_242, Self.decision(.seen)) }
        #expect(unknown?.code == .reviewNotFound)
        // An overlong note is refused before anything is written.
        let other = try await store.queueReviews([Self.item(2)])[0]
        await #expect(throws: StoreError.self) {
            _ = try await store.decideReview(
                id: other, Self.decision(.seen, note: String(repeating: "n", count: ReviewDecision.maxNoteCharacters + 1)))
        }
        #expect(try await store.review(id: other)?.state == .open)
        let events = try await store.auditEvents(after: 0, limit: 1_000)
        #expect(events.count == before + 1)
        #expect(events.last?.event.action == "review.decide" && events.last?.event.object == "review:\(id)" && events.last?.event.detail == "seen")
        #expect(try await store.verifyAuditChain().isValid)
    }

    @Test(arguments: StoreFactory.all)
    func manyConcurrentDecisionsOnOneItemLeaveOneWinner(_ factory: StoreFactory) async throws {
        let store = try await factory.make(ManualClock())
        let id = try await store.queueReviews([Self.item(3)])[0]
        let outcomes = await withTaskGroup(of: String.self) { group in
            for n in 0..<24 {
                group.addTask {
                    do {
                        _ = try await store.decideReview(id: id, Self.decision(n.isMultiple(of: 2) ? .confirmed : .falsePositive, by: "key:\(n)"))
                        return "won"
                    } catch let error as StoreError {
                        return error.code.name
                    } catch {
                        return "\(error)"
                    }
                }
            }
            var all: [String] = []
            for await outcome in group { all.append(outcome) }
            return all
        }
        #expect(outcomes.filter { $0 == "won" }.count == 1, "\(outcomes)")
        #expect(outcomes.filter { $0 == "review_decided" }.count == 23, "\(outcomes)")
        let decided = try #require(try await store.review(id: id))
        #expect(decided.state == .decided)
        let decisions = try await store.auditEvents(after: 0, limit: 1_000).filter { $0.event.action == "review.decide" }
        #expect(decisions.count == 1 && decisions.first?.event.actor == decided.decision?.by)
    }

    @Test(arguments: StoreFactory.all)
    func anItemIsRecordedWithTheMatchsActionsOrNothingIs(_ factory: StoreFactory) async throws {
        let clock = ManualClock()
        let store = try await factory.make(clock)
        _ = try await store.createList(HashList(name: "hooked", kind: .knownAbuseMaterial))
        let list = try await store.list(named: "hooked").id
        let message = OutboxMessage(listId: list, url: "https://hooks.example/vigil", body: Array("{}".utf8))
        let recorded = try await store.recordActions(messages: [message], filings: [], reviews: [Self.item(4)])
        #expect(recorded.messages.count == 1 && recorded.reviews.count == 1)
        #expect(try await store.review(id: recorded.reviews[0]) != nil)
        // A review item that is refused (no reason) takes the webhook message down with it.
        let due = try await store.dueDeliveries(now: clock.now().addingTimeInterval(1), limit: 100).count
        await #expect(throws: StoreError.self) {
            _ = try await store.recordActions(messages: [message], filings: [], reviews: [NewReview(reasons: [], hashes: Self.hashes)])
        }
        #expect(try await store.dueDeliveries(now: clock.now().addingTimeInterval(1), limit: 100).count == due)
        #expect(try await store.reviews(state: nil, after: nil, limit: 10).count == 1)
    }
}
