public import Foundation
import VigilCentre
public import VigilDomain
public import VigilExchange
import VigilMatching
public import VigilStore

/// Why an exchange cannot be created or changed as asked (the kind, the settings or the credential).
public struct ExchangeConfigurationError: Error, Sendable, CustomStringConvertible {
    /// What is wrong and what to do.
    public var message: String
    /// The problem.
    public var description: String { message }
}

/// Every change to exchanges, for both skins (`/v1/exchanges` and HMA's `/c/exchange…`), and the
/// application of fetched pages: each is one transaction with its audit event, and then the node's
/// engine catches up.
///
/// Credentials are sealed with the node's master key (``ContentVault/sealSecret(_:context:)``,
/// bound to the exchange's name) before they reach the store, and opened only to make a client;
/// no route returns them.
public struct ExchangeService: Sendable {
    let store: any NodeStore
    let engine: MatchEngine
    let registry: ExchangeRegistry
    let secrets: ContentVault?
    let wake: ExchangeWake

    /// The service of `node`.
    public init(node: Node) {
        self.store = node.store
        self.engine = node.engine
        self.registry = node.exchanges.registry
        self.secrets = node.secrets
        self.wake = node.exchanges.wake
    }

    /// What an exchange is to be, as a caller asks for it.
    public struct Definition: Sendable {
        /// The exchange's name.
        public var name: String
        /// Its kind.
        public var kind: String
        /// Its list (created as `kind` `listKind` when `createList` and it does not exist).
        public var list: String
        /// The kind's settings.
        public var settings: [String: String]
        /// The credential in clear (sealed before it is stored), if the kind takes one.
        public var credential: String?
        /// Whether to fetch it.
        public var enabled: Bool
        /// Seconds between fetches once up to date.
        public var intervalSeconds: Int

        /// A definition.
        public init(
            name: String, kind: String, list: String, settings: [String: String] = [:], credential: String? = nil, enabled: Bool = true,
            intervalSeconds: Int = 300
        ) {
            self.name = name
            self.kind = kind
            self.list = list
            self.settings = settings
            self.credential = credential
            self.enabled = enabled
            self.intervalSeconds = intervalSeconds
        }
    }

    /// The context a credential is sealed for.
    static func context(_ name: String) -> String { "exchange:\(name)" }

    /// Checks that a client can be made from these settings (a missing or unknown setting, a bad
    /// URL, an unknown kind), without fetching.
    func check(kind: String, settings: [String: String], credential: String?) throws(ExchangeConfigurationError) {
        do throws(ExchangeError) {
            _ = try registry.makeClient(kind: kind, settings: settings, credential: credential)
        } catch {
            throw ExchangeConfigurationError(message: error.description)
        }
    }

    func seal(_ credential: String?, for name: String) throws(ExchangeConfigurationError) -> SealedContent? {
        guard let credential, !credential.isEmpty else { return nil }
        guard let secrets else {
            throw ExchangeConfigurationError(
                message: "this node holds no master key to seal credentials with (content.master-key): none can be stored")
        }
        do throws(ContentKeyError) {
            return try secrets.sealSecret(credential, context: Self.context(name))
        } catch {
            throw ExchangeConfigurationError(message: error.message)
        }
    }

    /// The context a kind's credential (HMA's per-API credential) is sealed for.
    static func kindContext(_ kind: String) -> String { "exchange-kind:\(kind)" }

    /// `sealed` in clear, sealed for `context`.
    func open(_ sealed: SealedContent, context: String) throws(ExchangeError) -> String {
        guard let secrets else { throw .misconfigured("this node holds no master key to open the exchange's credential with") }
        do throws(ContentKeyError) {
            return try secrets.openSecret(sealed, context: context)
        } catch {
            throw .misconfigured(error.message)
        }
    }

    /// The credential a client of `exchange` gets, in clear: its own, else `kindCredential` (the one
    /// set for its kind), else nil.
    func credential(of exchange: StoredExchange, kindCredential: SealedContent? = nil) throws(ExchangeError) -> String? {
        if let sealed = exchange.credential { return try open(sealed, context: Self.context(exchange.name)) }
        if let sealed = kindCredential { return try open(sealed, context: Self.kindContext(exchange.kind)) }
        return nil
    }

    /// The credential set for `kind`, in clear (nil: none, or it cannot be opened: the check that
    /// uses it then says what is missing).
    func kindCredential(_ kind: String) async throws -> String? {
        let sealed = try await storeCall { () async throws(StoreError) in try await store.exchangeKindCredentials()[kind] }
        guard let sealed else { return nil }
        do throws(ExchangeError) { return try open(sealed, context: Self.kindContext(kind)) } catch { return nil }
    }

