public import Logging
import Metrics
import Synchronization
public import VigilDomain
public import VigilHash
public import VigilIndex
public import VigilStore
import VigilVideoIndex

/// The in-memory match indexes and list settings of a node, following the store's change feed.
///
/// **A single writer with an idempotent apply.** Any number of callers may run ``catchUp()`` at
/// once (every write through this node does, so that it answers its own writes at once, and the
/// ``IndexFollower`` does every 200 ms): each reads pages of the feed and hands them to one
/// apply step, under a lock, which skips every change at or before the position the indexes
/// already reflect. The feed's sequence decides: a page read twice, or two overlapping pages
/// read by two callers, change the indexes once.
///
/// **Settings refreshes never go back in time.** ``refreshLists()`` takes a ticket before it reads
/// and installs what it read only if no refresh with a later ticket has installed already. A
/// refresh that started after a change was committed reads that change, so a slow refresh that
/// started before it (and read the old settings) can never undo it: a kill switch stays off.
public final class MatchEngine: Sendable {
    struct Indexes: Sendable {
        var pdq: LiveIndex
        var md5 = DigestSet(algorithm: .md5)
        var sha256 = DigestSet(algorithm: .sha256)
        /// The live vpdq entries (see ``VideoEntries``).
        var videos = VideoEntries()
        /// The live text_indicator entries (see ``TextIndicatorEntries``).
        var texts = TextIndicatorEntries()
        var sequence: Int64 = 0
        var loaded = false
    }

    let indexes: Mutex<Indexes>
    /// The vPDQ index over ``Indexes/videos`` as of a generation, built when a lookup needs it.
    private let videoIndex = Mutex<(generation: UInt64, index: VPDQIndex)?>(nil)
    /// The vPDQ matching rules (quality, frame distance, query % and compared % thresholds).
    public let videoMatching: VPDQMatchOptions
    private let settings = Mutex(ListSettings.empty)
    private let nextTicket = Atomic<UInt64>(0)
    private let compacting = Atomic<Bool>(false)
    let store: any MatchSource
    let tuning: IndexTuning
    let logger: Logger
    /// The entries lookups matched, in memory; the feed's removals and edits drop them in the
    /// same step as they change the indexes (see ``EntryCache``).
    public let entryCache: EntryCache
    let rejectedChanges = Counter(label: "vigil_feed_changes_rejected_total")
    let compactionFailures = Counter(label: "vigil_index_compaction_failures_total")
    private let counts = Mutex(EngineCounts())

    /// Failures of background work the engine started itself, for tests and `/metrics`.
    public struct EngineCounts: Sendable, Hashable {
        /// Feed changes whose value could not be indexed (logged with their sequence).
        public var rejectedChanges = 0
        /// Compactions that failed (the delta stays and is still searched).
        public var compactionFailures = 0
    }

    /// Creates an engine over `store`; call ``load()`` (the ``IndexFollower`` does) before answering queries.
    ///
    /// - Parameter tuning: the PDQ index's layout: `.speed` (the default) spends a few hundred
    ///   bytes per hash on candidate filters for 2-3x the lookups per second; `.compact` keeps
    ///   it near 100 bytes per hash (for lists of tens of millions on a small machine).
    /// - Parameter entryCacheCapacity: the most matched entries held in memory (``EntryCache``; 0: none).
    public convenience init(
        store: any ListStore & ActionStore & SignalTypeSettingsStore, tuning: IndexTuning = .speed,
        entryCacheCapacity: Int = EntryCache.defaultCapacity, videoMatching: VPDQMatchOptions = VPDQMatchOptions(),
        logger: Logger = Logger(label: "vigil.engine")
    ) throws {
        try self.init(
            source: StoreMatchSource(store), tuning: tuning, entryCacheCapacity: entryCacheCapacity, videoMatching: videoMatching,
            logger: logger)
    }

