/// The rules of a vPDQ video match, with python-threatexchange's defaults (`vpdq_util.py`).
public struct VPDQMatchOptions: Sendable, Hashable, Codable {
    /// Frames with a lower PDQ quality are dropped on both sides before matching (default 50).
    public var qualityThreshold: Int
    /// Two frames match when their Hamming distance is at most this (default 31, inclusive as in
    /// python-threatexchange; Meta's C++ tools use `<`).
    public var distanceThreshold: Int
    /// A video matches only if at least this share of the query's distinct frame hashes has a
    /// match in it, in percent (default 80).
    public var queryMatchThreshold: Double
    /// …and at least this share of its own distinct frame hashes has a match in the query, in
    /// percent (default 0: a short clip of a long video still matches).
    public var comparedMatchThreshold: Double

    /// Creates options; the defaults are python-threatexchange's.
    public init(
        qualityThreshold: Int = 50, distanceThreshold: Int = 31, queryMatchThreshold: Double = 80,
        comparedMatchThreshold: Double = 0
    ) {
        self.qualityThreshold = qualityThreshold
        self.distanceThreshold = distanceThreshold
        self.queryMatchThreshold = queryMatchThreshold
        self.comparedMatchThreshold = comparedMatchThreshold
    }

    /// Whether two percentages pass both thresholds.
    public func accepts(queryMatchPercent: Double, comparedMatchPercent: Double) -> Bool {
        queryMatchPercent >= queryMatchThreshold && comparedMatchPercent >= comparedMatchThreshold
    }
}

/// How much of two videos matches, in percent of their distinct usable frame hashes.
public struct VPDQMatchResult: Sendable, Hashable, Codable {
    /// The share of the query's distinct frame hashes within the distance of some frame of the
    /// compared video (0...100).
    public var queryMatchPercent: Double
    /// The share of the compared video's distinct frame hashes within the distance of some frame of
    /// the query (0...100).
    public var comparedMatchPercent: Double

    /// Creates a result.
    public init(queryMatchPercent: Double, comparedMatchPercent: Double) {
        self.queryMatchPercent = queryMatchPercent
        self.comparedMatchPercent = comparedMatchPercent
    }
}

/// Compares two vPDQ hashes as python-threatexchange does.
public enum VPDQMatcher {
    /// The frame hashes that take part in matching: quality at least `qualityThreshold`, each
    /// distinct hash once, in first-seen order (python-threatexchange's `prepare_vpdq_feature`).
    public static func usableHashes(_ features: [VPDQFeature], qualityThreshold: Int) -> [PDQHash] {
        var seen = Set<PDQHash>()
        var hashes: [PDQHash] = []
        for feature in features where feature.quality >= qualityThreshold {
            if seen.insert(feature.hash).inserted { hashes.append(feature.hash) }
        }
        return hashes
    }

    /// Both percentages for `query` against `compared`, comparing every pair of usable frames.
    ///
    /// A side with no usable frame (all below the quality threshold) scores 0 % both ways
    /// (python-threatexchange would divide by zero).
    public static func compare(query: [VPDQFeature], compared: [VPDQFeature], options: VPDQMatchOptions = VPDQMatchOptions())
        -> VPDQMatchResult
    {
        let queryHashes = usableHashes(query, qualityThreshold: options.qualityThreshold)
        let comparedHashes = usableHashes(compared, qualityThreshold: options.qualityThreshold)
        guard !queryHashes.isEmpty, !comparedHashes.isEmpty else {
            return VPDQMatchResult(queryMatchPercent: 0, comparedMatchPercent: 0)
        }
        let radius = options.distanceThreshold
        var comparedMatched = [Bool](repeating: false, count: comparedHashes.count)
        var queryMatchedCount = 0
        for queryHash in queryHashes {
            var matched = false
            for (index, comparedHash) in comparedHashes.enumerated() where queryHash.distance(to: comparedHash) <= radius {
                matched = true
                comparedMatched[index] = true
            }
            if matched { queryMatchedCount += 1 }
        }
        let comparedMatchedCount = comparedMatched.count { $0 }
        return VPDQMatchResult(
            queryMatchPercent: Double(queryMatchedCount) * 100 / Double(queryHashes.count),
            comparedMatchPercent: Double(comparedMatchedCount) * 100 / Double(comparedHashes.count))
    }
}
