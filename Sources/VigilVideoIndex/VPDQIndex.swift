public import VigilHash
import VigilIndex

/// One video of a ``VPDQIndex``: the caller's id and its vPDQ frame features.
public struct VPDQVideo: Sendable, Hashable {
    /// The caller's identifier (a database row, a list entry).
    public var id: UInt64
    /// The video's frame hashes, as ``VPDQHasher`` made them or ``VPDQText`` parsed them.
    public var features: [VPDQFeature]

    /// Creates a video entry.
    public init(id: UInt64, features: [VPDQFeature]) {
        self.id = id
        self.features = features
    }
}

/// A video found by ``VPDQIndex/search(_:)``, with python-threatexchange's two percentages.
public struct VPDQIndexMatch: Sendable, Hashable {
    /// The video's id, as given to the index.
    public var id: UInt64
    /// The query's and the video's matched shares.
    public var result: VPDQMatchResult
    /// Whether both shares pass the index's thresholds (``VPDQMatchOptions/accepts(queryMatchPercent:comparedMatchPercent:)``).
    public var isMatch: Bool

    /// Creates a match.
    public init(id: UInt64, result: VPDQMatchResult, isMatch: Bool) {
        self.id = id
        self.result = result
        self.isMatch = isMatch
    }
}

/// Why a ``VPDQIndex`` could not be built.
public struct VPDQIndexError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure it is; ``rawValue`` is a stable snake_case identifier.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The stable snake_case identifier.
        public let rawValue: String

        init(_ rawValue: String) {
            self.rawValue = rawValue
        }

        /// The snake_case identifier.
        public var description: String { rawValue }

        /// ``VPDQMatchOptions/distanceThreshold`` is outside 0...256.
        public static let invalidDistance = Code("invalid_distance")
        /// The videos hold more distinct frame hashes than one index can.
        public static let tooManyHashes = Code("too_many_hashes")
    }

    /// What kind of failure it is.
    public var code: Code
    /// What is wrong and what to do instead.
    public var message: String

    /// Creates an error.
    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    /// What is wrong and what to do instead (the ``message``).
    public var description: String { message }
}

/// An in-memory vPDQ matcher over many videos, scoring as python-threatexchange's `VPDQIndex`.
///
/// Building keeps each video's usable frame hashes (quality ≥ the threshold, each distinct hash
/// once) and puts every distinct hash of all videos into one ``HammingIndex``, with the videos that
/// hold it. A search looks up each usable query hash within the distance, which finds the candidate
/// videos and, at the same time, which of the query's and which of each video's hashes matched:
///
/// - query % = distinct query hashes with a match in the video / distinct usable query hashes;
/// - compared % = distinct video hashes with a match in the query / distinct usable video hashes.
///
/// A video is a match when both pass ``VPDQMatchOptions`` (defaults 80 % and 0 %). The results equal
/// ``VPDQMatcher/compare(query:compared:options:)`` against each video in turn, without comparing
/// every pair of frames.
///
/// ```swift
/// let index = try VPDQIndex(videos: [VPDQVideo(id: 7, features: known)])
/// for match in index.matches(for: uploaded) { print(match.id, match.result.queryMatchPercent) }
/// ```
public struct VPDQIndex: Sendable {
    /// The matching rules.
    public let options: VPDQMatchOptions
    private let index: HammingIndex
    /// For each distinct hash (the index's entry id), the positions of the videos that hold it.
    private let postings: [[Int32]]
    /// The callers' ids by position.
    private let ids: [UInt64]
    /// The number of usable distinct hashes of each video.
    private let usableCounts: [Int]

