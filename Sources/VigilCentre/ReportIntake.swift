public import VigilDomain
public import VigilStore

/// The stores the Centre's services use.
public typealias CentreStore = ReportStore & ReportFileStore & ItemStore & ReferralStore & OrganisationStore & TransactionalStore & AuditStore

/// Takes reports in: checks that a report is complete and valid, that its signature verifies with
/// a key registered to the filing organisation, classifies it (known material when every file
/// matches a confirmed indicator), and stores it with its audit event in one transaction. The
/// report's id is returned only after that transaction committed (SQLite with
/// `synchronous = FULL`: on disk).
///
/// Filings are written in groups (``GroupCommit``): reports that arrive while a transaction is
/// being written are written together by the next one, so one `fsync` acknowledges many reports.
/// Make one intake per node and share it, so that its callers share its batches.
public struct ReportIntake: Sendable {
    /// The store.
    public let store: any CentreStore
    /// The check of files against the Centre's confirmed indicators, if the Centre has lists.
    public let indicators: (any IndicatorCheck)?
    /// What seals the files' bytes (nil: files are refused, reports by their hashes only are taken).
    public let vault: ContentVault?
    /// What computes an image file's PDQ hash (nil: files are stored by their digests only).
    public let images: (any ImageHashing)?
    /// The largest file accepted, in bytes.
    public let maxFileBytes: Int
    /// The group commit of verified filings.
    let batches: GroupCommit<Filing, StoredReport>

    /// Intake over `store`, classifying with `indicators`, sealing files with `vault` and hashing
    /// images with `images`; at most `maximumBatch` reports per transaction.
    public init(
        store: any CentreStore, indicators: (any IndicatorCheck)?, vault: ContentVault? = nil, images: (any ImageHashing)? = nil,
        maxFileBytes: Int = 32 << 20, maximumBatch: Int = 256
    ) {
        self.store = store
        self.indicators = indicators
        self.vault = vault
        self.images = images
        self.maxFileBytes = maxFileBytes
        // Each batch is one transaction, reported from the store's writer, which goes straight on
        // to the next batch.
        batches = GroupCommit(maximumBatch: maximumBatch) { filings, done in
            store.write { tx throws(StoreError) in
                try Self.write(filings, in: tx)
            } completion: { outcome in
                switch outcome {
                case .success(let results): done(results.map { $0.mapError { $0 as any Error } })
                case .failure(let error): done(filings.map { _ in .failure(error) })
                }
            }
        }
    }

    /// The report's problems (empty when it may be filed): the same check as intake's.
    public func check(_ report: Report) -> [ReportProblem] {
        ReportValidation.problems(report)
    }

    /// Files `signed` for `principal`'s organisation, with the bytes of some of its files.
    ///
    /// The report, its files (hashed and sealed) and its audit event are stored in one transaction.
    /// Throws ``CentreError`` (`incomplete_report` with the problems, `unknown_signing_key`,
    /// `bad_signature`, the file errors of ``ReceivedFiles``) or ``StoreError`` (`report_exists`
    /// for a reference filed already).
    public func file(_ signed: SignedReport, files received: [ReceivedFile] = [], by principal: Principal) async throws -> StoredReport {
        try requireComplete(signed.report)
        let key = try await store.signingKey(id: signed.signature.keyId)
        guard let key, key.organisationId == principal.organisationId, key.revokedAt == nil else {
            throw CentreError(
                code: .unknownSigningKey,
                message:
                    "signing key \"\(signed.signature.keyId)\" is not a live key of this organisation; register its public key with the Centre first")
        }
        let canonical = ReportCoding.canonicalJSON(signed.report)
        guard ReportSignatureCheck.isValid(signed.signature, canonicalJSON: canonical, publicKey: key.publicKey) else {
            throw CentreError(
                code: .badSignature,
                message:
                    "the signature does not verify: sign the report's canonical encoding (vigil-report-v1, a zero byte, the JSON with sorted keys) with Ed25519"
            )
        }
        let files = try await ReceivedFiles(received, for: signed.report, vault: vault, images: images, maxFileBytes: maxFileBytes).files
        return try await accept(signed.report, signature: signed.signature, channel: .signed, canonicalJSON: canonical, files: files, by: principal)
    }

    /// Files a report that came by a channel without signatures (NCMEC's CyberTipline protocol,
    /// whose caller authenticated with the provider's credentials), with its files already
    /// received, hashed and sealed. The same completeness check, classification, group commit and
    /// audit event as a signed report's.
    ///
    /// `also` runs in the report's transaction after it is stored (the protocol closes its
    /// submission there, so that both happen or neither). Such a filing is written in a transaction
    /// of its own, not in a group: its `also` failing fails it alone.
    public func file(
        unsigned report: Report, channel: ReportChannel, files: [NewReportFile], by principal: Principal,
        also: (@Sendable (any StoreTransaction, StoredReport) throws(StoreError) -> Void)? = nil
    ) async throws -> StoredReport {
        try requireComplete(report)
        let (matches, known) = try await classify(report, files: files)
        let new = NewReport(
            organisationId: principal.organisationId, report: report, signature: nil, channel: channel,
            state: .initial(classifiedAutomatically: known), classifiedAutomatically: known, centreMatches: matches, files: files)
        let filing = Filing(report: new, actor: Actor(principal), also: also)
        let outcomes = try await store.write { tx throws(StoreError) in try Self.write([filing], in: tx) }
        guard let outcome = outcomes.first else { throw StoreError.internal("a filing had no outcome") }
        return try outcome.get()
    }

