public import Foundation
public import VigilDomain
public import VigilStore

/// Deletes what the Centre may no longer keep: reports past their retention (``RetentionRule``),
/// with their files, referrals and links, and CyberTipline submissions left unfinished past their
/// lifetime (``CyberTiplineSubmission/Lifetime``), with their sealed files.
///
/// One sweep reads candidates in pages and deletes each page in one transaction, which re-reads
/// the facts and decides again at the transaction's time (an outcome posted meanwhile keeps the
/// report), and appends one audit event per report deleted (`report.delete`, detail `retention`)
/// or submission expired (`cybertipline.expire`). Audit events are never deleted.
public struct RetentionService: Sendable {
    /// What a sweep applies.
    public struct Settings: Sendable, Hashable {
        /// The reports' rule.
        public var rule: RetentionRule
        /// How long an unfinished CyberTipline submission lives.
        public var lifetime: CyberTiplineSubmission.Lifetime
        /// How many reports or submissions one transaction deletes at most.
        public var batch: Int

        /// Settings: 365 days after the last action, NCMEC's lifetime, batches of 100.
        public init(rule: RetentionRule = RetentionRule(), lifetime: CyberTiplineSubmission.Lifetime = .init(), batch: Int = 100) {
            self.rule = rule
            self.lifetime = lifetime
            self.batch = max(1, batch)
        }
    }

    /// A report a sweep found expired.
    public struct ReportDeletion: Sendable, Hashable {
        /// The report.
        public var reportId: Int64
        /// When it became deletable.
        public var deletionTime: Date
        /// What was deleted (nil in a dry run).
        public var deleted: DeletedReport?
    }

    /// A CyberTipline submission a sweep found expired.
    public struct SubmissionExpiry: Sendable, Hashable {
        /// The submission.
        public var submissionId: Int64
        /// When it expired.
        public var expiredAt: Date
        /// Its files (deleted unless a dry run).
        public var files: Int
    }

    /// What one sweep did (or, in a dry run, would do).
    public struct Sweep: Sendable, Hashable {
        /// Whether nothing was deleted (a dry run).
        public var dryRun: Bool
        /// The reports deleted (or to delete), by id.
        public var reports: [ReportDeletion] = []
        /// The submissions expired (or to expire), by id.
        public var submissions: [SubmissionExpiry] = []
    }

    /// The store.
    public let store: any TransactionalStore & RetentionStore
    /// The rules.
    public let settings: Settings
    /// Where the time of a sweep comes from.
    public let clock: any WallClock

    /// A service over `store`.
    public init(store: any TransactionalStore & RetentionStore, settings: Settings = Settings(), clock: any WallClock) {
        self.store = store
        self.settings = settings
        self.clock = clock
    }

    /// Deletes (with `dryRun`, only lists) every expired report and submission.
    public func sweep(dryRun: Bool = false) async throws(StoreError) -> Sweep {
        var sweep = Sweep(dryRun: dryRun)
        sweep.reports = try await sweepReports(dryRun: dryRun)
        sweep.submissions = try await sweepSubmissions(dryRun: dryRun)
        return sweep
    }

    func sweepReports(dryRun: Bool) async throws(StoreError) -> [ReportDeletion] {
        let rule = settings.rule
        let now = clock.now()
        var found: [ReportDeletion] = []
        var afterId: Int64 = 0
        while true {
            // Only a report unchanged for a whole period can have expired.
            let page = try await store.retentionFacts(changedBy: now.addingTimeInterval(-rule.period), afterId: afterId, limit: settings.batch)
            guard let last = page.last else { break }
            afterId = last.reportId
            let expired = page.filter { rule.isExpired($0, at: now) }
            guard !expired.isEmpty else { continue }
            if dryRun {
                found += expired.map { ReportDeletion(reportId: $0.reportId, deletionTime: rule.deletionTime($0), deleted: nil) }
                continue
            }
            let ids = expired.map(\.reportId)
            found += try await store.write { tx throws(StoreError) -> [ReportDeletion] in
                var deleted: [ReportDeletion] = []
                // Decided again inside the transaction: something may have happened since the read.
                for facts in try tx.retentionFacts(reportIds: ids) where rule.isExpired(facts, at: tx.now) {
                    let removed = try tx.deleteReport(id: facts.reportId)
                    try tx.appendAudit(
                        AuditEvent(
                            actor: "system", organisation: nil, action: "report.delete", object: "report:\(facts.reportId)", at: tx.now.rfc3339Text,
                            detail: "retention"))
                    deleted.append(ReportDeletion(reportId: facts.reportId, deletionTime: rule.deletionTime(facts), deleted: removed))
                }
                return deleted
            }
        }
        return found
    }

