public import VigilHash

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
    /// For a vpdq entry, how much of the two videos matched (query % and compared %); `nil` otherwise.
    public var video: VPDQMatchResult?

    /// Creates a hit.
    public init(entryId: Int64, listId: Int64, distance: Int, variant: String, video: VPDQMatchResult? = nil) {
        self.entryId = entryId
        self.listId = listId
        self.distance = distance
        self.variant = variant
        self.video = video
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
    /// vPDQ videos.
    public var vpdq: Int
    /// Whether the initial load has finished.
    public var ready: Bool
    /// Text indicators (text_indicator entries), which conversations are scored against.
    public var textIndicators: Int = 0
}
