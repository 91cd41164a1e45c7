import CVigilSupport

/// One entry within the search radius of a query.
public struct IndexMatch: Sendable, Hashable, Comparable {
    /// The entry's 64-bit id, as given when the index was built.
    public var id: UInt64
    /// The Hamming distance between the entry and the query (0...256).
    public var distance: Int
    /// The entry's list tag (0 when the index has none).
    public var list: UInt16

    /// Creates a match.
    public init(id: UInt64, distance: Int, list: UInt16 = 0) {
        self.id = id
        self.distance = distance
        self.list = list
    }

    /// Nearest first, then by id, then by list.
    public static func < (lhs: IndexMatch, rhs: IndexMatch) -> Bool {
        (lhs.distance, lhs.id, lhs.list) < (rhs.distance, rhs.id, rhs.list)
    }
}

/// How the index finds candidates.
public enum IndexConfiguration: Sendable, Equatable {
    /// Multi-index hashing with substrings about log2(count) bits wide; a linear scan for small
    /// lists, and per query whenever the radius is so large that a scan is cheaper.
    case automatic
    /// Compare the query with every entry (the oracle in tests; best for tiny lists).
    case linearScan
    /// Multi-index hashing with `substrings` substrings of (nearly) equal width (each 1...24 bits).
    case multiIndex(substrings: Int)
}

/// Why a search's arguments were refused.
public enum IndexQueryError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The radius must be 0...256 (PDQ matches are usually at 31 or less).
    case radiusOutOfRange(Int)
    /// k-nearest needs k of at least 1.
    case invalidK(Int)

    /// What is wrong and what to pass instead.
    public var description: String {
        switch self {
        case .radiusOutOfRange(let radius): "radius \(radius) is out of range; use 0...256 (31 is PDQ's usual match threshold)"
        case .invalidK(let k): "k must be at least 1, got \(k)"
        }
    }
}

/// Why an index could not be built from the given arrays.
public enum IndexBuildError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `ids` (or `lists`) does not have one element per hash.
    case countMismatch(hashes: Int, other: Int)
    /// More than 4,294,967,294 entries.
    case tooManyEntries(Int)
    /// A multi-index configuration with an impossible number of substrings.
    case invalidSubstringCount(Int)

    /// What is wrong and what to pass instead.
    public var description: String {
        switch self {
        case .countMismatch(let hashes, let other):
            "there are \(hashes) hashes but \(other) ids or list tags; pass one per hash"
        case .tooManyEntries(let count):
            "\(count) entries is more than one index holds (4,294,967,294); split the lists over several indexes"
        case .invalidSubstringCount(let m):
            "multi-index hashing needs 11...256 substrings of at most 24 bits, got \(m)"
        }
    }
}

/// An immutable, exact Hamming-radius index over 256-bit hashes.
///
/// Searches return every entry within the radius, never an approximation: candidates come from
/// multi-index hashing (or a linear scan) and every one is verified against the full hash. The
/// index is a value backed by one immutable block of memory, so it can be shared across threads
/// and tasks freely; ``LiveIndex`` adds updates on top.
///
/// ```swift
/// let index = try HammingIndex(hashes: hashes, ids: ids)
/// for match in try index.search(query, radius: 31) { print(match.id, match.distance) }
/// ```
public struct HammingIndex: Sendable {
    let storage: IndexStorage

    /// The default PDQ match radius.
    public static let defaultRadius = 31

    /// Builds an index. `ids[i]` and `lists?[i]` belong to `hashes[i]`; ids need not be unique.
    public init(
        hashes: [SIMD4<UInt64>],
        ids: [UInt64],
        lists: [UInt16]? = nil,
        configuration: IndexConfiguration = .automatic
    ) throws(IndexBuildError) {
        guard ids.count == hashes.count else { throw .countMismatch(hashes: hashes.count, other: ids.count) }
        if let lists, lists.count != hashes.count { throw .countMismatch(hashes: hashes.count, other: lists.count) }
        guard hashes.count < Int(UInt32.max) else { throw .tooManyEntries(hashes.count) }
        let substrings: SubstringLayout?
        switch configuration {
        case .automatic: substrings = SubstringLayout.automatic(count: hashes.count)
        case .linearScan: substrings = nil
        case .multiIndex(let m):
            guard m >= 11, m <= 256 else { throw .invalidSubstringCount(m) }
            substrings = SubstringLayout.even(m)
        }
        storage = IndexBuilder.build(hashes: hashes, ids: ids, lists: lists, substrings: substrings)
    }

