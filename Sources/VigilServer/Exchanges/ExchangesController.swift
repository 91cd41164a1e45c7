import Foundation
import Hummingbird
import VigilDomain
import VigilExchange
import VigilStore

/// An exchange as `/v1/exchanges` shows it: never its credential, only whether it has one.
struct ExchangeView: Codable, Sendable {
    /// Where its fetch stands (HMA's `FetchStatus` fields, as RFC 3339 times, and Vigil's).
    struct Status: Codable, Sendable {
        var checkpointTs: Int64?
        var running: Bool
        var runningSince: String?
        var runningOn: String?
        var lastFetchCompleteAt: String?
        var lastFetchSucceeded: Bool?
        var lastSuccessAt: String?
        var upToDate: Bool
        var fetchedItems: Int64
        var lastError: String?
        var failures: Int
        var nextFetchAt: String?

        enum CodingKeys: String, CodingKey {
            case running, failures
            case checkpointTs = "checkpoint_ts"
            case runningSince = "running_since"
            case runningOn = "running_on"
            case lastFetchCompleteAt = "last_fetch_complete_at"
            case lastFetchSucceeded = "last_fetch_succeeded"
            case lastSuccessAt = "last_success_at"
            case upToDate = "up_to_date"
            case fetchedItems = "fetched_items"
            case lastError = "last_error"
            case nextFetchAt = "next_fetch_at"
        }
    }

    var name: String
    var kind: String
    var list: String
    var settings: [String: String]
    var enabled: Bool
    var intervalSeconds: Int
    var hasCredential: Bool
    var createdAt: String
    var updatedAt: String
    var status: Status

    enum CodingKeys: String, CodingKey {
        case name, kind, list, settings, enabled, status
        case intervalSeconds = "interval_seconds"
        case hasCredential = "has_credential"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    init(_ exchange: StoredExchange, now: Date) {
        let state = exchange.state
        let running = exchange.isRunning(at: now)
        name = exchange.name
        kind = exchange.kind
        list = exchange.listName
        settings = exchange.settings
        enabled = exchange.enabled
        intervalSeconds = exchange.intervalSeconds
        hasCredential = exchange.credential != nil
        createdAt = exchange.createdAt
        updatedAt = exchange.updatedAt
        status = Status(
            checkpointTs: state.checkpointTimestamp, running: running, runningSince: running ? state.runningSince : nil,
            runningOn: running ? state.leaseOwner : nil, lastFetchCompleteAt: state.lastFetchCompleteAt,
            lastFetchSucceeded: state.lastFetchSucceeded, lastSuccessAt: state.lastSuccessAt, upToDate: state.upToDate,
            fetchedItems: state.fetchedItems, lastError: state.lastError, failures: state.failures, nextFetchAt: state.nextFetchAt)
    }
}

/// `POST /v1/exchanges`'s body.
struct NewExchangeBody: Decodable {
    var name: String
    var kind: String
    var list: String
    var settings: [String: String]?
    var credential: String?
    var enabled: Bool?
    var intervalSeconds: Int?

    enum CodingKeys: String, CodingKey {
        case name, kind, list, settings, credential, enabled
        case intervalSeconds = "interval_seconds"
    }
}

/// `PATCH /v1/exchanges/{name}`'s body: what is given changes (an empty credential removes it).
struct ExchangeChangeBody: Decodable {
    var settings: [String: String]?
    var credential: String?
    var enabled: Bool?
    var intervalSeconds: Int?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case settings, credential, enabled
        case intervalSeconds = "interval_seconds"
    }

    /// Reads the fields, refusing one the document does not name (a typo would otherwise change nothing, silently).
    init(from decoder: any Decoder) throws {
        try ClosedBody.refuseUnknownMembers(of: decoder, allowed: CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        settings = try container.decodeIfPresent([String: String].self, forKey: .settings)
        credential = try container.decodeIfPresent(String.self, forKey: .credential)
        enabled = try container.decodeIfPresent(Bool.self, forKey: .enabled)
        intervalSeconds = try container.decodeIfPresent(Int.self, forKey: .intervalSeconds)
    }
}

/// `/v1/exchanges`: the node's exchanges (create with kind, list, settings and credential; list;
/// status; change; enable or disable; fetch now; delete), the kinds it knows
/// (`/v1/exchange-kinds`), and `/v1/lists/{name}/changes`, the change feed of one list that
/// another node's `vigil` exchange pulls.
struct ExchangesController: Sendable {
    let node: Node
    let authoriser: Authoriser

