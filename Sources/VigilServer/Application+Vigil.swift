import Crypto
import Foundation
public import Hummingbird
public import Logging
public import Prometheus
import NIOCore
public import VigilDomain
import VigilHash
public import VigilMedia
import VigilPipeline
public import VigilStore

/// Settings of a provider node.
public struct ServerSettings: Sendable {
    /// Address to listen on.
    public var host: String
    /// Port to listen on.
    public var port: Int
    /// The largest request body accepted (uploads included), in bytes.
    public var maxBodyBytes: Int
    /// Decoder limits for uploaded images.
    public var decodeLimits: DecodeLimits
    /// Which URLs content may be fetched from (none by default).
    public var urlFetch: URLFetchPolicy

    /// Defaults: 127.0.0.1:8080, 32 MiB bodies, 100 MP images, no URL fetching.
    public init(
        host: String = "127.0.0.1", port: Int = 8080, maxBodyBytes: Int = 32 << 20, decodeLimits: DecodeLimits = DecodeLimits(),
        urlFetch: URLFetchPolicy = URLFetchPolicy()
    ) {
        self.host = host
        self.port = port
        self.maxBodyBytes = maxBodyBytes
        self.decodeLimits = decodeLimits
        self.urlFetch = urlFetch
    }
}

/// Builds the provider node's HTTP application.
///
/// `metrics` is the Prometheus registry served at `/metrics` (admin scope); bootstrap swift-metrics
/// with a `PrometheusMetricsFactory` over the same registry to get the per-route request metrics.
public func buildApplication(
    store: SQLiteStore, engine: MatchEngine, settings: ServerSettings, metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
    logger: Logger = Logger(label: "vigil")
) -> some ApplicationProtocol {
    let router = Router(context: VigilRequestContext.self)
    router.add(middleware: LogRequestsMiddleware(.debug))
    router.add(middleware: MetricsMiddleware())
    let api = ProviderAPI(store: store, engine: engine, settings: settings, fetcher: URLFetcher(policy: settings.urlFetch, client: URLFetcher.sharedClient))
    router.get("/health") { _, _ in ["status": "ok"] }
    router.get("/ready") { _, _ -> Response in
        let ready = engine.isReady
        let body = ByteBuffer(string: ready ? "{\"status\":\"ready\"}" : "{\"status\":\"loading\"}")
        return Response(status: ready ? .ok : .serviceUnavailable, headers: [.contentType: "application/json"], body: .init(byteBuffer: body))
    }
    let authentication = AuthenticationMiddleware(keys: store)
    router.group().add(middleware: authentication).add(middleware: RequireScope(.admin))
        .get("/metrics") { _, _ -> Response in
            let status = engine.status
            metrics.makeGauge(name: "vigil_index_entries", labels: [("type", "pdq")]).set(Double(status.pdq))
            metrics.makeGauge(name: "vigil_index_entries", labels: [("type", "md5")]).set(Double(status.md5))
            metrics.makeGauge(name: "vigil_index_entries", labels: [("type", "sha256")]).set(Double(status.sha256))
            metrics.makeGauge(name: "vigil_change_feed_position").set(Double(status.sequence))
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(bytes: metrics.emitToBuffer())))
        }
    let v1 = router.group("v1").add(middleware: authentication)
    api.addRoutes(to: v1)
    api.addHMARoutes(to: router, keys: store)
    return Application(
        router: router,
        configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "vigil"),
        logger: logger)
}

/// The `/v1` routes of a provider node.
struct ProviderAPI: Sendable {
    let store: SQLiteStore
    let engine: MatchEngine
    let settings: ServerSettings
    let fetcher: URLFetcher