    init(storage: IndexStorage) {
        self.storage = storage
    }

    /// The number of entries.
    public var count: Int { storage.count }

    /// The bytes this index occupies (entries, ids, list tags and tables); also its file size.
    public var memoryFootprint: Int { storage.layout.totalSize }

    /// The number of multi-index substrings (0 for a linear-scan index).
    public var substringCount: Int { storage.layout.substrings?.count ?? 0 }

    /// Whether entries carry list tags.
    public var hasLists: Bool { storage.lists != nil }

    /// Every entry within `radius` of `query`, nearest first.
    ///
    /// - Parameter lists: only entries tagged with one of these lists (all entries when `nil`).
    public func search(_ query: SIMD4<UInt64>, radius: Int = defaultRadius, lists: Set<UInt16>? = nil)
        throws(IndexQueryError) -> [IndexMatch]
    {
        guard (0...256).contains(radius) else { throw .radiusOutOfRange(radius) }
        var matches: [IndexMatch] = []
        Searcher(storage: storage, lists: lists).search(query, radius: radius) { position, distance in
            matches.append(IndexMatch(id: storage.ids[position], distance: distance, list: storage.lists?[position] ?? 0))
        }
        matches.sort()
        return matches
    }

    /// Searches several variants of one query (for example the 8 dihedral transforms of an image)
    /// and reports each matching entry once, with the variant (index into `variants`) that came
    /// nearest.
    public func search(variants: [SIMD4<UInt64>], radius: Int = defaultRadius, lists: Set<UInt16>? = nil)
        throws(IndexQueryError) -> [(match: IndexMatch, variant: Int)]
    {
        guard (0...256).contains(radius) else { throw .radiusOutOfRange(radius) }
        var best: [Int: (distance: Int, variant: Int)] = [:]
        let searcher = Searcher(storage: storage, lists: lists)
        for (variant, query) in variants.enumerated() {
            searcher.search(query, radius: radius) { position, distance in
                if let current = best[position], current.distance <= distance { return }
                best[position] = (distance, variant)
            }
        }
        return best.map { position, found in
            (IndexMatch(id: storage.ids[position], distance: found.distance, list: storage.lists?[position] ?? 0), found.variant)
        }.sorted { ($0.match, $0.variant) < ($1.match, $1.variant) }
    }

    /// The `k` entries nearest to `query` (fewer if the index is smaller), nearest first; ties at
    /// the k-th distance are broken by id.
    public func nearest(_ query: SIMD4<UInt64>, k: Int, lists: Set<UInt16>? = nil) throws(IndexQueryError) -> [IndexMatch] {
        guard k >= 1 else { throw .invalidK(k) }
        // Exact search at growing radii: the first radius that yields k entries contains the k nearest.
        for radius in [8, 16, 24, 32, 40, 48, 64, 96, 128, 256] {
            let found = try search(query, radius: radius, lists: lists)
            if found.count >= k || radius == 256 {
                return Array(found.prefix(k))
            }
        }
        return []
    }
}

/// The search loop, shared by every public search.
struct Searcher {
    let storage: IndexStorage
    let lists: Set<UInt16>?

    /// Calls `report(position, distance)` once for every entry within `radius`, in no order.
    func search(_ query: SIMD4<UInt64>, radius: Int, report: (Int, Int) -> Void) {
        if let substrings = storage.layout.substrings, Self.multiIndexIsCheaper(substrings, count: storage.count, radius: radius) {
            multiIndexSearch(query, radius: radius, substrings: substrings, report: report)
        } else {
            linearSearch(query, radius: radius, report: report)
        }
    }

    /// Whether the entry passes the list filter (an index without tags has every entry on list 0).
    @inline(__always)
    func accepts(_ position: Int) -> Bool {
        guard let lists else { return true }
        return lists.contains(storage.lists?[position] ?? 0)
    }

    func linearSearch(_ query: SIMD4<UInt64>, radius: Int, report: (Int, Int) -> Void) {
        let hashes = storage.hashes
        for position in 0..<storage.count {
            let distance = hammingDistance(hashes[position], query)
            if distance <= radius && accepts(position) {
                report(position, distance)
            }
        }
    }

