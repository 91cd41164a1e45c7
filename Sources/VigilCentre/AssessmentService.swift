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

    /// Proposes a classified-illegal item for a list of confirmed material (`known_abuse_material`),
    /// with the report it was confirmed in; a supervisor reviews it (``reviewProposal(_:approve:by:)``).
    public func propose(item id: Int64, toList list: String, reportId: Int64?, by actor: Actor) async throws -> ItemProposal {
        try await store.write { tx throws -> ItemProposal in
            guard let item = try tx.item(id: id) else { throw StoreError.itemNotFound(id) }
            guard let verdict = item.verdict, verdict.classification != .notIllegal else {
                throw CentreError(
                    code: .invalidDecision, message: "only an item classified illegal can be proposed for a list; classify item \(id) first")
            }
            let target = try tx.list(named: list)
            guard target.list.kind == .knownAbuseMaterial else {
                throw CentreError(code: .invalidDecision, message: "list \(list) is not a list of confirmed material (kind known_abuse_material)")
            }
            let proposal = try tx.proposeItem(id: id, toList: list, reportId: reportId, by: actor.name)
            try tx.appendAudit(
                AuditEvent(
                    actor: actor.name, organisation: actor.organisation, action: "item.propose", object: "item:\(id)", at: tx.now.rfc3339Text,
                    detail: "proposal \(proposal.id) to list \(list)" + (reportId.map { ", report:\($0)" } ?? "")))
            return proposal
        }
    }

    /// A supervisor's review of a proposal: approved, the item's hashes go on the list with their
    /// provenance (the Centre, the item, the report, who classified, proposed and approved it);
    /// rejected, nothing is added. The person who proposed it may not approve it.
    public func reviewProposal(_ id: Int64, approve: Bool, by actor: Actor) async throws -> ItemProposal {
        try await store.write { tx throws -> ItemProposal in
            guard let proposal = try tx.itemProposal(id: id) else {
                throw CentreError(code: .proposalNotFound, message: "no proposal has id \(id); list an item's proposals with its report")
            }
            if approve, proposal.proposedBy == actor.name {
                throw CentreError(code: .sameReviewer, message: "the proposal must be approved by another person than the one who made it")
            }
            var entries: [Int64] = []
            if approve, proposal.state == .proposed {
                guard let item = try tx.item(id: proposal.itemId) else { throw StoreError.itemNotFound(proposal.itemId) }
                let provenance = Provenance(
                    sourceOrganisation: "Centre", sourceItemId: "item:\(item.id)", submittedBy: proposal.proposedBy, confirmedBy: item.classifiedBy,
                    decisionReference: proposal.reportId.map { "report:\($0)" }, confirmedAt: item.classifiedAt,
                    note: "proposal \(id), approved by \(actor.name)")
                var records: [IndicatorRecord] = []
                if let pdq = item.pdq { records.append(IndicatorRecord(type: .pdq, value: pdq, provenance: provenance)) }
                if let md5 = item.md5 { records.append(IndicatorRecord(type: .md5, value: md5, provenance: provenance)) }
                if let sha256 = item.sha256 { records.append(IndicatorRecord(type: .sha256, value: sha256, provenance: provenance)) }
                entries = try tx.apply(records, toList: proposal.list)
            }
            let reviewed = try tx.reviewItemProposal(id: id, approved: approve, by: actor.name, entryIds: entries)
            try tx.appendAudit(
                AuditEvent(
                    actor: actor.name, organisation: actor.organisation, action: approve ? "item.proposal_approve" : "item.proposal_reject",
                    object: "item:\(proposal.itemId)", at: tx.now.rfc3339Text,
                    detail: "proposal \(id)" + (approve ? ", \(entries.count) entries on list \(proposal.list)" : "")))
            return reviewed
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
