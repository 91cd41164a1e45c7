import Foundation
import Hummingbird
import VigilDomain
import VigilExchange
import VigilStore

// Exchanges (`/c/exchanges…`, `/c/exchange/{name}…`): HMA's collaboration routes over the same
// exchange service as `/v1/exchanges`. As in HMA, an exchange fetches into a bank of its own name
// (created with it); its `api_json` fields are the exchange's settings. As in HMA, a credential is
// set per API (`POST /c/exchanges/api/{api}`); Vigil also keeps one per exchange (`PATCH
// /v1/exchanges/{name}`), which, when set, is used instead of its API's.
extension HMAController {
    func addExchanges(to curate: AuthorisedRoutes) {
        let exchanges = ExchangeService(node: node)
        curate.on(.get, "exchanges/apis", "hmaExchangeAPIs") { _, _ -> Response in
            try HMAValue.array(node.exchanges.registry.kinds.map(HMAValue.string)).response()
        }
        curate.on(.get, "exchanges/api/:api", "hmaExchangeAPI") { _, context -> Response in
            let api = try context.parameters.require("api")
            guard let maker = node.exchanges.registry.makers[api] else { throw HMAError.badRequest("no such Exchange API '\(api)'") }
            return try await hmaAPIAuthentication(maker).response()
        }
        // HMA's per-API credential: `{"credential_json": {…}}` sets it (the fields of
        // python-threatexchange's credential class of the API), `{}` (or any empty value) removes it,
        // no `credential_json` changes nothing. Every exchange of the kind without a credential of
        // its own uses it.
        curate.on(.post, "exchanges/api/:api", "hmaSetExchangeAPICredential") { request, context -> Response in
            let api = try context.parameters.require("api")
            guard let maker = node.exchanges.registry.makers[api] else { throw HMAError.badRequest("no such Exchange API '\(api)'") }
            guard case .object(let fields) = try await hmaJSON(request) else {
                throw HMAError.badRequest("this endpoint expects a json object payload")
            }
            if let given = fields["credential_json"], given != .null {
                let credential = try Self.credentialText(api: api, given)
                do {
                    _ = try await exchanges.setKindCredential(credential, kind: api, by: Self.actor(context))
                } catch let error as ExchangeConfigurationError {
                    throw HMAError.badRequest(error.message)
                }
            }
            return try await hmaAPIAuthentication(maker).response()
        }
        curate.on(.post, "exchanges", "hmaCreateExchange") { request, context -> Response in
            guard case .object(let fields) = try await hmaJSON(request) else {
                throw HMAError.badRequest("this endpoint expects a json object payload")
            }
            guard let bankValue = fields["bank"], bankValue != .null else { throw HMAError.badRequest("bank is required") }
            guard let bank = bankValue.string, Self.isExchangeName(bank) else { throw HMAError.badRequest("Field `bank` must match /^[A-Z0-9_]+$/") }
            var settings: [String: String] = [:]
            var enabled = true
            switch fields["api_json"] {
            case nil, .null: break
            case .object(let values):
                for (key, value) in values {
                    switch key {
                    case "name", "api": continue
                    case "enabled":
                        guard case .bool(let flag) = value else {
                            throw HMAError.badRequest("Failed to parse `api_json` - enabled must be a boolean")
                        }
                        enabled = flag
                    default:
                        guard let text = Self.settingText(value) else {
                            throw HMAError.badRequest("Failed to parse `api_json` - \(key) must be a string, number or boolean")
                        }
                        settings[key] = text
                    }
                }
            default: throw HMAError.badRequest("Field `api_json` must be object")
            }
            guard let api = fields["api"]?.string else { throw HMAError.badRequest("Field `api_type` is required") }
            guard node.exchanges.registry.makers[api] != nil else { throw HMAError.badRequest("No such exchange type '\(api)'") }
            var bankExists = false
            do throws(StoreError) {
                _ = try await store.list(named: bank)
                bankExists = true
            } catch {
                guard error.code == .listNotFound else { throw HMAError(.internalServerError, error.description) }
            }
            if bankExists { throw HMAError.badRequest("Bank already exists: an exchange's bank is created with it") }
            let definition = ExchangeService.Definition(name: bank, kind: api, list: bank, settings: settings, enabled: enabled)
            do {
                _ = try await exchanges.create(definition, createList: true, by: Self.actor(context))
            } catch let error as ExchangeConfigurationError {
                throw HMAError.badRequest("Failed to parse `api_json` - \(error.message)")
            } catch let error as APIError {
                throw HMAError(error.status == .conflict ? .badRequest : error.status, error.message)
            }
            return try HMAValue.object(["message": .string("Created successfully")]).response(status: .created)
        }
        curate.on(.get, "exchanges", "hmaExchanges") { _, _ -> Response in
            let all = try await hmaStore { () async throws(StoreError) in try await store.exchanges() }
            return try HMAValue.array(all.map { .string($0.name) }).response()
        }
        curate.on(.get, "exchange/:name", "hmaExchange") { _, context -> Response in
            try Self.collab(try await hmaExchange(try context.parameters.require("name"))).response()
        }
        curate.on(.get, "exchange/:name/status", "hmaExchangeStatus") { _, context -> Response in
            let exchange = try await hmaExchange(try context.parameters.require("name"))
            return try Self.fetchStatus(exchange, now: node.clock.now()).response()
        }
        curate.on(.put, "exchange/:name", "hmaUpdateExchange") { request, context -> Response in
            let name = try context.parameters.require("name")
            var exchange = try await hmaExchange(name)
            guard case .object(let fields) = try await hmaJSON(request) else {
                throw HMAError.badRequest("this endpoint expects a json object payload")
            }
            switch fields["enabled"] {
            case nil, .null: break
            case .bool(let enabled):
                do {
                    exchange = try await exchanges.update(named: name, ExchangeService.Change(enabled: enabled), by: Self.actor(context))
                } catch let error as APIError {
                    throw HMAError(error.status, error.message)
                }
            default: throw HMAError(.unprocessableContent, "enabled: Input should be a valid boolean")
            }
            return try Self.collab(exchange).response()
        }
        curate.on(.delete, "exchange/:name", "hmaDeleteExchange") { _, context -> Response in
            let name = try context.parameters.require("name")
            // As HMA: deleting a name that has no exchange is no error. The bank stays.
            do throws(StoreError) {
                try await exchanges.delete(named: name, by: Self.actor(context))
            } catch {
                guard error.code == .exchangeNotFound else { throw HMAError(.internalServerError, error.description) }
            }
            return try HMAValue.object(["message": .string("Exchange deleted")]).response()
        }
        curate.on(.post, "exchange/:name/fetch", "hmaFetchExchange") { _, context -> Response in
            let name = try context.parameters.require("name")
            _ = try await hmaExchange(name)
            _ = try await hmaStore { () async throws(StoreError) in try await exchanges.fetchNow(named: name, by: Self.actor(context)) }
            return try HMAValue.object(["message": .string("Fetch requested")]).response()
        }
    }

