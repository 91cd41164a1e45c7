import Foundation
import VigilDomain

/// Meta ThreatExchange's `/{privacy-group}/threat_updates` protocol, without I/O: which request comes
/// next after a checkpoint, and what a response page means (python-threatexchange's
/// `ThreatUpdateJSON` and `FBThreatExchangeSignalExchangeAPI.fetch_iter`).
///
/// A fetch starts at `start_time` = the latest `last_updated` already applied (the second is fetched
/// again: applying it twice changes nothing) and follows the Graph API's `paging.next` cursor until a
/// page has none. Each update is one indicator (`id`, `indicator`, `type`, `last_updated`,
/// `should_delete`, `descriptors{...}`):
/// - `should_delete`, no descriptors (python-threatexchange's issue 834), or descriptors whose owners
///   are all hidden, or every descriptor `NON_MALICIOUS` → an ``ItemDeletion`` of the indicator id
///   (a list that blocks should not hold a hash its owners withdrew or disputed);
/// - `HASH_PDQ` → PDQ; `HASH_VIDEO_MD5`, or `HASH_MD5` with a descriptor tagged `media_type_video`
///   → MD5; `HASH_VIDEO_SHA256`, or `HASH_SHA256` tagged `media_type_video` → SHA-256; other types
///   are counted in ``ImportBatch/ignored`` by their ThreatExchange name;
/// - provenance: `sourceOrganisation` "ThreatExchange", `sourceItemId` the indicator id,
///   `submittedBy` the descriptors' owner apps, `decisionReference` the descriptor ids (what a
///   reaction is sent to), `confirmedAt` `last_updated`, `note` the type, statuses, tags and privacy
///   group.
///
/// The cursor keeps the `next` query without the access token (a checkpoint is not a secret), and a
/// `next` is always sent to the configured base URL, never to the host the page names.
public struct ThreatExchangeUpdates: Sendable {
    /// The organisation name put in every record's provenance.
    public static let sourceOrganisation = "ThreatExchange"
    /// The exchange kind (HMA's and python-threatexchange's name).
    public static let kind = "fb_threatexchange"
    /// The fields asked for (python-threatexchange's `te_threat_updates_fields`).
    public static let fields = "id,indicator,type,last_updated,should_delete,descriptors{id,reactions,owner{id},tags,status}"

    /// The resume state.
    public struct Cursor: Sendable, Codable, Hashable {
        /// The `start_time` of the fetch in progress (or of the next one): the latest `last_updated` applied.
        public var since: Int64
        /// The `next` page's query (without `access_token`) as `[name, value]` pairs, in order, while a
        /// fetch is in progress.
        public var next: [[String]]?
        /// The latest `last_updated` seen in the fetch in progress.
        public var latest: Int64

        /// Creates a cursor.
        public init(since: Int64, next: [[String]]? = nil, latest: Int64) {
            self.since = since
            self.next = next
            self.latest = latest
        }
    }

    /// The privacy group (ThreatExchange's numeric id).
    public let privacyGroup: String
    /// Updates asked for per page (`limit`).
    public let pageSize: Int

    /// Creates the protocol for one privacy group.
    public init(privacyGroup: String, pageSize: Int = 100) {
        self.privacyGroup = privacyGroup
        self.pageSize = pageSize
    }

    /// The path of the group's updates.
    public var path: String { "/\(privacyGroup)/threat_updates/" }

    /// The request after `checkpoint` (the access token is added by the transport, never stored).
    public func request(after checkpoint: ExchangeCheckpoint?) throws(ExchangeError) -> ExchangeRequest {
        let cursor = try ExchangeCursorCoding.decode(Cursor.self, from: checkpoint, kind: Self.kind)
        if let cursor, let next = cursor.next {
            return ExchangeRequest(path: path, query: next.compactMap { $0.count == 2 ? .init($0[0], $0[1]) : nil })
        }
        var query: [ExchangeRequest.QueryItem] = [.init("fields", Self.fields), .init("limit", String(pageSize))]
        if let since = cursor?.since, since > 0 { query.append(.init("start_time", String(since))) }
        return ExchangeRequest(path: path, query: query)
    }

