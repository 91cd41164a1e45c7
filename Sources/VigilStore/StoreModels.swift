public import Foundation
public import VigilDomain

/// A list as stored: the description plus its database id and timestamps.
public struct StoredList: Sendable, Codable, Hashable {
    /// The database id (also the list tag in the match index).
    public var id: Int64
    /// The list's settings.
    public var list: HashList
    /// When it was created (RFC 3339).
    public var createdAt: String
    /// When it was last changed (RFC 3339).
    public var updatedAt: String
    /// The number of live entries.
    public var entryCount: Int

    /// Whether the list was deleted (its row stays, renamed `name~deleted~id`, for its
    /// tombstones' sake; valid names cannot hold a `~`).
    public var isDeleted: Bool { list.name.utf8.contains(UInt8(ascii: "~")) }
}

/// An entry as stored, with its provenance.
public struct StoredEntry: Sendable, Codable, Hashable {
    /// The entry's id: stable, never reused, and the id the match index reports.
    public var id: Int64
    /// The list it belongs to.
    public var listId: Int64
    /// The signal type.
    public var type: SignalType
    /// The normalised value.
    public var value: String
    /// Where it came from.
    public var provenance: Provenance
    /// Until when (RFC 3339) the entry is disabled, if it is.
    public var disabledUntil: String?
    /// When it was added (RFC 3339).
    public var createdAt: String
    /// When it was deleted (a tombstone), if it was.
    public var deletedAt: String?
    /// The id of the content it is a signal of, when it was added with other signals of the same
    /// content (see ``IndicatorRecord/contentKey``) and is not the first of them; `nil` otherwise.
    public var contentId: Int64? = nil
}

extension StoredEntry {
    /// The id of the content the entry is a signal of: the first entry's id of those added as
    /// one content (HMA's `bank_content_id`), its own id otherwise.
    public var content: Int64 { contentId ?? id }

    /// `disabledUntil` as a date (RFC 3339, with or without fractional seconds).
    public var disabledUntilDate: Date? {
        guard let disabledUntil else { return nil }
        return RFC3339.date(from: disabledUntil)
    }

    /// Whether the entry is disabled at `now` (its `disabledUntil` is later): it must not match.
    public func isDisabled(at now: Date) -> Bool {
        guard let until = disabledUntilDate else { return false }
        return until > now
    }
}

/// One change in the entries' change feed, in sequence order.
public struct EntryChange: Sendable, Hashable {
    /// What happened to the entry.
    public enum Kind: String, Sendable, Hashable {
        /// The entry was added.
        case add
        /// The entry was deleted (tombstoned), directly or with its list.
        case remove
        /// The entry was edited (disabled, enabled, its note): it keeps its value, so the indexes
        /// keep it, but a copy of the entry held in memory must be read again.
        case edit
    }

    /// The change's position in the feed (strictly increasing).
    public var sequence: Int64
    /// What happened.
    public var kind: Kind
    /// The entry's id.
    public var entryId: Int64
    /// The entry's list.
    public var listId: Int64
    /// The entry's signal type.
    public var type: SignalType
    /// The entry's value.
    public var value: String
}

/// Changes to a live entry; a field left nil is kept as it is.
public struct EntryEdit: Sendable, Hashable {
    /// Disables the entry until a time (it stays listed but matches nothing before then);
    /// `.some(nil)` enables it again.
    public var disabledUntil: Date??
    /// Replaces the note in the entry's provenance; `.some(nil)` removes it.
    public var note: String??

    /// Creates an edit.
    public init(disabledUntil: Date?? = nil, note: String?? = nil) {
        self.disabledUntil = disabledUntil
        self.note = note
    }
}

/// Changes to a list's settings; `nil` fields stay as they are.
public struct ListUpdate: Sendable, Codable, Hashable {
    /// A new name (the list keeps its id, entries, history and action policy).
    public var name: String?
    /// A new kind.
    public var kind: ListKind?
    /// A new match radius.
    public var matchRadius: Int?
    /// A new enabled ratio.
    public var enabledRatio: Double?
    /// The kill switch.
    public var enabled: Bool?

    /// Creates an update.
    public init(name: String? = nil, kind: ListKind? = nil, matchRadius: Int? = nil, enabledRatio: Double? = nil, enabled: Bool? = nil) {
        self.name = name
        self.kind = kind
        self.matchRadius = matchRadius
        self.enabledRatio = enabledRatio
        self.enabled = enabled
    }
}
