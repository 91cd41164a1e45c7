import Foundation
public import VigilDomain
public import VigilExchange
public import VigilStore

/// Reviewers' verdicts on entries (`/v1/lists/{name}/entries/{id}/verdicts`): each is recorded in
/// ONE transaction with its audit event and, where the entry came from an exchange whose service
/// takes that feedback, its feedback message (the delivery id), which the ``FeedbackWorker`` sends.
public struct VerdictService: Sendable {
    let store: any NodeStore
    let registry: ExchangeRegistry
    let wake: ExchangeWake

    /// The service of `node`.
    public init(node: Node) {
        self.store = node.store
        self.registry = node.exchanges.registry
        self.wake = node.exchanges.feedbackWake
    }

    /// The services' name of a verdict.
    public static func exchangeVerdict(_ verdict: EntryVerdictKind) -> ExchangeVerdict {
        switch verdict {
        case .truePositive: .truePositive
        case .falsePositive: .falsePositive
        case .seen: .seen
        }
    }

    /// Whether exchanges of `kind` send `verdict` back (their maker takes that feedback).
    public static func takesFeedback(_ registry: ExchangeRegistry, kind: String, verdict: EntryVerdictKind) -> Bool {
        guard let maker = registry.makers[kind] as? any ExchangeFeedbackMaker else { return false }
        return maker.takesFeedback(exchangeVerdict(verdict))
    }

    /// Records `actor`'s verdict on entry `entryId` of list `list` (replacing the actor's earlier
    /// one; the same verdict again changes nothing), with its audit event and feedback message in
    /// one transaction; wakes the feedback worker when a message was written.
    public func record(_ verdict: EntryVerdictKind, entry entryId: Int64, list: String, by actor: Actor) async throws(StoreError)
        -> StoredEntryVerdict
    {
        let registry = self.registry
        let new = NewEntryVerdict(entryId: entryId, reviewer: actor.name, organisation: actor.organisation, verdict: verdict)
        let recorded = try await store.write { tx throws(StoreError) in
            let (stored, changed) = try tx.recordVerdict(new, inList: list) { kind, verdict in
                Self.takesFeedback(registry, kind: kind, verdict: verdict)
            }
            if changed {
                let detail =
                    stored.feedback.map { "\(verdict.rawValue); feedback \($0.id) to exchange \($0.exchangeName ?? "?")" } ?? verdict.rawValue
                try tx.appendAudit(ListService.event(actor, "entry.verdict", "entry:\(entryId)", at: tx.now, detail: detail))
            }
            return (stored, changed)
        }
        if recorded.1, recorded.0.feedback?.state == .pending { wake.signal() }
        return recorded.0
    }

    /// The verdicts on entry `entryId` of list `list`, each with its feedback's status;
    /// `entryNotFound` when the list has no such entry.
    public func verdicts(entry entryId: Int64, list: String) async throws(StoreError) -> [StoredEntryVerdict] {
        let stored = try await store.list(named: list)
        guard let entry = try await store.entries(ids: [entryId])[entryId], entry.listId == stored.id else { throw .entryNotFound(entryId) }
        return try await store.verdicts(entryId: entryId)
    }
}