    func addRoutes(to v1: RouterGroup<VigilRequestContext>) {
        let read = v1.group().add(middleware: RequireScope(.match, .curate))
        let curate = v1.group().add(middleware: RequireScope(.curate))
        let match = v1.group().add(middleware: RequireScope(.match))
        let hash = v1.group().add(middleware: RequireScope(.hash))

        read.get("lists") { _, _ in ListsResponse(lists: try await store.lists().filter { !$0.list.name.contains("~") }.map(ListBody.init)) }
        read.get("lists/:name") { _, context -> ListBody in
            let name = try context.parameters.require("name")
            return ListBody(try await storeCall { () async throws(StoreError) in try await store.list(named: name) })
        }
        curate.post("lists") { request, context -> EditedResponse<ListBody> in
            let body = try await decode(NewList.self, request, context)
            let list = HashList(
                name: body.name, kind: body.kind, matchRadius: body.matchRadius ?? HashList.defaultRadius,
                enabledRatio: body.enabledRatio ?? 1, enabled: body.enabled ?? true)
            let created = try await storeCall { () async throws(StoreError) in try await store.createList(list) }
            try await engine.refreshLists()
            return EditedResponse(status: .created, response: ListBody(created))
        }
        curate.patch("lists/:name") { request, context -> ListBody in
            let update = try await decode(ListUpdate.self, request, context)
            let name = try context.parameters.require("name")
            let updated = try await storeCall { () async throws(StoreError) in try await store.updateList(named: name, update) }
            try await engine.refreshLists()
            return ListBody(updated)
        }
        curate.delete("lists/:name") { _, context -> HTTPResponse.Status in
            let name = try context.parameters.require("name")
            try await storeCall { () async throws(StoreError) in try await store.deleteList(named: name) }
            try await engine.refreshLists()
            try await engine.catchUp()
            return .noContent
        }
        curate.get("lists/:name/entries") { request, context -> EntriesResponse in
            let after = Int64(request.uri.queryParameters.get("after") ?? "0") ?? 0
            let limit = Int(request.uri.queryParameters.get("limit") ?? "1000") ?? 1000
            let name = try context.parameters.require("name")
            let entries = try await storeCall { () async throws(StoreError) in try await store.entries(ofList: name, afterId: after, limit: limit) }
            return EntriesResponse(entries: entries.map { EntryBody($0, list: name) })
        }
        curate.post("lists/:name/entries") { request, context -> EditedResponse<AddedResponse> in
            let name = try context.parameters.require("name")
            let body = try await decode(NewEntries.self, request, context)
            guard !body.entries.isEmpty, body.entries.count <= 100_000 else {
                throw APIError.badRequest("invalid_entries", "send 1 to 100,000 entries per request")
            }
            var records: [IndicatorRecord] = []
            var problems: [String] = []
            for (index, entry) in body.entries.enumerated() {
                do throws(SignalValueError) {
                    let value = try entry.type.normalise(entry.value)
                    records.append(IndicatorRecord(type: entry.type, value: value, action: entry.action ?? .add, provenance: entry.provenance ?? Provenance()))
                } catch {
                    problems.append("entries[\(index)]: \(error.description)")
                }
            }
            // Nothing half-written: one bad entry refuses the whole request.
            guard problems.isEmpty else {
                throw APIError.badRequest("invalid_entries", problems.prefix(20).joined(separator: "; "))
            }
            let ids = try await storeCall { () async throws(StoreError) in try await store.apply(records, toList: name) }
            try await engine.catchUp()
            return EditedResponse(status: .created, response: AddedResponse(ids: ids))
        }
        addExchangeRoutes(to: curate)
        curate.get("lists/:name/action") { _, context -> PolicyBody in
            let name = try context.parameters.require("name")
            let list = try await storeCall { () async throws(StoreError) in try await store.list(named: name) }
            guard let policy = engine.policies[list.id] else {
                throw APIError.notFound("no_action", "the list \"\(name)\" has no action policy; set one with PUT")
            }
            return PolicyBody(policy)
        }
        curate.put("lists/:name/action") { request, context -> PolicyBody in
            let name = try context.parameters.require("name")
            let policy = try await decode(ActionPolicy.self, request, context)
            try await storeCall { () async throws(StoreError) in try await store.setPolicy(policy, forList: name) }
            try await engine.refreshLists()
            return PolicyBody(policy)
        }
        curate.delete("lists/:name/action") { _, context -> HTTPResponse.Status in
            let name = try context.parameters.require("name")
            try await storeCall { () async throws(StoreError) in try await store.setPolicy(nil, forList: name) }
            try await engine.refreshLists()
            return .noContent
        }
        curate.delete("lists/:name/entries/:id") { _, context -> HTTPResponse.Status in
            guard let id = Int64(try context.parameters.require("id")) else {
                throw APIError.badRequest("invalid_id", "entry ids are integers")
            }
            let name = try context.parameters.require("name")
            try await storeCall { () async throws(StoreError) in try await store.removeEntry(id, fromList: name) }
            try await engine.catchUp()
            return .noContent
        }

        match.post("match/hash") { request, context -> MatchResponse in
            let query = try await decode(HashQuery.self, request, context)
            let value: String
            do throws(SignalValueError) { value = try query.type.normalise(query.value) } catch {
                throw APIError.badRequest("malformed_hash", error.description)
            }
            let lists = try activeLists(named: query.lists, contentKey: value)
            var matches: [EngineMatch]
            if query.type == .pdq {
                guard let hash = PDQHash(hex: value) else { throw APIError.badRequest("malformed_hash", "not a PDQ hash") }
                matches = try engine.matchPDQ(variants: [hash], lists: lists)
            } else {
                matches = try digestMatches(query.type, value)
            }
            return try await answer(matches, query: ["type": query.type.rawValue, "value": value], lists: lists)
        }
        match.post("match/file") { request, context -> MatchResponse in
            let bytes = try await body(of: request)
            let dihedral = request.uri.queryParameters.get("dihedral") == "true"
            let hashed = try hashFile(bytes, dihedral: dihedral)
            let names = request.uri.queryParameters.get("lists").map { $0.split(separator: ",").map(String.init) }
            return try await matchHashed(hashed, lists: names, query: [:])
        }
        match.post("match/url") { request, context -> MatchResponse in
            let query = try await decode(URLQuery.self, request, context)
            let hashed = try hashFile(try await fetcher.fetch(query.url), dihedral: query.dihedral ?? false)
            return try await matchHashed(hashed, lists: query.lists, query: ["url": query.url])
        }
        hash.post("hash/url") { request, context -> HashResponse in
            let query = try await decode(URLQuery.self, request, context)
            return HashResponse(try hashFile(try await fetcher.fetch(query.url), dihedral: query.dihedral ?? false))
        }
        match.post("compare") { request, context -> CompareResponse in
            let body = try await decode(CompareRequest.self, request, context)
            guard let a = PDQHash(hex: body.a), let b = PDQHash(hex: body.b) else {
                throw APIError.badRequest("malformed_hash", "a and b must both be 64-hex PDQ hashes")
            }
            return CompareResponse(distance: a.distance(to: b))
        }
        match.get("index/status") { _, _ in
            let status = engine.status
            return IndexStatusResponse(ready: status.ready, sequence: status.sequence, pdqEntries: status.pdq, md5Entries: status.md5, sha256Entries: status.sha256)
        }
        hash.post("hash") { request, _ -> HashResponse in
            let bytes = try await body(of: request)
            return HashResponse(try hashFile(bytes, dihedral: request.uri.queryParameters.get("dihedral") == "true"))
        }
    }

