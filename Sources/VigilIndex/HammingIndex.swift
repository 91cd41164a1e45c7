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

/// What a multi-index layout spends memory on.
public enum IndexTuning: Sendable, Equatable {
    /// The smallest tables that keep searches fast (about 85-120 bytes per hash with ids).
    case compact
    /// Candidate filters beside each table's postings (16 bytes per entry per table), read in
    /// bucket order, so that a search reads the full hash only of entries that may match: about
    /// 2-3x the searches per second of `.compact` at a few hundred bytes per hash. For servers
    /// whose lists fit in memory several times over.
    case speed
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
    ///
    /// - Parameter tuning: `.compact` (the default) keeps the index near 85-120 bytes per hash;
    ///   `.speed` adds a 16-byte candidate filter per entry per table (several hundred bytes per
    ///   hash) so that searches rarely read a non-matching entry's hash.
    public init(
        hashes: [SIMD4<UInt64>],
        ids: [UInt64],
        lists: [UInt16]? = nil,
        configuration: IndexConfiguration = .automatic,
        tuning: IndexTuning = .compact
    ) throws(IndexBuildError) {
        guard ids.count == hashes.count else { throw .countMismatch(hashes: hashes.count, other: ids.count) }
        if let lists, lists.count != hashes.count { throw .countMismatch(hashes: hashes.count, other: lists.count) }
        guard hashes.count < Int(UInt32.max) else { throw .tooManyEntries(hashes.count) }
        let substrings: SubstringLayout?
        switch configuration {
        case .automatic: substrings = SubstringLayout.automatic(count: hashes.count, filters: tuning == .speed)
        case .linearScan: substrings = nil
        case .multiIndex(let m):
            guard m >= 11, m <= 256 else { throw .invalidSubstringCount(m) }
            substrings = SubstringLayout.even(m)
        }
        storage = IndexBuilder.build(hashes: hashes, ids: ids, lists: lists, substrings: substrings, filters: tuning == .speed)
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

    /// How the index was tuned (`.speed` when its tables carry candidate filters).
    public var tuning: IndexTuning { storage.layout.hasFilters ? .speed : .compact }

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

    /// Probes one substring table at a time in sweeps — bucket bounds, then candidates (their
    /// postings and full hashes) — so that the cache misses inside each sweep are independent and
    /// the processor overlaps them, instead of waiting for each in turn; an index with candidate
    /// filters goes to ``pipelinedSearch(_:radius:substrings:radii:report:)`` instead. Scratch space
    /// is one temporary allocation per search; the inner loops run over raw buffers (no closures,
    /// no array growth).
    func multiIndexSearch(_ query: SIMD4<UInt64>, radius: Int, substrings: SubstringLayout, report: (Int, Int) -> Void) {
        let radii = substrings.radii(for: radius)
        if storage.layout.hasFilters {
            return pipelinedSearch(query, radius: radius, substrings: substrings, radii: radii, report: report)
        }
        var capacity = 1
        for j in 0..<substrings.count where radii[j] >= 0 {
            capacity = max(capacity, Int(SubstringLayout.ballSize(width: substrings.widths[j], radius: radii[j])))
        }
        // Per probed value: the value, then (start, end) of its nonempty bucket.
        withUnsafeTemporaryAllocation(of: Int.self, capacity: capacity * 3) { scratch in
            guard let base = scratch.baseAddress else { return }
            let values = base
            let ranges = base + capacity
            for j in 0..<substrings.count where radii[j] >= 0 {
                var nonempty = 0
                let candidates = appendBuckets(
                    of: j, query, substrings: substrings, radius: radii[j], values: values, to: ranges, stride: 2, count: &nonempty)
                verifiedCandidates(
                    query, radius: radius, j: j, substrings: substrings, radii: radii, ranges: ranges, count: nonempty,
                    candidates: candidates, postings: storage.postings[j], report: report)
            }
        }
    }

    /// The search over an index with candidate filters, in two sweeps over every table at once:
    /// first the bounds of every probed bucket (offsets prefetched a few probes ahead), then the
    /// buckets themselves, each bucket's lines prefetched `distance` buckets ahead, so that the
    /// memory system always has several independent misses in flight, across table boundaries too.
    /// Buckets are visited in table order, so ``foundEarlier(_:before:substrings:radii:)`` still
    /// reports each entry once. Table 0's buckets are runs of full hashes (entries are sorted by
    /// substring 0); the other tables' are runs of filters, whose survivors are read in full.
    func pipelinedSearch(_ query: SIMD4<UInt64>, radius: Int, substrings: SubstringLayout, radii: [Int], report: (Int, Int) -> Void) {
        var probeCapacity = 1
        var rangeCapacity = 0
        for j in 0..<substrings.count where radii[j] >= 0 {
            let ball = Int(SubstringLayout.ballSize(width: substrings.widths[j], radius: radii[j]))
            probeCapacity = max(probeCapacity, ball)
            rangeCapacity += ball
        }
        // Probed values of one table, then (start, end, table) of every nonempty bucket.
        withUnsafeTemporaryAllocation(of: Int.self, capacity: probeCapacity + 3 * max(rangeCapacity, 1)) { scratch in
            guard let base = scratch.baseAddress else { return }
            let values = base
            let ranges = base + probeCapacity
            var count = 0
            for j in 0..<substrings.count where radii[j] >= 0 {
                _ = appendBuckets(of: j, query, substrings: substrings, radius: radii[j], values: values, to: ranges, stride: 3, count: &count)
            }
            let distance = 16
            for r in 0..<min(distance, count) { prefetchBucket(ranges, r) }
            var half = SIMD2<UInt64>()
            var halfTable = -1
            for r in 0..<count {
                if r + distance < count { prefetchBucket(ranges, r + distance) }
                let start = ranges[3 * r]
                let end = ranges[3 * r + 1]
                let j = ranges[3 * r + 2]
                guard j > 0, let filters = storage.filters[j], let postings = storage.postings[j] else {
                    for slot in start..<end { check(slot, query, radius: radius, j: j, substrings: substrings, radii: radii, report: report) }
                    continue
                }
                if j != halfTable {
                    half = substrings.filterHalf(query, j)
                    halfTable = j
                }
                for slot in start..<end {
                    let difference = filters[slot] ^ half
                    guard difference[0].nonzeroBitCount &+ difference[1].nonzeroBitCount <= radius else { continue }
                    check(Int(postings[slot]), query, radius: radius, j: j, substrings: substrings, radii: radii, report: report)
                }
            }
        }
    }

    /// Probes table `j`: writes every value within `radius` of the query's substring to `values`,
    /// then appends (start, end) of each nonempty bucket among them to `ranges` from entry `count`
    /// on, `stride` Ints per bucket (with stride 3 the table's index goes third). Offsets are
    /// prefetched a few probes ahead. Returns the number of candidates appended.
    @inline(__always)
    func appendBuckets(
        of j: Int, _ query: SIMD4<UInt64>, substrings: SubstringLayout, radius: Int, values: UnsafeMutablePointer<Int>,
        to ranges: UnsafeMutablePointer<Int>, stride: Int, count: inout Int
    ) -> Int {
        let width = substrings.widths[j]
        let offsets = storage.offsets[j]
        let probes = Self.fillValues(values, centre: substrings.extract(query, j), width: width, radius: min(radius, width))
        let lookahead = 8
        var candidates = 0
        for index in 0..<probes {
            if index + lookahead < probes { vigil_prefetch(offsets + values[index + lookahead]) }
            let value = values[index]
            let start = Int(offsets[value])
            let end = Int(offsets[value + 1])
            if start < end {
                ranges[stride * count] = start
                ranges[stride * count + 1] = end
                if stride > 2 { ranges[stride * count + 2] = j }
                count += 1
                candidates += end - start
            }
        }
        return candidates
    }

    /// Prefetches the lines of bucket `r` of ``pipelinedSearch``'s ranges (at most four lines: a
    /// bucket longer than that is read sequentially, which the hardware prefetcher follows).
    @inline(__always)
    func prefetchBucket(_ ranges: UnsafeMutablePointer<Int>, _ r: Int) {
        let start = ranges[3 * r]
        let end = ranges[3 * r + 1]
        let j = ranges[3 * r + 2]
        let first: UnsafeRawPointer
        let bytes: Int
        if j > 0, let filters = storage.filters[j] {
            first = UnsafeRawPointer(filters + start)
            bytes = (end - start) * MemoryLayout<SIMD2<UInt64>>.stride
        } else {
            first = UnsafeRawPointer(storage.hashes + start)
            bytes = (end - start) * MemoryLayout<SIMD4<UInt64>>.stride
        }
        var offset = 0
        while offset < min(bytes, 256) {
            vigil_prefetch(first + offset)
            offset += 64
        }
    }

    /// Table `j` without filters: gathers the candidates' positions, then verifies their full
    /// hashes with prefetching.
    @inline(__always)
    func verifiedCandidates(
        _ query: SIMD4<UInt64>, radius: Int, j: Int, substrings: SubstringLayout, radii: [Int],
        ranges: UnsafeMutablePointer<Int>, count: Int, candidates: Int, postings: UnsafePointer<UInt32>?,
        report: (Int, Int) -> Void
    ) {
        guard candidates > 0 else { return }
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: candidates) { scratch in
            guard let positions = scratch.baseAddress else { return }
            var n = 0
            if let postings {
                for r in 0..<count { vigil_prefetch(postings + ranges[2 * r]) }
                for r in 0..<count {
                    for slot in ranges[2 * r]..<ranges[2 * r + 1] {
                        positions[n] = postings[slot]
                        n += 1
                    }
                }
            } else {
                for r in 0..<count {
                    for slot in ranges[2 * r]..<ranges[2 * r + 1] {
                        positions[n] = UInt32(truncatingIfNeeded: slot)
                        n += 1
                    }
                }
            }
            let hashes = storage.hashes
            let lookahead = 8
            for index in 0..<n {
                if index + lookahead < n { vigil_prefetch(hashes + Int(positions[index + lookahead])) }
                check(Int(positions[index]), query, radius: radius, j: j, substrings: substrings, radii: radii, report: report)
            }
        }
    }