    /// HMA's answer on an exchange API's credential: whether the kind takes one and whether it is set.
    func hmaAPIAuthentication(_ maker: any ExchangeClientMaker) async throws -> HMAValue {
        let set = try await hmaStore { () async throws(StoreError) in try await store.exchangeKindCredentials() }
        return .object([
            "supports_authentification": .bool(maker.takesCredential), "has_set_authentification": .bool(set[maker.kind] != nil),
        ])
    }

    /// The fields of python-threatexchange's credential class of each API, and how Vigil's client
    /// reads them as one text (`exchanges/impl/fb_threatexchange_api.py` `FBThreatExchangeCredentials`,
    /// `ncmec_api.py` `NCMECCredentials`, `stop_ncii_api.py` `StopNCIICredentials`; `vigil`: the other
    /// node's API key).
    static let credentialFields: [String: (names: [String], separator: String)] = [
        "fb_threatexchange": (["api_token"], ""), "ncmec": (["user", "password"], ":"),
        "stopncii": (["fetch_function_key", "subscription_key"], ","), "vigil": (["api_key"], ""),
    ]

    /// `credential_json` as the credential's text; nil for `{}` (remove the credential). HMA takes any
    /// empty value for `{}`; Vigil takes an object only, as its document says.
    static func credentialText(api: String, _ value: HMAValue) throws -> String? {
        switch value {
        case .object(let fields) where fields.isEmpty: return nil
        case .object(let fields):
            guard let form = credentialFields[api] else { throw HMAError.badRequest("\(api) does not support credentials") }
            for name in fields.keys.sorted() where !form.names.contains(name) && fields[name] != .null {
                throw HMAError.badRequest(
                    "credential_json: \(api) credentials have no field \(name); they have \(form.names.joined(separator: ", "))")
            }
            var parts: [String] = []
            for name in form.names {
                guard let text = fields[name]?.string, !text.isEmpty else {
                    throw HMAError.badRequest("credential_json: \(name) is required (a non-empty string)")
                }
                guard form.separator.isEmpty || !text.contains(form.separator) || name == form.names.last else {
                    throw HMAError.badRequest("credential_json: \(name) may not contain \"\(form.separator)\"")
                }
                parts.append(text)
            }
            return parts.joined(separator: form.separator)
        default: throw HMAError.badRequest("credential_json must be an object")
        }
    }