    /// The client of `exchange`, made from its settings and opened credential (its own, else
    /// `kindCredential`, its kind's).
    public func client(for exchange: StoredExchange, kindCredential: SealedContent? = nil) throws(ExchangeError) -> any ExchangeClient {
        try registry.makeClient(
            kind: exchange.kind, settings: exchange.settings, credential: try credential(of: exchange, kindCredential: kindCredential))
    }

    /// Sets the credential of every exchange of `kind` that has none of its own (HMA's per-API
    /// credential), or removes it (nil or empty), sealed as an exchange's own, with its audit event
    /// (never the credential). Returns whether the kind has one now.
    public func setKindCredential(_ credential: String?, kind: String, by actor: Actor) async throws -> Bool {
        let maker: any ExchangeClientMaker
        do throws(ExchangeError) { maker = try registry.maker(for: kind) } catch { throw ExchangeConfigurationError(message: error.description) }
        let clear = credential.flatMap { $0.isEmpty ? nil : $0 }
        if clear != nil, !maker.takesCredential {
            throw ExchangeConfigurationError(message: "\(kind) exchanges take no credential")
        }
        var sealed: SealedContent?
        if let clear {
            guard let secrets else {
                throw ExchangeConfigurationError(
                    message: "this node holds no master key to seal credentials with (content.master-key): none can be stored")
            }
            do throws(ContentKeyError) {
                sealed = try secrets.sealSecret(clear, context: Self.kindContext(kind))
            } catch {
                throw ExchangeConfigurationError(message: error.message)
            }
        }
        let pending = sealed
        try await storeCall { () async throws(StoreError) in
            try await store.write { tx throws(StoreError) in
                try tx.setExchangeKindCredential(pending, for: kind)
                try tx.appendAudit(
                    ListService.event(
                        actor, "exchange-kind.credential", "exchange-kind:\(kind)", at: tx.now, detail: pending == nil ? "removed" : "set"))
            }
        }
        // Exchanges of the kind that were failing for want of a credential may fetch now.
        if pending != nil { wake.signal() }
        return pending != nil
    }

    /// Creates an exchange (and, with `createList`, its list as an `internal` list when absent,
    /// as HMA creates a bank with each exchange), with its audit event.
    public func create(_ definition: Definition, createList: Bool = false, by actor: Actor) async throws -> StoredExchange {
        var checkCredential = definition.credential.flatMap { $0.isEmpty ? nil : $0 }
        if checkCredential == nil { checkCredential = try await kindCredential(definition.kind) }
        try check(kind: definition.kind, settings: definition.settings, credential: checkCredential)
        let new = NewExchange(
            name: definition.name, kind: definition.kind, list: definition.list, settings: definition.settings,
            credential: try seal(definition.credential, for: definition.name), enabled: definition.enabled,
            intervalSeconds: definition.intervalSeconds)
        let created = try await storeCall { () async throws(StoreError) in
            try await store.write { tx throws(StoreError) in
                if createList {
                    do throws(StoreError) {
                        _ = try tx.list(named: new.list)
                    } catch  where error.code == .listNotFound {
                        let list = try tx.createList(HashList(name: new.list, kind: .internal))
                        try tx.appendAudit(ListService.event(actor, "list.create", "list:\(list.id)", at: tx.now, detail: list.list.name))
                    }
                }
                let created = try tx.createExchange(new)
                try tx.appendAudit(
                    ListService.event(
                        actor, "exchange.create", "exchange:\(created.id)", at: tx.now,
                        detail: "\(created.name) (\(created.kind)) into \(created.listName)"
                    ))
                return created
            }
        }
        await engine.refreshAfterWrite()
        if created.enabled { wake.signal() }
        return created
    }

    /// A change an operator asks for; nil parts stay.
    public struct Change: Sendable {
        /// New settings (all of them).
        public var settings: [String: String]?
        /// A new credential in clear (`.some(nil)` or an empty one removes it).
        public var credential: String??
        /// Enables or disables fetching.
        public var enabled: Bool?
        /// A new interval, seconds.
        public var intervalSeconds: Int?

        /// A change.
        public init(settings: [String: String]? = nil, credential: String?? = nil, enabled: Bool? = nil, intervalSeconds: Int? = nil) {
            self.settings = settings
            self.credential = credential
            self.enabled = enabled
            self.intervalSeconds = intervalSeconds
        }
    }

