public import Foundation
public import VigilDomain

// Exchanges: a node's configured sources of indicators fetched live (Meta ThreatExchange, NCMEC,
// StopNCII, a folder, another Vigil node). The store keeps each exchange's settings, its sealed
// credential, its durable checkpoint and its fetch status; the rules that move them (who may
// fetch, what a page or a failure changes) are written once here over the unit of work, and each
// store only reads and writes the row.

/// An exchange to create.
public struct NewExchange: Sendable, Hashable {
    /// Its unique name (HMA's `CAPS_AND_UNDERSCORE` names are valid, as are Vigil's list names).
    public var name: String
    /// The kind of source (`file`, `vigil`, `fb_threatexchange`, `ncmec`, `stopncii`).
    public var kind: String
    /// The list its entries go into (it must exist).
    public var list: String
    /// The kind's settings (a folder, a base URL, a privacy group…), plain text.
    public var settings: [String: String]
    /// The credential, sealed with the node's master key; nil when the kind takes none.
    public var credential: SealedContent?
    /// Whether the node fetches it.
    public var enabled: Bool
    /// How long to wait between fetches once up to date, in seconds.
    public var intervalSeconds: Int

    /// An exchange to create.
    public init(
        name: String, kind: String, list: String, settings: [String: String] = [:], credential: SealedContent? = nil, enabled: Bool = true,
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

/// Where a fetch of an exchange stands: HMA's `FetchStatus` and what Vigil adds to it (the error,
/// the back-off, which node holds the fetch).
public struct ExchangeFetchState: Sendable, Hashable {
    /// The client's resume state after the last page applied (nil: start from the beginning).
    public var checkpointState: String?
    /// The upstream time the fetch has reached (HMA's `checkpoint_ts`), if the source has one.
    public var checkpointTimestamp: Int64?
    /// The records applied since the exchange was created (adds, deletes and item tombstones).
    public var fetchedItems: Int64
    /// When the fetch now running began (nil: none is running).
    public var runningSince: String?
    /// The node (worker id) that holds the fetch, and until when its lease runs.
    public var leaseOwner: String?
    /// When the lease of ``leaseOwner`` ends, RFC 3339; after it any node may take the fetch over.
    public var leaseExpiresAt: String?
    /// When the last fetch ended, RFC 3339.
    public var lastFetchCompleteAt: String?
    /// Whether the last fetch ended well (nil: none ended yet).
    public var lastFetchSucceeded: Bool?
    /// When a fetch last ended well, RFC 3339.
    public var lastSuccessAt: String?
    /// Whether the last fetch reached the end of what the source had.
    public var upToDate: Bool
    /// What went wrong in the last fetch, in words an operator can act on (nil after a success).
    public var lastError: String?
    /// Fetches that failed in a row (0 after a success): the back-off grows with it.
    public var failures: Int
    /// When the next fetch is due, RFC 3339 (nil: due now).
    public var nextFetchAt: String?

    /// A state; every part defaults to "never fetched".
    public init(
        checkpointState: String? = nil, checkpointTimestamp: Int64? = nil, fetchedItems: Int64 = 0, runningSince: String? = nil,
        leaseOwner: String? = nil, leaseExpiresAt: String? = nil, lastFetchCompleteAt: String? = nil, lastFetchSucceeded: Bool? = nil,
        lastSuccessAt: String? = nil, upToDate: Bool = false, lastError: String? = nil, failures: Int = 0, nextFetchAt: String? = nil
    ) {
        self.checkpointState = checkpointState
        self.checkpointTimestamp = checkpointTimestamp
        self.fetchedItems = fetchedItems
        self.runningSince = runningSince
        self.leaseOwner = leaseOwner
        self.leaseExpiresAt = leaseExpiresAt
        self.lastFetchCompleteAt = lastFetchCompleteAt
        self.lastFetchSucceeded = lastFetchSucceeded
        self.lastSuccessAt = lastSuccessAt
        self.upToDate = upToDate
        self.lastError = lastError
        self.failures = failures
        self.nextFetchAt = nextFetchAt
    }
}

/// An exchange as stored.
public struct StoredExchange: Sendable, Hashable {
    /// The database id.
    public var id: Int64
    /// Its unique name.
    public var name: String
    /// The kind of source.
    public var kind: String
    /// The id of the list its entries go into.
    public var listId: Int64
    /// That list's name now (a deleted list's internal name: fetching it then fails with `list_not_found`).
    public var listName: String
    /// The kind's settings.
    public var settings: [String: String]
    /// The sealed credential, if one is set (never shown by any route).
    public var credential: SealedContent?
    /// Whether the node fetches it.
    public var enabled: Bool
    /// Seconds between fetches once up to date.
    public var intervalSeconds: Int
    /// Where its fetch stands.
    public var state: ExchangeFetchState
    /// When it was created and last changed, RFC 3339.
    public var createdAt: String
    /// When its settings were last changed, RFC 3339.
    public var updatedAt: String

    /// An exchange as stored.
    public init(
        id: Int64, name: String, kind: String, listId: Int64, listName: String, settings: [String: String], credential: SealedContent?,
        enabled: Bool, intervalSeconds: Int, state: ExchangeFetchState, createdAt: String, updatedAt: String
    ) {
        self.id = id
        self.name = name
        self.kind = kind
        self.listId = listId
        self.listName = listName
        self.settings = settings
        self.credential = credential
        self.enabled = enabled
        self.intervalSeconds = intervalSeconds
        self.state = state
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// Whether a fetch holds the exchange at `now` (a lease that has not run out).
    public func isRunning(at now: Date) -> Bool {
        guard state.leaseOwner != nil, let expires = state.leaseExpiresAt else { return false }
        return expires > now.rfc3339
    }
}

/// A change to an exchange's settings; nil parts stay as they are.
public struct ExchangeUpdate: Sendable, Hashable {
    /// New settings (replacing all of them).
    public var settings: [String: String]?
    /// A new credential (`.some(nil)` removes it).
    public var credential: SealedContent??
    /// Enables or disables fetching.
    public var enabled: Bool?
    /// A new interval, seconds.
    public var intervalSeconds: Int?
    /// Makes the next fetch due now (a "fetch now"), also ending a back-off.
    public var dueNow: Bool

    /// A change; nothing by default.
    public init(
        settings: [String: String]? = nil, credential: SealedContent?? = nil, enabled: Bool? = nil, intervalSeconds: Int? = nil,
        dueNow: Bool = false
    ) {
        self.settings = settings
        self.credential = credential
        self.enabled = enabled
        self.intervalSeconds = intervalSeconds
        self.dueNow = dueNow
    }
}

/// How a fetch ended, as the worker records it.
public enum ExchangeFetchEnd: Sendable, Hashable {
    /// Every page was applied; `upToDate` says whether the source had no more. The next fetch is due at `next`.
    case succeeded(upToDate: Bool, next: Date)
    /// The fetch failed with `error` (what was applied before stays, with its checkpoint); tried again at `next`.
    case failed(error: String, next: Date)
}

/// The exchanges' reads (their writes go through the unit of work: ``StoreTransaction``).
public protocol ExchangeStore: Sendable {
    /// Every exchange, by name.
    func exchanges() async throws(StoreError) -> [StoredExchange]
    /// The exchange with this name; `exchangeNotFound` when none has it.
    func exchange(named name: String) async throws(StoreError) -> StoredExchange
    /// The credentials set per exchange kind (HMA's per-API credentials), sealed, by kind: what an
    /// exchange of that kind without a credential of its own uses.
    func exchangeKindCredentials() async throws(StoreError) -> [String: SealedContent]
}

/// The rules of an exchange's fetch, written once over the unit of work for every store: which
/// node may fetch (a lease with an expiry, so that on several nodes one fetches at a time and a
/// node that died is taken over), what applying a page and ending a fetch change.
extension StoreTransaction {
    /// Changes an exchange's settings; `exchangeNotFound` when there is none.
    public func updateExchange(named name: String, _ update: ExchangeUpdate) throws(StoreError) -> StoredExchange {
        var exchange = try exchange(named: name)
        if let settings = update.settings { exchange.settings = settings }
        if let credential = update.credential { exchange.credential = credential }
        if let enabled = update.enabled { exchange.enabled = enabled }
        if let interval = update.intervalSeconds {
            guard interval >= 1 else { throw .invalid("interval_seconds must be at least 1 (got \(interval))") }
            exchange.intervalSeconds = interval
        }
        if update.dueNow { exchange.state.nextFetchAt = nil }
        exchange.updatedAt = now.rfc3339
        try saveExchange(exchange)
        return exchange
    }

    /// Takes the fetch of exchange `name` for worker `owner` until `now + leaseSeconds`, when the
    /// exchange is enabled, due (its next fetch time has come, unless `force`) and no other
    /// worker's lease runs; returns it as claimed, or nil when it is not this worker's to fetch.
    public func claimExchange(named name: String, owner: String, at now: Date, leaseSeconds: Double, force: Bool = false) throws(StoreError)
        -> StoredExchange?
    {
        var exchange = try exchange(named: name)
        guard exchange.enabled else { return nil }
        if exchange.state.leaseOwner != owner, exchange.isRunning(at: now) { return nil }
        if !force, let next = exchange.state.nextFetchAt, next > now.rfc3339 { return nil }
        exchange.state.leaseOwner = owner
        exchange.state.leaseExpiresAt = now.addingTimeInterval(leaseSeconds).rfc3339
        exchange.state.runningSince = now.rfc3339
        try saveExchange(exchange)
        return exchange
    }

    /// Records a page applied in this transaction by worker `owner`: the new checkpoint, the
    /// records counted, whether the source has more, and the lease renewed. Refused with
    /// `stateChanged` when the worker no longer holds the fetch (its lease ran out and another node
    /// took it over): the transaction, and the page with it, is then rolled back.
    public func recordExchangePage(
        named name: String, owner: String, at now: Date, leaseSeconds: Double, checkpointState: String, checkpointTimestamp: Int64?, items: Int,
        hasMore: Bool
    ) throws(StoreError) -> StoredExchange {
        var exchange = try exchange(named: name)
        guard exchange.state.leaseOwner == owner else {
            throw StoreError(
                code: .stateChanged,
                message: "exchange \"\(name)\" is no longer fetched by this worker (another node took it over); the page was not applied")
        }
        exchange.state.checkpointState = checkpointState
        exchange.state.checkpointTimestamp = checkpointTimestamp ?? exchange.state.checkpointTimestamp
        exchange.state.fetchedItems += Int64(items)
        exchange.state.upToDate = !hasMore
        exchange.state.leaseExpiresAt = now.addingTimeInterval(leaseSeconds).rfc3339
        try saveExchange(exchange)
        return exchange
    }

    /// Ends worker `owner`'s fetch of exchange `name` as `end` says, and gives up its lease. A
    /// worker that no longer holds the fetch changes nothing (the node that took it over records
    /// its own end); an exchange deleted meanwhile is no error.
    @discardableResult
    public func finishExchangeFetch(named name: String, owner: String, at now: Date, _ end: ExchangeFetchEnd) throws(StoreError)
        -> StoredExchange?
    {
        var exchange: StoredExchange
        do throws(StoreError) {
            exchange = try self.exchange(named: name)
        } catch  where error.code == .exchangeNotFound {
            return nil
        }
        guard exchange.state.leaseOwner == owner else { return exchange }
        let stamp = now.rfc3339
        exchange.state.leaseOwner = nil
        exchange.state.leaseExpiresAt = nil
        exchange.state.runningSince = nil
        exchange.state.lastFetchCompleteAt = stamp
        switch end {
        case .succeeded(let upToDate, let next):
            exchange.state.lastFetchSucceeded = true
            exchange.state.lastSuccessAt = stamp
            exchange.state.upToDate = upToDate
            exchange.state.lastError = nil
            exchange.state.failures = 0
            exchange.state.nextFetchAt = next.rfc3339
        case .failed(let error, let next):
            exchange.state.lastFetchSucceeded = false
            exchange.state.lastError = String(error.prefix(2_000))
            exchange.state.failures += 1
            exchange.state.nextFetchAt = next.rfc3339
        }
        try saveExchange(exchange)
        return exchange
    }
}

extension StoreRules {
    /// Checks a new exchange's fields (the list is checked by the store).
    static func check(_ exchange: NewExchange) throws(StoreError) {
        guard !exchange.name.isEmpty, exchange.name.count <= 200,
            exchange.name.unicodeScalars.allSatisfy({ CharacterSet.alphanumerics.contains($0) || "_-.".unicodeScalars.contains($0) })
        else {
            throw .invalid("an exchange's name is 1-200 letters, digits, '_', '-' or '.' (got \"\(exchange.name)\")")
        }
        guard !exchange.kind.isEmpty else { throw .invalid("an exchange needs a kind") }
        guard exchange.intervalSeconds >= 1 else { throw .invalid("interval_seconds must be at least 1 (got \(exchange.intervalSeconds))") }
    }

    /// An exchange's settings as stored (a JSON object of strings).
    static func settingsJSON(_ settings: [String: String]) throws(StoreError) -> String {
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            return String(decoding: try encoder.encode(settings), as: UTF8.self)
        } catch {
            throw .internal("an exchange's settings could not be written", underlying: error)
        }
    }

    /// An exchange's stored settings read back.
    static func settings(fromJSON text: String) throws(StoreError) -> [String: String] {
        do {
            return try JSONDecoder().decode([String: String].self, from: Data(text.utf8))
        } catch {
            throw .internal("an exchange's stored settings do not read back", underlying: error)
        }
    }
}

extension StoreTransaction {
    /// Applies an import's records with the upstream-id rule: the live entries of the list that carry
    /// the (source organisation, source item id) of one of the records' adds are tombstoned first,
    /// so an item sent again (an update: NCMEC, an exchange) replaces what it was instead of
    /// standing twice; when the batch itself sends an item twice (an entry and, later in the same
    /// page, its update), only its last version is kept. Records without both provenance fields
    /// only add. Returns the new entries' ids and how many entries were replaced.
    public func applyReplacingItems(_ records: [IndicatorRecord], toList name: String) throws(StoreError) -> (added: [Int64], replaced: Int) {
        let kept = StoreRules.latestItemVersions(records)
        var items: [String: [String]] = [:]
        var seen = Set<[String]>()
        for record in kept where record.action == .add {
            guard let organisation = record.provenance.sourceOrganisation, let item = record.provenance.sourceItemId else { continue }
            if seen.insert([organisation, item]).inserted { items[organisation, default: []].append(item) }
        }
        var replaced = 0
        for (organisation, ids) in items.sorted(by: { $0.key < $1.key }) {
            replaced += try removeItems(sourceOrganisation: organisation, itemIds: ids, fromList: name)
        }
        return (try apply(kept, toList: name), replaced)
    }
}

extension StoreRules {
    /// `records` without the earlier versions of an item the batch sends again: an item's values
    /// are one run of adjacent records with its upstream id, and when the same item has a later
    /// run (a page holding an entry and its update), only the last run is kept. Records without
    /// both provenance fields, and deletes, are all kept.
    static func latestItemVersions(_ records: [IndicatorRecord]) -> [IndicatorRecord] {
        func key(_ record: IndicatorRecord) -> [String]? {
            guard record.action == .add, let organisation = record.provenance.sourceOrganisation, let item = record.provenance.sourceItemId
            else { return nil }
            return [organisation, item]
        }
        var runs: [Int] = []
        runs.reserveCapacity(records.count)
        var lastRun: [[String]: Int] = [:]
        var run = 0
        var previous: [String]?
        var repeated = false
        for record in records {
            let current = key(record)
            if current != previous { run += 1 }
            previous = current
            runs.append(run)
            if let current {
                if let earlier = lastRun[current], earlier != run { repeated = true }
                lastRun[current] = run
            }
        }
        guard repeated else { return records }
        var kept: [IndicatorRecord] = []
        kept.reserveCapacity(records.count)
        for (index, record) in records.enumerated() {
            if let current = key(record), lastRun[current] != runs[index] { continue }
            kept.append(record)
        }
        return kept
    }
}
