/// What an API key may do, within what its organisation's kind allows (see ``AccessPolicy``).
public enum Scope: String, Sendable, Codable, CaseIterable, Hashable {
    /// Hash files.
    case hash
    /// Look up hashes and files.
    case match
    /// Create and change lists and entries.
    case curate
    /// Manage keys, organisations and everything else of the node.
    case admin
    /// File reports to the Centre and follow them (providers).
    case report
    /// Assess reports: read the queue and the reports, decide (the Centre's analysts).
    case assess
    /// Review analysts' decisions (the Centre's supervisors).
    case supervise
    /// Receive referrals: read them, acknowledge, post outcomes and holds (police, Europol).
    case referrals

    /// The scopes a key of an organisation of `kind` may hold.
    public static func allowed(for kind: OrganisationKind) -> Set<Scope> {
        switch kind {
        case .provider: [.hash, .match, .curate, .admin, .report]
        case .centre: [.hash, .match, .curate, .admin, .assess, .supervise]
        case .peerCentre: [.match, .curate]
        case .coordinatingAuthority: [.hash, .match]
        case .police, .europol: [.hash, .match, .referrals]
        case .auditor: [.match]
        }
    }
}

/// The caller behind a verified API key: its key, its organisation and what it may do.
public struct Principal: Sendable, Hashable {
    /// The key's id.
    public var keyId: Int64
    /// The organisation's id.
    public var organisationId: Int64
    /// The organisation's name.
    public var organisation: String
    /// The organisation's kind.
    public var kind: OrganisationKind
    /// The Member State the organisation belongs to, if any.
    public var jurisdiction: MemberState?
    /// What the key may do.
    public var scopes: Set<Scope>

    /// Creates a principal.
    public init(
        keyId: Int64, organisationId: Int64, organisation: String, kind: OrganisationKind, jurisdiction: MemberState? = nil, scopes: Set<Scope>
    ) {
        self.keyId = keyId
        self.organisationId = organisationId
        self.organisation = organisation
        self.kind = kind
        self.jurisdiction = jurisdiction
        self.scopes = scopes
    }
}
