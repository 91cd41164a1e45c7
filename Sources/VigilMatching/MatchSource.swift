public import VigilDomain
public import VigilStore

/// What the match engine reads from the store: the change feed and the lists' settings. A narrow
/// protocol, so tests can put a store behind a wrapper that delays or fails reads.
public protocol MatchSource: Sendable {
    /// The change feed after `sequence`, at most `limit` changes, oldest first.
    func changes(after sequence: Int64, limit: Int) async throws(StoreError) -> [EntryChange]
    /// Every list (deleted ones included).
    func lists() async throws(StoreError) -> [StoredList]
    /// Every list's action policy, by list id.
    func policies() async throws(StoreError) -> [Int64: ActionPolicy]
    /// HMA's signal type ratios by name.
    func signalTypeRatios() async throws(StoreError) -> [String: Double]
}

/// A store read through ``MatchSource``.
public struct StoreMatchSource: MatchSource {
    let store: any ListStore & ActionStore & SignalTypeSettingsStore

    /// Reads `store`.
    public init(_ store: any ListStore & ActionStore & SignalTypeSettingsStore) {
        self.store = store
    }

    /// The store's change feed.
    public func changes(after sequence: Int64, limit: Int) async throws(StoreError) -> [EntryChange] {
        try await store.changes(after: sequence, limit: limit)
    }

    /// The store's lists.
    public func lists() async throws(StoreError) -> [StoredList] { try await store.lists() }

    /// The store's action policies.
    public func policies() async throws(StoreError) -> [Int64: ActionPolicy] { try await store.policies() }

    /// The store's signal type ratios.
    public func signalTypeRatios() async throws(StoreError) -> [String: Double] { try await store.signalTypeRatios() }
}
