import Foundation
import GRDB
import VigilDomain

// GRDB records for the tables whose reads are not hot: each selects its columns by name (never
// `SELECT *`) and decodes through `Decodable`. The hot reads (entries by id, the change feed) stay
// positional, in SQLiteStore.swift.

/// A row of `lists`.
struct ListRecord: Decodable, FetchableRecord, TableRecord {
    static let databaseTableName = "lists"
    enum CodingKeys: String, CodingKey, ColumnExpression, CaseIterable {
        case id, name, kind
        case matchRadius = "match_radius"
        case enabledRatio = "enabled_ratio"
        case enabled
        case liveEntries = "live_entries"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }
    static var databaseSelection: [any SQLSelectable] { CodingKeys.allCases }

    var id: Int64
    var name: String
    var kind: String
    var matchRadius: Int
    var enabledRatio: Double
    var enabled: Bool
    var liveEntries: Int
    var createdAt: String
    var updatedAt: String

    func stored() throws(StoreError) -> StoredList {
        guard let kind = ListKind(rawValue: kind) else { throw .internal("list \(id) has an unknown kind") }
        let list = HashList(name: name, kind: kind, matchRadius: matchRadius, enabledRatio: enabledRatio, enabled: enabled)
        return StoredList(id: id, list: list, createdAt: createdAt, updatedAt: updatedAt, entryCount: liveEntries)
    }
}

/// A row of `organisations`.
struct OrganisationRecord: Decodable, FetchableRecord, TableRecord {
    static let databaseTableName = "organisations"
    enum CodingKeys: String, CodingKey, ColumnExpression, CaseIterable {
        case id, name, kind
        case memberState = "member_state"
        case createdAt = "created_at"
    }
    static var databaseSelection: [any SQLSelectable] { CodingKeys.allCases }

    var id: Int64
    var name: String
    var kind: String
    var memberState: String?
    var createdAt: String

    func organisation() throws(StoreError) -> Organisation {
        guard let kind = OrganisationKind(rawValue: kind) else { throw .internal("organisation \(id) has an unknown kind") }
        var state: MemberState?
        if let memberState {
            guard let parsed = MemberState(rawValue: memberState) else { throw .internal("organisation \(id) has an unknown Member State") }
            state = parsed
        }
        return Organisation(id: id, name: name, kind: kind, memberState: state, createdAt: createdAt)
    }
}

/// A key with its organisation's name (`api_keys` joined with `organisations`).
struct KeyRecord: Decodable, FetchableRecord {
    /// The query, by id.
    static let query = """
        SELECT k.id AS id, k.prefix AS prefix, k.organisation_id AS organisation_id, o.name AS organisation, k.scopes AS scopes,
            k.label AS label, k.created_at AS created_at, k.revoked_at AS revoked_at
        FROM api_keys k JOIN organisations o ON o.id = k.organisation_id
        """
    enum CodingKeys: String, CodingKey {
        case id, prefix
        case organisationId = "organisation_id"
        case organisation, scopes, label
        case createdAt = "created_at"
        case revokedAt = "revoked_at"
    }

    var id: Int64
    var prefix: String
    var organisationId: Int64
    var organisation: String
    var scopes: String
    var label: String
    var createdAt: String
    var revokedAt: String?

    var info: APIKeyInfo {
        APIKeyInfo(
            id: id, prefix: prefix, organisationId: organisationId, organisation: organisation,
            scopes: Scopes.decode(scopes).sorted { $0.rawValue < $1.rawValue },
            label: label, createdAt: createdAt, revokedAt: revokedAt)
    }
}

/// A live key's principal (`api_keys` joined with `organisations`), read by ``SQLiteStore/verify(secret:)``.
struct PrincipalRecord: Decodable, FetchableRecord {
    static let query = """
        SELECT k.id AS key_id, k.scopes AS scopes, o.id AS organisation_id, o.name AS organisation, o.kind AS kind, o.member_state AS member_state
        FROM api_keys k JOIN organisations o ON o.id = k.organisation_id
        WHERE k.secret_sha256 = ? AND k.revoked_at IS NULL
        """
    enum CodingKeys: String, CodingKey {
        case keyId = "key_id"
        case scopes
        case organisationId = "organisation_id"
        case organisation, kind
        case memberState = "member_state"
    }

    var keyId: Int64
    var scopes: String
    var organisationId: Int64
    var organisation: String
    var kind: String
    var memberState: String?

