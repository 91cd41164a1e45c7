/// Percentiles by the nearest-rank method: exact, never interpolated.
///
/// For `n` values sorted ascending, the `p`-th percentile (0 < p ≤ 100) is the value at rank
/// ⌈p × n / 100⌉, counting from 1. It is always one of the values. The median is the 50th
/// percentile: for an even count, the lower of the two middle values. Computed in integers, so no
/// rounding of `p × n / 100` can move the rank.
public enum NearestRank {
    /// The 1-based rank of the `percent`-th percentile among `count` values (0 when `count` is 0).
    public static func rank(_ percent: Int, count: Int) -> Int {
        guard count > 0 else { return 0 }
        let p = min(max(percent, 1), 100)
        return max(1, (p * count + 99) / 100)
    }

    /// The `percent`-th percentile of `sorted` (ascending), or nil when it is empty.
    public static func percentile<T: Comparable>(_ percent: Int, ofSorted sorted: [T]) -> T? {
        guard !sorted.isEmpty else { return nil }
        return sorted[rank(percent, count: sorted.count) - 1]
    }

    /// The `percent`-th percentile of `values` (in any order), or nil when there are none.
    public static func percentile<T: Comparable>(_ percent: Int, of values: [T]) -> T? {
        percentile(percent, ofSorted: values.sorted())
    }
}

/// How long something took over a set of cases: how many, the median and the 90th percentile
/// (``NearestRank``), in seconds (durations are measured in whole milliseconds, as the store's
/// times are written).
public struct DurationSummary: Sendable, Hashable, Codable {
    /// How many cases were measured.
    public var count: Int
    /// The median (nearest rank: the lower middle value for an even count); absent when `count` is 0.
    public var medianSeconds: Double?
    /// The 90th percentile (nearest rank); absent when `count` is 0.
    public var p90Seconds: Double?

    enum CodingKeys: String, CodingKey {
        case count
        case medianSeconds = "median_seconds"
        case p90Seconds = "p90_seconds"
    }

    /// The summary of these durations, in milliseconds.
    public init(milliseconds: [Int64]) {
        let sorted = milliseconds.sorted()
        count = sorted.count
        medianSeconds = NearestRank.percentile(50, ofSorted: sorted).map { Double($0) / 1_000 }
        p90Seconds = NearestRank.percentile(90, ofSorted: sorted).map { Double($0) / 1_000 }
    }
}
