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
