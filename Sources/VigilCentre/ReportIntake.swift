public import VigilDomain
public import VigilStore

/// The stores the Centre's services use.
public typealias CentreStore = ReportStore & ReferralStore & OrganisationStore & TransactionalStore & AuditStore

/// Takes reports in: checks that a report is complete and valid, that its signature verifies with
/// a key registered to the filing organisation, classifies it (known material when every file
/// matches a confirmed indicator), and stores it with its audit event in one transaction. The
/// report's id is returned only after that transaction committed (SQLite with
/// `synchronous = FULL`: on disk).
public struct ReportIntake: Sendable {
    /// The store.
    public let store: any CentreStore
    /// The check of files against the Centre's confirmed indicators, if the Centre has lists.
    public let indicators: (any IndicatorCheck)?

    /// Intake over `store`, classifying with `indicators`.
    public init(store: any CentreStore, indicators: (any IndicatorCheck)?) {
        self.store = store
        self.indicators = indicators
    }

    /// The report's problems (empty when it may be filed): the same check as intake's.
    public func check(_ report: Report) -> [ReportProblem] {
        ReportValidation.problems(report)
    }

    /// Files `signed` for `principal`'s organisation.
    ///
    /// Throws ``CentreError`` (`incomplete_report` with the problems, `unknown_signing_key`,
    /// `bad_signature`) or ``StoreError`` (`report_exists` for a reference filed already).
    public func file(_ signed: SignedReport, by principal: Principal) async throws -> StoredReport {
        let problems = check(signed.report)
        guard problems.isEmpty else {
            throw CentreError(
                code: .incompleteReport, message: "the report is incomplete or invalid: \(problems.count) problem(s); see problems",
                problems: problems)
        }
        let key = try await store.signingKey(id: signed.signature.keyId)
        guard let key, key.organisationId == principal.organisationId, key.revokedAt == nil else {
            throw CentreError(
                code: .unknownSigningKey,
                message:
                    "signing key \"\(signed.signature.keyId)\" is not a live key of this organisation; register its public key with the Centre first")
        }
        guard ReportSignatureCheck.isValid(signed.signature, of: signed.report, publicKey: key.publicKey) else {
            throw CentreError(
                code: .badSignature,
                message:
                    "the signature does not verify: sign the report's canonical encoding (vigil-report-v1, a zero byte, the JSON with sorted keys) with Ed25519"
            )
        }
        let (matches, known) = try await classify(signed.report)
        let new = NewReport(
            organisationId: principal.organisationId, report: signed.report, signature: signed.signature,
            state: .initial(classifiedAutomatically: known), classifiedAutomatically: known, centreMatches: matches)
        let actor = Actor(principal)
        return try await store.write { tx throws(StoreError) in
            let stored = try tx.fileReport(new)
            try tx.appendAudit(
                AuditEvent(
                    actor: actor.name, organisation: actor.organisation, action: "report.file", object: "report:\(stored.id)",
                    at: tx.now.rfc3339Text,
                    detail: "\(signed.report.type?.rawValue ?? "?"), \(signed.report.files.count) file(s), urgent: \(signed.report.urgent)"))
            if known {
                try tx.appendAudit(
                    AuditEvent(
                        actor: "system", organisation: nil, action: "report.classify_known", object: "report:\(stored.id)", at: tx.now.rfc3339Text,
                        detail: Self.describe(matches)))
                _ = try Forwarding.refer(stored, in: tx)
            }
            return stored
        }
    }

    /// The Centre's matches per file, and whether every file of a report of material matched.
    func classify(_ report: Report) async throws -> (matches: [String: [String]], known: Bool) {
        guard let indicators, report.type == .knownMaterial || report.type == .newMaterial, !report.files.isEmpty else { return ([:], false) }
        var matches: [String: [String]] = [:]
        for file in report.files {
            let found = try await indicators.confirmedIndicators(for: file)
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
