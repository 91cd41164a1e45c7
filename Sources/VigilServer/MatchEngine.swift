import Foundation
import Synchronization
public import VigilDomain
public import VigilHash
public import VigilIndex
public import VigilStore

/// One list entry that matched a query.
public struct EngineMatch: Sendable, Hashable {
    /// The entry's id.
    public var entryId: Int64
    /// The entry's list id.
    public var listId: Int64
    /// The Hamming distance (0 for exact digests).
    public var distance: Int
    /// The dihedral variant that matched (`orig` unless dihedral variants were searched).
    public var variant: String
}

/// The in-memory match indexes, following the store's change feed: a new entry is matchable as
/// soon as the feed is read (within a second), with no rebuild; large deltas are compacted in the
/// background while searches go on.
public actor MatchEngine {
    struct Indexes: Sendable {
        var pdq: LiveIndex
        var md5 = DigestSet(algorithm: .md5)
        var sha256 = DigestSet(algorithm: .sha256)
        var sequence: Int64 = 0
        var ready = false
        var lists: [Int64: StoredList] = [:]
        var policies: [Int64: ActionPolicy] = [:]
        var signalTypeRatios: [String: Double] = [:]
    }

    nonisolated let indexes: Mutex<Indexes>
    let store: any ListStore & ActionStore & SignalTypeSettingsStore
    let tuning: IndexTuning

    /// Creates an engine over `store`; call ``load()`` before answering queries.
    ///
    /// - Parameter tuning: the PDQ index's layout: `.speed` (the default) spends a few hundred
    ///   bytes per hash on candidate filters for 2-3x the lookups per second; `.compact` keeps
    ///   it near 100 bytes per hash (for lists of tens of millions on a small machine).
    public init(store: any ListStore & ActionStore & SignalTypeSettingsStore, tuning: IndexTuning = .speed) throws {
        self.store = store
        self.tuning = tuning
        indexes = Mutex(Indexes(pdq: LiveIndex(base: try HammingIndex(hashes: [], ids: []), tuning: tuning)))
    }

    /// Whether the initial load has finished.
    public nonisolated var isReady: Bool { indexes.withLock { $0.ready } }

    /// The change-feed position the indexes reflect, and their sizes.
    public nonisolated var status: (sequence: Int64, pdq: Int, md5: Int, sha256: Int, ready: Bool) {
        indexes.withLock { ($0.sequence, $0.pdq.snapshot.base.count + $0.pdq.snapshot.deltaCount, $0.md5.count, $0.sha256.count, $0.ready) }
    }

    /// The cached lists by id.
    public nonisolated var lists: [Int64: StoredList] { indexes.withLock { $0.lists } }

    /// The cached action policies by list id.
    public nonisolated var policies: [Int64: ActionPolicy] { indexes.withLock { $0.policies } }

    /// Reads the whole change feed, builds the indexes, and marks the engine ready.
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
                }
            }
            sequence = last.sequence
        }
        var hashes: [SIMD4<UInt64>] = []
        var ids: [UInt64] = []
        var tags: [UInt16] = []
        var md5 = DigestSet(algorithm: .md5)
        var sha256 = DigestSet(algorithm: .sha256)
        for change in live.values.sorted(by: { $0.entryId < $1.entryId }) {
            switch change.type {
            case .pdq:
                guard let hash = PDQHash(hex: change.value) else { continue }
                hashes.append(hash.words)
                ids.append(UInt64(change.entryId))
                tags.append(UInt16(truncatingIfNeeded: change.listId))
            case .md5: try? md5.insert(hex: change.value, id: UInt64(change.entryId))
            case .sha256: try? sha256.insert(hex: change.value, id: UInt64(change.entryId))
            }
        }
        let base = try HammingIndex(hashes: hashes, ids: ids, lists: tags, tuning: tuning)
        // The same settings reload as later changes use, before the engine reports ready.
        try await refreshLists()
        indexes.withLock { state in
            state.pdq = LiveIndex(base: base, tuning: tuning)
            state.md5 = md5
            state.sha256 = sha256
            state.sequence = sequence
            state.ready = true
        }
    }

    /// Applies every change after the current position; returns how many were applied.
    @discardableResult
    public func catchUp() async throws -> Int {
        var applied = 0
        while true {
            let from = indexes.withLock { $0.sequence }
            let page = try await store.changes(after: from, limit: 10_000)
            guard let last = page.last else { break }
            indexes.withLock { state in
                var pdqChanges: [IndexChange] = []
                for change in page {
                    let id = UInt64(change.entryId)
                    switch (change.type, change.kind) {
                    case (.pdq, .add):
                        if let hash = PDQHash(hex: change.value) {
                            pdqChanges.append(.insert(IndexEntry(hash: hash.words, id: id, list: UInt16(truncatingIfNeeded: change.listId))))
                        }
                    case (.pdq, .remove): pdqChanges.append(.remove(id: id))
                    case (.md5, .add): try? state.md5.insert(hex: change.value, id: id)
                    case (.md5, .remove):
                        if let bytes = try? DigestSet.bytes(hex: change.value, algorithm: .md5) { try? state.md5.remove(digest: bytes, id: id) }
                    case (.sha256, .add): try? state.sha256.insert(hex: change.value, id: id)
                    case (.sha256, .remove):
                        if let bytes = try? DigestSet.bytes(hex: change.value, algorithm: .sha256) { try? state.sha256.remove(digest: bytes, id: id) }
                    }
                }
                state.pdq.apply(pdqChanges, feedPosition: UInt64(last.sequence))
                state.sequence = last.sequence
            }
            applied += page.count
        }
        if applied > 0 {
            // Entries on a list this node has not seen yet (created by another node): learn it.
            try await refreshLists()
        }
        // Fold the delta into the base when it has grown, or once the feed goes quiet (so that
        // the end of a bulk import is not scanned linearly by every search until the next one).
        let live = indexes.withLock { $0.pdq }
        if live.needsCompaction || (applied == 0 && live.hasDelta) {
            Task.detached(priority: .background) { try? live.compact() }
        }
        return applied
    }

    /// Re-reads the lists' settings, their action policies and the signal type settings (after any of them changes).
    public func refreshLists() async throws {
        let lists = try await store.lists()
        let policies = try await store.policies()
        let ratios = try await store.signalTypeRatios()
        indexes.withLock {
            $0.lists = Dictionary(lists.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
            $0.policies = policies
            $0.signalTypeRatios = ratios
        }
    }

    /// The cached signal type ratios (HMA's signal type configuration), by name.
    public nonisolated var signalTypeRatios: [String: Double] { indexes.withLock { $0.signalTypeRatios } }

    /// Searches PDQ variants against the chosen lists, each at its own radius.
    public nonisolated func matchPDQ(variants: [PDQHash], lists: [StoredList]) throws -> [EngineMatch] {
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

    /// Exact digest lookups; the entries' lists are resolved by the caller from provenance.
    public nonisolated func matchDigest(_ type: SignalType, hex: String) throws -> [Int64] {
        try indexes.withLock { state in
            switch type {
            case .md5: try state.md5.ids(forHex: hex).map { Int64($0) }
            case .sha256: try state.sha256.ids(forHex: hex).map { Int64($0) }
            case .pdq: []
            }
        }
    }
}
