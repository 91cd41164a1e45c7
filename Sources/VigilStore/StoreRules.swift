import Crypto
import Foundation
import VigilDomain

/// The checks every store makes before it writes, once for SQLite and PostgreSQL alike: each
/// implementation's transaction calls these and keeps only its SQL.
enum StoreRules {
    /// Whether `name` can name a live list: a deleted list keeps its row under an internal name
    /// (`name~deleted~id`, which no valid name can take), and that name finds nothing.
    static func isReachableListName(_ name: String) -> Bool {
        !name.utf8.contains(UInt8(ascii: "~"))
    }

    /// A list's settings after `update`, validated; `invalid` naming the problem.
    static func updated(_ list: HashList, with update: ListUpdate) throws(StoreError) -> HashList {
        var list = list
        if let newName = update.name { list.name = newName }
        if let kind = update.kind { list.kind = kind }
        if let radius = update.matchRadius { list.matchRadius = radius }
        if let ratio = update.enabledRatio { list.enabledRatio = ratio }
        if let enabled = update.enabled { list.enabled = enabled }
        do throws(ListValidationError) { try list.validate() } catch { throw .invalid(error.description) }
        return list
    }

    /// Validates a new list; `invalid` naming the problem.
    static func check(_ list: HashList) throws(StoreError) {
        do { try list.validate() } catch { throw .invalid(error.description) }
    }

    /// Validates a new organisation; `invalid` naming the problem.
    static func check(_ organisation: NewOrganisation) throws(StoreError) {
        do throws(OrganisationValidationError) { try organisation.validate() } catch { throw .invalid(error.description) }
    }

    /// Checks a new key's scopes against its organisation's kind (``Scope/allowed(for:)``) and its
    /// label's length; `invalid` naming what is refused and what is allowed.
    static func checkKey(scopes: Set<Scope>, label: String, for organisation: Organisation) throws(StoreError) {
        let allowed = Scope.allowed(for: organisation.kind)
        let allowedText = Scopes.encode(allowed).replacingOccurrences(of: ",", with: ", ")
        guard !scopes.isEmpty else {
            throw .invalid("a key needs at least one scope; a \(organisation.kind.rawValue) key may hold: \(allowedText)")
        }
        let refused = scopes.subtracting(allowed)
        guard refused.isEmpty else {
            throw .invalid(
                "a \(organisation.kind.rawValue) organisation's keys may not hold the scope(s) \(Scopes.encode(refused).replacingOccurrences(of: ",", with: ", ")); "
                    + "allowed: \(allowedText)")
        }
        guard label.utf8.count <= 500 else { throw .invalid("a key's label is at most 500 bytes") }
    }

    /// Validates an action policy; `invalid` naming the problem.
    static func check(_ policy: ActionPolicy?) throws(StoreError) {
        guard let policy else { return }
        do throws(ActionPolicyError) { try policy.validate() } catch { throw .invalid(error.description) }
    }

    /// Validates a signal type's ratio.
    static func checkSignalTypeRatio(_ ratio: Double) throws(StoreError) {
        guard ratio.isFinite else { throw .invalid("enabled_ratio must be a finite number") }
    }

    /// The `last_error` of a delivery whose list's policy (or its secret) was removed before it went out.
    static let policyGone = "the list's action policy (or its webhook secret) was removed before delivery; the message was not sent"

    /// A filing's state from its report's problems: `queued` when complete, else `incomplete`.
    static func filingState(problems: [ReportProblem]) -> FilingState {
        problems.isEmpty ? .queued : .incomplete
    }

    /// `completeFiling`'s refusal of a filing that is no longer incomplete.
    static func filingNotIncomplete(_ id: Int64, state: FilingState) -> StoreError {
        StoreError(
            code: .stateChanged, message: "filing \(id) is \(state.rawValue), no longer incomplete: only an incomplete filing is completed")
    }

    // MARK: The Centre's reports

    /// A new report's type, which every stored report has; `invalid` when it has none.
    static func reportType(_ new: NewReport) throws(StoreError) -> ReportType {
        guard let type = new.report.type else { throw .invalid("a report needs its type") }
        return type
    }

    /// The report's stored JSON: the canonical form it was signed in, or made now.
    static func reportJSON(_ new: NewReport) -> [UInt8] {
        new.canonicalJSON ?? ReportCoding.canonicalJSON(new.report)
    }