    // MARK: Helpers

    func body(of request: Request) async throws -> [UInt8] {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: settings.maxBodyBytes)
        } catch {
            throw APIError(.contentTooLarge, code: "body_too_large", "the body is over \(settings.maxBodyBytes) bytes; send a smaller file")
        }
        guard buffer.readableBytes > 0 else { throw APIError.badRequest("empty_body", "send the file's bytes as the request body") }
        return Array(buffer.readableBytesView)
    }

    func hashFile(_ bytes: [UInt8], dihedral: Bool) throws -> MediaHashResult {
        do {
            return try MediaHasher(options: HashOptions(dihedral: dihedral, limits: settings.decodeLimits)).hash(bytes: bytes)
        } catch {
            let status: HTTPResponse.Status = error.code == "unrecognised_format" || error.code == "unsupported" ? .unsupportedMediaType : .unprocessableContent
            throw APIError(status, code: error.code, error.description)
        }
    }

    /// The lists a query is checked against: the named ones (all when none), without disabled
    /// lists, and without lists whose staged rollout leaves this content out.
    func activeLists(named names: [String]?, contentKey: String) throws -> [StoredList] {
        let all = engine.lists.values.filter { !$0.list.name.contains("~") }
        var chosen = all
        if let names {
            let byName = Dictionary(all.map { ($0.list.name, $0) }, uniquingKeysWith: { a, _ in a })
            chosen = try names.map { name in
                guard let list = byName[name] else { throw APIError.notFound("unknown_list", "no list is named \"\(name)\"") }
                return list
            }
        }
        return chosen.filter { $0.list.enabled && Self.rolloutIncludes(contentKey, list: $0.list) }
    }

    /// Staged rollout: a deterministic bucket in [0, 1) per (list, content), so the same file or
    /// hash always gets the same answer while a list is ramped up.
    static func rolloutIncludes(_ contentKey: String, list: HashList) -> Bool {
        if list.enabledRatio >= 1 { return true }
        if list.enabledRatio <= 0 { return false }
        let digest = SHA256.hash(data: Data((list.name + "\u{0}" + contentKey).utf8))
        let bucket = digest.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return Double(bucket) / 18_446_744_073_709_551_616.0 < list.enabledRatio
    }

    /// Exact digest matches; their lists are checked against the active lists in ``answer``.
    func digestMatches(_ type: SignalType, _ value: String) throws -> [EngineMatch] {
        try engine.matchDigest(type, hex: value).map { EngineMatch(entryId: $0, listId: 0, distance: 0, variant: "orig") }
    }

    /// Matches a hashed file (PDQ, its dihedral variants when computed, and both digests) against
    /// the active lists among `names` (all when nil).
    func matchHashed(_ hashed: MediaHashResult, lists names: [String]?, query extra: [String: String]) async throws -> MatchResponse {
        let lists = try activeLists(named: names, contentKey: hashed.digests?.sha256 ?? hashed.pdq.hash.hex)
        var matches = try engine.matchPDQ(variants: hashed.dihedral ?? [hashed.pdq.hash], lists: lists)
        var query = extra
        query["pdq"] = hashed.pdq.hash.hex
        query["quality"] = String(hashed.pdq.quality)
        if let digests = hashed.digests {
            matches += try digestMatches(.md5, digests.md5)
            matches += try digestMatches(.sha256, digests.sha256)
            query["md5"] = digests.md5
            query["sha256"] = digests.sha256
        }
        return try await answer(matches, query: query, lists: lists)
    }

    /// Adds the entries' lists and provenance; keeps only matches on `activeLists` (the lists the
    /// request chose, enabled, and within their staged rollout).
    func answer(_ matches: [EngineMatch], query: [String: String], lists activeLists: [StoredList]) async throws -> MatchResponse {
        let entries = try await store.entries(ids: matches.map(\.entryId))
        let lists = engine.lists
        let chosen = Set(activeLists.map(\.id))
        var items: [MatchItem] = []
        for match in matches {
            guard let entry = entries[match.entryId], entry.deletedAt == nil, chosen.contains(entry.listId),
                let list = lists[entry.listId]
            else { continue }
            items.append(MatchItem(
                list: list.list.name, entryId: entry.id, type: entry.type.rawValue, value: entry.value, distance: match.distance,
                variant: match.variant, provenance: entry.provenance))
        }
        let actions = try await act(on: items, query: query)
        return MatchResponse(query: query, matches: items, actions: actions)
    }

    /// Applies the matched lists' action policies: records one webhook message per list in the
    /// outbox (durably, before the answer is sent) and reports the actions in the answer.
    func act(on items: [MatchItem], query: [String: String]) async throws -> [ActionItem] {
        let policies = engine.policies
        let listIds = Dictionary(engine.lists.values.map { ($0.list.name, $0.id) }, uniquingKeysWith: { a, _ in a })
        var actions: [ActionItem] = []
        var messages: [(Int, OutboxMessage)] = []
        for (name, matched) in Dictionary(grouping: items, by: \.list).sorted(by: { $0.key < $1.key }) {
            guard let id = listIds[name], let policy = policies[id] else { continue }
            actions.append(ActionItem(list: name, action: policy.action.rawValue, deliveryId: nil))
            if let url = policy.webhookURL, let secret = policy.secret {
                let event = WebhookEvent(
                    event: "match", list: name, action: policy.action.rawValue, query: query, matches: matched,
                    at: ISO8601DateFormatter().string(from: Date()))
                let encoder = JSONEncoder()
                encoder.keyEncodingStrategy = .convertToSnakeCase
                encoder.outputFormatting = [.sortedKeys]
                messages.append((actions.count - 1, OutboxMessage(url: url, secret: secret, body: [UInt8](try encoder.encode(event)))))
            }
        }
        let ids = try await storeCall { () async throws(StoreError) in try await store.enqueue(messages.map(\.1)) }
        for ((index, _), id) in zip(messages, ids) { actions[index].deliveryId = id }
        return actions
    }
}

