public import VigilDomain
public import VigilStore

/// One index hit, before the answer rules of ``MatchService`` are applied.
public struct EngineMatch: Sendable, Hashable {
    /// The entry's id.
    public var entryId: Int64
    /// The entry's list id as the index knows it (0 for exact digests: their list is read from the entry).
    public var listId: Int64
    /// The Hamming distance (0 for exact digests).
    public var distance: Int
    /// The dihedral variant that matched (`orig` unless dihedral variants were searched).
    public var variant: String

    /// Creates a hit.
    public init(entryId: Int64, listId: Int64, distance: Int, variant: String) {
        self.entryId = entryId
        self.listId = listId
        self.distance = distance
        self.variant = variant
    }
}

/// The engine's indexes at a glance.
public struct EngineStatus: Sendable, Hashable {
    /// The change-feed position the indexes reflect.
    public var sequence: Int64
    /// Live PDQ entries (base and delta).
    public var pdq: Int
    /// MD5 digests.
    public var md5: Int
    /// SHA-256 digests.
    public var sha256: Int
    /// Whether the initial load has finished.
    public var ready: Bool
}

/// The lists' settings as the engine last read them, with the refresh that read them.
public struct ListSettings: Sendable {
    /// Every list (deleted ones included, for the provenance of old entries), by id.
    public var lists: [Int64: StoredList]
    /// Action policies by list id.
    public var policies: [Int64: ActionPolicy]
    /// HMA's signal type ratios by HMA signal type name (absent: 1).
    public var signalTypeRatios: [String: Double]
    /// The ticket of the refresh that read these settings (see ``MatchEngine/refreshLists()``).
    public var generation: UInt64

    /// No lists yet.
    public static let empty = ListSettings(lists: [:], policies: [:], signalTypeRatios: [:], generation: 0)

    /// The live (not deleted) list with this name.
    public func list(named name: String) -> StoredList? {
        lists.values.first { $0.list.name == name && !$0.isDeleted }
    }
}
