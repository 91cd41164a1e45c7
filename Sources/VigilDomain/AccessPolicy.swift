/// Which rows of a resource an operation lets a caller see or change, beyond the operation itself.
public enum RowRule: Sendable, Hashable {
    /// Node-wide resources (a node's lists): no row-level restriction.
    case any
    /// Only resources of the caller's own organisation (a provider's own reports); the Centre sees all.
    case ownOrganisation
    /// Only resources routed to the caller's Member State (a police force's referrals); Europol and the Centre see all.
    case jurisdiction
}

/// Who may call one operation: a key with one of `scopes` (`admin` passes any scope check) of an
/// organisation of one of `kinds`, and, for a given resource, what `rows` allows.
public struct AccessRule: Sendable, Hashable {
    /// The key scopes that may call the operation (any one is enough).
    public var scopes: Set<Scope>
    /// The organisation kinds whose keys may call it.
    public var kinds: Set<OrganisationKind>
    /// The row-level rule for the resources it touches.
    public var rows: RowRule

    /// A rule.
    public init(scopes: Set<Scope>, kinds: Set<OrganisationKind>, rows: RowRule = .any) {
        self.scopes = scopes
        self.kinds = kinds
        self.rows = rows
    }
}

/// What a row-level decision needs to know about a resource.
public struct ResourceAttributes: Sendable, Hashable {
    /// The organisation that owns it (a report's provider), if any.
    public var owner: Int64?
    /// The Member States it is routed to (a referral's), if any.
    public var memberStates: Set<MemberState>

    /// A resource's attributes.
    public init(owner: Int64? = nil, memberStates: Set<MemberState> = []) {
        self.owner = owner
        self.memberStates = memberStates
    }
}

/// Why access was refused.
public enum AccessDenial: Error, Sendable, Hashable, CustomStringConvertible {
    /// No verified caller.
    case unauthenticated
    /// The operation has no rule: closed to every key (deny by default).
    case noRule(operation: String)
    /// The caller's organisation kind may not call the operation.
    case kind(OrganisationKind, operation: String)
    /// The key lacks every scope the operation accepts.
    case scope(needed: Set<Scope>)
    /// The caller may call the operation but not on this resource.
    case row(operation: String)

    /// What is wrong and what to do.
    public var description: String {
        switch self {
        case .unauthenticated:
            "this route needs an API key: send `Authorization: Bearer vk_…` (create one with `vigil keys create`)"
        case .noRule:
            "this route declares no scope, so no API key may call it"
        case .kind(let kind, _):
            "keys of a \(kind.rawValue) organisation may not call this route"
        case .scope(let needed):
            "this API key lacks the \"\(needed.map(\.rawValue).sorted().joined(separator: "\" or \""))\" scope this route needs"
        case .row:
            "this key's organisation may not see this resource"
        }
    }
}

/// The one authorisation policy: per operation and per resource, deny by default.
///
/// Every route of every API asks it, with its operation id (the `operationId` of the OpenAPI
/// document), before any input is read; a route that handles rows of a resource asks again with
/// the row's ``ResourceAttributes``.
public struct AccessPolicy: Sendable {
    /// The rules by operation id; an operation without one is closed.
    public let rules: [String: AccessRule]

    /// A policy with these rules.
    public init(rules: [String: AccessRule]) {
        self.rules = rules
    }

    /// Whether `principal` may call `operation` at all.
    public func decide(_ principal: Principal?, operation: String) -> Result<AccessRule, AccessDenial> {
        guard let principal else { return .failure(.unauthenticated) }
        guard let rule = rules[operation] else { return .failure(.noRule(operation: operation)) }
        guard rule.kinds.contains(principal.kind) else { return .failure(.kind(principal.kind, operation: operation)) }
        guard principal.scopes.contains(.admin) || !principal.scopes.isDisjoint(with: rule.scopes) else {
            return .failure(.scope(needed: rule.scopes))
        }
        return .success(rule)
    }

    /// Whether `principal` may call `operation` on a resource with these attributes.
    public func decide(_ principal: Principal?, operation: String, resource: ResourceAttributes) -> Result<AccessRule, AccessDenial> {
        let decision = decide(principal, operation: operation)
        guard case .success(let rule) = decision, let principal else { return decision }
        switch rule.rows {
        case .any:
            return decision
        case .ownOrganisation:
            return principal.kind == .centre || resource.owner == principal.organisationId ? decision : .failure(.row(operation: operation))
        case .jurisdiction:
            if principal.kind == .europol || principal.kind == .centre { return decision }
            guard let state = principal.jurisdiction, resource.memberStates.contains(state) else { return .failure(.row(operation: operation)) }
            return decision
        }
    }
}
