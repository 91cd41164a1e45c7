public import VigilDomain
public import VigilStore

/// The Centre's assessment of reports: the queue, analysts' decisions and supervisors' reviews.
/// Each step is one transaction with its audit event; the state machine (``ReportState``)
/// decides what may happen, and a supervisor may not approve a decision they took.
public struct AssessmentService: Sendable {
    /// The store.
    public let store: any CentreStore

    /// The service over `store`.
    public init(store: any CentreStore) {
        self.store = store
    }

    /// The reports waiting for an analyst (or, with `states`, in those states), urgent first, then the oldest.
    public func queue(states: Set<ReportState> = [.queued], limit: Int = 100) async throws(StoreError) -> [StoredReport] {
        try await store.reports(ReportQuery(states: states, limit: limit, order: .queue))
    }

    /// An analyst's decision on a queued report: `forward` and `unfounded` wait for a supervisor;
    /// `request_information` goes to the provider at once.
    public func decide(_ decision: AssessmentDecision, on id: Int64, by actor: Actor) async throws -> StoredReport {
        if let problem = decision.problem { throw CentreError(code: .invalidDecision, message: problem) }
        return try await store.write { tx in
            guard let report = try tx.report(id: id) else { throw StoreError.reportNotFound(id) }
            let next: ReportState
            do throws(ReportTransitionError) {
                next = try report.state.applying(.decide(decision))
            } catch {
                throw CentreError(code: .transitionRefused, message: error.description)
            }
            let updated = try tx.updateReport(id: id, from: report.state, to: next, pendingDecision: decision, decidedBy: actor.name)
            try tx.appendAudit(
                AuditEvent(
                    actor: actor.name, organisation: actor.organisation, action: "report.decide", object: "report:\(id)", at: tx.now.rfc3339Text,
                    detail: Self.describe(decision)))
            return updated
        }
    }

    /// A supervisor's review of a decision awaiting it: approve (it takes effect) or return the
    /// report to the queue. The analyst who decided may not approve it.
    public func review(_ id: Int64, approve: Bool, by actor: Actor) async throws -> StoredReport {
        try await store.write { tx in
            guard let report = try tx.report(id: id) else { throw StoreError.reportNotFound(id) }
            guard report.state == .awaitingReview, let pending = report.pendingDecision else {
                throw CentreError(
                    code: .transitionRefused, message: "report \(id) is \(report.state.rawValue): only a decision awaiting review can be reviewed")
            }
            if approve, report.decidedBy == actor.name {
                throw CentreError(code: .sameReviewer, message: "the decision must be approved by another person than the one who took it")
            }
            let event: ReportEvent = approve ? .approve(pending: pending) : .returnToQueue
            let next: ReportState
            do throws(ReportTransitionError) {
                next = try report.state.applying(event)
            } catch {
                throw CentreError(code: .transitionRefused, message: error.description)
            }
            let updated = try tx.updateReport(
                id: id, from: report.state, to: next, pendingDecision: approve ? pending : nil, decidedBy: approve ? report.decidedBy : nil)
            try tx.appendAudit(
                AuditEvent(
                    actor: actor.name, organisation: actor.organisation, action: approve ? "report.approve" : "report.return",
                    object: "report:\(id)", at: tx.now.rfc3339Text, detail: approve ? Self.describe(pending) : nil))
            if updated.state == .forwarded { _ = try Forwarding.refer(updated, in: tx) }
            return updated
        }
    }

    /// An analyst's classification of an item (a file across reports). An item keeps its first
    /// classification: a second one is refused (`item_classified`), so nobody views it again.
    public func classify(item id: Int64, as verdict: ItemVerdict, by actor: Actor) async throws -> StoredItem {
        if let problem = verdict.problem { throw CentreError(code: .invalidDecision, message: problem) }
        return try await store.write { tx throws(StoreError) -> StoredItem in
            let item = try tx.classifyItem(id: id, verdict: verdict, by: actor.name)
            try tx.appendAudit(
                AuditEvent(
                    actor: actor.name, organisation: actor.organisation, action: "item.classify", object: "item:\(id)", at: tx.now.rfc3339Text,
                    detail: verdict.classification.rawValue
                        + (verdict.memberStates.isEmpty ? "" : " in " + verdict.memberStates.map(\.rawValue).joined(separator: ","))))
            return item
        }
    }

    /// The audit detail of a decision: its name and reason code, never free text (which may hold personal data).
    static func describe(_ decision: AssessmentDecision) -> String {
        switch decision {
        case .forward: "forward"
        case .unfounded(let reason, _): "unfounded: \(reason.rawValue)"
        case .requestInformation: "request_information"
        }
    }
}
