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
///
/// A struct with an open set of codes rather than an enum, so that a later version can add a code
/// without breaking callers: compare ``code`` with the static members of ``Code``.
public struct IndexQueryError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure it is. ``rawValue`` is a stable snake_case identifier for logs and
    /// machine-readable output; more codes may be added in later versions.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The stable snake_case identifier.
        public let rawValue: String

        init(_ rawValue: String) {
            self.rawValue = rawValue
        }

        /// The snake_case identifier.
        public var description: String { rawValue }

        /// The radius must be 0...256.
        public static let radiusOutOfRange = Code("radius_out_of_range")
        /// k-nearest needs k of at least 1.
        public static let invalidK = Code("invalid_k")
    }

    /// What kind of failure it is.
    public var code: Code
    /// What is wrong and what to do instead.
    public var message: String

    /// Creates an error; the static functions below make the ones this module throws.
    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    /// What is wrong and what to do instead (the ``message``).
    public var description: String { message }

    /// The radius must be 0...256 (PDQ matches are usually at 31 or less).
    public static func radiusOutOfRange(_ radius: Int) -> IndexQueryError {
        IndexQueryError(
            code: .radiusOutOfRange, message: "radius \(radius) is out of range; use 0...256 (31 is PDQ's usual match threshold)")
    }

    /// k-nearest needs k of at least 1.
    public static func invalidK(_ k: Int) -> IndexQueryError {
        IndexQueryError(code: .invalidK, message: "k must be at least 1, got \(k)")
    }
}

/// Why an index could not be built from the given arrays.
///
/// A struct with an open set of codes rather than an enum, so that a later version can add a code
/// without breaking callers: compare ``code`` with the static members of ``Code``.
public struct IndexBuildError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure it is. ``rawValue`` is a stable snake_case identifier for logs and
    /// machine-readable output; more codes may be added in later versions.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The stable snake_case identifier.
        public let rawValue: String

        init(_ rawValue: String) {
            self.rawValue = rawValue
        }

        /// The snake_case identifier.
        public var description: String { rawValue }

        /// `ids` (or `lists`) does not have one element per hash.
        public static let countMismatch = Code("count_mismatch")
        /// More than 4,294,967,294 entries.
        public static let tooManyEntries = Code("too_many_entries")
        /// A multi-index configuration with an impossible number of substrings.
        public static let invalidSubstringCount = Code("invalid_substring_count")
    }

    /// What kind of failure it is.
    public var code: Code
    /// What is wrong and what to do instead.
    public var message: String

    /// Creates an error; the static functions below make the ones this module throws.
    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    /// What is wrong and what to do instead (the ``message``).
    public var description: String { message }

    /// `ids` (or `lists`) does not have one element per hash.
    public static func countMismatch(hashes: Int, other: Int) -> IndexBuildError {
        IndexBuildError(code: .countMismatch, message: "there are \(hashes) hashes but \(other) ids or list tags; pass one per hash")
    }

    /// More than 4,294,967,294 entries.
    public static func tooManyEntries(_ count: Int) -> IndexBuildError {
        IndexBuildError(
            code: .tooManyEntries,
            message: "\(count) entries is more than one index holds (4,294,967,294); split the lists over several indexes")
    }

    /// A multi-index configuration with an impossible number of substrings.
    public static func invalidSubstringCount(_ m: Int) -> IndexBuildError {
        IndexBuildError(
            code: .invalidSubstringCount, message: "multi-index hashing needs 11...256 substrings of at most 24 bits, got \(m)")
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

    /// Compares the query with every entry, a chunk at a time, in the C kernel (which uses the
    /// POPCNT instruction where the processor has it).
    func linearSearch(_ query: SIMD4<UInt64>, radius: Int, report: (Int, Int) -> Void) {
        let chunk = 4096
        let count = storage.count
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 2 * chunk) { scratch in
            guard let positions = scratch.baseAddress else { return }
            let distances = positions + chunk
            withWords(of: query) { words in
                var first = 0
                while first < count {
                    let end = min(first + chunk, count)
                    let found = vigil_hamming_scan(storage.hashWords, first, end, words, Int32(radius), positions, distances)
                    for i in 0..<found where accepts(Int(positions[i])) {
                        report(Int(positions[i]), Int(distances[i]))
                    }
                    first = end
                }
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
            var candidates = 0
            for j in 0..<substrings.count where radii[j] >= 0 {
                candidates += appendBuckets(
                    of: j, query, substrings: substrings, radius: radii[j], values: values, to: ranges, stride: 3, count: &count)
            }
            guard candidates > 0 else { return }
            // Each table's filter half of the query (beside the table's filters in the C sweep), then
            // the survivors: positions, distances and tables.
            withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 2 * substrings.count) { halfScratch in
                guard let halves = halfScratch.baseAddress else { return }
                halves.initialize(repeating: 0, count: 2 * substrings.count)
                for j in 1..<max(substrings.count, 1) where storage.filters[j] != nil {
                    let half = substrings.filterHalf(query, j)
                    halves[2 * j] = half[0]
                    halves[2 * j + 1] = half[1]
                }
                withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 3 * candidates) { found in
                    guard let positions = found.baseAddress else { return }
                    let distances = positions + candidates
                    let tables = distances + candidates
                    let survivors = withWords(of: query) { words in
                        vigil_hamming_sweep(
                            ranges, count, storage.hashWords, storage.filterWords, storage.postings, halves, words, Int32(radius),
                            positions, distances, tables)
                    }
                    for i in 0..<survivors {
                        finish(
                            Int(positions[i]), distance: Int(distances[i]), query, j: Int(tables[i]), substrings: substrings,
                            radii: radii, report: report)
                    }
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

    /// Table `j` without filters: gathers the candidates' positions, then verifies their full
    /// hashes with prefetching.
    @inline(__always)
    func verifiedCandidates(
        _ query: SIMD4<UInt64>, radius: Int, j: Int, substrings: SubstringLayout, radii: [Int],
        ranges: UnsafeMutablePointer<Int>, count: Int, candidates: Int, postings: UnsafePointer<UInt32>?,
        report: (Int, Int) -> Void
    ) {
        guard candidates > 0 else { return }
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 2 * candidates) { scratch in
            guard let positions = scratch.baseAddress else { return }
            let distances = positions + candidates
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
            // Full hashes are compared in the C kernel, in place (survivors overwrite `positions`).
            let survivors = withWords(of: query) { words in
                vigil_hamming_verify(storage.hashWords, positions, n, words, Int32(radius), positions, distances)
            }
            for i in 0..<survivors {
                finish(Int(positions[i]), distance: Int(distances[i]), query, j: j, substrings: substrings, radii: radii, report: report)
            }
        }
    }

    /// Reports an entry that the kernels found within the radius, unless an earlier table found it
    /// (or the list filter refuses it).
    @inline(__always)
    func finish(
        _ position: Int, distance: Int, _ query: SIMD4<UInt64>, j: Int, substrings: SubstringLayout, radii: [Int],
        report: (Int, Int) -> Void
    ) {
        let difference = storage.hashes[position] ^ query
        if !Self.foundEarlier(difference, before: j, substrings: substrings, radii: radii) && accepts(position) {
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

/// Calls `body` with the hash's four words in memory, word 0 first (as the C kernels take it).
@inline(__always)
func withWords<Result>(of hash: SIMD4<UInt64>, _ body: (UnsafePointer<UInt64>) -> Result) -> Result {
    withUnsafePointer(to: hash) { pointer in
        pointer.withMemoryRebound(to: UInt64.self, capacity: 4, body)
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