    func sweepSubmissions(dryRun: Bool) async throws(StoreError) -> [SubmissionExpiry] {
        let lifetime = settings.lifetime
        let now = clock.now()
        var found: [SubmissionExpiry] = []
        var afterId: Int64 = 0
        while true {
            let page = try await store.openSubmissions(afterId: afterId, limit: settings.batch)
            guard let last = page.last else { break }
            afterId = last.id
            let expired: [(OpenSubmissionTimes, Date)] = page.compactMap { open in
                guard let opened = RFC3339.date(from: open.openedAt), let changed = RFC3339.date(from: open.lastChangedAt) else { return nil }
                let expiry = lifetime.expiry(openedAt: opened, lastChangedAt: changed)
                return now >= expiry ? (open, expiry) : nil
            }
            guard !expired.isEmpty else { continue }
            if dryRun {
                found += expired.map { SubmissionExpiry(submissionId: $0.0.id, expiredAt: $0.1, files: $0.0.files) }
                continue
            }
            found += try await store.write { tx throws(StoreError) -> [SubmissionExpiry] in
                var done: [SubmissionExpiry] = []
                for (open, expiry) in expired where tx.now >= expiry {
                    // Skipped when it changed since it was read (its lifetime started again).
                    guard let files = try tx.deleteExpiredSubmission(id: open.id, lastChangedAt: open.lastChangedAt) else { continue }
                    try tx.appendAudit(
                        AuditEvent(
                            actor: "system", organisation: nil, action: "cybertipline.expire", object: "submission:\(open.id)",
                            at: tx.now.rfc3339Text, detail: "unfinished past its lifetime; \(files) file(s) deleted"))
                    done.append(SubmissionExpiry(submissionId: open.id, expiredAt: expiry, files: files))
                }
                return done
            }
        }
        return found
    }

    /// Records (or renews) an authority's request to keep report `reportId` (police or Europol the
    /// report was referred to, or the Centre), on the audit chain as `report.preserve`.
    ///
    /// - Throws: ``CentreError`` `invalid_decision` when the request is not acceptable (until in the
    ///   past or more than 18 months ahead, no reason); ``StoreError`` `reportNotFound`.
    public func preserve(reportId: Int64, _ preservation: Preservation, by actor: Actor) async throws -> StoredPreservation {
        if let problem = preservation.problem(at: clock.now()) { throw CentreError(code: .invalidDecision, message: problem) }
        let requester = actor.organisation ?? actor.name
        return try await store.write { tx throws(StoreError) -> StoredPreservation in
            let stored = try tx.setPreservation(reportId: reportId, preservation, requestedBy: requester)
            try tx.appendAudit(
                AuditEvent(
                    actor: actor.name, organisation: actor.organisation, action: "report.preserve", object: "report:\(reportId)",
                    at: tx.now.rfc3339Text, detail: "until \(preservation.until): \(preservation.reason)"))
            return stored
        }
    }

    /// Withdraws `actor`'s organisation's preservation request on report `reportId` (the report
    /// then follows the retention rule again), as one transaction with its `report.unpreserve`
    /// audit event. Throws `preservation_not_found` when that organisation has none on it.
    public func withdraw(reportId: Int64, by actor: Actor) async throws(StoreError) -> StoredPreservation {
        let requester = actor.organisation ?? actor.name
        return try await store.write { tx throws(StoreError) -> StoredPreservation in
            guard let removed = try tx.withdrawPreservation(reportId: reportId, requestedBy: requester) else {
                throw StoreError(
                    code: .preservationNotFound, message: "\(requester) has no preservation request on report \(reportId); nothing was withdrawn")
            }
            try tx.appendAudit(
                AuditEvent(
                    actor: actor.name, organisation: actor.organisation, action: "report.unpreserve", object: "report:\(reportId)",
                    at: tx.now.rfc3339Text, detail: "was until \(removed.preservation.until)"))
            return removed
        }
    }
}
