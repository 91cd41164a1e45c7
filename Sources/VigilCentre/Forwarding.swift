import VigilDomain
import VigilStore

/// Forwarding a report: the one place where referrals are made, inside the transaction that moves
/// the report to `forwarded` (an approved decision, or intake's automatic classification).
enum Forwarding {
    /// Creates the referrals ``ReferralRouting`` names for `report` and the audit event that lists
    /// them with the grounds of each Member State's competence.
    static func refer(_ report: StoredReport, in tx: any StoreTransaction) throws(StoreError) -> [StoredReferral] {
        let routing = ReferralRouting.route(report.report)
        let referrals = try tx.createReferrals(reportId: report.id, recipients: routing.recipients, outcomeDueAfter: ReferralOutcome.dueAfter)
        let grounds = routing.grounds.keys.sorted().map { state in
            "\(state.rawValue) (\(routing.grounds[state, default: []].map(\.rawValue).sorted().joined(separator: ", ")))"
        }
        let detail =
            routing.jurisdictionUnclear
            ? "europol alone: no Member State could be named" : "europol and " + grounds.joined(separator: "; ")
        try tx.appendAudit(
            AuditEvent(
                actor: "system", organisation: nil, action: "report.refer", object: "report:\(report.id)", at: tx.now.rfc3339Text, detail: detail))
        return referrals
    }
}