    /// Builds the index.
    /// - Throws: ``VPDQIndexError`` when the distance is outside 0...256 or there are too many hashes.
    public init(videos: [VPDQVideo], options: VPDQMatchOptions = VPDQMatchOptions()) throws(VPDQIndexError) {
        guard (0...256).contains(options.distanceThreshold) else {
            throw VPDQIndexError(
                code: .invalidDistance,
                message: "the vPDQ distance threshold must be 0...256 bits, not \(options.distanceThreshold); 31 is the usual value")
        }
        guard videos.count < Int(Int32.max) else {
            throw VPDQIndexError(code: .tooManyHashes, message: "at most \(Int32.max) videos fit one index; split the videos")
        }
        var positionOfHash: [PDQHash: Int] = [:]
        var distinct: [SIMD4<UInt64>] = []
        var postings: [[Int32]] = []
        var usableCounts: [Int] = []
        usableCounts.reserveCapacity(videos.count)
        for (position, video) in videos.enumerated() {
            let usable = VPDQMatcher.usableHashes(video.features, qualityThreshold: options.qualityThreshold)
            usableCounts.append(usable.count)
            for hash in usable {
                if let existing = positionOfHash[hash] {
                    postings[existing].append(Int32(position))
                } else {
                    positionOfHash[hash] = distinct.count
                    distinct.append(hash.words)
                    postings.append([Int32(position)])
                }
            }
        }
        do {
            index = try HammingIndex(hashes: distinct, ids: (0..<UInt64(distinct.count)).map { $0 })
        } catch {
            throw VPDQIndexError(code: .tooManyHashes, message: "the videos' distinct frame hashes do not fit one index: \(error.message)")
        }
        self.options = options
        self.postings = postings
        self.ids = videos.map(\.id)
        self.usableCounts = usableCounts
    }

    /// The number of videos.
    public var videoCount: Int { ids.count }

    /// The number of distinct usable frame hashes over all videos.
    public var distinctHashCount: Int { postings.count }

    /// Every video with at least one frame within the distance of a usable query frame, with both
    /// percentages, best first (query %, then compared %, then id). Videos below the thresholds are
    /// included with ``VPDQIndexMatch/isMatch`` false; ``matches(for:)`` leaves them out.
    public func search(_ query: [VPDQFeature]) -> [VPDQIndexMatch] {
        let queryHashes = VPDQMatcher.usableHashes(query, qualityThreshold: options.qualityThreshold)
        guard !queryHashes.isEmpty else { return [] }
        var queryMatched: [Int: Set<Int>] = [:]  // video position -> query hashes that matched it
        var videoMatched: [Int: Set<Int>] = [:]  // video position -> its distinct hashes that matched
        for (queryPosition, hash) in queryHashes.enumerated() {
            for entry in radiusSearch(hash.words) {
                let hashPosition = Int(entry.id)
                for video in postings[hashPosition] {
                    queryMatched[Int(video), default: []].insert(queryPosition)
                    videoMatched[Int(video), default: []].insert(hashPosition)
                }
            }
        }
        var results: [VPDQIndexMatch] = []
        results.reserveCapacity(queryMatched.count)
        for (video, matchedQuery) in queryMatched {
            let result = VPDQMatchResult(
                queryMatchPercent: Double(matchedQuery.count) * 100 / Double(queryHashes.count),
                comparedMatchPercent: Double(videoMatched[video]?.count ?? 0) * 100 / Double(usableCounts[video]))
            results.append(
                VPDQIndexMatch(
                    id: ids[video], result: result,
                    isMatch: options.accepts(queryMatchPercent: result.queryMatchPercent, comparedMatchPercent: result.comparedMatchPercent)))
        }
        return results.sorted {
            ($0.result.queryMatchPercent, $0.result.comparedMatchPercent, $1.id) > (
                $1.result.queryMatchPercent, $1.result.comparedMatchPercent, $0.id
            )
        }
    }

    /// The videos that match `query` under the index's options, best first.
    public func matches(for query: [VPDQFeature]) -> [VPDQIndexMatch] {
        search(query).filter(\.isMatch)
    }

    /// The index's entries within the distance of `words`. The distance was checked when the
    /// index was built, so the search cannot refuse it.
    private func radiusSearch(_ words: SIMD4<UInt64>) -> [IndexMatch] {
        do {
            return try index.search(words, radius: options.distanceThreshold)
        } catch {
            preconditionFailure("VPDQIndex validated its distance at init: \(error)")
        }
    }
}