    /// A report's matches as stored (JSON with sorted keys; `{}` for none, most reports).
    static func matchesJSON(_ matches: [String: [String]]) throws(StoreError) -> String {
        guard !matches.isEmpty else { return "{}" }  // what the encoder writes for no matches
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return String(decoding: try encoder.encode(matches), as: UTF8.self)
        } catch {
            throw .internal("a report's matches could not be encoded", underlying: error)
        }
    }

    /// A pending decision as stored (JSON), or nil for none.
    static func decisionJSON(_ decision: AssessmentDecision?) throws(StoreError) -> String? {
        guard let decision else { return nil }
        do {
            return String(decoding: try JSONEncoder().encode(decision), as: UTF8.self)
        } catch {
            throw .internal("a decision could not be encoded", underlying: error)
        }
    }

    /// The report just filed, as both stores return it without reading it back.
    static func filed(_ new: NewReport, id: Int64, at stamp: String) -> StoredReport {
        StoredReport(
            id: id, organisationId: new.organisationId, report: new.report, signature: new.signature, channel: new.channel, state: new.state,
            classifiedAutomatically: new.classifiedAutomatically, centreMatches: new.centreMatches, pendingDecision: nil, decidedBy: nil,
            receivedAt: stamp, updatedAt: stamp)
    }

    /// A stored report from its columns as both stores keep them; `internal` when one cannot be read.
    static func storedReport(
        id: Int64, organisationId: Int64, json: [UInt8], keyId: String?, signature: String?, state stateText: String, classifiedAutomatically: Bool,
        pendingDecision pendingText: String?, decidedBy: String?, receivedAt: String, updatedAt: String, matches matchesText: String,
        channel channelText: String
    ) throws(StoreError) -> StoredReport {
        guard let state = ReportState(rawValue: stateText) else { throw .internal("a report has an unknown state") }
        let report: Report
        do {
            report = try ReportCoding.decoder().decode(Report.self, from: Data(json))
        } catch {
            throw .internal("a stored report could not be read", underlying: error)
        }
        var pending: AssessmentDecision?
        if let pendingText {
            do {
                pending = try JSONDecoder().decode(AssessmentDecision.self, from: Data(pendingText.utf8))
            } catch {
                throw .internal("a report's pending decision could not be read", underlying: error)
            }
        }
        let centreMatches: [String: [String]]
        do {
            centreMatches = try JSONDecoder().decode([String: [String]].self, from: Data(matchesText.utf8))
        } catch {
            throw .internal("a report's matches could not be read", underlying: error)
        }
        guard let channel = ReportChannel(rawValue: channelText) else { throw .internal("a report has an unknown channel") }
        var stored: SignedReport.Signature?
        if let keyId, let signature { stored = SignedReport.Signature(keyId: keyId, value: signature) }
        return StoredReport(
            id: id, organisationId: organisationId, report: report, signature: stored, channel: channel, state: state,
            classifiedAutomatically: classifiedAutomatically, centreMatches: centreMatches, pendingDecision: pending, decidedBy: decidedBy,
            receivedAt: receivedAt, updatedAt: updatedAt)
    }

    /// Checks that a report is still in the state its change expects; `stateChanged` when not.
    static func checkState(of report: StoredReport, expected: ReportState) throws(StoreError) {
        guard report.state == expected else { throw .stateChanged(report: report.id, expected: expected.rawValue, found: report.state.rawValue) }
    }

    /// A report after ``updateReport``'s change, as both stores return it.
    static func updated(
        _ report: StoredReport, to state: ReportState, pendingDecision: AssessmentDecision?, decidedBy: String?, at stamp: String
    ) -> StoredReport {
        var updated = report
        updated.state = state
        updated.pendingDecision = pendingDecision
        updated.decidedBy = decidedBy
        updated.updatedAt = stamp
        return updated
    }

    /// The most reports (and referrals) one page returns, from a query's `limit`.
    static func pageSize(_ limit: Int) -> Int { max(1, min(limit, 1_000)) }

    // MARK: Signing keys

    /// Checks a signing key to register: an Ed25519 public key is 32 bytes.
    static func check(_ key: SigningKey) throws(StoreError) {
        guard key.publicKey.count == 32 else { throw .invalid("an Ed25519 public key is 32 bytes") }
    }

    /// The refusal of a key id registered already.
    static func signingKeyExists(_ keyId: String) -> StoreError {
        StoreError(code: .conflict, message: "the signing key \(keyId) is registered already")
    }

    /// The key as registered (created now, not revoked).
    static func registered(_ key: SigningKey, at stamp: String) -> SigningKey {
        var stored = key
        stored.createdAt = stamp
        stored.revokedAt = nil
        return stored
    }

    // MARK: Report files

    /// ``rewrapFileKeys``'s refusal of a file that does not exist.
    static func reportFileMissing(_ id: Int64) -> StoreError {
        .invalid("report file \(id) does not exist")
    }

    // MARK: Referrals

    /// A stored referral from its columns as both stores keep them; `internal` when its recipient
    /// or outcome is unknown. A hold is read from its `until`.
    static func storedReferral(
        id: Int64, reportId: Int64, recipient recipientText: String, createdAt: String, outcomeDueAt: String, acknowledgedAt: String?,
        outcome outcomeText: String?, outcomeDetail: String?, outcomeAt: String?, holdDoNotInform: Bool?, holdDoNotRemove: Bool?,
        holdUntil: String?, holdSetAt: String?
    ) throws(StoreError) -> StoredReferral {
        guard let recipient = ReferralRecipient(recipientText) else { throw .internal("a referral has an unknown recipient") }
        var outcome: ReferralOutcome?
        if let outcomeText {
            guard let known = ReferralOutcome(rawValue: outcomeText) else { throw .internal("a referral has an unknown outcome") }
            outcome = known
        }
        var hold: Hold?
        if let holdUntil { hold = Hold(doNotInform: holdDoNotInform ?? false, doNotRemove: holdDoNotRemove ?? false, until: holdUntil) }
        return StoredReferral(
            id: id, reportId: reportId, recipient: recipient, createdAt: createdAt, outcomeDueAt: outcomeDueAt, acknowledgedAt: acknowledgedAt,
            outcome: outcome, outcomeDetail: outcomeDetail, outcomeAt: outcomeAt, hold: hold, holdSetAt: holdSetAt)
    }

    /// When a referral made at `now` is due its outcome, as stored.
    static func outcomeDue(at now: Date, after seconds: Double) -> String {
        now.addingTimeInterval(seconds).rfc3339
    }

    // MARK: CyberTipline submissions

    /// The state of a submission being filed.
    static let openSubmission = "open"

    /// A change's refusal of a submission that is not open.
    static func submissionNotOpen(_ id: Int64) -> StoreError {
        .invalid("submission \(id) is not open")
    }

    /// A change's refusal of a file the submission does not have.
    static func submissionFileMissing(_ submissionId: Int64, _ fileId: String) -> StoreError {
        .invalid("submission \(submissionId) has no file \(fileId)")
    }

    /// A value as the filings table keeps it (JSON).
    static func json(_ value: some Encodable) throws(StoreError) -> Data {
        do { return try ReportCoding.encoder().encode(value) } catch { throw .internal("a filing could not be written as JSON: \(error)") }
    }
}

/// API key secrets: made from the system's secure generator, stored only as their SHA-256.
enum KeySecret {
    /// The SHA-256 of a secret, as stored.
    static func digest(_ secret: String) -> [UInt8] {
        Array(SHA256.hash(data: Data(secret.utf8)))
    }

    /// Whether `secret` has a key's shape (`vk_` and 48 hex digits); anything else is no key.
    static func hasKeyShape(_ secret: String) -> Bool {
        secret.hasPrefix("vk_") && secret.utf8.count == 51
    }

    /// A new secret (`vk_` and 48 hex digits, from the system's secure generator), its prefix and hash.
    static func make() -> (secret: String, prefix: String, digest: [UInt8]) {
        var random = SystemRandomNumberGenerator()
        let bytes = (0..<24).map { _ in UInt8.random(in: 0...255, using: &random) }
        let hex = Array("0123456789abcdef".utf8)
        var text = Array("vk_".utf8)
        for byte in bytes {
            text.append(hex[Int(byte >> 4)])
            text.append(hex[Int(byte & 15)])
        }
        let secret = String(decoding: text, as: UTF8.self)
        return (secret, String(secret.prefix(11)), digest(secret))
    }
}
