import Crypto
import Foundation
import HTTPTypes
import VigilDomain
import VigilHash
import VigilMedia
import VigilPipeline
import VigilStore
import VigilAPI

/// The provider node's API over its store and match engine: implements the generated
/// `APIProtocol` (the `/v1` operations of `openapi.yaml`, one file per area) and the
/// HMA-compatible routes, which share the helpers below.
struct ProviderAPI: Sendable {
    /// The node's database.
    let store: SQLiteStore
    /// The in-memory indexes, lists and action policies.
    let engine: MatchEngine
    /// Body and decoding limits, URL policy.
    let settings: ServerSettings
    /// Fetches content by URL under the node's policy.
    let fetcher: URLFetcher
    /// Where decoding and hashing run (see ``HashingPool``).
    var hashing = HashingPool(limits: HashingLimits())

    /// Hashes a file's bytes on the hashing pool; formats the node cannot decode are a 415,
    /// broken or oversized images and decompression bombs a 422, a full pool a 503.
    func hashMedia(_ bytes: [UInt8], dihedral: Bool) async throws -> MediaHashResult {
        try DecompressionBombCheck(maxPixelsPerByte: settings.maxPixelsPerInputByte).check(bytes)
        let options = HashOptions(dihedral: dihedral, limits: settings.decodeLimits)
        let outcome: Result<MediaHashResult, HashingError>
        do {
            outcome = try await hashing.run { Result { () throws(HashingError) in try MediaHasher(options: options).hash(bytes: bytes) } }
        } catch let busy as HashingPool.Busy {
            throw APIError(.serviceUnavailable, code: "hashing_busy", busy.description, headers: [.retryAfter: "1"])
        }
        switch outcome {
        case .success(let result):
            return result
        case .failure(let error):
            let status: HTTPResponse.Status = error.code == "unrecognised_format" || error.code == "unsupported" ? .unsupportedMediaType : .unprocessableContent
            throw APIError(status, code: error.code, error.description)
        }
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

    /// Applies the matched lists' action policies: records one webhook message per list in the
    /// outbox (durably, before the answer is sent) and reports the actions in the answer.
    func act(on items: [MatchItem], query: [String: String]) async throws -> [ActionItem] {
        let policies = engine.policies
        guard !items.isEmpty, !policies.isEmpty else { return [] }
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
        guard !messages.isEmpty else { return actions }
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

/// The `/v1` operations, generated from `openapi.yaml`: implemented in ProviderAPI+Lists,
/// +Actions, +Exchange, +Matching and +Hashing, and registered by ``buildApplication``.
extension ProviderAPI: APIProtocol {}