    /// The page a response body is, with the checkpoint after it; `.malformed` when the body is not a
    /// threat_updates page (nothing of it is applied). Updates that are themselves broken (a missing
    /// id, a value of the wrong type) are issues, numbered by their position in the page.
    public func page(_ body: [UInt8], after checkpoint: ExchangeCheckpoint?) throws(ExchangeError) -> ExchangePage {
        let cursor = try ExchangeCursorCoding.decode(Cursor.self, from: checkpoint, kind: Self.kind)
        guard let value = JSONValue.parse(body) else { throw .malformed("the threat_updates answer is not JSON") }
        guard let object = value.object else { throw .malformed("the threat_updates answer is not a JSON object") }
        if let error = object["error"]?.object {
            let message = error["message"]?.string ?? "no message"
            throw .malformed("the Graph API answered an error: \(message.prefix(200))")
        }
        guard let data = object["data"]?.array else { throw .malformed("the threat_updates answer has no \"data\" array") }
        var batch = ImportBatch()
        var latest = cursor?.latest ?? cursor?.since ?? 0
        for (offset, update) in data.enumerated() {
            if let time = convert(update, number: offset + 1, into: &batch) { latest = max(latest, time) }
        }
        var nextQuery: [ExchangeRequest.QueryItem]?
        switch object["paging"]?.object?["next"] {
        case nil, .null?: nextQuery = nil
        case .string(let next)?:
            guard let query = Self.cursorQuery(fromNext: next) else {
                throw .malformed("the threat_updates answer's paging.next is not a URL with a query: \(next.prefix(120))")
            }
            nextQuery = query
        default: throw .malformed("the threat_updates answer's paging.next is not a string")
        }
        let since = cursor?.since ?? 0
        let checkpointCursor: Cursor
        let hasMore: Bool
        if let nextQuery, !data.isEmpty {
            checkpointCursor = Cursor(since: since, next: nextQuery.map { [$0.name, $0.value] }, latest: latest)
            hasMore = true
        } else {
            checkpointCursor = Cursor(since: latest, latest: latest)
            hasMore = false
        }
        return ExchangePage(
            batch: batch, checkpoint: ExchangeCheckpoint(state: ExchangeCursorCoding.encode(checkpointCursor), timestamp: latest),
            hasMore: hasMore)
    }

    /// What a Graph API error answer (`{"error": {"message", "type", "code"}}`, sent with HTTP 400
    /// or 403) means: an `OAuthException` or code 190 (a bad or expired token), 10 or 200-299 (a
    /// missing permission) → `.unauthorized`; codes 4, 17, 32 and 613 (Graph API rate limits) →
    /// `.rateLimited`; nil for anything else (the HTTP status decides).
    public static func graphError(_ body: [UInt8]) -> ExchangeError? {
        guard let error = JSONValue.parse(body)?.object?["error"]?.object else { return nil }
        let code = error["code"]?.integer
        let message = String((error["message"]?.string ?? "no message").prefix(200))
        if let code, [4, 17, 32, 613].contains(code) { return .rateLimited(retryAfter: nil) }
        if error["type"]?.string == "OAuthException" || code == 190 || code == 10 || (code.map { (200...299).contains($0) } ?? false) {
            return .unauthorized("ThreatExchange refused the access token (\(message)): check the exchange's credential")
        }
        return nil
    }

    /// The query of a `next` URL without its access token; nil when it has no query.
    static func cursorQuery(fromNext next: String) -> [ExchangeRequest.QueryItem]? {
        guard let mark = next.firstIndex(of: "?"), let items = ExchangeRequest.parseQuery(next[next.index(after: mark)...]) else {
            return nil
        }
        return items.filter { $0.name != "access_token" }
    }

