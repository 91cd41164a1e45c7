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
            // HMA's BankCreateRequest: enabled_ratio defaults to 1.0, so `enabled` counts only
            // when enabled_ratio is given as null.
            let fields = try HMAFields.object(try await hmaJSON(request, invalidIsNull: true), model: "BankCreateRequest")
            try HMAFields.checkBody(fields, types: ["name": .string, "enabled_ratio": .number, "enabled": .bool], required: ["name"])
            guard let name = fields["name"]?.string else { throw HMAError.badRequest("name is required") }
            try Self.checkBankName(name)
            var ratio = 1.0
            if let given = HMAFields.number(fields["enabled_ratio"]) {
                ratio = given
            } else if fields["enabled_ratio"] == .null, let enabled = HMAFields.bool(fields["enabled"]) {
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
            let fields = try HMAFields.object(try await hmaJSON(request, invalidIsNull: true), model: "BankUpdateRequest")
            try HMAFields.checkBody(fields, types: ["name": .string, "enabled_ratio": .number, "enabled": .bool])
            var update = ListUpdate()
            if let newName = fields["name"]?.string, newName != current.list.name {
                try Self.checkBankName(newName)
                update.name = newName
            }
            if let enabled = HMAFields.bool(fields["enabled"]) {
                update.enabledRatio = enabled ? 1 : 0
                update.enabled = true
            }
            if let ratio = HMAFields.number(fields["enabled_ratio"]) {
                update.enabledRatio = ratio
                update.enabled = true
            }
            let updated: StoredList
            do throws(StoreError) {
                updated = try await service.updateList(named: name, update, by: Self.actor(context))
            } catch {
                // A taken name is 403 as on create (HMA itself answers this rename 500: its
                // IntegrityError escapes the handler).
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
            let entries = try await hmaContent(try context.parameters.require("id"), in: bank)
            // HMA reads these two as the text "true" (any case), not as pydantic booleans.
            let query = request.uri.queryParameters
            return try Self.content(
                entries, bank: bank, signals: (query.get("include_signals") ?? "false").lowercased() == "true",
                metadata: (query.get("include_metadata") ?? "true").lowercased() == "true"
            ).response()
        }
        curate.on(.put, "bank/:name/content/:id", "hmaUpdateContent") { request, context -> Response in
            let bank = try await hmaBank(try context.parameters.require("name"))
            var entries = try await hmaContent(try context.parameters.require("id"), in: bank)
            // As HMA: only an object's `disable_until_ts` and `note` change anything.
            var fields: [String: HMAValue] = [:]
            if case .object(let body) = try await hmaJSON(request) { fields = body }
            var edit = EntryEdit()
            if let raw = fields["disable_until_ts"] {
                let seconds = try Self.integer(raw)
                guard seconds >= 0 else { throw HMAError.badRequest("disable_until_ts must be a non-negative integer") }
                guard Double(seconds) <= node.clock.now().timeIntervalSince1970 + 5 * 365 * 86_400 else {
                    throw HMAError.badRequest("disable_until_ts must be less than 5 years in the future")
                }
                edit.disabledUntil = .some(HMADisableUntil.date(seconds))
            }
            if fields["note"] != nil {
                edit.note = .some(try Self.note(fields["note"]))
            }
            if edit != EntryEdit() {
                let change = edit
                var edited: [StoredEntry] = []
                for entry in entries {
                    let id = entry.id
                    edited.append(
                        try await storeCall { () async throws(StoreError) in
                            try await service.editEntry(id, inList: bank.list.name, change, by: Self.actor(context))
                        })
                }
                entries = edited
            }
            return try Self.contentConfig(entries, bank: bank).response()
        }
        curate.on(.delete, "bank/:name/content/:id", "hmaDeleteContent") { _, context -> Response in
            let bank = try await hmaBank(try context.parameters.require("name"))
            guard let id = Int64(try context.parameters.require("id")) else { throw HMAError.notFound("content not found") }
            let entries = try await storeCall { () async throws(StoreError) in try await store.entries(ofContent: id, inList: bank.id) }
            // Every signal of the content goes; HMA counts the content item once.
            for entry in entries {
                do throws(StoreError) {
                    try await service.removeEntry(entry.id, fromList: bank.list.name, by: Self.actor(context))
                } catch {
                    guard case .entryNotFound = error else { throw HMAError(.internalServerError, error.description) }
                }
            }
            return try HMAValue.object(["deleted": .int(entries.isEmpty ? 0 : 1)]).response()
        }
        curate.on(.post, "bank/:name/content", "hmaAddContent") { request, context -> Response in
            let bank = try await hmaBank(try context.parameters.require("name"))
            let query = request.uri.queryParameters
            if let url = query.get("url") {
                // HMA sends metadata and note as a JSON body alongside `url=`.
                var fields: [String: HMAValue] = [:]
                if case .object(let body) = try await hmaJSON(request, emptyIsNull: true) { fields = body }
                var provenance = Provenance(submittedBy: context.principal?.organisation, note: try Self.note(fields["note"]))
                try HMAContentMetadata.parse(fields["metadata"] ?? .null)?.write(to: &provenance)
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
                try HMAContentMetadata.parse(metadata)?.write(to: &provenance)
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
            return try HMAValue.array(hmaSignalTypes.map { .object(["name": .string($0.name), "enabled_ratio": .double(ratios[$0.name] ?? 1)]) })
                .response()
        }
        // As in HMA: the ratio is stored and reported; a negative one disables the type for
        // hashing and lookups (HMA's sampling by ratio is a to-do there, so none here either).
        curate.on(.put, "signal_type/:name", "hmaUpdateSignalType") { request, context -> Response in
            let name = try context.parameters.require("name")
            guard hmaSignalTypes.contains(where: { $0.name == name }) else { throw HMAError.badRequest("No such SignalType '\(name)'") }
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
            try indexStatus(only: request.uri.queryParameters.get("signal_type")) { count, ready in
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

    /// A bank content item (its entries, one per signal) as HMA's GET answers it.
    static func content(_ entries: [StoredEntry], bank: StoredList, signals: Bool, metadata: Bool) -> HMAValue {
        guard let first = entries.first else { return .null }
        var answer: [String: HMAValue] = [
            "id": .int(first.content), "disable_until_ts": .int(HMADisableUntil.seconds(first)), "original_media_uri": .null,
            "bank": Self.bankConfig(bank),
        ]
        if signals {
            answer["signals"] = .object(
                Dictionary(entries.map { (HMASignalNames.name(of: $0.type), HMAValue.string(HMASignalNames.hmaValue($0.type, $0.value))) }) { a, _ in
                    a
                })
        }
        if metadata, let stored = HMAContentMetadata(first.provenance) { answer["metadata"] = stored.answer }
        if let note = first.provenance.note { answer["note"] = .string(note) }
        return .object(answer)
    }

    /// A bank content item as HMA's `PUT …/content/{id}` answers it (its stored configuration).
    static func contentConfig(_ entries: [StoredEntry], bank: StoredList) -> HMAValue {
        guard let first = entries.first else { return .null }
        return .object([
            "id": .int(first.content), "disable_until_ts": .int(HMADisableUntil.seconds(first)), "original_media_uri": .null,
            "bank": Self.bankConfig(bank), "collab_metadata": .object([:]), "note": first.provenance.note.map(HMAValue.string) ?? .null,
            "user_metadata": HMAContentMetadata(first.provenance)?.stored ?? .null,
        ])
    }

    /// An integer as HMA's `str_to_type(…, int)` reads one: a JSON number (a fraction is cut off)
    /// or its text; anything else is 400 `Invalid int: '…'`.
    static func integer(_ value: HMAValue) throws -> Int64 {
        switch value {
        case .int(let number): return number
        case .double(let number) where number.isFinite && abs(number) < 9e18: return Int64(number.rounded(.towardZero))
        case .string(let text):
            if let number = Int64(text.trimmingCharacters(in: .whitespaces)) { return number }
            throw HMAError.badRequest("Invalid int: '\(text)'")
        case .bool(let flag): return flag ? 1 : 0
        default: throw HMAError.badRequest("Invalid int: '\(value)'")
        }
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

    func hmaBank(_ name: String, notFound: String? = nil) async throws -> StoredList {
        do throws(StoreError) {
            return try await store.list(named: name)
        } catch {
            if case .listNotFound = error { throw HMAError.notFound(notFound ?? "bank '\(name)' not found") }
            throw HMAError(.internalServerError, error.description)
        }
    }

    /// The live entries of one content item of a bank (404 when there is none).
    func hmaContent(_ idText: String, in bank: StoredList) async throws -> [StoredEntry] {
        guard let id = Int64(idText) else { throw HMAError.notFound("content '\(idText)' not found") }
        let entries = try await storeCall { () async throws(StoreError) in try await store.entries(ofContent: id, inList: bank.id) }
        guard !entries.isEmpty else { throw HMAError.notFound("content '\(id)' not found") }
        return entries
    }

    /// Adds signals (HMA names → values) to a bank as one content item (one entry per signal, one
    /// content id: the first entry's); answers HMA's `{"id": …, "signals": {…}}`.
    func hmaAdd(_ signals: [String: String], to bank: StoredList, provenance: Provenance, actor: Actor) async throws -> Response {
        guard !signals.isEmpty else { throw HMAError.badRequest("No signals given") }
        do throws(ProvenanceValidationError) { try provenance.validate() } catch { throw HMAError.badRequest(error.description) }
        var records: [IndicatorRecord] = []
        var added: [String: HMAValue] = [:]
        for (name, value) in signals.sorted(by: { $0.key < $1.key }) {
            guard let type = hmaSignalType(named: name) else { throw HMAError.badRequest("No such signal type \(name)") }
            do throws(SignalValueError) {
                let normalised = try HMASignalNames.storedValue(type, value)
                records.append(IndicatorRecord(type: type, value: normalised, provenance: provenance, contentKey: "hma-content"))
                added[HMASignalNames.name(of: type)] = .string(HMASignalNames.hmaValue(type, normalised))
            } catch {
                throw HMAError.badRequest("Invalid \(name) signal: \(HMASignalTypes.invalidMessage(type, value, error))")
            }
        }
        let ids = try await storeCall { () async throws(StoreError) in try await service.apply(records, toList: bank.list.name, by: actor) }
        guard let first = ids.first else { throw HMAError(.internalServerError, "no content was added") }
        return try HMAValue.object(["id": .int(first), "signals": .object(added)]).response()
    }

    /// The request's JSON body, keys untouched.
    /// `invalidIsNull`: a body that is not JSON reads as null (for the routes HMA validates with a
    /// body model, which answer it 422).
    func hmaJSON(_ request: Request, emptyIsNull: Bool = false, invalidIsNull: Bool = false) async throws -> HMAValue {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: settings.maxBodyBytes)
        } catch {
            throw HMAError(.contentTooLarge, "Content too large")
        }
        if emptyIsNull, buffer.readableBytes == 0 { return .null }
        guard JSONBodyRule.isUTF8(buffer.readableBytesView) else { throw HMAError.badRequest(JSONBodyRule.notUTF8.message) }
        guard let value = try? JSONDecoder().decode(HMAValue.self, from: Data(buffer.readableBytesView)) else {
            if invalidIsNull { return .null }
            throw HMAError.badRequest("the body is not valid JSON")
        }
        return value
    }

    /// The caller of an HMA request, as the audit trail names it.
    static func actor(_ context: VigilRequestContext) -> Actor {
        context.principal.map(Actor.init) ?? .system
    }
}