    /// HMA's exchange (bank) names: capitals, digits and underscores.
    static func isExchangeName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { ($0 >= 65 && $0 <= 90) || ($0 >= 48 && $0 <= 57) || $0 == 95 }
    }

    /// An `api_json` value as a setting's text (strings as they are, numbers and booleans as JSON writes them).
    static func settingText(_ value: HMAValue) -> String? {
        switch value {
        case .string(let text): text
        case .int(let number): String(number)
        case .double(let number): String(number)
        case .bool(let flag): flag ? "true" : "false"
        default: nil
        }
    }

    /// The exchange as HMA's collaboration config: `name`, `api`, `enabled` and its settings (never its credential).
    static func collab(_ exchange: StoredExchange) -> HMAValue {
        var fields: [String: HMAValue] = [:]
        for (key, value) in exchange.settings { fields[key] = .string(value) }
        fields["name"] = .string(exchange.name)
        fields["api"] = .string(exchange.kind)
        fields["enabled"] = .bool(exchange.enabled)
        return .object(fields)
    }

    /// HMA's `FetchStatus`: times in Unix seconds.
    static func fetchStatus(_ exchange: StoredExchange, now: Date) -> HMAValue {
        let state = exchange.state
        func seconds(_ text: String?) -> HMAValue {
            guard let text, let date = RFC3339.date(from: text) else { return .null }
            return .int(Int64(date.timeIntervalSince1970))
        }
        return .object([
            "checkpoint_ts": state.checkpointTimestamp.map(HMAValue.int) ?? .null,
            "running_fetch_start_ts": exchange.isRunning(at: now) ? seconds(state.runningSince) : .null,
            "last_fetch_complete_ts": seconds(state.lastFetchCompleteAt),
            "last_fetch_succeeded": state.lastFetchSucceeded.map(HMAValue.bool) ?? .null,
            "up_to_date": .bool(state.upToDate),
            "fetched_items": .int(state.fetchedItems),
        ])
    }

    func hmaExchange(_ name: String) async throws -> StoredExchange {
        do throws(StoreError) {
            return try await store.exchange(named: name)
        } catch {
            if error.code == .exchangeNotFound { throw HMAError.notFound("Exchange '\(name)' not found") }
            throw HMAError(.internalServerError, error.description)
        }
    }

    /// A store call whose failure is HMA's 500 with the store's (safe) message.
    func hmaStore<T>(_ body: () async throws(StoreError) -> T) async throws -> T {
        do throws(StoreError) {
            return try await body()
        } catch {
            throw HMAError(.internalServerError, error.description)
        }
    }
}