    /// Creates an engine reading `source` (a store, or in tests a wrapper around one), holding at
    /// most `entryCacheCapacity` matched entries in memory, matching videos under `videoMatching`
    /// (python-threatexchange's defaults: quality ≥ 50, frames within 31 bits, 80 % / 0 %).
    public init(
        source: any MatchSource, tuning: IndexTuning = .speed, entryCacheCapacity: Int = EntryCache.defaultCapacity,
        videoMatching: VPDQMatchOptions = VPDQMatchOptions(), logger: Logger = Logger(label: "vigil.engine")
    ) throws {
        self.videoMatching = videoMatching
        self.store = source
        self.tuning = tuning
        self.logger = logger
        self.entryCache = EntryCache(capacity: entryCacheCapacity)
        indexes = Mutex(Indexes(pdq: LiveIndex(base: try HammingIndex(hashes: [], ids: []), tuning: tuning)))
    }

    /// Whether the initial load has finished.
    public var isReady: Bool { indexes.withLock { $0.loaded } }

    /// The change-feed position the indexes reflect, and their sizes.
    public var status: EngineStatus {
        indexes.withLock {
            EngineStatus(
                sequence: $0.sequence, pdq: $0.pdq.snapshot.base.count + $0.pdq.snapshot.deltaCount, md5: $0.md5.count,
                sha256: $0.sha256.count, vpdq: $0.videos.count, ready: $0.loaded, textIndicators: $0.texts.count)
        }
    }

    /// Failures of the engine's own background work so far.
    public var failureCounts: EngineCounts { counts.withLock { $0 } }

    /// The lists' settings as last read.
    public var listSettings: ListSettings { settings.withLock { $0 } }

    /// The cached lists by id.
    public var lists: [Int64: StoredList] { listSettings.lists }

    /// The cached action policies by list id.
    public var policies: [Int64: ActionPolicy] { listSettings.policies }

    /// The cached signal type ratios (HMA's signal type configuration), by name.
    public var signalTypeRatios: [String: Double] { listSettings.signalTypeRatios }

    /// Reads the whole change feed, builds the indexes, reads the lists' settings, and marks the
    /// engine ready. Until then ``catchUp()`` does nothing; afterwards it goes on from here.
    public func load() async throws {
        var live: [Int64: EntryChange] = [:]
        var sequence: Int64 = 0
        while true {
            let page = try await store.changes(after: sequence, limit: 50_000)
            guard let last = page.last else { break }
            for change in page {
                switch change.kind {
                case .add: live[change.entryId] = change
                case .remove: live[change.entryId] = nil
                case .edit: break
                }
            }
            sequence = last.sequence
        }
        var hashes: [SIMD4<UInt64>] = []
        var ids: [UInt64] = []
        var tags: [UInt16] = []
        var md5 = DigestSet(algorithm: .md5)
        var sha256 = DigestSet(algorithm: .sha256)
        var videos = VideoEntries()
        var texts = TextIndicatorEntries()
        for change in live.values.sorted(by: { $0.entryId < $1.entryId }) {
            do {
                switch change.type {
                case .pdq:
                    guard let hash = PDQHash(hex: change.value) else { throw FeedValueError() }
                    hashes.append(hash.words)
                    ids.append(UInt64(change.entryId))
                    tags.append(UInt16(truncatingIfNeeded: change.listId))
                case .md5: try md5.insert(hex: change.value, id: UInt64(change.entryId))
                case .sha256: try sha256.insert(hex: change.value, id: UInt64(change.entryId))
                case .vpdq: try videos.insert(change)
                case .textIndicator: texts.insert(change)
                }
            } catch {
                reject(change, error)
            }
        }
        let base = try HammingIndex(hashes: hashes, ids: ids, lists: tags, tuning: tuning)
        // The same settings reload as later changes use, before the engine reports ready.
        try await refreshLists()
        let tuning = tuning
        indexes.withLock { state in
            guard !state.loaded else { return }
            state.pdq = LiveIndex(base: base, tuning: tuning)
            state.md5 = md5
            state.sha256 = sha256
            state.videos = videos
            state.texts = texts
            state.sequence = sequence
            state.loaded = true
        }
    }

