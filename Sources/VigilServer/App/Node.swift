public import VigilCentre
public import VigilClassifier
public import VigilDomain
import VigilExchange
public import VigilMatching
public import VigilStore
public import VigilText

/// Everything the node's areas share: the store (by protocol), the match engine and its
/// follower's health, the clock, and the settings. Built once by `vigil serve` (or a test) and
/// handed to ``buildApplication(node:metrics:logger:)``.
public struct Node: Sendable {
    /// The store.
    public var store: any NodeStore
    /// The in-memory indexes and list settings.
    public var engine: MatchEngine
    /// What the index follower last did (for `/ready`).
    public var health: FollowerHealth
    /// Where every reading of the time comes from.
    public var clock: any WallClock
    /// The HTTP server's settings.
    public var settings: ServerSettings
    /// The text indicators conversations are scored against: the sets loaded at start (see
    /// ``TextIndicatorSource``) and the `text_indicator` entries of the lists, following the feed
    /// (with neither, `POST /v1/match/conversation` answers 503 `no_text_indicators`).
    public var textIndicators: ConversationIndicators
    /// What seals and opens the files of the Centre's reports (nil: the node takes no files).
    public var vault: ContentVault?
    /// What seals and opens exchange credentials with the node's master key (by default the
    /// Centre's ``vault``; `vigil serve` sets it on every node; nil: no credential can be stored).
    public var secrets: ContentVault?
    /// The node's exchanges: the kinds it fetches, the fetcher's wake-up and health.
    public var exchanges = NodeExchanges()
    /// The group commit of entry writes, over ``store`` as given to the initialiser (shared by
    /// every request of the node).
    public var entryWrites: EntryWrites
    /// What the retention worker last did (for `/ready`, on a Centre node).
    public var retentionHealth = WorkerHealth(
        activity: "retention sweeps", consequence: "expired reports and files are kept past their time")

    /// A node over `store` and `engine`, scoring conversations against `conversationAssessor`'s
    /// sets and the lists' text indicators.
    public init(
        store: any NodeStore, engine: MatchEngine, health: FollowerHealth = FollowerHealth(), clock: any WallClock = SystemClock(),
        settings: ServerSettings = ServerSettings(), vault: ContentVault? = nil, conversationAssessor: ConversationAssessor? = nil
    ) {
        self.vault = vault
        self.secrets = vault
        self.textIndicators = ConversationIndicators(base: conversationAssessor, engine: engine, clock: clock)
        self.store = store
        self.entryWrites = EntryWrites(store: store)
        self.engine = engine
        self.health = health
        self.clock = clock
        self.settings = settings
        exchanges.registry.register(SampleExchangeMaker(types: settings.hmaSignalTypes))
    }

    /// The one match service (the answer rules and actions) over this node's engine and store.
    public var matching: MatchService { MatchService(engine: engine, store: store, clock: clock, filingProfile: settings.filing?.profile) }

    /// What the filing worker last did (for `/ready`, on a node that files reports).
    public var filingHealth = WorkerHealth(
        activity: "filing rounds", consequence: "reports for the Centre wait in the database (none is lost)")

    /// The classifier of uploaded images (nil: none; `vigil serve` makes one from
    /// ``ServerSettings/classifier``). `/ready` warns while its circuit breaker is open.
    public var classifier: (any Classifier)?

    /// Whether the disk had room for the last writes (for `/ready`); `vigil serve` names the data folder.
    public var storage = StorageHealth()
}