    func principal() throws(StoreError) -> Principal {
        guard let kind = OrganisationKind(rawValue: kind) else { throw .internal("organisation \(organisationId) has an unknown kind") }
        // A key never holds more than its organisation's kind allows, whatever its row says.
        let scopes = Scopes.decode(scopes).intersection(Scope.allowed(for: kind))
        return Principal(
            keyId: keyId, organisationId: organisationId, organisation: organisation, kind: kind,
            jurisdiction: memberState.flatMap(MemberState.init(rawValue:)), scopes: scopes)
    }
}

/// Scopes as stored: sorted raw values joined by commas.
enum Scopes {
    static func encode(_ scopes: Set<Scope>) -> String { scopes.map(\.rawValue).sorted().joined(separator: ",") }
    static func decode(_ text: String) -> Set<Scope> { Set(text.split(separator: ",").compactMap { Scope(rawValue: String($0)) }) }
}

/// A row of `list_actions`.
struct PolicyRecord: Decodable, FetchableRecord, TableRecord {
    static let databaseTableName = "list_actions"
    enum CodingKeys: String, CodingKey, ColumnExpression, CaseIterable {
        case listId = "list_id"
        case action
        case webhookURL = "webhook_url"
        case secret
        case fileReport = "file_report"
    }
    static var databaseSelection: [any SQLSelectable] { CodingKeys.allCases }

    var listId: Int64
    var action: String
    var webhookURL: String?
    var secret: String?
    var fileReport: Bool

    func policy() throws(StoreError) -> ActionPolicy {
        guard let action = ListAction(rawValue: action) else { throw .internal("the action policy of list \(listId) has an unknown action") }
        return ActionPolicy(action: action, webhookURL: webhookURL, secret: secret, fileReport: fileReport)
    }
}

/// An outbox row with its list's current secret (`outbox` left-joined with `list_actions`).
struct DeliveryRecord: Decodable, FetchableRecord {
    static let query = """
        SELECT o.id AS id, o.list_id AS list_id, o.url AS url, COALESCE(a.secret, w.secret) AS secret, o.body AS body, o.attempts AS attempts,
            o.delivered_at AS delivered_at, o.failed_at AS failed_at, o.last_error AS last_error
        FROM outbox o LEFT JOIN list_actions a ON a.list_id = o.list_id LEFT JOIN organisation_webhooks w ON w.organisation_id = o.organisation_id
        """
    enum CodingKeys: String, CodingKey {
        case id
        case listId = "list_id"
        case url, secret, body, attempts
        case deliveredAt = "delivered_at"
        case failedAt = "failed_at"
        case lastError = "last_error"
    }

    var id: Int64
    var listId: Int64?
    var url: String
    var secret: String?
    var body: Data
    var attempts: Int
    var deliveredAt: String?
    var failedAt: String?
    var lastError: String?

    var delivery: OutboxDelivery {
        OutboxDelivery(
            id: id, listId: listId, url: url, secret: secret ?? "", body: [UInt8](body), attempts: attempts, deliveredAt: deliveredAt,
            failedAt: failedAt, lastError: lastError)
    }
}

/// A row of `signal_type_settings`.
struct SignalTypeSettingRecord: Decodable, FetchableRecord, TableRecord {
    static let databaseTableName = "signal_type_settings"
    enum CodingKeys: String, CodingKey, ColumnExpression, CaseIterable {
        case name
        case enabledRatio = "enabled_ratio"
    }
    static var databaseSelection: [any SQLSelectable] { CodingKeys.allCases }

    var name: String
    var enabledRatio: Double
}

/// A row of `audit_events`.
struct AuditRecord: Decodable, FetchableRecord, TableRecord {
    static let databaseTableName = "audit_events"
    enum CodingKeys: String, CodingKey, ColumnExpression, CaseIterable {
        case sequence, actor, organisation, action, object, at, detail
        case prevHash = "prev_hash"
        case hash
    }
    static var databaseSelection: [any SQLSelectable] { CodingKeys.allCases }

    var sequence: Int64
    var actor: String
    var organisation: String?
    var action: String
    var object: String
    var at: String
    var detail: String?
    var prevHash: Data
    var hash: Data

    var stored: StoredAuditEvent {
        StoredAuditEvent(
            sequence: sequence,
            event: AuditEvent(actor: actor, organisation: organisation, action: action, object: object, at: at, detail: detail),
            prevHash: [UInt8](prevHash), hash: [UInt8](hash))
    }
}