    var store: any NodeStore { node.store }
    var service: ExchangeService { ExchangeService(node: node) }

    /// The largest body of these routes (settings and a credential).
    static let maxBody = 64 << 10

    func addRoutes(to router: Router<VigilRequestContext>, authentication: AuthenticationMiddleware) {
        let v1 = router.group("v1").add(middleware: authentication).add(middleware: ServiceErrorMiddleware())
        let routes = AuthorisedRoutes(group: v1, authoriser: authoriser)
        routes.on(.get, "exchange-kinds", "listExchangeKinds") { _, context in
            let credentials = try await storeCall { () async throws(StoreError) in try await store.exchangeKindCredentials() }
            let kinds = node.exchanges.registry.makers.values.sorted(by: { $0.kind < $1.kind }).map { maker in
                ExchangeKindView(
                    kind: maker.kind, settings: maker.settingNames, takesCredential: maker.takesCredential,
                    hasCredential: credentials[maker.kind] != nil)
            }
            return try PlainRouteCoding.encode(ExchangeKindsView(kinds: kinds), context: context)
        }
        // The credential of every exchange of a kind that has none of its own (HMA's per-API one).
        routes.on(.put, "exchange-kinds/:kind/credentials", "setExchangeKindCredential") { request, context in
            let kind = try context.parameters.require("kind")
            let body = try await PlainRouteCoding.decode(ExchangeKindCredentialBody.self, from: request, limit: Self.maxBody)
            let actor = Actor(try PlainRouteCoding.principal(context))
            let has = try await configurationCall { try await service.setKindCredential(body.credential, kind: kind, by: actor) }
            return try PlainRouteCoding.encode(ExchangeKindCredentialView(kind: kind, hasCredential: has), context: context)
        }
        routes.on(.get, "exchanges", "listExchanges") { _, context in
            let all = try await storeCall { () async throws(StoreError) in try await store.exchanges() }
            let now = node.clock.now()
            return try PlainRouteCoding.encode(ExchangesView(exchanges: all.map { ExchangeView($0, now: now) }), context: context)
        }
        routes.on(.post, "exchanges", "createExchange") { request, context in
            let body = try await PlainRouteCoding.decode(NewExchangeBody.self, from: request, limit: Self.maxBody)
            let definition = ExchangeService.Definition(
                name: body.name, kind: body.kind, list: body.list, settings: body.settings ?? [:], credential: body.credential,
                enabled: body.enabled ?? true, intervalSeconds: body.intervalSeconds ?? 300)
            let created = try await configurationCall {
                try await service.create(definition, by: Actor(try PlainRouteCoding.principal(context)))
            }
            return try PlainRouteCoding.encode(ExchangeView(created, now: node.clock.now()), status: .created, context: context)
        }
        routes.on(.get, "exchanges/:name", "getExchange") { _, context in
            let name = try context.parameters.require("name")
            let exchange = try await storeCall { () async throws(StoreError) in try await store.exchange(named: name) }
            return try PlainRouteCoding.encode(ExchangeView(exchange, now: node.clock.now()), context: context)
        }
        routes.on(.patch, "exchanges/:name", "updateExchange") { request, context in
            let name = try context.parameters.require("name")
            let body = try await PlainRouteCoding.decode(ExchangeChangeBody.self, from: request, limit: Self.maxBody)
            let change = ExchangeService.Change(
                settings: body.settings, credential: body.credential.map { $0.isEmpty ? nil : $0 }, enabled: body.enabled,
                intervalSeconds: body.intervalSeconds)
            let updated = try await configurationCall {
                try await service.update(named: name, change, by: Actor(try PlainRouteCoding.principal(context)))
            }
            return try PlainRouteCoding.encode(ExchangeView(updated, now: node.clock.now()), context: context)
        }
        routes.on(.delete, "exchanges/:name", "deleteExchange") { _, context in
            let name = try context.parameters.require("name")
            let actor = Actor(try PlainRouteCoding.principal(context))
            try await storeCall { () async throws(StoreError) in try await service.delete(named: name, by: actor) }
            return Response(status: .noContent)
        }
        routes.on(.post, "exchanges/:name/fetch", "fetchExchange") { _, context in
            let name = try context.parameters.require("name")
            let actor = Actor(try PlainRouteCoding.principal(context))
            let exchange = try await storeCall { () async throws(StoreError) in try await service.fetchNow(named: name, by: actor) }
            return try PlainRouteCoding.encode(ExchangeView(exchange, now: node.clock.now()), status: .accepted, context: context)
        }
        routes.on(.get, "lists/:name/changes", "listChanges") { request, context in
            let name = try context.parameters.require("name")
            let after = Int64(try PlainRouteCoding.intParameter(request, "after", default: 0, range: 0...Int.max))
            let limit = try PlainRouteCoding.intParameter(request, "limit", default: 5_000, range: 1...10_000)
            let page = try await storeCall { () async throws(StoreError) in try await Self.changes(of: name, after: after, limit: limit, in: store) }
            return try PlainRouteCoding.encode(page, context: context)
        }
    }

