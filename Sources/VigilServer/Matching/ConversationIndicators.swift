import Foundation
public import Logging
import Metrics
public import ServiceLifecycle
import Synchronization
public import VigilDomain
public import VigilMatching
public import VigilText

/// The node's text indicators as one ``ConversationAssessor``: the sets it loaded at start (its
/// folder, ``TextIndicatorSource``) plus the `text_indicator` entries of its lists, which the change
/// feed keeps current (``MatchEngine/textIndicators``).
///
/// **Build aside, swap at once.** A conversation reads the assessor in place (``current``), never
/// waiting. When the feed has changed the list indicators since the assessor was built,
/// ``refresh()`` builds a new one from the base sets and the entries as they are now, off the
/// request path, then installs it with one swap under a lock, unless an assessor of a later
/// generation is already installed. One rebuild runs at a time. The ``TextIndicatorFollower`` calls
/// it every 200 ms in `vigil serve` (it returns at once when nothing changed); a conversation that
/// finds the assessor stale starts one too (without waiting for it).
///
/// An entry whose value cannot be used (not a text indicator, or a phrasing with a short form the
/// language's sets expand, which would never match) is left out, logged and counted
/// (`vigil_text_indicators_rejected_total`); a rebuild that fails keeps the previous assessor and
/// is logged, counted (`vigil_text_indicator_rebuild_failures_total`) and reported by `/ready`.
public final class ConversationIndicators: Sendable {
    /// Where a list indicator came from.
    public struct Origin: Sendable, Hashable {
        /// The entry's list id.
        public var listId: Int64
        /// The entry's id.
        public var entryId: Int64
        /// The indicator's own id (the value's `id`).
        public var indicatorId: String
    }

    /// One built assessor and what it was built from.
    public struct Built: Sendable {
        /// The assessor (nil: no base set and no list indicator).
        public let assessor: ConversationAssessor?
        /// The list indicators in it by (built set id, built indicator id).
        let origins: [String: [String: Origin]]
        /// The generation of the list entries it reflects (``TextIndicatorEntries/generation``).
        public let generation: UInt64
        /// How many list indicators it holds.
        public let listed: Int
        /// How many list entries were left out of it.
        public let rejected: Int

        /// Where the hit `setId`/`indicatorId` came from, when it is a list indicator.
        public func origin(set setId: String, indicator indicatorId: String) -> Origin? { origins[setId]?[indicatorId] }
    }

    /// The sets loaded at start.
    public let base: [IndicatorSet]
    let engine: MatchEngine
    let clock: any WallClock
    let logger: Logger
    private let installed: Mutex<Built>
    private let rebuilding = Atomic<Bool>(false)
    /// What the rebuilds last did (for `/ready`).
    public let health = WorkerHealth(
        activity: "text indicator rebuilds", consequence: "conversations are scored against the list indicators as they were before")
    private let failures = Counter(label: "vigil_text_indicator_rebuild_failures_total")
    private let rejections = Counter(label: "vigil_text_indicators_rejected_total")
    private let counts = Mutex((rebuilds: 0, failures: 0))

    /// The node's indicators: `base` (nil: none loaded at start) and the list indicators `engine`
    /// follows. The first assessor is `base` itself; list indicators join at the first ``refresh()``.
    public init(base: ConversationAssessor?, engine: MatchEngine, clock: any WallClock = SystemClock(), logger: Logger = Logger(label: "vigil.text"))
    {
        self.base = base?.sets ?? []
        self.engine = engine
        self.clock = clock
        self.logger = logger
        installed = Mutex(Built(assessor: base, origins: [:], generation: 0, listed: 0, rejected: 0))
    }

    /// The assessor installed now (never waits for a rebuild).
    public var current: Built { installed.withLock { $0 } }

    /// Whether the feed has changed the list indicators since the installed assessor was built.
    public var isStale: Bool { engine.textIndicators.generation != installed.withLock { $0.generation } }

    /// Rebuilds and rebuild failures so far (for tests).
    public var rebuildCounts: (rebuilds: Int, failures: Int) { counts.withLock { $0 } }

