/// What an organisation is, which decides what its keys may ever do (see ``AccessPolicy``).
public enum OrganisationKind: String, Sendable, Codable, CaseIterable, Hashable {
    /// An online service that detects, reports and removes (a hosting or messaging provider).
    case provider
    /// A Member State's coordinating authority (issues orders, supervises providers).
    case coordinatingAuthority = "coordinating_authority"
    /// The police of one Member State (its ``Organisation/memberState``).
    case police
    /// Europol.
    case europol
    /// The Centre itself: its analysts and supervisors.
    case centre
    /// An auditor: reads the audit trail and statistics, changes nothing.
    case auditor
    /// A peer centre (e.g. NCMEC) that exchanges indicator lists.
    case peerCentre = "peer_centre"

    /// Whether organisations of this kind belong to one Member State (and must name it).
    public var requiresMemberState: Bool {
        switch self {
        case .police, .coordinatingAuthority: true
        default: false
        }
    }
}

/// An EU Member State, by its ISO 3166-1 alpha-2 code (Greece is `GR`, not the EU's `EL`).
public struct MemberState: RawRepresentable, Sendable, Codable, Hashable, Comparable, CustomStringConvertible {
    /// The two upper-case letters.
    public let rawValue: String

    /// The 27 Member States' codes.
    public static let codes: Set<String> = [
        "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT", "LT", "LU", "LV",
        "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
    ]

    /// The Member State with this code (case-insensitive), or nil when it is not one of the 27.
    public init?(rawValue: String) {
        let upper = rawValue.uppercased()
        guard Self.codes.contains(upper) else { return nil }
        self.rawValue = upper
    }

    /// The code.
    public var description: String { rawValue }

    /// Ordered by code.
    public static func < (lhs: MemberState, rhs: MemberState) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// An organisation that holds API keys: a provider, a police force, the Centre…
public struct Organisation: Sendable, Codable, Hashable {
    /// The database id.
    public var id: Int64
    /// Its unique name.
    public var name: String
    /// What it is.
    public var kind: OrganisationKind
    /// The Member State it belongs to (police and coordinating authorities), if any.
    public var memberState: MemberState?
    /// When it was registered (RFC 3339).
    public var createdAt: String

    /// Creates an organisation record.
    public init(id: Int64, name: String, kind: OrganisationKind, memberState: MemberState?, createdAt: String) {
        self.id = id
        self.name = name
        self.kind = kind
        self.memberState = memberState
        self.createdAt = createdAt
    }
}

/// A new organisation, before it is stored.
public struct NewOrganisation: Sendable, Codable, Hashable {
    /// Its unique name (1-200 bytes, no control characters).
    public var name: String
    /// What it is.
    public var kind: OrganisationKind
    /// Its Member State: required for police and coordinating authorities, refused for the others.
    public var memberState: MemberState?

    /// Creates a new organisation's record.
    public init(name: String, kind: OrganisationKind, memberState: MemberState? = nil) {
        self.name = name
        self.kind = kind
        self.memberState = memberState
    }

    /// Checks the name and the Member State rule.
    public func validate() throws(OrganisationValidationError) {
        guard !name.isEmpty, name.utf8.count <= 200, !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw .invalidName
        }
        if kind.requiresMemberState, memberState == nil { throw .memberStateRequired(kind) }
        if !kind.requiresMemberState, memberState != nil { throw .memberStateNotAllowed(kind) }
    }
}

/// Why an organisation was refused.
public enum OrganisationValidationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The name is empty, longer than 200 bytes, or holds control characters.
    case invalidName
    /// This kind belongs to one Member State and must name it.
    case memberStateRequired(OrganisationKind)
    /// This kind does not belong to a Member State.
    case memberStateNotAllowed(OrganisationKind)

    /// What is wrong and what is accepted.
    public var description: String {
        switch self {
        case .invalidName: "an organisation's name is 1 to 200 bytes without control characters"
        case .memberStateRequired(let kind): "a \(kind.rawValue) organisation belongs to one Member State: give its ISO 3166-1 alpha-2 code"
        case .memberStateNotAllowed(let kind): "a \(kind.rawValue) organisation does not belong to a Member State; leave it out"
        }
    }
}