    /// Probes one substring table at a time in three sweeps — bucket bounds, then postings, then
    /// verification against the full hashes — so that the cache misses inside each sweep are
    /// independent and the processor overlaps them, instead of waiting for each in turn.
    func multiIndexSearch(_ query: SIMD4<UInt64>, radius: Int, substrings: SubstringLayout, report: (Int, Int) -> Void) {
        let radii = substrings.radii(for: radius)
        let hashes = storage.hashes
        var values: [Int] = []
        var ranges: [(Int, Int)] = []
        var positions: [UInt32] = []
        for j in 0..<substrings.count where radii[j] >= 0 {
            let width = substrings.widths[j]
            let offsets = storage.offsets[j]
            values.removeAll(keepingCapacity: true)
            forEachValue(within: min(radii[j], width), of: substrings.extract(query, j), width: width) {
                values.append($0)
            }
            ranges.removeAll(keepingCapacity: true)
            let lookahead = 8
            for (index, value) in values.enumerated() {
                if index + lookahead < values.count { vigil_prefetch(offsets + values[index + lookahead]) }
                let start = Int(offsets[value])
                let end = Int(offsets[value + 1])
                if start < end { ranges.append((start, end)) }
            }
            positions.removeAll(keepingCapacity: true)
            if let postings = storage.postings[j] {
                for (start, _) in ranges { vigil_prefetch(postings + start) }
                for (start, end) in ranges {
                    for slot in start..<end { positions.append(postings[slot]) }
                }
            } else {
                for (start, end) in ranges {
                    for slot in start..<end { positions.append(UInt32(truncatingIfNeeded: slot)) }
                }
            }
            for (index, entry) in positions.enumerated() {
                if index + lookahead < positions.count { vigil_prefetch(hashes + Int(positions[index + lookahead])) }
                let position = Int(entry)
                let difference = hashes[position] ^ query
                let distance = popCount(difference)
                if distance <= radius
                    && !Self.foundEarlier(difference, before: j, substrings: substrings, radii: radii)
                    && accepts(position)
                {
                    report(position, distance)
                }
            }
        }
    }

    /// Whether a substring probed before `j` already found this entry (so it is reported once).
    @inline(__always)
    static func foundEarlier(_ difference: SIMD4<UInt64>, before j: Int, substrings: SubstringLayout, radii: [Int]) -> Bool {
        var i = 0
        while i < j {
            if radii[i] >= 0 {
                let bits = SubstringLayout.extract(difference, start: substrings.starts[i], width: substrings.widths[i])
                if bits.nonzeroBitCount <= radii[i] { return true }
            }
            i += 1
        }
        return false
    }

    /// Calls `body` with every `width`-bit value within Hamming distance `radius` of `centre`.
    @inline(__always)
    func forEachValue(within radius: Int, of centre: Int, width: Int, _ body: (Int) -> Void) {
        body(centre)
        guard radius >= 1 else { return }
        for a in 0..<width {
            let va = centre ^ (1 << a)
            body(va)
            guard radius >= 2 else { continue }
            for b in 0..<a {
                let vb = va ^ (1 << b)
                body(vb)
                guard radius >= 3 else { continue }
                Self.flipMore(vb, below: b, remaining: radius - 2, body)
            }
        }
    }

    /// Flips `remaining` more bits (each below `limit`, in decreasing order) in every way.
    static func flipMore(_ value: Int, below limit: Int, remaining: Int, _ body: (Int) -> Void) {
        for c in 0..<limit {
            let vc = value ^ (1 << c)
            body(vc)
            if remaining > 1 {
                flipMore(vc, below: c, remaining: remaining - 1, body)
            }
        }
    }

    /// Whether the cost model prefers the tables to a linear scan at this radius.
    static func multiIndexIsCheaper(_ substrings: SubstringLayout, count: Int, radius: Int) -> Bool {
        substrings.estimatedCost(count: count, radius: radius) < Double(count) * SubstringLayout.linearCostPerEntry
    }
}

@inline(__always)
func popCount(_ value: SIMD4<UInt64>) -> Int {
    value[0].nonzeroBitCount &+ value[1].nonzeroBitCount &+ value[2].nonzeroBitCount &+ value[3].nonzeroBitCount
}

/// The Hamming distance between two 256-bit hashes.
@inline(__always)
public func hammingDistance(_ a: SIMD4<UInt64>, _ b: SIMD4<UInt64>) -> Int {
    popCount(a ^ b)
}
