import Synchronization
import VigilDomain

/// The items' PDQ hashes in memory, so that linking finds an item again by a PDQ within
/// ``ReportLinking/samePDQRadius`` without SQL: the same answer as the 16 indexed lookups of
/// `item_pdq_chunks` followed by the bit-by-bit check (the smallest id within the radius), by the
/// same pigeonhole (two hashes at most 15 bits apart share one of their 16 chunks of 16 bits)
/// over postings in memory.
///
/// It is a cache of the `items` table, which is append-only for this purpose (an item's PDQ is
/// written when the item is made and never changes, items are never deleted), and both stores use
/// it the same way, each giving the catch-up read of its own table (``prepare(for:loadingAfter:)``):
///
/// - Linking's first call in each write transaction catches up with what is committed: it reads
///   the items past the last id it holds (none, in the steady state; all of them after a start),
///   before that transaction has made any item (only linking makes items, and it asks here first).
/// - Items made by the transaction are held apart (``pending``) and searched after the committed
///   ones (their ids are larger); they are dropped when the next transaction starts, whether this
///   one committed (the next catch-up reads them back from the table) or rolled back (they are gone).
///
/// The catch-up by "ids above the last one held" misses nothing because committed item ids only
/// grow: a transaction that makes items holds the store's one writer (SQLite's write lock;
/// PostgreSQL's writer lock, an advisory lock every node's writers take until they commit), so
/// an id is allocated only after every item committed before it, and a transaction that rolls
/// back leaves a gap, never a smaller id committed later. With several nodes on one PostgreSQL
/// database each node holds its own index: an item another node made is committed before this
/// node's next write transaction takes the writer lock, so that transaction's catch-up (a read
/// inside it, after the lock) reads it. A node's index may lag while it does not write, never
/// while it links.
///
/// So what it answers is what the SQL sees in the same transaction, across rollbacks, restarts and
/// nodes, and whatever else wrote the table. A lookup checks the items sharing one of the query's
/// chunks (about 16 × N / 65,536 of N items) in memory, where the SQL read each candidate's row and
/// parsed its hex; it holds about 110 bytes per item with a PDQ (id, hash, 16 postings).
final class ItemPDQIndex: Sendable {
    /// A PDQ hash as four 64-bit words, the first hex digits in the high bits of the first word.
    typealias Hash = SIMD4<UInt64>

    private struct State {
        /// Committed items with a PDQ, in id order, and their hashes.
        var ids: [Int64] = []
        var hashes: [Hash] = []
        /// Per chunk (its index in the top 4 bits, its 16-bit value below), the positions of the
        /// items with that chunk, ascending (empty until the first item with a PDQ).
        var postings: [[Int32]] = []
        /// Every committed item up to this id is held (those with a PDQ).
        var loadedThrough: Int64 = 0
        /// The write transaction whose items ``pending`` holds.
        var transaction: UInt64 = 0
        /// Items with a PDQ made by that transaction, in id order.
        var pending: [(id: Int64, hash: Hash)] = []
    }

    private let state = Mutex(State())

    /// The index is filled by the first write transaction that links a report.
    init() {}

    /// The hash of PDQ hex text (64 hex digits), or nil.
    static func hash(_ hex: String) -> Hash? {
        var words = Hash()
        var count = 0
        for byte in hex.utf8 {
            guard count < 64 else { return nil }
            let value: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): value = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): value = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            words[count / 16] = words[count / 16] << 4 | UInt64(value)
            count += 1
        }
        return count == 64 ? words : nil
    }

    /// Chunk `index` (0..<16) of `hash`: hex digits `4 * index ..< 4 * index + 4`.
    @inline(__always)
    static func chunk(_ hash: Hash, _ index: Int) -> Int {
        Int(truncatingIfNeeded: hash[index / 4] >> UInt64(48 - 16 * (index % 4))) & 0xffff
    }

    @inline(__always)
    static func distance(_ a: Hash, _ b: Hash) -> Int {
        let x = a ^ b
        return x[0].nonzeroBitCount + x[1].nonzeroBitCount + x[2].nonzeroBitCount + x[3].nonzeroBitCount
    }

    /// Readies the index for write transaction `transaction` (numbered by the store, never 0, one
    /// number per transaction): on its first call, drops the previous transaction's items and
    /// reads the committed items it does not hold yet with `load`, which answers the items (their
    /// id and PDQ text, or nil) with an id above the one given, in id order, read in that transaction.
    func prepare<Failure: Error>(for transaction: UInt64, loadingAfter load: (Int64) throws(Failure) -> [(id: Int64, pdq: String?)])
        throws(Failure)
    {
        let from = state.withLock { state -> Int64? in
            guard state.transaction != transaction else { return nil }
            state.transaction = transaction
            state.pending = []
            return state.loadedThrough
        }
        guard let from else { return }
        let loaded = try load(from).map { (id: $0.id, hash: $0.pdq.flatMap(Self.hash)) }
        guard !loaded.isEmpty else { return }
        state.withLock { state in
            for (id, hash) in loaded {
                state.loadedThrough = max(state.loadedThrough, id)
                guard let hash else { continue }
                if state.postings.isEmpty { state.postings = Array(repeating: [], count: 16 << 16) }
                let position = Int32(state.ids.count)
                state.ids.append(id)
                state.hashes.append(hash)
                for index in 0..<16 { state.postings[index << 16 | Self.chunk(hash, index)].append(position) }
            }
        }
    }

    /// The smallest id of an item within `radius` (at most 15) of `query`: committed, else made by
    /// the current transaction.
    func nearest(_ query: Hash, within radius: Int) -> Int64? {
        precondition(radius < 16, "the 16 chunks find every hash within 15 bits, no further")
        return state.withLock { state in
            var best: Int64?
            for index in 0..<16 where !state.postings.isEmpty {
                for position in state.postings[index << 16 | Self.chunk(query, index)] {
                    let id = state.ids[Int(position)]
                    if let best, id >= best { break }
                    if Self.distance(state.hashes[Int(position)], query) <= radius {
                        best = id
                        break
                    }
                }
            }
            if let best { return best }
            return state.pending.first { Self.distance($0.hash, query) <= radius }?.id
        }
    }

    /// Records an item the current transaction made.
    func add(id: Int64, hash: Hash) {
        state.withLock { $0.pending.append((id, hash)) }
    }

    /// How many committed items with a PDQ it holds (for tests).
    var count: Int { state.withLock { $0.ids.count } }

    /// A PDQ hash's 16 chunks as `index << 16 | value` (the rows of `item_pdq_chunks`).
    static func chunks(_ hash: Hash) -> [Int64] {
        (0..<16).map { Int64($0) << 16 | Int64(chunk(hash, $0)) }
    }

    /// The 16 chunks of PDQ hex text, or nil when it is not 64 hex digits.
    static func chunks(_ hex: String) -> [Int64]? {
        hash(hex).map { chunks($0) }
    }
}
