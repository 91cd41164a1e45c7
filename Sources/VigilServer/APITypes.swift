import Hummingbird
import VigilDomain
import VigilStore
import VigilPipeline
import VigilHash
import VigilMedia

struct ListBody: ResponseCodable {
    var name: String
    var kind: ListKind
    var matchRadius: Int
    var enabledRatio: Double
    var enabled: Bool
    var entryCount: Int
    var createdAt: String
    var updatedAt: String

    init(_ stored: StoredList) {
        name = stored.list.name
        kind = stored.list.kind
        matchRadius = stored.list.matchRadius
        enabledRatio = stored.list.enabledRatio
        enabled = stored.list.enabled
        entryCount = stored.entryCount
        createdAt = stored.createdAt
        updatedAt = stored.updatedAt
    }
}

struct ListsResponse: ResponseCodable {
    var lists: [ListBody]
}

struct NewList: Decodable {
    var name: String
    var kind: ListKind
    var matchRadius: Int?
    var enabledRatio: Double?
    var enabled: Bool?
}

struct NewEntry: Decodable {
    var type: SignalType
    var value: String
    var action: IndicatorRecord.Action?
    var provenance: Provenance?
}

struct NewEntries: Decodable {
    var entries: [NewEntry]
}

struct AddedResponse: ResponseCodable {
    var ids: [Int64]
}

struct EntryBody: ResponseCodable {
    var id: Int64
    var list: String
    var type: SignalType
    var value: String
    var provenance: Provenance
    var createdAt: String

    init(_ entry: StoredEntry, list: String) {
        id = entry.id
        self.list = list
        type = entry.type
        value = entry.value
        provenance = entry.provenance
        createdAt = entry.createdAt
    }
}

struct EntriesResponse: ResponseCodable {
    var entries: [EntryBody]
}

struct HashQuery: Decodable {
    var type: SignalType
    var value: String
    var lists: [String]?
}

struct MatchItem: ResponseCodable {
    var list: String
    var entryId: Int64
    var type: String
    var value: String
    var distance: Int
    var variant: String
    var provenance: Provenance
}

struct MatchResponse: ResponseCodable {
    var query: [String: String]
    var matches: [MatchItem]
    var actions: [ActionItem] = []
}

struct ActionItem: ResponseCodable {
    var list: String
    var action: String
    /// The outbox message that carries the webhook, when the list has one.
    var deliveryId: Int64?
}

/// The body posted to a list's webhook.
struct WebhookEvent: Codable {
    var event: String
    var list: String
    var action: String
    var query: [String: String]
    var matches: [MatchItem]
    var at: String
}

/// A policy as answered (the secret is never echoed).
struct PolicyBody: ResponseCodable {
    var action: ListAction
    var webhookUrl: String?
    var hasSecret: Bool

    init(_ policy: ActionPolicy) {
        action = policy.action
        webhookUrl = policy.webhookURL
        hasSecret = policy.secret != nil
    }
}

struct CompareRequest: Decodable {
    var a: String
    var b: String
}

struct CompareResponse: ResponseCodable {
    var distance: Int
}

struct IndexStatusResponse: ResponseCodable {
    var ready: Bool
    var sequence: Int64
    var pdqEntries: Int
    var md5Entries: Int
    var sha256Entries: Int
}

struct HashResponse: ResponseCodable {
    var pdq: String
    var quality: Int
    var md5: String
    var sha256: String
    var width: Int
    var height: Int
    var format: String
    var pdqDihedral: [String]?

    init(_ result: MediaHashResult) {
        pdq = result.pdq.hash.hex
        quality = result.pdq.quality
        md5 = result.digests?.md5 ?? ""
        sha256 = result.digests?.sha256 ?? ""
        width = result.width
        height = result.height
        format = result.format.rawValue
        pdqDihedral = result.dihedral?.map(\.hex)
    }
}

struct URLQuery: Decodable {
    var url: String
    var dihedral: Bool?
    var lists: [String]?
}
