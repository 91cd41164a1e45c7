import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import VigilDomain
import VigilHash
import VigilPipeline
import VigilStore

// Hasher-Matcher-Actioner (HMA 2.0, "OpenMediaMatch") compatible routes.
//
// An HMA client works against a Vigil node unchanged apart from one thing: Vigil denies by
// default, so every HMA route except `GET /status` and `GET /status/live` needs an API key, sent
// as `Authorization: Bearer vk_…` (or `X-API-Key`). Scopes: `/m/…` needs `match`; `/h/…` needs
// `hash`; reading banks (`GET /c/banks`, `GET /c/bank/{name}`) needs `match` or `curate`; every
// other `/c/…` route needs `curate`; `admin` passes every check.
//
// Mapping: an HMA bank is a Vigil list (created with kind `internal`); an HMA bank content item is
// a Vigil entry, and `bank_content_id` is the entry id. A Vigil entry holds one signal, so adding
// several signals at once creates one entry per signal and answers the first entry's id.
// HMA signal type names map onto Vigil's: `pdq` → pdq, `video_md5` (or `md5`) → md5, `sha256`
// → sha256 (a Vigil extension). A bank's `matching_enabled_ratio` is the list's enabled ratio
// (0 when the list's kill switch is off). Errors are HMA's `{"message": "…"}` with its status.
//
// `url=` (hash, lookup, add content) fetches under the node's URL policy: off unless the node was
// started with allowed hosts (`--allow-url-host`), answered 403 otherwise, as HMA answers 403 when
// hashing is off. The content type comes from `content_type` (default `photo`), not from the
// fetched Content-Type. Files may also be uploaded as multipart/form-data under a field named for
// the content type (`photo`, `video`), as HMA expects.
//
// Signal type settings are stored and reported as HMA does (a negative enabled_ratio disables a
// type). Not available: HMA's exchange configuration (answered 501 where HMA has the route).

/// An error answered in HMA's shape, `{"message": "…"}`, with its HTTP status.
struct HMAError: HTTPResponseError, Sendable {
    var status: HTTPResponse.Status
    var message: String
    /// Header fields the answer carries besides its content type (`Retry-After`, say).
    var headers: HTTPFields = [:]

    init(_ status: HTTPResponse.Status, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.message = message
        self.headers = headers
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = try HMAValue.object(["message": .string(message)]).response(status: status)
        response.headers.append(contentsOf: headers)
        return response
    }

    static func badRequest(_ message: String) -> HMAError { HMAError(.badRequest, message) }
    static func notFound(_ message: String) -> HMAError { HMAError(.notFound, message) }
    static func unsupported(_ message: String) -> HMAError { HMAError(.notImplemented, message) }
}

/// Turns Vigil's errors (authentication, shared helpers) into HMA's error shape.
struct HMAErrorMiddleware: RouterMiddleware {
    typealias Context = VigilRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw HMAError(error.status, error.message, headers: error.headers)
        } catch let error as HTTPError {
            throw HMAError(error.status, error.body ?? "\(error.status.code) \(error.status.reasonPhrase)")
        }
    }
}

