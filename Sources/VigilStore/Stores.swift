public import Foundation
public import VigilDomain

/// Lists, their entries and the entries' change feed. Implementations: ``SQLiteStore`` (the
/// embedded default); PostgreSQL later. Services talk to this protocol, never to SQL.
public protocol ListStore: Sendable {
    /// Creates a list.
    func createList(_ list: HashList) async throws(StoreError) -> StoredList
    /// Every list, by name.
    func lists() async throws(StoreError) -> [StoredList]
    /// The list with this name.
    func list(named name: String) async throws(StoreError) -> StoredList
    /// Changes a list's settings.
    func updateList(named name: String, _ update: ListUpdate) async throws(StoreError) -> StoredList
    /// Deletes a list and tombstones all its entries.
    func deleteList(named name: String) async throws(StoreError)
    /// Adds indicators to a list in one transaction; `.delete` records tombstone the live entries
    /// with that value. Returns the new entries' ids.
    func apply(_ records: [IndicatorRecord], toList name: String) async throws(StoreError) -> [Int64]
    /// Tombstones every live entry of a list that came from `sourceOrganisation` under one of
    /// `itemIds` (a source's own deletion, e.g. NCMEC's deleted entries). Returns how many.
    func removeItems(sourceOrganisation: String, itemIds: [String], fromList name: String) async throws(StoreError) -> Int
    /// Tombstones one entry.
    func removeEntry(_ id: Int64, fromList name: String) async throws(StoreError)
    /// Applies `edit` to a live entry of the list in one transaction and returns the entry as
    /// changed; `entryNotFound` if the list has no such live entry.
    func editEntry(_ id: Int64, inList name: String, _ edit: EntryEdit) async throws(StoreError) -> StoredEntry
    /// Live entries of a list, in id order, after `afterId`, at most `limit`.
    func entries(ofList name: String, afterId: Int64, limit: Int) async throws(StoreError) -> [StoredEntry]
    /// Entries by id (deleted ones included), for provenance in match answers.
    func entries(ids: [Int64]) async throws(StoreError) -> [Int64: StoredEntry]
    /// The change feed after `sequence`, at most `limit` changes, oldest first.
    func changes(after sequence: Int64, limit: Int) async throws(StoreError) -> [EntryChange]
}

/// A key's record, without its secret (which is stored only as a hash).
public struct APIKeyInfo: Sendable, Codable, Hashable {
    /// The key's id.
    public var id: Int64
    /// The first characters of the key, to recognise it.
    public var prefix: String
    /// The organisation it belongs to.
    public var organisation: String
    /// Its scopes.
    public var scopes: [Scope]
    /// A note for people.
    public var label: String
    /// When it was created.
    public var createdAt: String
    /// When it was revoked, if it was.
    public var revokedAt: String?
}

/// API keys, stored as SHA-256 hashes: the secret is shown once, at creation.
public protocol KeyStore: Sendable {
    /// Creates a key and returns its secret (shown once) with its record.
    func createKey(organisation: String, scopes: Set<Scope>, label: String) async throws(StoreError) -> (secret: String, info: APIKeyInfo)
    /// The principal of a live key, or nil for unknown or revoked keys.
    func verify(secret: String) async throws(StoreError) -> Principal?
    /// Every key.
    func keys() async throws(StoreError) -> [APIKeyInfo]
    /// Revokes a key.
    func revokeKey(id: Int64) async throws(StoreError)
}