/// Runs a store call, turning its errors into HTTP answers.
func storeCall<T>(_ body: () async throws(StoreError) -> T) async throws -> T {
    do {
        return try await body()
    } catch {
        switch error {
        case .listNotFound: throw APIError.notFound("unknown_list", error.description)
        case .entryNotFound: throw APIError.notFound("unknown_entry", error.description)
        case .listExists: throw APIError(.conflict, code: "list_exists", error.description)
        case .invalid: throw APIError.badRequest("invalid_request", error.description)
        case .database: throw APIError(.internalServerError, code: "database_error", error.description)
        }
    }
}

/// Decodes a JSON body, answering 415 for other content types and 400 with the decoder's reason.
func decode<T: Decodable>(_ type: T.Type, _ request: Request, _ context: VigilRequestContext) async throws -> T {
    if let contentType = request.headers[.contentType], !contentType.lowercased().hasPrefix("application/json") {
        throw APIError(.unsupportedMediaType, code: "unsupported_content_type", "send JSON with Content-Type: application/json")
    }
    let buffer: ByteBuffer
    do {
        buffer = try await request.body.collect(upTo: 64 << 20)
    } catch {
        throw APIError(.contentTooLarge, code: "body_too_large", "the JSON body is over 64 MiB; split it into several requests")
    }
    do {
        return try context.requestDecoder.decode(T.self, from: Data(buffer.readableBytesView))
    } catch let DecodingError.keyNotFound(key, _) {
        throw APIError.badRequest("invalid_json", "the field \"\(key.stringValue)\" is missing")
    } catch let DecodingError.typeMismatch(_, detail), let DecodingError.valueNotFound(_, detail) {
        throw APIError.badRequest("invalid_json", "wrong type at \(detail.codingPath.map(\.stringValue).joined(separator: ".")): \(detail.debugDescription)")
    } catch let DecodingError.dataCorrupted(detail) {
        throw APIError.badRequest("invalid_json", "invalid value at \(detail.codingPath.map(\.stringValue).joined(separator: ".")): \(detail.debugDescription)")
    } catch {
        throw APIError.badRequest("invalid_json", "the body is not valid JSON")
    }
}
