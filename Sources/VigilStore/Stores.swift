public import VigilDomain

// The store's protocols, one per aggregate, plus the unit of work (``TransactionalStore``) that
// changes several of them in one transaction. Implementations: ``SQLiteStore`` (the embedded
// default); PostgreSQL later, which must pass the same contract tests. Services talk to these
// protocols, never to SQL.

/// Lists, their entries and the entries' change feed.
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
    /// The live entries of one content (``StoredEntry/content``) in a list, in id order: the
    /// signals of an HMA content item. Empty when the list holds no such content.
    func entries(ofContent content: Int64, inList listId: Int64) async throws(StoreError) -> [StoredEntry]
    /// Entries by id (deleted ones included), for provenance in match answers. A hot path: it does
    /// not go through the unit of work.
    func entries(ids: [Int64]) async throws(StoreError) -> [Int64: StoredEntry]
    /// The change feed after `sequence`, at most `limit` changes, oldest first. A hot path: it does
    /// not go through the unit of work.
    func changes(after sequence: Int64, limit: Int) async throws(StoreError) -> [EntryChange]
}

/// Organisations: providers, authorities, police forces, Europol, the Centre… Each API key
/// belongs to one.
public protocol OrganisationStore: Sendable {
    /// Validates and stores a new organisation; `organisationExists` when the name is taken,
    /// `invalid` when ``NewOrganisation/validate()`` refuses it.
    func createOrganisation(_ organisation: NewOrganisation) async throws(StoreError) -> Organisation
    /// Every organisation, by name.
    func organisations() async throws(StoreError) -> [Organisation]
    /// The organisation with this id, or nil.
    func organisation(id: Int64) async throws(StoreError) -> Organisation?
    /// The organisation with this name, or nil.
    func organisation(named name: String) async throws(StoreError) -> Organisation?
}

/// A key's record, without its secret (which is stored only as a hash).
public struct APIKeyInfo: Sendable, Codable, Hashable {
    /// The key's id.
    public var id: Int64
    /// The first characters of the key, to recognise it.
    public var prefix: String
    /// The id of the organisation it belongs to.
    public var organisationId: Int64
    /// The name of the organisation it belongs to.
    public var organisation: String
    /// Its scopes.
    public var scopes: [Scope]
    /// A note for people.
    public var label: String
    /// When it was created.
    public var createdAt: String
    /// When it was revoked, if it was.
    public var revokedAt: String?

    /// Creates a key's record.
    public init(
        id: Int64, prefix: String, organisationId: Int64, organisation: String, scopes: [Scope], label: String, createdAt: String,
        revokedAt: String?
    ) {
        self.id = id
        self.prefix = prefix
        self.organisationId = organisationId
        self.organisation = organisation
        self.scopes = scopes
        self.label = label
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }
}

/// API keys, stored as SHA-256 hashes: the secret is shown once, at creation.
public protocol KeyStore: Sendable {
    /// Creates a key for an organisation and returns its secret (shown once) with its record.
    /// Refuses (`invalid`, naming them) scopes that ``Scope/allowed(for:)`` does not allow for the
    /// organisation's kind; `organisationNotFound` for an unknown id.
    func createKey(organisationId: Int64, scopes: Set<Scope>, label: String) async throws(StoreError) -> (secret: String, info: APIKeyInfo)
    /// Creates a key for the organisation named `organisation`, registering it as a `provider`
    /// first when no organisation has that name (for tests, the CLI and the demo).
    func createKey(organisation: String, scopes: Set<Scope>, label: String) async throws(StoreError) -> (secret: String, info: APIKeyInfo)
    /// The principal of a live key (its organisation's id, name, kind and Member State, and the
    /// key's scopes), or nil for unknown or revoked keys.
    func verify(secret: String) async throws(StoreError) -> Principal?
    /// Every key.
    func keys() async throws(StoreError) -> [APIKeyInfo]
    /// Revokes a live key; `keyNotFound` when no live key has this id.
    func revokeKey(id: Int64) async throws(StoreError)
}

/// Node-wide settings per signal type: HMA's signal type configuration (`enabled_ratio`), kept
/// so that HMA clients can read back what they set.
///
/// HMA 2.0 stores the ratio and treats a signal type as enabled while it is not negative (its
/// sampling is a to-do there); Vigil's HMA routes do the same. Vigil's own staged rollout is per
/// list (``HashList/enabledRatio``).
public protocol SignalTypeSettingsStore: Sendable {
    /// The ratios set so far, by signal type name (types never set are absent: ratio 1).
    func signalTypeRatios() async throws(StoreError) -> [String: Double]
    /// Sets one signal type's ratio.
    func setSignalTypeRatio(_ ratio: Double, for name: String) async throws(StoreError)
}

/// Every store protocol at once: what a server (provider node or Centre) holds.
public typealias NodeStore = ListStore & OrganisationStore & KeyStore & ActionPolicyStore & OutboxStore & AuditStore
    & SignalTypeSettingsStore & ReportStore & ReportFileStore & ItemStore & ReferralStore & TransactionalStore & ReportStatisticsStore
    & RetentionStore & FilingStore & ExchangeStore & ReviewStore & VerdictStore
