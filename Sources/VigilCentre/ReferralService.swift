public import Foundation
public import VigilDomain
public import VigilStore

/// The police side of referrals: a police force reads the referrals routed to its Member State
/// (Europol reads all), acknowledges them, posts an outcome and may place a hold. Every read of a
/// referred report and every change is an audit event. Row-level access (which referral a caller
/// may touch) is decided before these calls by the one access policy (``AccessPolicy``, rule
/// ``RowRule/jurisdiction``), with ``attributes(of:)``.
public struct ReferralService: Sendable {
    /// The store.
    public let store: any CentreStore
    /// The clock (for hold limits).
    public let clock: any WallClock

    /// The service over `store`.
    public init(store: any CentreStore, clock: any WallClock) {
        self.store = store
        self.clock = clock
    }

    /// What the access policy needs to know about a referral: the Member State it is routed to.
    public static func attributes(of referral: StoredReferral) -> ResourceAttributes {
        switch referral.recipient {
        case .police(let state): ResourceAttributes(memberStates: [state])
        case .europol: ResourceAttributes()
        }
    }

    /// The recipients whose referrals `principal` sees: its Member State's for police, all for Europol and the Centre.
    public static func visibleRecipients(for principal: Principal) -> Set<ReferralRecipient>? {
        switch principal.kind {
        case .europol, .centre: nil
        case .police: principal.jurisdiction.map { [.police($0)] } ?? []
        default: []
        }
    }

    /// The referrals `principal` may see (its work list when `unacknowledgedOnly`: urgent first).
    public func list(for principal: Principal, unacknowledgedOnly: Bool, afterId: Int64, limit: Int) async throws(StoreError) -> [StoredReferral] {
        try await store.referrals(
            ReferralQuery(recipients: Self.visibleRecipients(for: principal), unacknowledgedOnly: unacknowledgedOnly, afterId: afterId, limit: limit))
    }

    /// A referral and its report, read by `actor`: the read is recorded on the audit chain.
    public func open(_ referral: StoredReferral, by actor: Actor) async throws(StoreError) -> StoredReport {
        try await store.write { tx throws(StoreError) in
            guard let report = try tx.report(id: referral.reportId) else { throw .reportNotFound(referral.reportId) }
            try tx.appendAudit(
                AuditEvent(
                    actor: actor.name, organisation: actor.organisation, action: "referral.read", object: "referral:\(referral.id)",
                    at: tx.now.rfc3339Text, detail: "report:\(report.id)"))
            return report
        }
    }

    /// Records the recipient's acknowledgement.
    public func acknowledge(_ id: Int64, by actor: Actor) async throws(StoreError) -> StoredReferral {
        try await store.write { tx throws(StoreError) in
            let referral = try tx.acknowledgeReferral(id: id)
            try tx.appendAudit(
                AuditEvent(
                    actor: actor.name, organisation: actor.organisation, action: "referral.acknowledge", object: "referral:\(id)",
                    at: tx.now.rfc3339Text))
            return referral
        }
    }

    /// Records the recipient's outcome (the detail is at most 2,000 characters).
    public func postOutcome(_ outcome: ReferralOutcome, detail: String?, on id: Int64, by actor: Actor) async throws -> StoredReferral {
        if let detail, detail.count > 2_000 { throw CentreError(code: .invalidDecision, message: "an outcome's detail is at most 2,000 characters") }
        return try await store.write { tx throws(StoreError) in
            let referral = try tx.setReferralOutcome(id: id, outcome, detail: detail)
            let late = ReferralOutcome.isLate(postedAt: tx.now, dueAt: RFC3339.date(from: referral.outcomeDueAt) ?? tx.now)
            try tx.appendAudit(
                AuditEvent(
                    actor: actor.name, organisation: actor.organisation, action: "referral.outcome", object: "referral:\(id)",
                    at: tx.now.rfc3339Text, detail: outcome.rawValue + (late ? " (late)" : "")))
            return referral
        }
    }

    /// Places (or, with nil, lifts) the recipient's hold; a hold lasts at most 18 months.
    public func setHold(_ hold: Hold?, on id: Int64, by actor: Actor) async throws -> StoredReferral {
        if let hold, let problem = hold.problem(at: clock.now()) { throw CentreError(code: .invalidDecision, message: problem) }
        return try await store.write { tx throws(StoreError) in
            let referral = try tx.setReferralHold(id: id, hold)
            try tx.appendAudit(
                AuditEvent(
                    actor: actor.name, organisation: actor.organisation, action: hold == nil ? "referral.hold_lift" : "referral.hold",
                    object: "referral:\(id)", at: tx.now.rfc3339Text,
                    detail: hold.map { "do_not_inform: \($0.doNotInform), do_not_remove: \($0.doNotRemove), until \($0.until)" }))
            return referral
        }
    }
}
