import Foundation
import Hummingbird
import VigilDomain
import VigilExchange
import VigilMatching
import VigilStore

// Curation (`/c`): HMA's banks, content and signal type settings over Vigil's lists and entries.
extension HMAController {
    func addCuration(to curate: AuthorisedRoutes) {
        curate.on(.get, "banks", "hmaBanks") { _, _ -> Response in
            let lists = try await storeCall { () async throws(StoreError) in try await store.lists() }
            return try HMAValue.array(lists.filter { !$0.isDeleted }.map(Self.bankConfig)).response()
        }
        curate.on(.get, "bank/:name", "hmaBank") { _, context -> Response in
            try Self.bankConfig(try await hmaBank(try context.parameters.require("name"))).response()
        }
        curate.on(.post, "banks", "hmaCreateBank") { request, context -> Response in
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
                created = try await service.createList(HashList(name: name, kind: .internal, enabledRatio: ratio), by: Self.actor(context))
            } catch {
                if case .listExists = error { throw HMAError(.forbidden, "Bank already exists") }
                throw HMAError.badRequest(error.description)
            }
            return try Self.bankConfig(created).response(status: .created)
        }
        curate.on(.put, "bank/:name", "hmaUpdateBank") { request, context -> Response in
            let name = try context.parameters.require("name")
            let current = try await hmaBank(name, notFound: "Bank not found")
            guard case .object(let fields) = try await hmaJSON(request) else {
                throw HMAError.badRequest("this endpoint expects a json object payload")
            }
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
                updated = try await service.updateList(named: name, update, by: Self.actor(context))
            } catch {
                // HMA answers a taken name as it does on create.
                switch error {
                case .listExists: throw HMAError(.forbidden, "Bank already exists")
                case .invalid: throw HMAError.badRequest(error.message)
                default: throw HMAError(.internalServerError, error.description)
                }
            }
            return try Self.bankConfig(updated).response()
        }
        curate.on(.delete, "bank/:name", "hmaDeleteBank") { _, context -> Response in
            let name = try context.parameters.require("name")
            do throws(StoreError) {
                try await service.deleteList(named: name, by: Self.actor(context))
            } catch {
                guard case .listNotFound = error else { throw HMAError(.internalServerError, error.description) }
            }
            return try HMAValue.object(["message": .string("Done")]).response()
        }
        curate.on(.get, "bank/:name/content/:id", "hmaContent") { request, context -> Response in
            let bank = try await hmaBank(try context.parameters.require("name"))
            let entry = try await hmaEntry(try context.parameters.require("id"), in: bank)
            let query = request.uri.queryParameters
            return try Self.content(
                entry, bank: bank, signals: Self.flag(query.get("include_signals")),
                metadata: query.get("include_metadata")?.lowercased() != "false"
            ).response()
        }
        curate.on(.put, "bank/:name/content/:id", "hmaUpdateContent") { request, context -> Response in
            let bank = try await hmaBank(try context.parameters.require("name"))
            var entry = try await hmaEntry(try context.parameters.require("id"), in: bank)
            guard case .object(let fields) = try await hmaJSON(request) else {
                throw HMAError.badRequest("this endpoint expects a json object payload")
            }
            var edit = EntryEdit()
            if fields["note"] != nil {
                edit.note = .some(try Self.note(fields["note"]))
            }
            if let raw = fields["disable_until_ts"] {
                guard let seconds = Self.number(raw), seconds >= 0, seconds == seconds.rounded() else {
                    throw HMAError.badRequest("disable_until_ts must be a non-negative integer")
                }
                guard seconds <= node.clock.now().timeIntervalSince1970 + 5 * 365 * 86_400 else {
                    throw HMAError.badRequest("disable_until_ts must be less than 5 years in the future")
                }
                // HMA's 1 (any time in the past, in effect) means enabled.
                edit.disabledUntil = .some(seconds <= 1 ? nil : Date(timeIntervalSince1970: seconds))
            }
            if edit != EntryEdit() {
                let id = entry.id
                let change = edit
                entry = try await storeCall { () async throws(StoreError) in
                    try await service.editEntry(id, inList: bank.list.name, change, by: Self.actor(context))
                }
            }
            return try Self.content(entry, bank: bank, signals: false, metadata: true).response()
        }
        curate.on(.delete, "bank/:name/content/:id", "hmaDeleteContent") { _, context -> Response in
            let bank = try await hmaBank(try context.parameters.require("name"))
            guard let id = Int64(try context.parameters.require("id")) else { throw HMAError.notFound("content not found") }
            var deleted: Int64 = 1
            do throws(StoreError) {
                try await service.removeEntry(id, fromList: bank.list.name, by: Self.actor(context))
            } catch {
                guard case .entryNotFound = error else { throw HMAError(.internalServerError, error.description) }
                deleted = 0
            }
            return try HMAValue.object(["deleted": .int(deleted)]).response()
        }
        curate.on(.post, "bank/:name/content", "hmaAddContent") { request, context -> Response in
            let bank = try await hmaBank(try context.parameters.require("name"))
            let query = request.uri.queryParameters
            if let url = query.get("url") {
                // HMA sends metadata and note as a JSON body alongside `url=`.
                var fields: [String: HMAValue] = [:]
                if case .object(let body) = try await hmaJSON(request, emptyIsNull: true) { fields = body }
                var provenance = Provenance(submittedBy: context.principal?.organisation, note: try Self.note(fields["note"]))
                provenance.sourceItemId = try Self.contentId(fields["metadata"] ?? .null)
                let hashes = try await hmaHashURL(url, contentType: query.get("content_type"), types: query.get("types"))
                return try await hmaAdd(hashes, to: bank, provenance: provenance, actor: Self.actor(context))
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
            return try await hmaAdd(hashes, to: bank, provenance: provenance, actor: Self.actor(context))
        }
        curate.on(.post, "bank/:name/signal", "hmaAddSignals") { request, context -> Response in
            let bank = try await hmaBank(try context.parameters.require("name"))
            guard case .object(var fields) = try await hmaJSON(request) else {
                throw HMAError.badRequest("this endpoint expects a json object payload")
            }
            let note = try Self.note(fields.removeValue(forKey: "note"))
            var signals: [String: String] = [:]
            for (name, value) in fields {
                guard let text = value.string else { throw HMAError.badRequest("Invalid \(name) signal: not a string") }
                signals[name] = text
            }
            return try await hmaAdd(
                signals, to: bank, provenance: Provenance(submittedBy: context.principal?.organisation, note: note), actor: Self.actor(context))
        }
        curate.on(.get, "signal_type", "hmaSignalTypes") { _, _ -> Response in
            let ratios = engine.signalTypeRatios
            return try HMAValue.array(HMASignalNames.all.map { .object(["name": .string($0.name), "enabled_ratio": .double(ratios[$0.name] ?? 1)]) })
                .response()
        }
        // As in HMA: the ratio is stored and reported; a negative one disables the type for
        // hashing and lookups (HMA's sampling by ratio is a to-do there, so none here either).
        curate.on(.put, "signal_type/:name", "hmaUpdateSignalType") { request, context -> Response in
            let name = try context.parameters.require("name")
            guard HMASignalNames.all.contains(where: { $0.name == name }) else { throw HMAError.badRequest("No such SignalType '\(name)'") }
            guard case .object(let fields) = try await hmaJSON(request) else {
                throw HMAError.badRequest("this endpoint expects a json object payload")
            }
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
            try await storeCall { () async throws(StoreError) in try await service.setSignalTypeRatio(ratio, for: name, by: Self.actor(context)) }
            return Response(status: .noContent)
        }
        curate.on(.get, "signal_type/index", "hmaSignalTypeIndex") { request, _ -> Response in
            try Self.indexStatus(engine, only: request.uri.queryParameters.get("signal_type")) { count, ready in
                let builtTo: Int64 = ready ? Int64(node.clock.now().timeIntervalSince1970) : 0
                return .object([
                    "db_size": .int(Int64(count)), "index_size": .int(Int64(count)), "index_out_of_date": .bool(!ready),
                    "newest_db_item": .int(builtTo), "index_built_to": .int(builtTo),
                ])
            }.response()
        }
        curate.on(.get, "content_type", "hmaContentTypes") { _, _ -> Response in
            try HMAValue.array(HMASignalTypes.contentTypes.map { .object(["name": .string($0.name), "enabled": .bool(true)]) }).response()
        }
    }

    static func bankConfig(_ stored: StoredList) -> HMAValue {
        .object(["name": .string(stored.list.name), "matching_enabled_ratio": .double(stored.list.enabled ? stored.list.enabledRatio : 0)])
    }

    /// HMA's bank name rule: UPPER_WITH_UNDERSCORE, not starting with a digit.
    static func checkBankName(_ name: String) throws {
        let bytes = Array(name.utf8)
        let valid =
            !bytes.isEmpty && bytes.allSatisfy { ($0 >= 65 && $0 <= 90) || ($0 >= 48 && $0 <= 57) || $0 == 95 }
            && !(bytes[0] >= 48 && bytes[0] <= 57)
        guard valid else { throw HMAError.badRequest("Bank names must be UPPER_WITH_UNDERSCORE") }
    }

    /// A bank content item in HMA's shape (`disable_until_ts` 1 when enabled, as HMA writes it).
    static func content(_ entry: StoredEntry, bank: StoredList, signals: Bool, metadata: Bool) -> HMAValue {
        var answer: [String: HMAValue] = [
            "id": .int(entry.id), "disable_until_ts": .int(entry.disabledUntilDate.map { Int64($0.timeIntervalSince1970) } ?? 1),
            "original_media_uri": .null, "bank": Self.bankConfig(bank),
        ]
        if signals { answer["signals"] = .object([HMASignalNames.name(of: entry.type): .string(entry.value)]) }
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
    func hmaAdd(_ signals: [String: String], to bank: StoredList, provenance: Provenance, actor: Actor) async throws -> Response {
        guard !signals.isEmpty else { throw HMAError.badRequest("No signals given") }
        do throws(ProvenanceValidationError) { try provenance.validate() } catch { throw HMAError.badRequest(error.description) }
        var records: [IndicatorRecord] = []
        var added: [String: HMAValue] = [:]
        for (name, value) in signals.sorted(by: { $0.key < $1.key }) {
            guard let type = HMASignalNames.signalType(named: name) else { throw HMAError.badRequest("No such signal type \(name)") }
            do throws(SignalValueError) {
                let normalised = try type.normalise(value)
                records.append(IndicatorRecord(type: type, value: normalised, provenance: provenance))
                added[HMASignalNames.name(of: type)] = .string(normalised)
            } catch {
                throw HMAError.badRequest("Invalid \(name) signal: \(error.description)")
            }
        }
        let ids = try await storeCall { () async throws(StoreError) in try await service.apply(records, toList: bank.list.name, by: actor) }
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
        guard JSONBodyRule.isUTF8(buffer.readableBytesView) else { throw HMAError.badRequest(JSONBodyRule.notUTF8.message) }
        guard let value = try? JSONDecoder().decode(HMAValue.self, from: Data(buffer.readableBytesView)) else {
            throw HMAError.badRequest("the body is not valid JSON")
        }
        return value
    }

    /// The caller of an HMA request, as the audit trail names it.
    static func actor(_ context: VigilRequestContext) -> Actor {
        context.principal.map(Actor.init) ?? .system
    }
}