    /// The one completeness check of every channel.
    private func requireComplete(_ report: Report) throws {
        let problems = check(report)
        guard problems.isEmpty else {
            throw CentreError(
                code: .incompleteReport, message: "the report is incomplete or invalid: \(problems.count) problem(s); see problems",
                problems: problems)
        }
    }

    /// Classifies a checked report and stores it (in a group commit) with its files.
    private func accept(
        _ report: Report, signature: SignedReport.Signature?, channel: ReportChannel, canonicalJSON: [UInt8]?, files: [NewReportFile],
        by principal: Principal
    ) async throws -> StoredReport {
        let (matches, known) = try await classify(report, files: files)
        let new = NewReport(
            organisationId: principal.organisationId, report: report, signature: signature, channel: channel,
            state: .initial(classifiedAutomatically: known), classifiedAutomatically: known, centreMatches: matches, canonicalJSON: canonicalJSON,
            files: files)
        return try await batches.submit(Filing(report: new, actor: Actor(principal)))
    }

    /// One verified report waiting for its transaction.
    public struct Filing: Sendable {
        /// The report to store.
        public var report: NewReport
        /// Who filed it.
        public var actor: Actor
        /// What else to write in the report's transaction, after it.
        public var also: (@Sendable (any StoreTransaction, StoredReport) throws(StoreError) -> Void)?

        /// A filing.
        public init(report: NewReport, actor: Actor, also: (@Sendable (any StoreTransaction, StoredReport) throws(StoreError) -> Void)? = nil) {
            self.report = report
            self.actor = actor
            self.also = also
        }
    }

    /// Writes a batch of filings in transaction `tx`: each with its audit event (and, when it was
    /// classified known material, its classification event and referrals). A filing whose
    /// reference was filed already fails alone (nothing of it was written); any other failure is
    /// thrown, so that the whole batch is rolled back and every filing of it fails.
    static func write(_ filings: [Filing], in tx: any StoreTransaction) throws(StoreError) -> [Result<StoredReport, StoreError>] {
        var outcomes: [Result<StoredReport, StoreError>] = []
        outcomes.reserveCapacity(filings.count)
        for filing in filings {
            var stored: StoredReport
            do throws(StoreError) {
                stored = try tx.fileReport(filing.report)
            } catch {
                // A repeated reference fails alone (nothing of it was written); anything else fails the batch.
                guard error.code == .reportExists else { throw error }
                outcomes.append(.failure(error))
                continue
            }
            let report = filing.report.report
            try tx.appendAudit(
                AuditEvent(
                    actor: filing.actor.name, organisation: filing.actor.organisation, action: "report.file", object: "report:\(stored.id)",
                    at: tx.now.rfc3339Text,
                    detail:
                        "\(report.type?.rawValue ?? "?"), \(report.files.count) file(s), \(filing.report.files.count) with content, urgent: \(report.urgent)"
                        + (filing.report.channel == .signed ? "" : ", via \(filing.report.channel.rawValue)")))
            if filing.report.classifiedAutomatically {
                try tx.appendAudit(
                    AuditEvent(
                        actor: "system", organisation: nil, action: "report.classify_known", object: "report:\(stored.id)",
                        at: tx.now.rfc3339Text, detail: Self.describe(filing.report.centreMatches)))
                _ = try Forwarding.refer(stored, in: tx)
            }
            let links = try tx.linkReport(
                reportId: stored.id, files: ReportItems.linkedFiles(report, stored: filing.report.files),
                keys: ReportLinking.keys(of: report, organisationId: stored.organisationId))
            if stored.state == .queued, let verdicts = ReportItems.allConfirmed(report, links) {
                // Every file is an item a person classified illegal before: it is not viewed again.
                stored = try tx.updateReport(id: stored.id, from: .queued, to: .forwarded, pendingDecision: nil, decidedBy: nil)
                try tx.markClassifiedAutomatically(id: stored.id)
                stored.classifiedAutomatically = true
                try tx.appendAudit(
                    AuditEvent(
                        actor: "system", organisation: nil, action: "report.classify_known", object: "report:\(stored.id)",
                        at: tx.now.rfc3339Text, detail: verdicts))
                _ = try Forwarding.refer(stored, in: tx)
            }
            try filing.also?(tx, stored)
            outcomes.append(.success(stored))
        }
        return outcomes
    }

    /// The Centre's matches per file (by the hashes the report declares and those computed from
    /// the bytes that came), and whether every file of a report of material matched.
    func classify(_ report: Report, files: [NewReportFile]) async throws -> (matches: [String: [String]], known: Bool) {
        guard let indicators, report.type == .knownMaterial || report.type == .newMaterial, !report.files.isEmpty else { return ([:], false) }
        var matches: [String: [String]] = [:]
        for file in report.files {
            let stored = files.first { $0.reference == file.reference }
            let found = try await indicators.confirmedIndicators(for: ReceivedFiles.withComputedHashes(file, stored))
            if !found.isEmpty { matches[file.reference] = found }
        }
        return (matches, matches.count == report.files.count)
    }

    /// The indicators for the audit trail (references only, at most its detail's size).
    static func describe(_ matches: [String: [String]]) -> String {
        let text = matches.keys.sorted().map { "\($0): \(matches[$0, default: []].joined(separator: " "))" }.joined(separator: "; ")
        return String(text.utf8.prefix(AuditChain.maximumDetailBytes - 16)) ?? "indicators matched"
    }
}
