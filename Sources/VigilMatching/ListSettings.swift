public import VigilDomain
public import VigilStore

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