    /// Builds an assessor from the base sets and the list indicators as the feed left them, when
    /// they changed since the installed one, and installs it; returns whether it installed one. A
    /// rebuild already running makes this return false at once (the next call sees what it missed).
    @discardableResult
    public func refresh() -> Bool {
        let entries = engine.textIndicators
        guard entries.generation != installed.withLock({ $0.generation }) else { return false }
        guard rebuilding.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else { return false }
        defer { rebuilding.store(false, ordering: .releasing) }
        let now = clock.now()
        health.started(at: now)
        let built: Built
        do throws(TextError) {
            built = try build(entries)
        } catch {
            counts.withLock { $0.failures += 1 }
            failures.increment()
            health.failed(error, at: now)
            logger.error(
                "text indicators not rebuilt; conversations use the previous ones",
                metadata: ["generation": "\(entries.generation)", "error": "\(error.message)"])
            return false
        }
        let swapped = installed.withLock { current -> Bool in
            // Generations only grow: never install an older build over a newer one.
            guard built.generation > current.generation else { return false }
            current = built
            return true
        }
        counts.withLock { $0.rebuilds += 1 }
        health.succeeded(at: clock.now())
        if swapped {
            logger.info(
                "text indicators rebuilt",
                metadata: ["generation": "\(built.generation)", "listed": "\(built.listed)", "rejected": "\(built.rejected)"])
        }
        return swapped
    }

    /// Starts ``refresh()`` in the background when the installed assessor is stale (a conversation
    /// calls this and goes on with the installed one).
    public func refreshInBackground() {
        guard isStale, !rebuilding.load(ordering: .acquiring) else { return }
        Task.detached(priority: .utility) { [self] in refresh() }
    }

    /// An assessor over the base sets and `entries`: one set per (list, language, category), each
    /// indicator named by its entry (`entry-<id>`) so that two entries with the same indicator id
    /// stay apart; the hits map back through ``Built/origin(set:indicator:)``.
    func build(_ entries: TextIndicatorEntries) throws(TextError) -> Built {
        var abbreviations: [String: [String: String]] = [:]
        for set in base { abbreviations[set.language, default: [:]].merge(set.abbreviations) { first, _ in first } }
        struct Key: Hashable {
            var listId: Int64
            var language: String
            var category: IndicatorCategory
        }
        var groups: [Key: [TextIndicator]] = [:]
        var origins: [String: [String: Origin]] = [:]
        var rejected = 0
        for (entryId, entry) in entries.entries.sorted(by: { $0.key < $1.key }) {
            do throws(TextError) {
                let listed = try ListedTextIndicator.read(entry.value)
                // Messages are read with the language's abbreviations expanded (those of the base sets).
                try listed.indicator.validate(category: listed.category, abbreviations: abbreviations[listed.language] ?? [:])
                var indicator = listed.indicator
                indicator.id = "entry-\(entryId)"
                let key = Key(listId: entry.listId, language: listed.language, category: listed.category)
                groups[key, default: []].append(indicator)
                origins[Self.setId(key.listId, key.language, key.category), default: [:]][indicator.id] = Origin(
                    listId: entry.listId, entryId: entryId, indicatorId: listed.indicator.id)
            } catch {
                rejected += 1
                rejections.increment()
                logger.error(
                    "text indicator entry left out", metadata: ["entry": "\(entryId)", "list": "\(entry.listId)", "error": "\(error.message)"])
            }
        }
        var sets = base
        for (key, indicators) in groups.sorted(by: {
            ($0.key.listId, $0.key.language, $0.key.category.rawValue) < ($1.key.listId, $1.key.language, $1.key.category.rawValue)
        }) {
            sets.append(
                IndicatorSet(
                    id: Self.setId(key.listId, key.language, key.category), language: key.language, category: key.category,
                    version: "generation \(entries.generation)",
                    provenance: IndicatorProvenance(source: "list \(key.listId)", basis: "the list's text_indicator entries"), indicators: indicators)
            )
        }
        let assessor = sets.isEmpty ? nil : try ConversationAssessor(sets: sets)
        return Built(
            assessor: assessor, origins: origins, generation: entries.generation, listed: origins.values.map(\.count).reduce(0, +),
            rejected: rejected)
    }

    /// The id of the built set of one list's indicators in one language and category (a set file's
    /// id cannot be taken: `list:` is not in the ids Vigil ships, and a clash fails the rebuild).
    static func setId(_ listId: Int64, _ language: String, _ category: IndicatorCategory) -> String {
        "list:\(listId):\(language):\(category.rawValue)"
    }
}

/// Rebuilds the node's ``ConversationIndicators`` when the change feed has changed the list
/// indicators: checks every `interval` (a read of one number) and rebuilds aside. Runs in
/// `vigil serve` beside the ``IndexFollower``.
public struct TextIndicatorFollower: Service {
    let indicators: ConversationIndicators
    let interval: Duration

    /// A follower of `indicators`, checking every `interval`.
    public init(indicators: ConversationIndicators, interval: Duration = .milliseconds(200)) {
        self.indicators = indicators
        self.interval = interval
    }

    /// Checks and rebuilds until graceful shutdown.
    public func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                while !Task.isCancelled {
                    indicators.refresh()
                    try await Task.sleep(for: interval)
                }
            }
        } catch is CancellationError {
            // Graceful shutdown: nothing is held but the installed assessor.
        }
    }
}