    /// Reads and applies every change after the current position; returns how many changes this
    /// call applied (changes another caller applied first are not counted again).
    ///
    /// When any were applied the lists' settings are re-read too (a change may name a list made
    /// on another node). Does nothing before ``load()`` has finished.
    @discardableResult
    public func catchUp() async throws(StoreError) -> Int {
        guard isReady else { return 0 }
        var applied = 0
        var from = indexes.withLock { $0.sequence }
        while true {
            let page = try await store.changes(after: from, limit: 10_000)
            guard let last = page.last else { break }
            applied += apply(page)
            from = last.sequence
        }
        if applied > 0 {
            try await refreshLists()
        }
        compactIfUseful(quiet: applied == 0)
        return applied
    }

    /// Applies a page of the feed, skipping what the indexes already reflect; returns how many
    /// changes were new. The only place the indexes change after loading, and where the entry
    /// cache drops the entries the page removes or edits, in the same step.
    func apply(_ page: [EntryChange]) -> Int {
        var rejected: [(EntryChange, any Error)] = []
        let applied = indexes.withLock { state -> Int in
            let fresh = page.drop { $0.sequence <= state.sequence }
            guard let last = fresh.last else { return 0 }
            var pdqChanges: [IndexChange] = []
            var changedEntries: [Int64] = []
            for change in fresh {
                let id = UInt64(change.entryId)
                if change.kind != .add { changedEntries.append(change.entryId) }
                do {
                    switch (change.type, change.kind) {
                    case (_, .edit): break  // the entry keeps its value, so the indexes keep it; the cache drops it below
                    case (.pdq, .add):
                        guard let hash = PDQHash(hex: change.value) else { throw FeedValueError() }
                        pdqChanges.append(.insert(IndexEntry(hash: hash.words, id: id, list: UInt16(truncatingIfNeeded: change.listId))))
                    case (.pdq, .remove): pdqChanges.append(.remove(id: id))
                    case (.md5, .add): try state.md5.insert(hex: change.value, id: id)
                    case (.md5, .remove): try state.md5.remove(digest: DigestSet.bytes(hex: change.value, algorithm: .md5), id: id)
                    case (.sha256, .add): try state.sha256.insert(hex: change.value, id: id)
                    case (.sha256, .remove): try state.sha256.remove(digest: DigestSet.bytes(hex: change.value, algorithm: .sha256), id: id)
                    case (.vpdq, .add): try state.videos.insert(change)
                    case (.vpdq, .remove): state.videos.remove(change.entryId)
                    case (.textIndicator, .add): state.texts.insert(change)
                    case (.textIndicator, .remove): state.texts.remove(change.entryId)
                    }
                } catch {
                    rejected.append((change, error))
                }
            }
            state.pdq.apply(pdqChanges, feedPosition: UInt64(last.sequence))
            if !changedEntries.isEmpty { entryCache.drop(changedEntries) }
            state.sequence = last.sequence
            return fresh.count
        }
        for (change, error) in rejected { reject(change, error) }
        return applied
    }

    /// Logs and counts a feed change whose value cannot be indexed (the rest of its page is applied).
    private func reject(_ change: EntryChange, _ error: any Error) {
        counts.withLock { $0.rejectedChanges += 1 }
        rejectedChanges.increment()
        logger.error(
            "feed change not indexed",
            metadata: [
                "sequence": "\(change.sequence)", "entry": "\(change.entryId)", "type": "\(change.type.rawValue)",
                "error": "\(error)",
            ])
    }