    /// Changes an exchange, checking that a client can still be made, with its audit event.
    public func update(named name: String, _ change: Change, by actor: Actor) async throws -> StoredExchange {
        let current = try await storeCall { () async throws(StoreError) in try await store.exchange(named: name) }
        var update = ExchangeUpdate(settings: change.settings, enabled: change.enabled, intervalSeconds: change.intervalSeconds)
        var clear: String?
        if let credential = change.credential {
            clear = credential
            update.credential = .some(try seal(credential, for: name))
        } else {
            do throws(ExchangeError) { clear = try credential(of: current) } catch { clear = nil }
        }
        if clear?.isEmpty ?? true { clear = try await kindCredential(current.kind) }
        if change.settings != nil || change.credential != nil {
            try check(kind: current.kind, settings: change.settings ?? current.settings, credential: clear)
        }
        let pending = update
        let updated = try await storeCall { () async throws(StoreError) in
            try await store.write { tx throws(StoreError) in
                let updated = try tx.updateExchange(named: name, pending)
                var fields: [String] = []
                if change.settings != nil { fields.append("settings") }
                if change.credential != nil { fields.append("credential") }
                if let enabled = change.enabled { fields.append(enabled ? "enabled" : "disabled") }
                if change.intervalSeconds != nil { fields.append("interval_seconds") }
                try tx.appendAudit(
                    ListService.event(actor, "exchange.update", "exchange:\(updated.id)", at: tx.now, detail: fields.joined(separator: ", ")))
                return updated
            }
        }
        if updated.enabled { wake.signal() }
        return updated
    }

    /// Makes the exchange's next fetch due now (ending a back-off) and wakes the worker.
    public func fetchNow(named name: String, by actor: Actor) async throws(StoreError) -> StoredExchange {
        let updated = try await store.write { tx throws(StoreError) in
            let updated = try tx.updateExchange(named: name, ExchangeUpdate(dueNow: true))
            try tx.appendAudit(ListService.event(actor, "exchange.fetch-now", "exchange:\(updated.id)", at: tx.now))
            return updated
        }
        wake.signal()
        return updated
    }

    /// Deletes an exchange (its list and entries stay), with its audit event.
    public func delete(named name: String, by actor: Actor) async throws(StoreError) {
        try await store.write { tx throws(StoreError) in
            let exchange = try tx.exchange(named: name)
            try tx.deleteExchange(named: name)
            try tx.appendAudit(ListService.event(actor, "exchange.delete", "exchange:\(exchange.id)", at: tx.now, detail: name))
        }
    }

    /// Applies a fetched page in ONE transaction: its records through the import path (items
    /// replaced by upstream id), its tombstones, the new checkpoint and status, and the audit
    /// event; refused (nothing applied) when `owner` no longer holds the fetch. The engine
    /// catches up after it.
    public func apply(
        _ page: ExchangePage, to exchange: StoredExchange, owner: String, at now: Date, leaseSeconds: Double
    ) async throws(StoreError) -> StoredExchange {
        let name = exchange.name
        let batch = page.batch
        let items = batch.records.count + batch.itemDeletions.count
        let applied = try await store.write { tx throws(StoreError) in
            let recorded = try tx.recordExchangePage(
                named: name, owner: owner, at: now, leaseSeconds: leaseSeconds, checkpointState: page.checkpoint.state,
                checkpointTimestamp: page.checkpoint.timestamp, items: items, hasMore: page.hasMore)
            let list = recorded.listName
            var replaced = 0
            var added = 0
            var removed = 0
            // Records and item tombstones in the page's order (an item put, deleted and put again stays).
            for step in batch.steps {
                if !step.records.isEmpty {
                    let result = try tx.applyReplacingItems(Array(step.records), toList: list)
                    replaced += result.replaced
                    added += result.added.count
                    // Which exchange brought them: where a reviewer's verdict sends its feedback.
                    try tx.linkEntries(result.added, toExchange: recorded.id)
                }
                for (organisation, deletions) in Dictionary(grouping: step.deletions, by: \.sourceOrganisation).sorted(by: { $0.key < $1.key }) {
                    removed += try tx.removeItems(sourceOrganisation: organisation, itemIds: deletions.map(\.sourceItemId), fromList: list)
                }
            }
            if items > 0 || !batch.issues.isEmpty {
                let deletes = batch.records.count { $0.action == .delete }
                let listId = try tx.list(named: list).id
                try tx.appendAudit(
                    ListService.event(
                        Actor(name: "exchange:\(name)", organisation: nil), "entries.exchange", "list:\(listId)", at: tx.now,
                        detail:
                            "\(added) added, \(replaced) replaced by upstream id, \(deletes) deletions requested, \(removed) removed by item, \(batch.issues.count) skipped"
                    ))
            }
            return recorded
        }
        if items > 0 { await engine.catchUpAfterWrite() }
        return applied
    }
}
