/// How multi-index hashing cuts the 256 bits into substrings, and the per-substring search radii.
///
/// Generalised pigeonhole principle (Norouzi, Punjani & Fleet 2014): cut the bits into `m`
/// substrings and give substring `j` a radius `t_j` with `Σ (t_j + 1) = r + 1`. If two hashes are
/// within `r`, then in at least one substring `j` they are within `t_j`, because otherwise their
/// distance would be at least `Σ (t_j + 1) = r + 1`. So probing every substring's table for the
/// values within `t_j` of the query's substring finds every match; `t_j = -1` means "do not probe".
struct SubstringLayout: Sendable, Equatable {
    /// The first bit of each substring.
    let starts: [Int]
    /// The width of each substring in bits (at most 32).
    let widths: [Int]

    var count: Int { widths.count }

    /// The widest table this index builds (2^24 offsets, 64 MiB per table).
    static let maximumWidth = 24

    init(widths: [Int]) {
        precondition(widths.reduce(0, +) <= 256 && widths.allSatisfy { (1...Self.maximumWidth).contains($0) })
        self.widths = widths
        var starts: [Int] = []
        var start = 0
        for width in widths {
            starts.append(start)
            start += width
        }
        self.starts = starts
    }

    /// `m` substrings of (nearly) equal width, the wider ones first.
    static func even(_ m: Int) -> SubstringLayout {
        let base = 256 / m
        let extra = 256 % m
        return SubstringLayout(widths: (0..<m).map { $0 < extra ? base + 1 : base })
    }

    /// The layout for `count` entries: among substring widths of 12...24 bits (as `m` equal
    /// substrings leaving fewer than `width` bits out, or spread over all 256 bits), the one the
    /// cost model expects to be fastest at radius 31 whose tables and postings fit in
    /// `tableBytesPerEntry` bytes per entry (or 32 MiB, for small lists). `nil` when a linear scan
    /// is cheaper.
    ///
    /// With `filters` (``IndexTuning/speed``) a candidate costs a sequential 16-byte read rather than
    /// a cache miss, so layouts with fewer, narrower probes win; the filters' own memory is not
    /// counted against the budget.
    static func automatic(count: Int, tableBytesPerEntry: Int = 84, filters: Bool = false) -> SubstringLayout? {
        guard count >= 4096 else { return nil }
        var best: (cost: Double, layout: SubstringLayout)?
        for width in 12...maximumWidth {
            let m = 256 / width
            let candidates =
                [SubstringLayout(widths: Array(repeating: width, count: m))]
                + (256 % width == 0 ? [] : [even(m + 1)])
            for layout in candidates {
                let tables = layout.widths.reduce(0) { $0 + ((1 << $1) + 1) * 4 } + (layout.count - 1) * 4 * count
                guard tables <= max(tableBytesPerEntry * count, 32 << 20) else { continue }
                let cost = layout.estimatedCost(count: count, radius: 31, filters: filters)
                if best == nil || cost < best?.cost ?? .infinity {
                    best = (cost, layout)
                }
            }
        }
        guard let best, best.cost < Double(count) * linearCostPerEntry else { return nil }
        return best.layout
    }

    /// Modelled nanoseconds to compare one entry in a linear scan.
    static let linearCostPerEntry = 1.5

    /// Modelled nanoseconds for a multi-index search: each probe and each candidate is mostly a
    /// cache miss (measured on this project's machines; only the ratios matter); with filters a
    /// candidate is a sequential read.
    func estimatedCost(count: Int, radius: Int, filters: Bool = false) -> Double {
        var probes = 0.0
        var candidates = 0.0
        for (j, t) in radii(for: radius).enumerated() where t >= 0 {
            let width = widths[j]
            var values = 0.0
            for d in 0...min(t, width) { values += binomial(width, d) }
            probes += values
            candidates += values * Double(count) / Double(1 << width)
        }
        return probes * 20 + candidates * (filters ? 5 : 40)
    }

    /// The substring radii for search radius `radius` (0...256): `Σ (t_j + 1) = radius + 1`,
    /// spread evenly, the larger radii on the wider substrings.
    func radii(for radius: Int) -> [Int] {
        let total = radius + 1
        let base = total / count
        let extra = total % count
        return (0..<count).map { ($0 < extra ? base + 1 : base) - 1 }
    }

    /// How many `width`-bit values lie within Hamming distance `radius` of one value.
    static func ballSize(width: Int, radius: Int) -> Double {
        var total = 0.0
        for d in 0...max(0, min(radius, width)) { total += binomial(width, d) }
        return total
    }

    /// The candidate filter for table `j`: the 128-bit half of `hash` that does not hold substring
    /// `j`'s first bit. Any entry within `r` of a query is within `r` on these bits too, so an entry
    /// whose filter differs from the query's in more than `r` bits is rejected without reading its
    /// hash; for an unrelated entry the filter differs in about 60 bits, far above PDQ's 31.
    @inline(__always)
    func filterHalf(_ hash: SIMD4<UInt64>, _ j: Int) -> SIMD2<UInt64> {
        starts[j] < 128 ? SIMD2(hash[2], hash[3]) : SIMD2(hash[0], hash[1])
    }

    /// Substring `j` of `hash`.
    @inline(__always)
    func extract(_ hash: SIMD4<UInt64>, _ j: Int) -> Int {
        Self.extract(hash, start: starts[j], width: widths[j])
    }

    @inline(__always)
    static func extract(_ hash: SIMD4<UInt64>, start: Int, width: Int) -> Int {
        let word = start >> 6
        let shift = start & 63
        var value = hash[word] >> UInt64(shift)
        if shift + width > 64 {
            value |= hash[word + 1] << UInt64(64 - shift)
        }
        return Int(truncatingIfNeeded: value & ((1 << UInt64(width)) - 1))
    }
}

/// The number of ways to choose `k` of `n`, as a Double (no overflow for the sizes used here).
func binomial(_ n: Int, _ k: Int) -> Double {
    guard k >= 0, k <= n else { return 0 }
    var result = 1.0
    for i in 0..<min(k, n - k) {
        result = result * Double(n - i) / Double(i + 1)
    }
    return result
}
