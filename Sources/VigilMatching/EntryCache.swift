import Synchronization
public import VigilStore

/// The matched entries a lookup's answer reads, by id, held in memory: a bounded cache in front of
/// the store's `entries(ids:)`, so that an answer whose hits are cached does not go to the store
/// (a round trip to PostgreSQL; a read in process for SQLite). One mechanism for both stores.
///
/// **Kept true by the change feed.** After it is added an entry changes only by a change the feed
/// records: it is removed (alone, by value, by source item, or with its list), or edited (disabled,
/// enabled, its note). ``MatchEngine`` drops the entry from here in the same step that applies
/// that change to the indexes (``drop(_:)``), on the writing node (which catches up after every
/// write) and on every other node when its follower reads the change.
///
/// **A read never puts an old entry back.** A miss is read from the store and kept, unless a drop
/// happened between the moment the lookup started (``lookup(_:)`` hands out the count of drops so far as a
/// ticket) and the moment it stores what it read (``keep(_:ticket:)``): such a read may have
/// started before a change that has since been applied, so it answers that one lookup (as the store
/// did before the cache existed) and is not kept.
///
/// **Bounded.** At most ``capacity`` entries (0: no cache, every lookup reads the store). When it is
/// full, a new entry replaces one that no lookup has read since the CLOCK hand last passed it
/// (an approximation of the least recently used). Memory, measured on a node
/// (`Benchmarks/server/entry_cache_memory.py`): 426 bytes per entry carrying an id and a note.
/// From the layout: a slot of ~210 bytes (`StoredEntry` inline: two ids, the type, ten strings),
/// ~30 bytes of dictionary, and the heap strings: a PDQ value ~112 bytes, `created_at` ~64, each provenance field
/// over 15 bytes ~50-80; so ~400 bytes for an entry with no provenance and ~500-700 with a full one.
/// The default of 100,000 entries is then at most ~40-70 MB, reached only when that many distinct
/// entries have matched.
public final class EntryCache: Sendable {
    /// The default bound: 100,000 entries.
    public static let defaultCapacity = 100_000

    /// What the cache holds and has done, for tests and operators.
    public struct Status: Sendable, Hashable {
        /// Entries held now.
        public var count: Int
        /// The most entries it holds.
        public var capacity: Int
        /// Ids answered from memory.
        public var hits: Int
        /// Ids read from the store.
        public var misses: Int
        /// Entries replaced to stay within the bound.
        public var evictions: Int
        /// Entries dropped because the feed changed or removed them.
        public var dropped: Int
        /// Store reads not kept because a change was applied while they ran.
        public var discardedReads: Int
    }

    struct Slot {
        var entry: StoredEntry
        var referenced: Bool
    }

    struct State {
        var slots: [Slot] = []
        var positions: [Int64: Int] = [:]
        var hand = 0
        /// How many times ``drop(_:)`` has run: the ticket of a lookup.
        var drops: UInt64 = 0
        var status: Status
    }

    /// The most entries held.
    public let capacity: Int
    private let state: Mutex<State>

    /// A cache of at most `capacity` entries (0 or less: none).
    public init(capacity: Int = EntryCache.defaultCapacity) {
        self.capacity = max(0, capacity)
        state = Mutex(
            State(status: Status(count: 0, capacity: max(0, capacity), hits: 0, misses: 0, evictions: 0, dropped: 0, discardedReads: 0)))
    }

    /// What it holds and has done so far.
    public var status: Status {
        state.withLock { state in
            var status = state.status
            status.count = state.slots.count
            return status
        }
    }

    /// Whether the entry with this id is held now.
    public func contains(_ id: Int64) -> Bool {
        state.withLock { $0.positions[id] != nil }
    }

    /// The entries with these ids: those held here, the others from `read` (the store), keeping
    /// what it read unless a change was applied meanwhile. Ids neither holds are absent.
    public func entries(
        ids: [Int64], reading read: (_ ids: [Int64]) async throws(StoreError) -> [Int64: StoredEntry]
    ) async throws(StoreError) -> [Int64: StoredEntry] {
        let (held, missing, ticket) = lookup(ids)
        guard !missing.isEmpty else { return held }
        var found = held
        let fetched = try await read(missing)
        keep(fetched.values, ticket: ticket)
        found.merge(fetched) { held, _ in held }
        return found
    }

    /// The held entries among `ids`, the ids not held (in order, once each), and the ticket to keep
    /// what is read for them with.
    func lookup(_ ids: [Int64]) -> (found: [Int64: StoredEntry], missing: [Int64], ticket: UInt64) {
        state.withLock { state in
            var found: [Int64: StoredEntry] = [:]
            var missing: [Int64] = []
            for id in ids where found[id] == nil {
                if let position = state.positions[id] {
                    state.slots[position].referenced = true
                    found[id] = state.slots[position].entry
                } else if !missing.contains(id) {
                    missing.append(id)
                }
            }
            state.status.hits += found.count
            state.status.misses += missing.count
            return (found, missing, state.drops)
        }
    }

    /// Keeps entries read from the store after ``lookup(_:)`` handed out `ticket`, unless a drop
    /// happened since. Deleted entries are not kept (the feed is about to drop them).
    func keep(_ entries: some Sequence<StoredEntry>, ticket: UInt64) {
        guard capacity > 0 else { return }
        state.withLock { state in
            guard state.drops == ticket else {
                state.status.discardedReads += 1
                return
            }
            for entry in entries where entry.deletedAt == nil {
                if let position = state.positions[entry.id] {
                    state.slots[position].entry = entry
                } else if state.slots.count < capacity {
                    state.positions[entry.id] = state.slots.count
                    state.slots.append(Slot(entry: entry, referenced: false))
                } else {
                    // CLOCK: the first slot not read since the hand last passed it.
                    while state.slots[state.hand].referenced {
                        state.slots[state.hand].referenced = false
                        state.hand = (state.hand + 1) % state.slots.count
                    }
                    state.positions[state.slots[state.hand].entry.id] = nil
                    state.slots[state.hand] = Slot(entry: entry, referenced: false)
                    state.positions[entry.id] = state.hand
                    state.hand = (state.hand + 1) % state.slots.count
                    state.status.evictions += 1
                }
            }
        }
    }

    /// Drops the entries with these ids (the feed removed or edited them), and makes every store
    /// read that started before this call unkept.
    func drop(_ ids: some Sequence<Int64>) {
        state.withLock { state in
            state.drops &+= 1
            for id in ids {
                guard let position = state.positions.removeValue(forKey: id) else { continue }
                state.status.dropped += 1
                let last = state.slots.count - 1
                if position != last {
                    state.slots[position] = state.slots[last]
                    state.positions[state.slots[position].entry.id] = position
                }
                state.slots.removeLast()
                if state.hand >= state.slots.count { state.hand = 0 }
            }
        }
    }
}