    /// Verifies one candidate against its full hash and reports it unless an earlier table found it.
    @inline(__always)
    func check(
        _ position: Int, _ query: SIMD4<UInt64>, radius: Int, j: Int, substrings: SubstringLayout, radii: [Int], report: (Int, Int) -> Void
    ) {
        let difference = storage.hashes[position] ^ query
        let distance = popCount(difference)
        if distance <= radius && !Self.foundEarlier(difference, before: j, substrings: substrings, radii: radii) && accepts(position) {
            report(position, distance)
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

    /// Writes every `width`-bit value within Hamming distance `radius` of `centre` to `out`
    /// (which must hold ``SubstringLayout/ballSize(width:radius:)`` values); returns how many.
    @inline(__always)
    static func fillValues(_ out: UnsafeMutablePointer<Int>, centre: Int, width: Int, radius: Int) -> Int {
        out[0] = centre
        var n = 1
        guard radius >= 1 else { return n }
        for a in 0..<width {
            let va = centre ^ (1 << a)
            out[n] = va
            n += 1
            guard radius >= 2 else { continue }
            for b in 0..<a {
                let vb = va ^ (1 << b)
                out[n] = vb
                n += 1
                if radius >= 3 {
                    n = flipMore(out, n, vb, below: b, remaining: radius - 2)
                }
            }
        }
        return n
    }

    /// Flips `remaining` more bits (each below `limit`, in decreasing order) in every way,
    /// writing from `out[n]`; returns the new count.
    static func flipMore(_ out: UnsafeMutablePointer<Int>, _ start: Int, _ value: Int, below limit: Int, remaining: Int) -> Int {
        var n = start
        for c in 0..<limit {
            let vc = value ^ (1 << c)
            out[n] = vc
            n += 1
            if remaining > 1 {
                n = flipMore(out, n, vc, below: c, remaining: remaining - 1)
            }
        }
        return n
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
