import Foundation
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
        try notify(referrals, of: report, in: tx)
        return referrals
    }

    /// Records, in the same transaction, a signed notice to every recipient organisation with a
    /// webhook: the referral's ids and urgency, never the report's content (the recipient reads it
    /// through the API, which is audited). The outbox delivers it with retries.
    static func notify(_ referrals: [StoredReferral], of report: StoredReport, in tx: any StoreTransaction) throws(StoreError) {
        var messages: [OutboxMessage] = []
        for referral in referrals {
            for webhook in try tx.webhooks(for: referral.recipient) {
                let notice = ReferralNotice(
                    event: "referral.created", referralId: referral.id, reportId: report.id, recipient: referral.recipient.description,
                    urgent: report.report.urgent, type: report.report.type?.rawValue, outcomeDueAt: referral.outcomeDueAt, at: tx.now.rfc3339Text)
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                let body: Data
                do {
                    body = try encoder.encode(notice)
                } catch {
                    throw .internal("a referral notice could not be encoded", underlying: error)
                }
                messages.append(OutboxMessage(organisationId: webhook.organisationId, url: webhook.url, body: Array(body)))
            }
        }
        if !messages.isEmpty { _ = try tx.enqueue(messages) }
    }
}

/// The body of a referral notice posted to a police force's or Europol's webhook.
struct ReferralNotice: Encodable {
    let event: String
    let referralId: Int64
    let reportId: Int64
    let recipient: String
    let urgent: Bool
    let type: String?
    let outcomeDueAt: String
    let at: String

    enum CodingKeys: String, CodingKey {
        case event, recipient, urgent, type, at
        case referralId = "referral_id"
        case reportId = "report_id"
        case outcomeDueAt = "outcome_due_at"
    }
}
