public import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import VigilDomain
public import VigilExchange

/// One page of a list's change feed, as `GET /v1/lists/{name}/changes` answers it (snake_case keys,
/// the provenance's too) and the `vigil` exchange reads it: the list's changes after a feed
/// position, oldest first.
struct ListChangesPage: Codable, Sendable {
    /// One change of an entry.
    struct Change: Codable, Sendable {
        /// The change's position in the node's feed.
        var sequence: Int64
        /// `add`, `remove` or `edit`.
        var kind: String
        /// The entry's id on the node (the upstream id for a node that pulls it).
        var entryId: Int64
        /// The entry's signal type.
        var type: String
        /// The entry's value.
        var value: String
        /// The entry's provenance (adds and edits of entries that are still live).
        var provenance: Provenance?
    }

    /// The list's name on the node.
    var list: String
    /// The changes, oldest first.
    var changes: [Change]
    /// The feed position to ask after next (past changes of other lists too).
    var next: Int64
    /// Whether the feed has more after `next` now.
    var hasMore: Bool

    /// The page's JSON as the node answers it (snake_case keys, as every answer: ``VigilRequestContext``).
    static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }
}

/// The `vigil` exchange: another Vigil node's list, pulled through its change feed
/// (`GET /v1/lists/{name}/changes`) with one of its API keys (scope `curate`, an organisation of
/// kind provider, centre or peer centre) as the credential. This is how the Centre shares lists
/// with providers and peer centres.
///
/// Every entry arrives with provenance naming the source (`source`, by default
/// `vigil:<host>/<list>`) and the entry's id on that node as its upstream id, so an entry edited
/// there replaces its copy here, and one deleted there is deleted here. The source's own provenance
/// (who confirmed it, its decision reference, its note) is kept; its original source organisation
/// and item id are kept in the note.
public struct VigilExchangeMaker: ExchangeClientMaker {
    /// `vigil`.
    public let kind = "vigil"

    /// The settings: `url` and `list` (required), `source`, `page_size`.
    public let settingNames: [String: String] = [
        "url": "the other node's base URL, http(s)://host:port (required)",
        "list": "the list to pull from it (required)",
        "source": "the organisation named in provenance (default vigil:<host>/<list>)",
        "page_size": "feed changes read per page, 1 to 10000 (default 5000)",
    ]

    let client: HTTPClient

    /// A maker whose clients use `client`.
    public init(client: HTTPClient = .shared) {
        self.client = client
    }

    public func makeClient(settings: [String: String], credential: String?) throws(ExchangeError) -> any ExchangeClient {
        guard let base = settings["url"], let url = URLComponents(string: base), let scheme = url.scheme, ["http", "https"].contains(scheme),
            let host = url.host, !host.isEmpty
        else { throw .misconfigured("a vigil exchange needs the setting url, http(s)://host:port (got \"\(settings["url"] ?? "")\")") }
        guard let list = settings["list"], !list.isEmpty else { throw .misconfigured("a vigil exchange needs the setting list") }
        var pageSize = 5_000
        if let text = settings["page_size"] {
            guard let size = Int(text), (1...10_000).contains(size) else { throw .misconfigured("page_size must be 1 to 10000 (got \"\(text)\")") }
            pageSize = size
        }
        var trimmed = base
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        let source = settings["source"] ?? "vigil:\(host)\(url.port.map { ":\($0)" } ?? "")/\(list)"
        return VigilNodeExchangeClient(base: trimmed, list: list, source: source, pageSize: pageSize, key: credential, client: client)
    }
}

/// A client of another node's list (see ``VigilExchangeMaker``). The checkpoint is the source
/// node's feed position.
struct VigilNodeExchangeClient: ExchangeClient {
    var kind: String { "vigil" }
    let base: String
    let list: String
    let source: String
    let pageSize: Int
    let key: String?
    let client: HTTPClient
    /// The largest page answer read (a bigger one is refused as malformed).
    static let maxPageBytes = 256 << 20