    /// Folds the PDQ delta into its base in the background when it has grown, or once the feed
    /// goes quiet (so the end of a bulk import is not scanned linearly by every search). One
    /// compaction at a time; a failure is logged and counted, and the delta is still searched.
    private func compactIfUseful(quiet: Bool) {
        let live = indexes.withLock { $0.pdq }
        guard live.needsCompaction || (quiet && live.hasDelta) else { return }
        guard compacting.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else { return }
        Task.detached(priority: .background) { [self] in
            defer { compacting.store(false, ordering: .releasing) }
            do {
                _ = try live.compact()
            } catch {
                counts.withLock { $0.compactionFailures += 1 }
                compactionFailures.increment()
                logger.error("index compaction failed; the delta stays and is still searched", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Re-reads the lists' settings, their action policies and the signal type settings (after
    /// any of them changes), installing them unless a refresh that started later already has.
    public func refreshLists() async throws(StoreError) {
        let ticket = nextTicket.wrappingAdd(1, ordering: .sequentiallyConsistent).newValue
        let lists = try await store.lists()
        let policies = try await store.policies()
        let ratios = try await store.signalTypeRatios()
        settings.withLock { current in
            guard ticket > current.generation else { return }
            current = ListSettings(
                lists: Dictionary(lists.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a }), policies: policies,
                signalTypeRatios: ratios, generation: ticket)
        }
    }

    /// Searches PDQ variants against the chosen lists, each at its own radius; the nearest hit
    /// per entry, nearest first.
    public func matchPDQ(variants: [PDQHash], lists: [StoredList]) throws -> [EngineMatch] {
        guard !lists.isEmpty else { return [] }
        let radius = lists.map(\.list.matchRadius).max() ?? HashList.defaultRadius
        let radii = Dictionary(lists.map { (UInt16(truncatingIfNeeded: $0.id), $0.list.matchRadius) }, uniquingKeysWith: max)
        let snapshot = indexes.withLock { $0.pdq.snapshot }
        var best: [Int64: EngineMatch] = [:]
        for (variant, hash) in variants.enumerated() {
            for match in try snapshot.search(hash.words, radius: radius, lists: Set(radii.keys)) {
                guard let listRadius = radii[match.list], match.distance <= listRadius else { continue }
                let id = Int64(match.id)
                if let current = best[id], current.distance <= match.distance { continue }
                best[id] = EngineMatch(
                    entryId: id, listId: Int64(match.list), distance: match.distance,
                    variant: PDQDihedral(rawValue: variant)?.name ?? "orig")
            }
        }
        return best.values.sorted { ($0.distance, $0.entryId) < ($1.distance, $1.entryId) }
    }

    /// Exact digest lookups; the entries' lists are resolved from the entries themselves.
    public func matchDigest(_ type: SignalType, hex: String) throws -> [Int64] {
        try indexes.withLock { state in
            switch type {
            case .md5: try state.md5.ids(forHex: hex).map { Int64($0) }
            case .sha256: try state.sha256.ids(forHex: hex).map { Int64($0) }
            case .pdq, .vpdq, .textIndicator: []
            }
        }
    }

    /// Scores a video's vPDQ features against the vpdq entries of the chosen lists; every entry
    /// that passes ``videoMatching``'s thresholds, best first (query %, then compared %).
    ///
    /// The vPDQ index is rebuilt from the live entries when the feed has changed them since the
    /// last lookup (video lists are thousands of entries, not millions: a rebuild is cheap next to
    /// decoding one video), so lookups between changes share one index.
    public func matchVPDQ(_ features: [VPDQFeature], lists: [StoredList]) throws -> [EngineMatch] {
        guard !lists.isEmpty, !features.isEmpty else { return [] }
        let videos = indexes.withLock { $0.videos }
        let index = try videoIndex.withLock { cached throws -> VPDQIndex in
            if let cached, cached.generation == videos.generation { return cached.index }
            let built = try VPDQIndex(videos: videos.videos, options: videoMatching)
            cached = (videos.generation, built)
            return built
        }
        let wanted = Set(lists.map(\.id))
        return index.matches(for: features).compactMap { match in
            let entryId = Int64(match.id)
            guard let listId = videos.listIds[entryId], wanted.contains(listId) else { return nil }
            return EngineMatch(entryId: entryId, listId: listId, distance: 0, variant: "orig", video: match.result)
        }
    }
}

/// The live vpdq entries the engine holds: each one's frame features and list, and a generation
/// that changes with every add or remove (so the vPDQ index built from them knows when it is stale).
struct VideoEntries: Sendable {
    private(set) var features: [Int64: [VPDQFeature]] = [:]
    private(set) var listIds: [Int64: Int64] = [:]
    private(set) var generation: UInt64 = 0

    var count: Int { features.count }

    /// The entries as the index takes them, in id order.
    var videos: [VPDQVideo] {
        features.keys.sorted().compactMap { id in features[id].map { VPDQVideo(id: UInt64(id), features: $0) } }
    }

    /// Adds an entry from an `add` change; a value that is not vPDQ text is thrown back.
    mutating func insert(_ change: EntryChange) throws {
        features[change.entryId] = try VPDQText.parse(change.value)
        listIds[change.entryId] = change.listId
        generation &+= 1
    }

    /// Drops an entry (a `remove` change).
    mutating func remove(_ entryId: Int64) {
        guard features.removeValue(forKey: entryId) != nil else { return }
        listIds[entryId] = nil
        generation &+= 1
    }
}

/// The live text_indicator entries the engine holds: each one's value (checked when it was
/// written; the conversation assessor's builder reads it) and list, and a generation that changes
/// with every add or remove, so that the assessor built from them knows when it is stale. Hash
/// lookups never see them.
public struct TextIndicatorEntries: Sendable {
    /// One entry: its list and its value (``VigilDomain/SignalType/textIndicator``'s canonical JSON).
    public struct Entry: Sendable, Hashable {
        /// The entry's list id.
        public var listId: Int64
        /// The value as stored.
        public var value: String
    }

    /// The entries by id.
    public private(set) var entries: [Int64: Entry] = [:]
    /// Changes with every add or remove (0: none ever).
    public private(set) var generation: UInt64 = 0

    /// How many there are.
    public var count: Int { entries.count }

    mutating func insert(_ change: EntryChange) {
        entries[change.entryId] = Entry(listId: change.listId, value: change.value)
        generation &+= 1
    }

    mutating func remove(_ entryId: Int64) {
        guard entries.removeValue(forKey: entryId) != nil else { return }
        generation &+= 1
    }
}

extension MatchEngine {
    /// The live text_indicator entries as the feed last left them, with their generation.
    public var textIndicators: TextIndicatorEntries { indexes.withLock { $0.texts } }
}

/// A feed value that is not a valid hash of its type.
struct FeedValueError: Error, CustomStringConvertible {
    var description: String { "the value is not a valid hash of its type" }
}

extension MatchEngine {
    /// Catches up after a write through this node, so the node answers its own write at once.
    ///
    /// The write is already committed, so a failure here must not fail the request (a client
    /// would retry and duplicate it): it is logged, and the follower applies the change within
    /// its next round (and `/ready` reports a follower that keeps failing).
    public func catchUpAfterWrite() async {
        do {
            try await catchUp()
        } catch {
            logger.warning("catch-up after a write failed; the follower will apply it", metadata: ["error": "\(error)"])
        }
    }

    /// Re-reads the lists' settings after a write through this node; a failure is logged and left
    /// to the follower, as in ``catchUpAfterWrite()``.
    public func refreshAfterWrite() async {
        do {
            try await refreshLists()
        } catch {
            logger.warning("settings refresh after a write failed; the follower will re-read them", metadata: ["error": "\(error)"])
        }
    }
}