    /// Adds one update's record or tombstone (or an issue) to the batch; returns its `last_updated`.
    private func convert(_ value: JSONValue, number: Int, into batch: inout ImportBatch) -> Int64? {
        guard let update = value.object else {
            batch.issues.append(ImportIssue(record: number, message: "the update is not a JSON object; skipped"))
            return nil
        }
        guard let id = update["id"].flatMap(Self.idText) else {
            batch.issues.append(ImportIssue(record: number, message: "the update has no \"id\" (a string of digits); skipped"))
            return nil
        }
        let time = update["last_updated"].flatMap(Self.integer)
        if update["last_updated"] != nil, time == nil {
            batch.issues.append(ImportIssue(record: number, message: "update \(id): \"last_updated\" is not a Unix time; skipped"))
            return nil
        }
        var shouldDelete = false
        switch update["should_delete"] {
        case nil, .null?: break
        case .bool(let flag)?: shouldDelete = flag
        default:
            batch.issues.append(ImportIssue(record: number, message: "update \(id): \"should_delete\" is not true or false; skipped"))
            return time
        }
        let descriptors = Self.descriptors(update["descriptors"])
        let deletion = ItemDeletion(
            record: number, sourceOrganisation: Self.sourceOrganisation, sourceItemId: id,
            deletedAt: time.map { RFC3339.string(fromUnixSeconds: $0) }, afterRecords: batch.records.count)
        if shouldDelete || descriptors.isEmpty || descriptors.allSatisfy({ $0.status == "NON_MALICIOUS" }) {
            batch.itemDeletions.append(deletion)
            return time
        }
        guard let kind = update["type"]?.string, let indicator = update["indicator"]?.string else {
            batch.issues.append(ImportIssue(record: number, message: "update \(id): \"type\" or \"indicator\" is missing or not a string; skipped"))
            return time
        }
        let video = descriptors.contains { $0.tags.contains("media_type_video") }
        let type: SignalType
        switch kind {
        case "HASH_PDQ": type = .pdq
        case "HASH_VIDEO_MD5": type = .md5
        case "HASH_MD5" where video: type = .md5
        case "HASH_VIDEO_SHA256": type = .sha256
        case "HASH_SHA256" where video: type = .sha256
        default:
            batch.ignore(String(kind.prefix(40)))
            return time
        }
        let normalised: String
        do {
            normalised = try type.normalise(indicator)
        } catch {
            batch.issues.append(ImportIssue(record: number, message: "update \(id): \(kind): \(error.description); skipped"))
            return time
        }
        var provenance = Provenance(sourceOrganisation: Self.sourceOrganisation, sourceItemId: id)
        let owners = Set(descriptors.map(\.owner)).sorted()
        provenance.submittedBy = owners.map { "app \($0)" }.joined(separator: " ")
        provenance.confirmedAt = time.map { RFC3339.string(fromUnixSeconds: $0) }
        let descriptorIds = descriptors.compactMap(\.id).sorted()
        if !descriptorIds.isEmpty { provenance.decisionReference = descriptorIds.joined(separator: " ") }
        let statuses = Set(descriptors.map(\.status)).sorted()
        let tags = Set(descriptors.flatMap(\.tags)).sorted()
        var note = [kind, "privacy group \(privacyGroup)"]
        if !statuses.isEmpty { note.append("status " + statuses.joined(separator: " ")) }
        if !tags.isEmpty { note.append("tags " + tags.joined(separator: " ")) }
        provenance.note = String(note.joined(separator: ", ").utf8.prefix(Provenance.maxNoteLength)) ?? kind
        // The replacement of the item in one page: the store replaces what it held under this id.
        batch.append(IndicatorRecord(type: type, value: normalised, action: .add, provenance: provenance), from: number)
        return time
    }

    /// One descriptor's opinion, as far as the import uses it.
    private struct Descriptor {
        var id: String?
        var owner: String
        var status: String
        var tags: [String]
    }

    /// The descriptors whose owner is visible (python-threatexchange drops the others: a Graph API
    /// visibility bug).
    private static func descriptors(_ value: JSONValue?) -> [Descriptor] {
        guard let list = value?.object?["data"]?.array else { return [] }
        return list.compactMap { item in
            guard let fields = item.object, let owner = fields["owner"]?.object?["id"].flatMap(idText) else { return nil }
            var tags: [String] = []
            switch fields["tags"] {
            case .array(let values)?: tags = values.compactMap(\.string)
            case .object(let wrapped)?: tags = wrapped["data"]?.array?.compactMap { $0.object?["text"]?.string } ?? []
            default: break
            }
            return Descriptor(
                id: fields["id"].flatMap(idText), owner: owner, status: fields["status"]?.string ?? "UNKNOWN",
                tags: tags.map { String($0.prefix(100)) })
        }
    }

    /// An id: a string of digits (or a whole number), at most 40 characters.
    private static func idText(_ value: JSONValue) -> String? {
        let text: String
        switch value {
        case .string(let string): text = string
        case .number:
            guard let number = value.integer else { return nil }
            text = String(number)
        default: return nil
        }
        guard !text.isEmpty, text.utf8.count <= 40, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        return text
    }

    /// A Unix time given as a number or a string of digits.
    private static func integer(_ value: JSONValue) -> Int64? {
        switch value {
        case .number: value.integer
        case .string(let text): Int64(text)
        default: nil
        }
    }
}

extension JSONValue {
    /// The elements, if this is an array.
    var array: [JSONValue]? {
        if case .array(let value) = self { value } else { nil }
    }

    /// The flag, if this is a boolean.
    var bool: Bool? {
        if case .bool(let value) = self { value } else { nil }
    }
}
