public import VigilDomain
public import VigilHash
public import VigilStore

/// Which lists a lookup searches.
public enum ListChoice: Sendable, Hashable {
    /// Every live list.
    case all
    /// Exactly these lists; a name that is not a live list is an error (``MatchError/unknownList(_:)``).
    case named([String])
    /// The live lists among these names; other names are ignored (HMA's `banks=`).
    case filter(Set<String>)
}

/// One lookup: the signals of one piece of content and the rules to apply.
public struct MatchRequest: Sendable {
    /// PDQ hashes to search: the content's hash first, then any dihedral variants.
    public var pdq: [PDQHash]
    /// Exact digests to look up: (type, normalised lower-case hex).
    public var digests: [(type: SignalType, hex: String)]
    /// A video's vPDQ features to score against vpdq entries (empty: no video).
    public var vpdq: [VPDQFeature]
    /// The lists to search.
    public var lists: ListChoice
    /// The content's staged-rollout key (see ``MatchService/rolloutKey(pdq:digests:)``).
    public var rolloutKey: String
    /// Searches lists whatever their staged rollout says (HMA's `bypass_coinflip`).
    public var bypassRollout: Bool
    /// Also searches lists whose kill switch is off and entries that are disabled (HMA's
    /// `raw_lookup`); deleted lists and entries and the radius still apply.
    public var includeDisabled: Bool
    /// What the caller knows about the content's upload, for the report a list's policy files.
    public var subject: FilingContext?

    /// A lookup of `pdq`, `vpdq` and `digests`; the rollout key is
    /// ``MatchService/rolloutKey(pdq:vpdq:digests:)`` of them.
    public init(
        pdq: [PDQHash] = [], vpdq: [VPDQFeature] = [], digests: [(type: SignalType, hex: String)] = [], lists: ListChoice = .all,
        rolloutKey: String? = nil, bypassRollout: Bool = false, includeDisabled: Bool = false
    ) {
        self.pdq = pdq
        self.vpdq = vpdq
        self.digests = digests
        self.lists = lists
        self.rolloutKey = rolloutKey ?? MatchService.rolloutKey(pdq: pdq.first, vpdq: vpdq, digests: digests)
        self.bypassRollout = bypassRollout
        self.includeDisabled = includeDisabled
    }
}

/// An entry that matched, with its list: what every API answers and every webhook carries.
public struct MatchedEntry: Sendable, Hashable {
    /// The entry's list (as the engine last read its settings).
    public var list: StoredList
    /// The entry, with its provenance.
    public var entry: StoredEntry
    /// The Hamming distance (0 for exact digests and videos).
    public var distance: Int
    /// The dihedral variant that matched (`orig` unless variants were searched).
    public var variant: String
    /// For a vpdq entry: the query % and compared % of the two videos' frames that matched.
    public var video: VPDQMatchResult?

    /// Creates a matched entry.
    public init(list: StoredList, entry: StoredEntry, distance: Int, variant: String, video: VPDQMatchResult? = nil) {
        self.list = list
        self.entry = entry
        self.distance = distance
        self.variant = variant
        self.video = video
    }
}

/// An action a matched list's policy asks for.
public struct ActionTaken: Sendable, Hashable {
    /// The list's name.
    public var list: String
    /// The action.
    public var action: ListAction
    /// The outbox message that carries the webhook, when the list has one.
    public var deliveryId: Int64?
    /// The filing recorded for the Centre, when the list's policy files reports.
    public var filingId: Int64?
}

/// The answer to a lookup: what was looked up (as echoed to the caller), the matches, the actions.
public struct MatchOutcome: Sendable {
    /// The query as answered (e.g. `type` and `value`, or a file's `pdq`, `quality`, `md5`, `sha256`).
    public var query: [String: String]
    /// The matches that passed every rule.
    public var matches: [MatchedEntry]
    /// The actions taken (recorded in the outbox before this is returned).
    public var actions: [ActionTaken]
    /// The review item the content was queued as, if any (recorded before this is returned).
    public var review: QueuedReview? = nil

    /// An answer.
    public init(query: [String: String], matches: [MatchedEntry], actions: [ActionTaken], review: QueuedReview? = nil) {
        self.query = query
        self.matches = matches
        self.actions = actions
        self.review = review
    }
}

/// A review item a match queued: its id and why.
public struct QueuedReview: Sendable, Hashable {
    /// The item's id (`GET /v1/reviews/{id}`).
    public var id: Int64
    /// Why it was queued.
    public var reasons: [ReviewReason]

    /// A queued item.
    public init(id: Int64, reasons: [ReviewReason]) {
        self.id = id
        self.reasons = reasons
    }
}

/// Why a lookup was refused.
public enum MatchError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A list named in ``ListChoice/named(_:)`` does not exist.
    case unknownList(String)
    /// The index has not finished loading.
    case notReady

    /// What is wrong and what to do.
    public var description: String {
        switch self {
        case .unknownList(let name): "no list is named \"\(name)\""
        case .notReady: "the index is still loading; try again in a few seconds"
        }
    }
}