/// A JSON value, for HMA's payloads whose keys are data (bank and signal type names), which must
/// pass through without the snake_case key conversion of Vigil's own coders.
enum HMAValue: Codable, Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([HMAValue])
    case object([String: HMAValue])

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws {
        if let container = try? decoder.container(keyedBy: Key.self) {
            var object: [String: HMAValue] = [:]
            for key in container.allKeys { object[key.stringValue] = try container.decode(HMAValue.self, forKey: key) }
            self = .object(object)
            return
        }
        if var container = try? decoder.unkeyedContainer() {
            var array: [HMAValue] = []
            while !container.isAtEnd { array.append(try container.decode(HMAValue.self)) }
            self = .array(array)
            return
        }
        let single = try decoder.singleValueContainer()
        if single.decodeNil() {
            self = .null
        } else if let value = try? single.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? single.decode(Int64.self) {
            self = .int(value)
        } else if let value = try? single.decode(Double.self) {
            self = .double(value)
        } else {
            self = .string(try single.decode(String.self))
        }
    }

    func encode(to encoder: any Encoder) throws {
        switch self {
        case .null:
            var single = encoder.singleValueContainer()
            try single.encodeNil()
        case .bool(let value):
            var single = encoder.singleValueContainer()
            try single.encode(value)
        case .int(let value):
            var single = encoder.singleValueContainer()
            try single.encode(value)
        case .double(let value):
            var single = encoder.singleValueContainer()
            try single.encode(value)
        case .string(let value):
            var single = encoder.singleValueContainer()
            try single.encode(value)
        case .array(let values):
            var container = encoder.unkeyedContainer()
            for value in values { try container.encode(value) }
        case .object(let values):
            var container = encoder.container(keyedBy: Key.self)
            for (key, value) in values { try container.encode(value, forKey: Key(stringValue: key)) }
        }
    }

    var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// A JSON answer with sorted keys.
    func response(status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(self)
        return Response(
            status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// HMA's signal type names and Vigil's signal types.
enum HMASignalTypes {
    /// Vigil's types under their HMA names, in answer order.
    static let all: [(name: String, type: SignalType)] = [("pdq", .pdq), ("video_md5", .md5), ("sha256", .sha256)]

    /// The Vigil type of an HMA signal type name (`md5` is accepted for `video_md5`).
    static func type(named name: String) -> SignalType? {
        switch name {
        case "pdq": .pdq
        case "video_md5", "md5": .md5
        case "sha256": .sha256
        default: nil
        }
    }

    /// The HMA name of a Vigil type.
    static func name(of type: SignalType) -> String {
        switch type {
        case .pdq: "pdq"
        case .md5: "video_md5"
        case .sha256: "sha256"
        }
    }

    /// Whether a signal type is enabled under HMA's rule: its enabled_ratio (1 unless set) is not negative.
    static func isEnabled(_ name: String, ratios: [String: Double]) -> Bool {
        (ratios[name] ?? 1) >= 0
    }

    /// HMA's content types and the signal types each hashes to.
    static let contentTypes: [(name: String, signals: [String])] = [("photo", ["pdq"]), ("video", ["video_md5"])]
}

/// One HMA match: the entry, its bank, and the distance.
struct HMAMatch: Sendable {
    var bank: String
    var entry: StoredEntry
    var distance: Int

    var payload: HMAValue {
        .object(["bank_content_id": .int(entry.id), "distance": .string(String(distance))])
    }
}

extension ProviderAPI {
    /// Adds the HMA 2.0 compatible routes (`/status`, `/h/…`, `/m/…`, `/c/…`) at the root of `router`.
    func addHMARoutes(to router: Router<VigilRequestContext>, keys: any KeyStore) {
        router.get("/status") { _, _ -> Response in
            let ready = engine.isReady
            return Response(
                status: ready ? .ok : .serviceUnavailable, headers: [.contentType: "text/plain"],
                body: .init(byteBuffer: ByteBuffer(string: ready ? "I-AM-ALIVE" : "INDEX-NOT-LOADED")))
        }
        router.get("/status/live") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "I-AM-ALIVE")))
        }
        let base = router.group().add(middleware: HMAErrorMiddleware()).add(middleware: AuthenticationMiddleware(keys: keys))
        addHMAHashing(to: base.group("h").add(middleware: RequireScope(.hash)))
        addHMAMatching(to: base.group("m").add(middleware: RequireScope(.match)))
        addHMACuration(
            read: base.group("c").add(middleware: RequireScope(.match, .curate)), curate: base.group("c").add(middleware: RequireScope(.curate)))
    }

    // MARK: Hashing (/h)

    func addHMAHashing(to hash: RouterGroup<VigilRequestContext>) {
        hash.get("hash") { request, _ -> Response in
            let query = request.uri.queryParameters
            guard let url = query.get("url") else { throw HMAError.badRequest("url is required") }
            let hashes = try await hmaHashURL(url, contentType: query.get("content_type"), types: query.get("types"))
            return try HMAValue.object(hashes.mapValues(HMAValue.string)).response()
        }
        hash.post("hash") { request, _ -> Response in
            let upload = try await hmaUpload(request)
            return try HMAValue.object(try await hmaHash(upload.file, types: request.uri.queryParameters.get("types")).mapValues(HMAValue.string)).response()
        }
    }

    /// Fetches `url` under the node's URL policy (off unless hosts are allowed: 403) and hashes it
    /// as HMA's `content_type` (`photo` unless given; Vigil does not read the fetched Content-Type).
    func hmaHashURL(_ url: String, contentType: String?, types: String?) async throws -> [String: String] {
        let name = contentType ?? "photo"
        guard HMASignalTypes.contentTypes.contains(where: { $0.name == name }) else { throw HMAError.badRequest("no such content_type: '\(name)'") }
        return try await hmaHash(MultipartPart(name: name, filename: nil, body: try await fetcher.fetch(url)), types: types)
    }

    /// The single uploaded file of a multipart request, by HMA's rules: one file, under a field
    /// named for its content type; with the form's other fields.
    func hmaUpload(_ request: Request) async throws -> (file: MultipartPart, fields: [String: String]) {
        guard let contentType = request.headers[.contentType], let boundary = MultipartForm.boundary(contentType: contentType) else {
            throw HMAError.badRequest("Missing multipart/form-data file upload")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: settings.maxBodyBytes)
        } catch {
            throw HMAError(.contentTooLarge, "Content too large: the upload is over \(settings.maxBodyBytes) bytes")
        }
        guard let parts = MultipartForm.parse(Array(buffer.readableBytesView), boundary: boundary) else {
            throw HMAError.badRequest("the multipart/form-data body is not well formed")
        }
        let files = parts.filter { $0.filename != nil }
        guard let file = files.first else { throw HMAError.badRequest("Missing multipart/form-data file upload") }
        guard files.count == 1 else { throw HMAError.badRequest("Only one file allowed per request") }
        var fields: [String: String] = [:]
        for part in parts where part.filename == nil { fields[part.name] = String(decoding: part.body, as: UTF8.self) }
        return (file, fields)
    }

    /// Hashes an upload by its field name (`photo` → pdq, `video` → video_md5), optionally only
    /// the comma-separated `types`.
    func hmaHash(_ file: MultipartPart, types: String?) async throws -> [String: String] {
        guard let contentType = HMASignalTypes.contentTypes.first(where: { $0.name == file.name }) else {
            throw HMAError.badRequest("no such content_type: '\(file.name)'")
        }
        // HMA hashes only the enabled signal types of the content type (a negative enabled_ratio disables one).
        let ratios = engine.signalTypeRatios
        var wanted = contentType.signals.filter { HMASignalTypes.isEnabled($0, ratios: ratios) }
        if let types {
            wanted = []
            for name in types.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !name.isEmpty {
                guard contentType.signals.contains(name), HMASignalTypes.isEnabled(name, ratios: ratios) else {
                    throw HMAError.badRequest("signal type '\(name)' doesn't exist or is disabled")
                }
                wanted.append(name)
            }
            guard !wanted.isEmpty else { throw HMAError.badRequest("empty signal type selection") }
        }
        guard !file.body.isEmpty else { throw HMAError.badRequest("the uploaded file is empty") }
        var hashes: [String: String] = [:]
        for name in wanted {
            switch name {
            case "pdq": hashes[name] = try await hashMedia(file.body, dihedral: false).pdq.hash.hex
            default: hashes[name] = Insecure.MD5.hash(data: file.body).map { String($0, radix: 16).leftPadded(to: 2) }.joined()
            }
        }
        return hashes
    }

    // MARK: Matching (/m)

    func addHMAMatching(to match: RouterGroup<VigilRequestContext>) {
        match.get("raw_lookup") { request, _ -> Response in
            let query = request.uri.queryParameters
            guard let signal = query.get("signal") else { throw HMAError.badRequest("signal is required") }
            guard let typeName = query.get("signal_type") else { throw HMAError.badRequest("signal_type is required") }
            let matches = try await hmaLookup(
                signal: signal, typeName: typeName, banks: Self.banks(query.get("banks")), raw: true, bypassRatio: true)
            if Self.flag(query.get("include_distance")) {
                return try HMAValue.object(["matches": .array(matches.map(\.payload))]).response()
            }
            return try HMAValue.object(["matches": .array(matches.map { .int($0.entry.id) })]).response()
        }
        match.get("lookup") { request, _ -> Response in
            let query = request.uri.queryParameters
            if let url = query.get("url") {
                let hashes = try await hmaHashURL(url, contentType: query.get("content_type"), types: query.get("types"))
                var answer: [String: HMAValue] = [:]
                var all: [HMAMatch] = []
                for (typeName, signal) in hashes {
                    let matches = try await hmaLookup(
                        signal: signal, typeName: typeName, banks: Self.banks(query.get("banks")), raw: false,
                        bypassRatio: Self.flag(query.get("bypass_coinflip")))
                    answer[typeName] = Self.byBank(matches)
                    all += matches
                }
                try await hmaAct(on: all, query: hashes.merging(["url": url]) { a, _ in a })
                if let only = query.get("signal_type") { return try (answer[only] ?? .object([:])).response() }
                return try HMAValue.object(answer).response()
            }
            guard let signal = query.get("signal"), let typeName = query.get("signal_type") else {
                throw HMAError.badRequest("Either url or both signal and signal_type are required")
            }
            let matches = try await hmaLookup(
                signal: signal, typeName: typeName, banks: Self.banks(query.get("banks")), raw: false,
                bypassRatio: Self.flag(query.get("bypass_coinflip")))
            try await hmaAct(on: matches, query: ["type": typeName, "value": signal])
            return try Self.byBank(matches).response()
        }
        match.post("lookup") { request, _ -> Response in
            let query = request.uri.queryParameters
            let upload = try await hmaUpload(request)
            let hashes = try await hmaHash(upload.file, types: query.get("types"))
            var answer: [String: HMAValue] = [:]
            var all: [HMAMatch] = []
            for (typeName, signal) in hashes {
                let matches = try await hmaLookup(
                    signal: signal, typeName: typeName, banks: Self.banks(query.get("banks")), raw: false,
                    bypassRatio: Self.flag(query.get("bypass_coinflip")))
                answer[typeName] = Self.byBank(matches)
                all += matches
            }
            try await hmaAct(on: all, query: hashes)
            return try HMAValue.object(answer).response()
        }
        match.get("index/status") { request, _ -> Response in
            try Self.indexStatus(engine, only: request.uri.queryParameters.get("signal_type")) { count, ready in
                .object(["present": .bool(ready), "built_to": .int(ready ? Int64(Date().timeIntervalSince1970) : -1), "size": .int(Int64(count))])
            }.response()
        }
        match.post("compare") { request, _ -> Response in
            guard case .object(let pairs) = try await hmaJSON(request) else { throw HMAError.badRequest("Request input was not a dict") }
            var answer: [String: HMAValue] = [:]
            for (typeName, value) in pairs {
                guard case .array(let hashes) = value else { throw HMAError.badRequest("Comparison hashes for \(typeName) was not a list") }
                guard hashes.count == 2 else { throw HMAError.badRequest("Comparison hash list length must be exactly 2") }
                guard let type = HMASignalTypes.type(named: typeName) else { throw HMAError.badRequest("No such SignalType '\(typeName)'") }
                guard let left = hashes[0].string, let right = hashes[1].string else { throw HMAError.badRequest("Invalid \(typeName) hash: not a string") }
                let a: String
                let b: String
                do throws(SignalValueError) {
                    a = try type.normalise(left)
                    b = try type.normalise(right)
                } catch {
                    throw HMAError.badRequest("Invalid \(typeName) hash: \(error.description)")
                }
                if type == .pdq, let x = PDQHash(hex: a), let y = PDQHash(hex: b) {
                    let distance = x.distance(to: y)
                    answer[typeName] = .array([.bool(distance <= HashList.defaultRadius), .object(["distance": .int(Int64(distance))])])
                } else {
                    answer[typeName] = .array([.bool(a == b), .object([:])])
                }
            }
            return try HMAValue.object(answer).response()
        }
    }

    static func flag(_ value: String?) -> Bool {
        guard let value else { return false }
        return ["true", "1", "yes"].contains(value.lowercased())
    }

    static func banks(_ value: String?) -> Set<String>? {
        guard let value, !value.isEmpty else { return nil }
        return Set(value.split(separator: ",").map(String.init))
    }

    static func byBank(_ matches: [HMAMatch]) -> HMAValue {
        .object(Dictionary(grouping: matches, by: \.bank).mapValues { .array($0.map(\.payload)) })
    }

    /// `{signal type: status}` for every type, or only `only` (400 when unknown).
    static func indexStatus(_ engine: MatchEngine, only: String?, _ status: (Int, Bool) -> HMAValue) throws -> HMAValue {
        let current = engine.status
        var types = HMASignalTypes.all
        if let only {
            guard let type = HMASignalTypes.type(named: only) else { throw HMAError.badRequest("No such signal type '\(only)'") }
            types = [(only, type)]
        }
        var answer: [String: HMAValue] = [:]
        for (name, type) in types {
            let count = switch type {
            case .pdq: current.pdq
            case .md5: current.md5
            case .sha256: current.sha256
            }
            answer[name] = status(count, current.ready)
        }
        return .object(answer)
    }

    /// Looks a signal up. `raw` (HMA's raw_lookup) searches every list, disabled ones included;
    /// otherwise disabled lists, lists whose staged rollout leaves this signal out (unless
    /// `bypassRatio`) and disabled entries are skipped. `banks` restricts the lists searched.
    func hmaLookup(signal: String, typeName: String, banks: Set<String>?, raw: Bool, bypassRatio: Bool) async throws -> [HMAMatch] {
        guard let type = HMASignalTypes.type(named: typeName) else { throw HMAError.badRequest("No such SignalType '\(typeName)'") }
        guard HMASignalTypes.isEnabled(HMASignalTypes.name(of: type), ratios: engine.signalTypeRatios) else {
            throw HMAError.badRequest("SignalType '\(typeName)' is not enabled")
        }
        let value: String
        do throws(SignalValueError) { value = try type.normalise(signal) } catch {
            throw HMAError.badRequest("invalid signal: \(error.description)")
        }
        guard engine.isReady else { throw HMAError(.serviceUnavailable, "index not yet ready") }
        var lists = engine.lists.values.filter { !$0.isDeleted }
        if !raw {
            lists = lists.filter { $0.list.enabled && (bypassRatio || Self.rolloutIncludes(value, list: $0.list)) }
        }
        if let banks { lists = lists.filter { banks.contains($0.list.name) } }
        guard !lists.isEmpty else { return [] }
        let found: [(id: Int64, distance: Int)]
        if type == .pdq {
            guard let hash = PDQHash(hex: value) else { throw HMAError.badRequest("invalid signal: not a PDQ hash") }
            found = try engine.matchPDQ(variants: [hash], lists: lists).map { ($0.entryId, $0.distance) }
        } else {
            found = try engine.matchDigest(type, hex: value).map { ($0, 0) }
        }
        let entries = try await storeCall { () async throws(StoreError) in try await store.entries(ids: found.map(\.id)) }
        let byId = Dictionary(lists.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let now = Date()
        var matches: [HMAMatch] = []
        for (id, distance) in found {
            // The entry's own list and radius (index list tags can be shared past 65,536 lists).
            guard let entry = entries[id], entry.deletedAt == nil, let list = byId[entry.listId], distance <= list.list.matchRadius else { continue }
            let bank = list.list.name
            if !raw, entry.isDisabled(at: now) { continue }
            matches.append(HMAMatch(bank: bank, entry: entry, distance: distance))
        }
        return matches
    }

    /// Applies the matched lists' action policies (webhooks), as Vigil's own match routes do.
    func hmaAct(on matches: [HMAMatch], query: [String: String]) async throws {
        guard !matches.isEmpty else { return }
        let items = matches.map {
            MatchItem(
                list: $0.bank, entryId: $0.entry.id, type: $0.entry.type.rawValue, value: $0.entry.value, distance: $0.distance,
                variant: "orig", provenance: $0.entry.provenance)
        }
        _ = try await act(on: items, query: query)
    }

    // MARK: Curation (/c)

    func addHMACuration(read: RouterGroup<VigilRequestContext>, curate: RouterGroup<VigilRequestContext>) {
        read.get("banks") { _, _ -> Response in
            let lists = try await storeCall { () async throws(StoreError) in try await store.lists() }
            return try HMAValue.array(lists.filter { !$0.isDeleted }.map(Self.bankConfig)).response()
        }
        read.get("bank/:name") { _, context -> Response in
            try Self.bankConfig(try await hmaBank(try context.parameters.require("name"))).response()
        }
        curate.post("banks") { request, _ -> Response in
            let body = try await hmaJSON(request)
            guard case .object(let fields) = body, let name = fields["name"]?.string else { throw HMAError.badRequest("name is required") }
            try Self.checkBankName(name)
            var ratio = 1.0
            if let given = Self.number(fields["enabled_ratio"]) {
                ratio = given
            } else if case .bool(let enabled) = fields["enabled"] {
                ratio = enabled ? 1 : 0
            }
            let created: StoredList
            do throws(StoreError) {
                created = try await store.createList(HashList(name: name, kind: .internal, enabledRatio: ratio))
            } catch {
                if case .listExists = error { throw HMAError(.forbidden, "Bank already exists") }
                throw HMAError.badRequest(error.description)
            }
            try await engine.refreshLists()
            return try Self.bankConfig(created).response(status: .created)
        }
        curate.put("bank/:name") { request, context -> Response in
            let name = try context.parameters.require("name")
            let current = try await hmaBank(name, notFound: "Bank not found")
            guard case .object(let fields) = try await hmaJSON(request) else { throw HMAError.badRequest("this endpoint expects a json object payload") }
            var update = ListUpdate()
            if let newName = fields["name"]?.string, newName != current.list.name {
                try Self.checkBankName(newName)
                update.name = newName
            }
            if case .bool(let enabled) = fields["enabled"] {
                update.enabledRatio = enabled ? 1 : 0
                update.enabled = true
            }
            if let ratio = Self.number(fields["enabled_ratio"]) {
                update.enabledRatio = ratio
                update.enabled = true
            }
            let updated: StoredList
            do throws(StoreError) {
                updated = try await store.updateList(named: name, update)
            } catch {
                // HMA answers a taken name as it does on create.
                switch error {
                case .listExists: throw HMAError(.forbidden, "Bank already exists")
                case .invalid(let message): throw HMAError.badRequest(message)
                default: throw HMAError(.internalServerError, error.description)
                }
            }
            try await engine.refreshLists()
            return try Self.bankConfig(updated).response()
        }
        curate.delete("bank/:name") { _, context -> Response in
            let name = try context.parameters.require("name")
            do throws(StoreError) {
                try await store.deleteList(named: name)
            } catch {
                guard case .listNotFound = error else { throw HMAError(.internalServerError, error.description) }
            }
            try await engine.refreshLists()
            try await engine.catchUp()
            return try HMAValue.object(["message": .string("Done")]).response()
        }
        curate.get("bank/:name/content/:id") { request, context -> Response in
            let bank = try await hmaBank(try context.parameters.require("name"))
            let entry = try await hmaEntry(try context.parameters.require("id"), in: bank)
            let query = request.uri.queryParameters
            return try Self.content(
                entry, bank: bank, signals: Self.flag(query.get("include_signals")),
                metadata: query.get("include_metadata")?.lowercased() != "false"
            ).response()
        }
        curate.put("bank/:name/content/:id") { request, context -> Response in
            let bank = try await hmaBank(try context.parameters.require("name"))
            var entry = try await hmaEntry(try context.parameters.require("id"), in: bank)
            guard case .object(let fields) = try await hmaJSON(request) else { throw HMAError.badRequest("this endpoint expects a json object payload") }
            var edit = EntryEdit()
            if fields["note"] != nil {
                edit.note = .some(try Self.note(fields["note"]))
            }
            if let raw = fields["disable_until_ts"] {
                guard let seconds = Self.number(raw), seconds >= 0, seconds == seconds.rounded() else {
                    throw HMAError.badRequest("disable_until_ts must be a non-negative integer")
                }
                guard seconds <= Date().timeIntervalSince1970 + 5 * 365 * 86_400 else {
                    throw HMAError.badRequest("disable_until_ts must be less than 5 years in the future")
                }
                // HMA's 1 (any time in the past, in effect) means enabled.
                edit.disabledUntil = .some(seconds <= 1 ? nil : Date(timeIntervalSince1970: seconds))
            }
            if edit != EntryEdit() {
                let id = entry.id
                let change = edit
                entry = try await storeCall { () async throws(StoreError) in try await store.editEntry(id, inList: bank.list.name, change) }
            }
            return try Self.content(entry, bank: bank, signals: false, metadata: true).response()
        }
        curate.delete("bank/:name/content/:id") { _, context -> Response in
            let bank = try await hmaBank(try context.parameters.require("name"))
            guard let id = Int64(try context.parameters.require("id")) else { throw HMAError.notFound("content not found") }
            var deleted: Int64 = 1
            do throws(StoreError) {
                try await store.removeEntry(id, fromList: bank.list.name)
            } catch {
                guard case .entryNotFound = error else { throw HMAError(.internalServerError, error.description) }
                deleted = 0
            }
            try await engine.catchUp()
            return try HMAValue.object(["deleted": .int(deleted)]).response()
        }
        curate.post("bank/:name/content") { request, context -> Response in
            let bank = try await hmaBank(try context.parameters.require("name"))
            let query = request.uri.queryParameters
            if let url = query.get("url") {
                // HMA sends metadata and note as a JSON body alongside `url=`.
                var fields: [String: HMAValue] = [:]
                if case .object(let body) = try await hmaJSON(request, emptyIsNull: true) { fields = body }
                var provenance = Provenance(submittedBy: context.principal?.organisation, note: try Self.note(fields["note"]))
                provenance.sourceItemId = try Self.contentId(fields["metadata"] ?? .null)
                let hashes = try await hmaHashURL(url, contentType: query.get("content_type"), types: query.get("types"))
                return try await hmaAdd(hashes, to: bank, provenance: provenance)
            }
            guard let contentType = request.headers[.contentType], MultipartForm.boundary(contentType: contentType) != nil else {
                throw HMAError.badRequest("Neither `url` nor multipart file upload was received")
            }
            let upload = try await hmaUpload(request)
            let hashes = try await hmaHash(upload.file, types: request.uri.queryParameters.get("types"))
            var provenance = Provenance(submittedBy: context.principal?.organisation, note: try Self.note(upload.fields["note"].map(HMAValue.string)))
            if let raw = upload.fields["metadata"] {
                guard let metadata = try? JSONDecoder().decode(HMAValue.self, from: Data(raw.utf8)) else {
                    throw HMAError.badRequest("metadata form field must be valid JSON")
                }
                provenance.sourceItemId = try Self.contentId(metadata)
            }
            return try await hmaAdd(hashes, to: bank, provenance: provenance)
        }
        curate.post("bank/:name/signal") { request, context -> Response in
            let bank = try await hmaBank(try context.parameters.require("name"))
            guard case .object(var fields) = try await hmaJSON(request) else { throw HMAError.badRequest("this endpoint expects a json object payload") }
            let note = try Self.note(fields.removeValue(forKey: "note"))
            var signals: [String: String] = [:]
            for (name, value) in fields {
                guard let text = value.string else { throw HMAError.badRequest("Invalid \(name) signal: not a string") }
                signals[name] = text
            }
            return try await hmaAdd(signals, to: bank, provenance: Provenance(submittedBy: context.principal?.organisation, note: note))
        }
        curate.get("signal_type") { _, _ -> Response in
            let ratios = engine.signalTypeRatios
            return try HMAValue.array(HMASignalTypes.all.map { .object(["name": .string($0.name), "enabled_ratio": .double(ratios[$0.name] ?? 1)]) })
                .response()
        }
        // As in HMA: the ratio is stored and reported; a negative one disables the type for
        // hashing and lookups (HMA's sampling by ratio is a to-do there, so none here either).
        curate.put("signal_type/:name") { request, context -> Response in
            let name = try context.parameters.require("name")
            guard HMASignalTypes.all.contains(where: { $0.name == name }) else { throw HMAError.badRequest("No such SignalType '\(name)'") }
            guard case .object(let fields) = try await hmaJSON(request) else { throw HMAError.badRequest("this endpoint expects a json object payload") }
            let ratio: Double
            switch fields["enabled_ratio"] {
            case nil: throw HMAError.badRequest("missing required parameter: enabled_ratio")
            case .string(let text):
                guard let parsed = Double(text), parsed.isFinite else { throw HMAError.badRequest("enabled_ratio must be a number") }
                ratio = parsed
            case let value:
                guard let number = Self.number(value), number.isFinite else { throw HMAError.badRequest("enabled_ratio must be a number") }
                ratio = number
            }
            try await storeCall { () async throws(StoreError) in try await store.setSignalTypeRatio(ratio, for: name) }
            try await engine.refreshLists()
            return Response(status: .noContent)
        }
        curate.get("signal_type/index") { request, _ -> Response in
            try Self.indexStatus(engine, only: request.uri.queryParameters.get("signal_type")) { count, ready in
                let builtTo: Int64 = ready ? Int64(Date().timeIntervalSince1970) : 0
                return .object([
                    "db_size": .int(Int64(count)), "index_size": .int(Int64(count)), "index_out_of_date": .bool(!ready),
                    "newest_db_item": .int(builtTo), "index_built_to": .int(builtTo),
                ])
            }.response()
        }
        curate.get("content_type") { _, _ -> Response in
            try HMAValue.array(HMASignalTypes.contentTypes.map { .object(["name": .string($0.name), "enabled": .bool(true)]) }).response()
        }
    }

    static func bankConfig(_ stored: StoredList) -> HMAValue {
        .object(["name": .string(stored.list.name), "matching_enabled_ratio": .double(stored.list.enabled ? stored.list.enabledRatio : 0)])
    }

    /// HMA's bank name rule: UPPER_WITH_UNDERSCORE, not starting with a digit.
    static func checkBankName(_ name: String) throws {
        let bytes = Array(name.utf8)
        let valid = !bytes.isEmpty && bytes.allSatisfy { ($0 >= 65 && $0 <= 90) || ($0 >= 48 && $0 <= 57) || $0 == 95 }
            && !(bytes[0] >= 48 && bytes[0] <= 57)
        guard valid else { throw HMAError.badRequest("Bank names must be UPPER_WITH_UNDERSCORE") }
    }

    /// A bank content item in HMA's shape (`disable_until_ts` 1 when enabled, as HMA writes it).
    static func content(_ entry: StoredEntry, bank: StoredList, signals: Bool, metadata: Bool) -> HMAValue {
        var answer: [String: HMAValue] = [
            "id": .int(entry.id), "disable_until_ts": .int(entry.disabledUntilDate.map { Int64($0.timeIntervalSince1970) } ?? 1),
            "original_media_uri": .null, "bank": Self.bankConfig(bank),
        ]
        if signals { answer["signals"] = .object([HMASignalTypes.name(of: entry.type): .string(entry.value)]) }
        if metadata, let contentId = entry.provenance.sourceItemId {
            answer["metadata"] = .object(["content_id": .string(contentId)])
        }
        if let note = entry.provenance.note { answer["note"] = .string(note) }
        return .object(answer)
    }

    static func number(_ value: HMAValue?) -> Double? {
        switch value {
        case .int(let number): Double(number)
        case .double(let number): number
        default: nil
        }
    }

    static func note(_ value: HMAValue?) throws -> String? {
        switch value {
        case nil, .null: return nil
        case .string(let note):
            if note.isEmpty { return nil }
            guard note.count <= 255 else { throw HMAError.badRequest("note must be at most 255 characters") }
            return note
        default: throw HMAError.badRequest("note should be a string")
        }
    }

    /// Checks HMA content metadata (`content_id`, `content_uri`, `json`, `collab`) and returns its
    /// `content_id`, which Vigil keeps as the entry's source item id.
    static func contentId(_ metadata: HMAValue) throws -> String? {
        if metadata == .null { return nil }
        guard case .object(let fields) = metadata else { throw HMAError.badRequest("metadata should be a json object") }
        for key in fields.keys where !["content_id", "content_uri", "json", "collab"].contains(key) {
            throw HMAError.badRequest("Invalid metadata: unknown field '\(key)'")
        }
        return fields["content_id"]?.string
    }

    func hmaBank(_ name: String, notFound: String? = nil) async throws -> StoredList {
        do throws(StoreError) {
            return try await store.list(named: name)
        } catch {
            if case .listNotFound = error { throw HMAError.notFound(notFound ?? "bank '\(name)' not found") }
            throw HMAError(.internalServerError, error.description)
        }
    }

    func hmaEntry(_ idText: String, in bank: StoredList) async throws -> StoredEntry {
        guard let id = Int64(idText) else { throw HMAError.notFound("content '\(idText)' not found") }
        let entries = try await storeCall { () async throws(StoreError) in try await store.entries(ids: [id]) }
        guard let entry = entries[id], entry.listId == bank.id, entry.deletedAt == nil else {
            throw HMAError.notFound("content '\(id)' not found")
        }
        return entry
    }

    /// Adds signals (HMA names → values) to a bank, one entry per signal; answers HMA's
    /// `{"id": …, "signals": {…}}` with the first entry's id.
    func hmaAdd(_ signals: [String: String], to bank: StoredList, provenance: Provenance) async throws -> Response {
        guard !signals.isEmpty else { throw HMAError.badRequest("No signals given") }
        do throws(ProvenanceValidationError) { try provenance.validate() } catch { throw HMAError.badRequest(error.description) }
        var records: [IndicatorRecord] = []
        var added: [String: HMAValue] = [:]
        for (name, value) in signals.sorted(by: { $0.key < $1.key }) {
            guard let type = HMASignalTypes.type(named: name) else { throw HMAError.badRequest("No such signal type \(name)") }
            do throws(SignalValueError) {
                let normalised = try type.normalise(value)
                records.append(IndicatorRecord(type: type, value: normalised, provenance: provenance))
                added[HMASignalTypes.name(of: type)] = .string(normalised)
            } catch {
                throw HMAError.badRequest("Invalid \(name) signal: \(error.description)")
            }
        }
        let ids = try await storeCall { () async throws(StoreError) in try await store.apply(records, toList: bank.list.name) }
        try await engine.catchUp()
        guard let first = ids.first else { throw HMAError(.internalServerError, "no content was added") }
        return try HMAValue.object(["id": .int(first), "signals": .object(added)]).response()
    }

    /// The request's JSON body, keys untouched.
    func hmaJSON(_ request: Request, emptyIsNull: Bool = false) async throws -> HMAValue {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: settings.maxBodyBytes)
        } catch {
            throw HMAError(.contentTooLarge, "Content too large")
        }
        if emptyIsNull, buffer.readableBytes == 0 { return .null }
        guard let value = try? JSONDecoder().decode(HMAValue.self, from: Data(buffer.readableBytesView)) else {
            throw HMAError.badRequest("the body is not valid JSON")
        }
        return value
    }
}

extension String {
    fileprivate func leftPadded(to length: Int) -> String {
        count >= length ? self : String(repeating: "0", count: length - count) + self
    }
}
