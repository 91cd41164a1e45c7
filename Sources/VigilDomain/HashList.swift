/// What a list of indicators is about; decides default actions and who may see it.
public enum ListKind: String, Sendable, Codable, CaseIterable, Hashable {
    /// Confirmed child sexual abuse material.
    case knownAbuseMaterial = "known_abuse_material"
    /// Terrorist content (TCO: removal within one hour).
    case terroristContent = "terrorist_content"
    /// Non-consensual intimate imagery (StopNCII-style lists).
    case nonConsensualIntimateImagery = "ncii"
    /// A provider's own list.
    case `internal`
}

/// A list of indicators (HMA calls these banks) with its matching policy.
public struct HashList: Sendable, Codable, Hashable {
    /// The list's unique name: 1...64 of A-Z, a-z, 0-9, `_`, `-`.
    public var name: String
    /// What the list holds.
    public var kind: ListKind
    /// Per-list PDQ match radius (0...64; 31 is PDQ's usual threshold).
    public var matchRadius: Int
    /// Staged rollout: the share (0...1) of content for which the list is active. Deterministic
    /// per content, so the same file always gets the same answer.
    public var enabledRatio: Double
    /// The kill switch: a disabled list matches nothing.
    public var enabled: Bool

    /// The default PDQ match radius.
    public static let defaultRadius = 31

    /// Creates a list description (not yet stored).
    public init(name: String, kind: ListKind, matchRadius: Int = defaultRadius, enabledRatio: Double = 1, enabled: Bool = true) {
        self.name = name
        self.kind = kind
        self.matchRadius = matchRadius
        self.enabledRatio = enabledRatio
        self.enabled = enabled
    }

    /// Checks every field, naming the first that is wrong.
    public func validate() throws(ListValidationError) {
        guard (1...64).contains(name.utf8.count),
            name.utf8.allSatisfy({ $0.isASCIIAlphanumeric || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") })
        else { throw .invalidName(name) }
        guard (0...64).contains(matchRadius) else { throw .invalidRadius(matchRadius) }
        guard enabledRatio.isFinite, (0...1).contains(enabledRatio) else { throw .invalidRatio(enabledRatio) }
    }
}

/// Why a list description was refused.
public enum ListValidationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The name is empty, too long, or has characters other than letters, digits, `_` and `-`.
    case invalidName(String)
    /// The radius is outside 0...64.
    case invalidRadius(Int)
    /// The enabled ratio is outside 0...1.
    case invalidRatio(Double)

    /// What is wrong and what is accepted.
    public var description: String {
        switch self {
        case .invalidName(let name):
            "list name \"\(name.prefix(80))\" is invalid: use 1-64 letters, digits, '_' or '-'"
        case .invalidRadius(let radius): "match radius \(radius) is invalid: use 0...64 (31 is PDQ's usual threshold)"
        case .invalidRatio(let ratio): "enabled ratio \(ratio) is invalid: use a number from 0 to 1"
        }
    }
}

extension UInt8 {
    var isASCIIAlphanumeric: Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(self) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(self)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self)
    }
}

/// One indicator as it arrives from a feed or an import, before it is stored.
public struct IndicatorRecord: Sendable, Codable, Hashable {
    /// Add the indicator, or delete it (a tombstone from the source).
    public enum Action: String, Sendable, Codable, Hashable {
        /// Add (or re-add) the indicator.
        case add
        /// Remove the indicator with this value from the list.
        case delete
    }

    /// The signal type.
    public var type: SignalType
    /// The normalised value (lowercase hex).
    public var value: String
    /// Add or delete.
    public var action: Action
    /// Where it came from.
    public var provenance: Provenance
    /// Added records of one write with the same key are one piece of content (HMA's content item
    /// with several signals, say a video's MD5 and SHA-256): the store gives them one content id,
    /// the first one's entry id. `nil`: the entry is content of its own.
    public var contentKey: String?

    /// Creates a record; `value` must already be normalised (see ``SignalType/normalise(_:)``).
    public init(
        type: SignalType, value: String, action: Action = .add, provenance: Provenance = Provenance(), contentKey: String? = nil
    ) {
        self.type = type
        self.value = value
        self.action = action
        self.provenance = provenance
        self.contentKey = contentKey
    }
}
