public import VigilDomain

// The store protocols' changes, written once over the unit of work: each is one transaction of
// ``StoreTransaction`` calls, whatever the store. An implementation provides the transaction and
// its reads (SQLiteStore, PostgresStore); these are the same for both.

extension ListStore where Self: TransactionalStore {
    /// Creates a list in one transaction.
    public func createList(_ list: HashList) async throws(StoreError) -> StoredList {
        try await write { tx throws(StoreError) in try tx.createList(list) }
    }

    /// Changes a list's settings in one transaction.
    public func updateList(named name: String, _ update: ListUpdate) async throws(StoreError) -> StoredList {
        try await write { tx throws(StoreError) in try tx.updateList(named: name, update) }
    }

    /// Deletes a list in one transaction.
    public func deleteList(named name: String) async throws(StoreError) {
        try await write { tx throws(StoreError) in try tx.deleteList(named: name) }
    }

    /// Applies indicator records to a list in one transaction.
    public func apply(_ records: [IndicatorRecord], toList name: String) async throws(StoreError) -> [Int64] {
        try await write { tx throws(StoreError) in try tx.apply(records, toList: name) }
    }

    /// Tombstones a source's items in one transaction (nothing to do for no items).
    public func removeItems(sourceOrganisation: String, itemIds: [String], fromList name: String) async throws(StoreError) -> Int {
        guard !itemIds.isEmpty else { return 0 }
        return try await write { tx throws(StoreError) in
            try tx.removeItems(sourceOrganisation: sourceOrganisation, itemIds: itemIds, fromList: name)
        }
    }

    /// Tombstones one entry in one transaction.
    public func removeEntry(_ id: Int64, fromList name: String) async throws(StoreError) {
        try await write { tx throws(StoreError) in try tx.removeEntry(id, fromList: name) }
    }

    /// Edits one live entry in one transaction.
    public func editEntry(_ id: Int64, inList name: String, _ edit: EntryEdit) async throws(StoreError) -> StoredEntry {
        try await write { tx throws(StoreError) in try tx.editEntry(id, inList: name, edit) }
    }
}

extension OrganisationStore where Self: TransactionalStore {
    /// Validates and stores an organisation in one transaction.
    public func createOrganisation(_ organisation: NewOrganisation) async throws(StoreError) -> Organisation {
        try await write { tx throws(StoreError) in try tx.createOrganisation(organisation) }
    }
}

extension KeyStore where Self: TransactionalStore {
    /// Creates a key (a new secret, stored as its hash) in one transaction.
    public func createKey(organisationId: Int64, scopes: Set<Scope>, label: String) async throws(StoreError) -> (secret: String, info: APIKeyInfo) {
        let new = KeySecret.make()
        let info = try await write { tx throws(StoreError) in
            try tx.createKey(organisationId: organisationId, prefix: new.prefix, secretSHA256: new.digest, scopes: scopes, label: label)
        }
        return (new.secret, info)
    }

    /// Creates a key for the organisation with this name, registering it as a provider first when
    /// no organisation has it, in one transaction.
    public func createKey(organisation: String, scopes: Set<Scope>, label: String) async throws(StoreError) -> (secret: String, info: APIKeyInfo) {
        let new = KeySecret.make()
        let info = try await write { tx throws(StoreError) in
            var owner = try tx.organisation(named: organisation)
            if owner == nil { owner = try tx.createOrganisation(NewOrganisation(name: organisation, kind: .provider)) }
            guard let owner else { throw .organisationNotFound(organisation) }
            return try tx.createKey(organisationId: owner.id, prefix: new.prefix, secretSHA256: new.digest, scopes: scopes, label: label)
        }
        return (new.secret, info)
    }

    /// Revokes a live key in one transaction.
    public func revokeKey(id: Int64) async throws(StoreError) {
        try await write { tx throws(StoreError) in try tx.revokeKey(id: id) }
    }
}

extension ActionPolicyStore where Self: TransactionalStore {
    /// Sets (or clears) a list's action policy in one transaction.
    public func setPolicy(_ policy: ActionPolicy?, forList name: String) async throws(StoreError) {
        try await write { tx throws(StoreError) in try tx.setPolicy(policy, forList: name) }
    }
}

extension OutboxStore where Self: TransactionalStore {
    /// Appends messages to the outbox in one transaction (nothing to do for none).
    public func enqueue(_ messages: [OutboxMessage]) async throws(StoreError) -> [Int64] {
        guard !messages.isEmpty else { return [] }
        return try await write { tx throws(StoreError) in try tx.enqueue(messages) }
    }
}

extension SignalTypeSettingsStore where Self: TransactionalStore {
    /// Sets one signal type's ratio in one transaction.
    public func setSignalTypeRatio(_ ratio: Double, for name: String) async throws(StoreError) {
        try await write { tx throws(StoreError) in try tx.setSignalTypeRatio(ratio, for: name) }
    }
}

extension FilingStore where Self: TransactionalStore {
    /// Records a match's webhook messages and filings in one transaction.
    public func recordActions(messages: [OutboxMessage], filings: [NewFiling]) async throws(StoreError) -> (
        messages: [Int64], filings: [Int64]
    ) {
        try await write { tx throws(StoreError) in
            (try tx.enqueue(messages), try filings.map { filing throws(StoreError) in try tx.recordFiling(filing) })
        }
    }

    /// Completes an incomplete filing in one transaction.
    public func completeFiling(id: Int64, report: Report) async throws(StoreError) -> StoredFiling {
        try await write { tx throws(StoreError) in try tx.completeFiling(id: id, report: report) }
    }
}
