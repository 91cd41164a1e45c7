public import VigilDomain

/// A row or entry that could not be imported, and why. The import carries on with the next one.
public struct ImportIssue: Sendable, Equatable, CustomStringConvertible {
    /// Where the problem is, 1-based: the line for TSV and JSON Lines, the line a record starts on for
    /// CSV, the entry's position in the input for NCMEC XML and StopNCII JSON.
    public var record: Int
    /// What is wrong and what would be accepted.
    public var message: String

    /// Creates an issue.
    public init(record: Int, message: String) {
        self.record = record
        self.message = message
    }

    /// The issue as one line: `record 12: <message>`.
    public var description: String { "record \(record): \(message)" }
}

/// A tombstone for a whole source item: the source deleted the item with this id, whose indicator
/// values the page does not repeat (NCMEC's `<deletedImage>` / `<deletedVideo>`). The store removes
/// every indicator whose provenance has this organisation and item id.
public struct ItemDeletion: Sendable, Hashable {
    /// Where the tombstone is in the input (as ``ImportIssue/record``).
    public var record: Int
    /// The organisation that deleted the item (e.g. "NCMEC").
    public var sourceOrganisation: String
    /// That organisation's id of the deleted item.
    public var sourceItemId: String
    /// When the source deleted it, as the source wrote it (RFC 3339), if given.
    public var deletedAt: String?
    /// How many of the batch's records came before it in the input, so that it is applied between
    /// them and the ones after it (an item put, deleted and put again in one page stays); nil: after
    /// all of the batch's records (a source whose pages are not in time order, as NCMEC's sections).
    public var afterRecords: Int?

    /// Creates a tombstone.
    public init(record: Int, sourceOrganisation: String, sourceItemId: String, deletedAt: String? = nil, afterRecords: Int? = nil) {
        self.record = record
        self.sourceOrganisation = sourceOrganisation
        self.sourceItemId = sourceItemId
        self.deletedAt = deletedAt
        self.afterRecords = afterRecords
    }
}

/// What one call to a reader produced: the records completed by the bytes fed so far, and the
/// problems found in them. Records are in input order.
public struct ImportBatch: Sendable, Equatable {
    /// The indicators (adds and per-value deletes), in input order.
    public var records: [IndicatorRecord]
    /// Rows or entries that were skipped, with their numbers and reasons.
    public var issues: [ImportIssue]
    /// Whole-item tombstones (only formats whose deletes name an item, not a value: NCMEC XML).
    public var itemDeletions: [ItemDeletion]
    /// Values present in the input but not imported because Vigil does not use their kind, counted by
    /// kind (e.g. `"sha1": 12` for NCMEC fingerprints, `"VideoTMK": 3` for StopNCII hash types).
    public var ignored: [String: Int]

    /// Creates a batch; every part defaults to empty.
    public init(
        records: [IndicatorRecord] = [], issues: [ImportIssue] = [], itemDeletions: [ItemDeletion] = [],
        ignored: [String: Int] = [:]
    ) {
        self.records = records
        self.issues = issues
        self.itemDeletions = itemDeletions
        self.ignored = ignored
    }

    /// Whether the batch holds nothing at all.
    public var isEmpty: Bool { records.isEmpty && issues.isEmpty && itemDeletions.isEmpty && ignored.isEmpty }

    /// Appends another batch (the later one) to this one, adding up the ignored counts.
    public mutating func append(_ other: ImportBatch) {
        records += other.records
        issues += other.issues
        itemDeletions += other.itemDeletions
        ignored.merge(other.ignored, uniquingKeysWith: +)
    }

    /// Counts one ignored value of the given kind.
    mutating func ignore(_ kind: String) {
        ignored[kind, default: 0] += 1
    }
}

extension ImportBatch {
    /// Appends `record`, or, when its provenance is refused (see ``Provenance/validate()``), records
    /// an issue for input record `number` instead (that record is skipped; the import goes on).
    mutating func append(_ record: IndicatorRecord, from number: Int) {
        do throws(ProvenanceValidationError) {
            try record.provenance.validate()
            records.append(record)
        } catch {
            issues.append(ImportIssue(record: number, message: "\(error.description); skipped"))
        }
    }
}
