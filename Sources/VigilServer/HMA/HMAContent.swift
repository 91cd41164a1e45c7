import Foundation
import VigilDomain
import VigilStore

/// HMA's `disable_until_ts` on a Vigil entry: 1 is enabled, 0 is disabled until enabled again,
/// any other time is disabled until then (enabled once it has passed), and each is read back as
/// written.
enum HMADisableUntil {
    /// The `disabled_until` that stands for HMA's 0, "disabled until enabled again": the last
    /// second RFC 3339 can write (9999-12-31T23:59:59Z), so that every other reader of the entry
    /// (the match service, `/v1`) sees it disabled too.
    static let indefinitely = Date(timeIntervalSince1970: 253_402_300_799)

    /// The entry's `disabledUntil` for HMA's `disable_until_ts` (nil: enabled).
    static func date(_ seconds: Int64) -> Date? {
        switch seconds {
        case 1: nil
        case 0: indefinitely
        default: Date(timeIntervalSince1970: Double(seconds))
        }
    }

    /// The entry's `disable_until_ts` as HMA answers it.
    static func seconds(_ entry: StoredEntry) -> Int64 {
        guard let until = entry.disabledUntilDate else { return 1 }
        if until >= indefinitely { return 0 }
        // Written as whole seconds; a time stored another way (through /v1) is rounded up, so it is
        // never read back as 0 or 1 and never ends earlier than it does.
        let seconds = Int64(until.timeIntervalSince1970.rounded(.up))
        return seconds <= 1 ? 2 : seconds
    }
}

/// HMA's content metadata (`content_id`, `content_uri`, `json`; `collab` is accepted and dropped,
/// as HMA drops it: its `collab` comes from the exchanges an item was fetched from). `content_id`
/// is kept as the entry's source item id, the rest as ``Provenance/metadata`` (a JSON object).
struct HMAContentMetadata: Sendable, Equatable {
    var contentId: String?
    var contentURI: String?
    var json: [String: HMAValue]?

    /// Reads metadata as HMA's `BankedContentMetadata` does (unknown fields refused); nil when absent or empty.
    static func parse(_ value: HMAValue) throws -> HMAContentMetadata? {
        if value == .null { return nil }
        guard case .object(var fields) = value else { throw HMAError.badRequest("metadata should be a json object") }
        fields.removeValue(forKey: "collab")
        for key in fields.keys.sorted() where !["content_id", "content_uri", "json"].contains(key) {
            throw HMAError.badRequest("Invalid metadata: 1 validation error for BankedContentMetadata\n\(key)\n  Extra inputs are not permitted")
        }
        var metadata = HMAContentMetadata()
        for (key, value) in fields.sorted(by: { $0.key < $1.key }) where value != .null {
            switch (key, value) {
            case ("content_id", .string(let text)): metadata.contentId = text
            case ("content_uri", .string(let text)): metadata.contentURI = text
            case ("json", .object(let object)): metadata.json = object
            case ("json", _):
                throw HMAError.badRequest(
                    "Invalid metadata: 1 validation error for BankedContentMetadata\njson\n  Input should be a valid dictionary")
            default:
                throw HMAError.badRequest("Invalid metadata: 1 validation error for BankedContentMetadata\n\(key)\n  Input should be a valid string")
            }
        }
        return metadata == HMAContentMetadata() ? nil : metadata
    }

    /// The metadata kept with an entry, if it has any.
    init?(_ provenance: Provenance) {
        contentId = provenance.sourceItemId
        if let text = provenance.metadata, case .object(let fields)? = try? JSONDecoder().decode(HMAValue.self, from: Data(text.utf8)) {
            contentURI = fields["content_uri"]?.string
            if case .object(let object)? = fields["json"] { json = object }
        }
        if self == HMAContentMetadata() { return nil }
    }

    init() {}

    /// Writes the metadata into an entry's provenance.
    func write(to provenance: inout Provenance) throws {
        provenance.sourceItemId = contentId
        var rest: [String: HMAValue] = [:]
        if let contentURI { rest["content_uri"] = .string(contentURI) }
        if let json { rest["json"] = .object(json) }
        guard !rest.isEmpty else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        provenance.metadata = String(decoding: try encoder.encode(HMAValue.object(rest)), as: UTF8.self)
    }

    /// As HMA's GET answers it: every field, null when not set.
    var answer: HMAValue {
        .object([
            "content_id": contentId.map(HMAValue.string) ?? .null, "content_uri": contentURI.map(HMAValue.string) ?? .null,
            "json": json.map(HMAValue.object) ?? .null, "collab": .null,
        ])
    }

    /// As HMA stores it (`user_metadata`, answered by PUT): the fields that are set.
    var stored: HMAValue {
        var fields: [String: HMAValue] = [:]
        if let contentId { fields["content_id"] = .string(contentId) }
        if let contentURI { fields["content_uri"] = .string(contentURI) }
        if let json { fields["json"] = .object(json) }
        return .object(fields)
    }
}
