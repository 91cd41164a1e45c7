import Synchronization

/// One entry of an index: a hash, its 64-bit id and its list tag.
public struct IndexEntry: Sendable, Hashable {
    /// The 256-bit hash.
    public var hash: SIMD4<UInt64>
    /// The caller's 64-bit id for the entry (ids may repeat, e.g. one item on two lists).
    public var id: UInt64
    /// The list the entry belongs to, for per-list filtering.
    public var list: UInt16

    /// Creates an entry.
    public init(hash: SIMD4<UInt64>, id: UInt64, list: UInt16 = 0) {
        self.hash = hash
        self.id = id
        self.list = list
    }
}

/// A change to a ``LiveIndex``.
public enum IndexChange: Sendable, Hashable {
    /// Adds an entry.
    case insert(IndexEntry)
    /// Removes every entry with this id that is present when the change is applied (a tombstone).
    case remove(id: UInt64)
}

/// An index that takes inserts and removals while readers keep searching.
///
/// Readers take an immutable ``Snapshot`` (a pointer copy under a lock held for nanoseconds) and
/// search it without any further coordination. Changes go into a small delta (new entries, scanned
/// linearly, and tombstones) on top of the built ``HammingIndex``; ``compact()`` folds the delta into
/// a new base, built outside the lock, so a new hash is searchable as soon as ``apply(_:feedPosition:)``
/// returns and no reader ever waits for a rebuild.
///
/// ```swift
/// let live = LiveIndex(base: try HammingIndex(hashes: hashes, ids: ids))
/// live.apply([.insert(IndexEntry(hash: newHash, id: 42))])
/// let matches = try live.snapshot.search(query, radius: 31)
/// if live.needsCompaction { Task.detached { try live.compact() } }
/// ```
public final class LiveIndex: Sendable {
    /// An immutable view of the index at one point in its change history.
    public struct Snapshot: Sendable {
        /// The built part.
        public let base: HammingIndex
        /// Entries inserted since `base` was built, oldest first, with their change sequence.
        let added: [(entry: IndexEntry, sequence: UInt64)]
        /// Tombstones since `base` was built: id → sequence of the latest removal.
        let removed: [UInt64: UInt64]
        /// The internal change sequence of the last applied change.
        public let sequence: UInt64
        /// The caller's change-feed position of the last applied change, if given.
        public let feedPosition: UInt64?
        /// The sequence up to which `base` includes changes.
        let baseSequence: UInt64

        /// The number of entries not yet folded into the base (inserts and tombstones).
        public var deltaCount: Int { added.count + removed.count }

        @inline(__always)
        func isVisible(id: UInt64, insertedAt sequence: UInt64) -> Bool {
            guard let removal = removed[id] else { return true }
            return removal < sequence
        }

        /// Every live entry within `radius` of `query`, nearest first.
        public func search(_ query: SIMD4<UInt64>, radius: Int = HammingIndex.defaultRadius, lists: Set<UInt16>? = nil)
            throws(IndexQueryError) -> [IndexMatch]
        {
            var matches = try base.search(query, radius: radius, lists: lists)
            if !removed.isEmpty {
                matches.removeAll { !isVisible(id: $0.id, insertedAt: baseSequence) }
            }
            for (entry, sequence) in added where lists?.contains(entry.list) ?? true {
                let distance = hammingDistance(entry.hash, query)
                if distance <= radius && isVisible(id: entry.id, insertedAt: sequence) {
                    matches.append(IndexMatch(id: entry.id, distance: distance, list: entry.list))
                }
            }
            if !added.isEmpty { matches.sort() }
            return matches
        }

        /// Every live entry, in no particular order.
        public func entries() -> [IndexEntry] {
            let storage = base.storage
            var all: [IndexEntry] = []
            all.reserveCapacity(storage.count + added.count)
            for position in 0..<storage.count where isVisible(id: storage.ids[position], insertedAt: baseSequence) {
                all.append(IndexEntry(hash: storage.hashes[position], id: storage.ids[position], list: storage.lists?[position] ?? 0))
            }
            for (entry, sequence) in added where isVisible(id: entry.id, insertedAt: sequence) {
                all.append(entry)
            }
            return all
        }
    }

    private let state: Mutex<Snapshot>
    private let compacting = Mutex(false)
    private let configuration: IndexConfiguration
    private let tuning: IndexTuning

    /// Starts from a built index. `feedPosition` is the caller's change-feed position it reflects;
    /// `configuration` and `tuning` shape the indexes that ``compact()`` builds.
    public init(
        base: HammingIndex, feedPosition: UInt64? = nil, configuration: IndexConfiguration = .automatic, tuning: IndexTuning = .compact
    ) {
        self.configuration = configuration
        self.tuning = tuning
        state = Mutex(Snapshot(base: base, added: [], removed: [:], sequence: 0, feedPosition: feedPosition, baseSequence: 0))
    }

    /// The current state, for searching.
    public var snapshot: Snapshot {
        state.withLock { $0 }
    }

    /// Applies changes in order. `feedPosition` records how far the caller's change feed has been
    /// applied (for resuming after a restart).
    public func apply(_ changes: [IndexChange], feedPosition: UInt64? = nil) {
        state.withLock { snapshot in
            var added = snapshot.added
            var removed = snapshot.removed
            var sequence = snapshot.sequence
            for change in changes {
                sequence += 1
                switch change {
                case .insert(let entry): added.append((entry, sequence))
                case .remove(let id): removed[id] = sequence
                }
            }
            snapshot = Snapshot(
                base: snapshot.base, added: added, removed: removed, sequence: sequence,
                feedPosition: feedPosition ?? snapshot.feedPosition, baseSequence: snapshot.baseSequence)
        }
    }

    /// Whether the delta has grown large enough that searches would gain from ``compact()``.
    public var needsCompaction: Bool {
        let current = snapshot
        return current.deltaCount > max(1024, current.base.count / 64)
    }

    /// Whether there is any delta to fold in: a caller that has seen no changes for a while can
    /// compact then, so that a burst's remainder is not scanned linearly by every later search.
    public var hasDelta: Bool {
        snapshot.deltaCount > 0
    }

    /// Folds the delta into a new base index. The build runs without holding the lock, so
    /// searches and changes go on meanwhile; changes applied during the build are kept. Returns
    /// `false` without doing anything if another compaction is running.
    @discardableResult
    public func compact() throws(IndexBuildError) -> Bool {
        let started = compacting.withLock { running -> Bool in
            if running { return false }
            running = true
            return true
        }
        guard started else { return false }
        defer { compacting.withLock { $0 = false } }

        let from = snapshot
        let entries = from.entries()
        let base = try HammingIndex(
            hashes: entries.map(\.hash), ids: entries.map(\.id),
            lists: from.base.hasLists || entries.contains { $0.list != 0 } ? entries.map(\.list) : nil,
            configuration: configuration, tuning: tuning)
        state.withLock { current in
            // Keep what arrived during the build: inserts are append-only, so they are the suffix.
            let laterInserts = Array(current.added.dropFirst(from.added.count))
            let laterRemovals = current.removed.filter { $0.value > from.sequence }
            current = Snapshot(
                base: base, added: laterInserts, removed: laterRemovals, sequence: current.sequence,
                feedPosition: current.feedPosition, baseSequence: from.sequence)
        }
        return true
    }
}