    func fetchPage(after checkpoint: ExchangeCheckpoint?) async throws(ExchangeError) -> ExchangePage {
        var after: Int64 = 0
        if let state = checkpoint?.state, !state.isEmpty {
            guard let position = Int64(state), position >= 0 else {
                throw .malformed("the stored checkpoint \"\(state.prefix(100))\" is not a feed position")
            }
            after = position
        }
        let encoded = list.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? list
        var request = HTTPClientRequest(url: "\(base)/v1/lists/\(encoded)/changes?after=\(after)&limit=\(pageSize)")
        request.headers.add(name: "Accept", value: "application/json")
        if let key { request.headers.add(name: "Authorization", value: "Bearer \(key)") }
        let status: UInt
        let retryAfter: String?
        let body: ByteBuffer
        do {
            let response = try await client.execute(request, timeout: .seconds(60))
            status = response.status.code
            retryAfter = response.headers.first(name: "Retry-After")
            body = try await response.body.collect(upTo: Self.maxPageBytes)
        } catch let error as NIOTooManyBytesError {
            throw .malformed("a page of the feed is larger than \(Self.maxPageBytes) bytes (\(error))")
        } catch {
            throw .unavailable("\(base) could not be reached: \(error)")
        }
        let text = String(buffer: body).prefix(500)
        switch status {
        case 200: break
        case 401, 403: throw .unauthorized("HTTP \(status) from \(base): \(text)")
        case 404: throw .misconfigured("\(base) has no list \"\(list)\" (HTTP 404: \(text))")
        case 429: throw .rateLimited(retryAfter: retryAfter.flatMap { Int($0) })
        case 500...599: throw .unavailable("HTTP \(status) from \(base): \(text)")
        default: throw .malformed("HTTP \(status) from \(base): \(text)")
        }
        let page: ListChangesPage
        do {
            page = try ListChangesPage.decoder().decode(ListChangesPage.self, from: Data(body.readableBytesView))
        } catch {
            throw .malformed("the feed page of \(base) does not read: \(error)")
        }
        guard page.next >= after else { throw .malformed("the feed went back from \(after) to \(page.next)") }
        return ExchangePage(batch: try batch(of: page), checkpoint: ExchangeCheckpoint(state: String(page.next)), hasMore: page.hasMore)
    }

    /// The page's changes as records (adds and edits: the entry as it is, replacing its copy) and
    /// item tombstones (removes).
    func batch(of page: ListChangesPage) throws(ExchangeError) -> ImportBatch {
        var batch = ImportBatch()
        for (index, change) in page.changes.enumerated() {
            let upstream = String(change.entryId)
            switch change.kind {
            case "remove":
                batch.itemDeletions.append(
                    ItemDeletion(record: index + 1, sourceOrganisation: source, sourceItemId: upstream, afterRecords: batch.records.count))
            case "add", "edit":
                // An entry deleted since is answered without provenance: its remove follows.
                guard let remote = change.provenance else { continue }
                guard let type = SignalType(rawValue: change.type) else {
                    batch.issues.append(ImportIssue(record: index + 1, message: "signal type \(change.type) is unknown here; skipped"))
                    continue
                }
                let value: String
                do throws(SignalValueError) {
                    value = try type.normalise(change.value)
                } catch {
                    batch.issues.append(ImportIssue(record: index + 1, message: "\(error.description); skipped"))
                    continue
                }
                var origin: [String] = []
                if let organisation = remote.sourceOrganisation { origin.append(organisation) }
                if let item = remote.sourceItemId { origin.append("item \(item)") }
                var note = origin.isEmpty ? nil : "from \(origin.joined(separator: " "))"
                if let remoteNote = remote.note { note = note.map { "\($0); \(remoteNote)" } ?? remoteNote }
                let provenance = Provenance(
                    sourceOrganisation: source, sourceItemId: upstream, submittedBy: remote.submittedBy, confirmedBy: remote.confirmedBy,
                    decisionReference: remote.decisionReference, confirmedAt: remote.confirmedAt, note: note.map { String($0.prefix(2_000)) })
                let record = IndicatorRecord(type: type, value: value, provenance: provenance)
                do throws(ProvenanceValidationError) {
                    try provenance.validate()
                    batch.records.append(record)
                } catch {
                    batch.issues.append(ImportIssue(record: index + 1, message: "\(error.description); skipped"))
                }
            default:
                throw .malformed("change \(change.sequence) has kind \"\(change.kind)\"; add, remove or edit were expected")
            }
        }
        return batch
    }
}