    /// One page of list `name`'s changes after feed position `after`, reading at most `limit`
    /// changes of the feed (other lists' included, passed over); adds and edits carry the entry's
    /// provenance while it is live.
    static func changes(of name: String, after: Int64, limit: Int, in store: any NodeStore) async throws(StoreError) -> ListChangesPage {
        let list = try await store.list(named: name)
        let feed = try await store.changes(after: after, limit: limit)
        let mine = feed.filter { $0.listId == list.id }
        let live = try await store.entries(ids: mine.filter { $0.kind != .remove }.map(\.entryId))
        let changes = mine.map { change in
            let entry = live[change.entryId]
            return ListChangesPage.Change(
                sequence: change.sequence, kind: change.kind.rawValue, entryId: change.entryId, type: change.type.rawValue, value: change.value,
                provenance: change.kind == .remove || entry?.deletedAt != nil ? nil : entry?.provenance)
        }
        return ListChangesPage(list: name, changes: changes, next: feed.last?.sequence ?? after, hasMore: feed.count == limit)
    }

    /// Runs an exchange change: a refused configuration is a 400 naming the problem; store errors are mapped as usual.
    func configurationCall<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as ExchangeConfigurationError {
            throw APIError.badRequest("invalid_exchange", error.message)
        }
    }
}

/// `GET /v1/exchanges`'s answer.
struct ExchangesView: Codable, Sendable {
    var exchanges: [ExchangeView]
}

/// One kind of exchange, its settings, and whether it takes a credential and has one set for it.
struct ExchangeKindView: Codable, Sendable {
    var kind: String
    var settings: [String: String]
    var takesCredential: Bool
    var hasCredential: Bool

    enum CodingKeys: String, CodingKey {
        case kind, settings
        case takesCredential = "takes_credential"
        case hasCredential = "has_credential"
    }
}

/// `PUT /v1/exchange-kinds/{kind}/credentials`'s body: the credential in clear (an empty one removes it).
struct ExchangeKindCredentialBody: Codable, Sendable {
    var credential: String
}

/// What `PUT /v1/exchange-kinds/{kind}/credentials` answers (never the credential).
struct ExchangeKindCredentialView: Codable, Sendable {
    var kind: String
    var hasCredential: Bool

    enum CodingKeys: String, CodingKey {
        case kind
        case hasCredential = "has_credential"
    }
}

/// `GET /v1/exchange-kinds`'s answer.
struct ExchangeKindsView: Codable, Sendable {
    var kinds: [ExchangeKindView]
}
