import Testing
import VigilHash
import VigilTestSupport
import VigilVideoIndex

/// Random frame hashes near a few "scene" hashes, so that videos share scenes the way re-encoded
/// copies and clips do.
struct VideoFactory {
    var random: SplitMix64

    mutating func hash() -> PDQHash {
        PDQHash(words: SIMD4(random.next(), random.next(), random.next(), random.next()))
    }

    mutating func near(_ hash: PDQHash, bits: Int) -> PDQHash {
        hash.flipping(bits: (0..<bits).map { _ in Int.random(in: 0..<256, using: &random) })
    }

    mutating func features(_ hashes: [PDQHash], quality: ClosedRange<Int> = 60...100) -> [VPDQFeature] {
        hashes.enumerated().map { index, hash in
            VPDQFeature(
                frameNumber: index, hash: hash, quality: Int.random(in: quality, using: &random), timestamp: Double(index))
        }
    }
}

@Suite("VPDQIndex")
struct VPDQIndexTests {
    @Test("search equals the brute-force comparison with every video (seeded random videos)")
    func equalsBruteForce() throws {
        var factory = VideoFactory(random: SplitMix64(seed: 0x5EED_0001))
        let scenes = (0..<40).map { _ in factory.hash() }
        var videos: [VPDQVideo] = []
        for id in 0..<60 {
            let count = Int.random(in: 3...25, using: &factory.random)
            let hashes = (0..<count).map { _ in
                factory.near(scenes[Int.random(in: 0..<scenes.count, using: &factory.random)], bits: Int.random(in: 0...40, using: &factory.random))
            }
            videos.append(VPDQVideo(id: UInt64(1000 + id), features: factory.features(hashes, quality: 30...100)))
        }
        let index = try VPDQIndex(videos: videos)
        for _ in 0..<30 {
            let count = Int.random(in: 1...20, using: &factory.random)
            let query = factory.features(
                (0..<count).map { _ in
                    factory.near(
                        scenes[Int.random(in: 0..<scenes.count, using: &factory.random)], bits: Int.random(in: 0...30, using: &factory.random))
                }, quality: 40...100)
            let found = Dictionary(uniqueKeysWithValues: index.search(query).map { ($0.id, $0) })
            for video in videos {
                let brute = VPDQMatcher.compare(query: query, compared: video.features)
                if let hit = found[video.id] {
                    #expect(hit.result == brute, "video \(video.id)")
                    #expect(
                        hit.isMatch
                            == VPDQMatchOptions().accepts(
                                queryMatchPercent: brute.queryMatchPercent, comparedMatchPercent: brute.comparedMatchPercent))
                } else {
                    #expect(brute.queryMatchPercent == 0, "video \(video.id) missed by the index")
                }
            }
        }
    }

    @Test("a clip of a video matches it; the video does not match the clip at 80 % but does at 0 %")
    func clipAndWhole() throws {
        var factory = VideoFactory(random: SplitMix64(seed: 0x5EED_0002))
        let whole = (0..<20).map { _ in factory.hash() }
        let clip = whole[5..<10].map { factory.near($0, bits: 10) }
        let index = try VPDQIndex(videos: [VPDQVideo(id: 1, features: factory.features(whole))])
        let clipMatches = index.matches(for: factory.features(clip))
        #expect(clipMatches.map(\.id) == [1])
        #expect(clipMatches.first?.result == VPDQMatchResult(queryMatchPercent: 100, comparedMatchPercent: 25))

        let clipIndex = try VPDQIndex(videos: [VPDQVideo(id: 2, features: factory.features(clip))])
        #expect(clipIndex.matches(for: factory.features(whole)).isEmpty)
        #expect(clipIndex.search(factory.features(whole)).first?.result == VPDQMatchResult(queryMatchPercent: 25, comparedMatchPercent: 100))
    }

    @Test("frames below quality 50 and repeated hashes do not count")
    func qualityAndDuplicates() throws {
        var factory = VideoFactory(random: SplitMix64(seed: 0x5EED_0003))
        let a = factory.hash()
        let b = factory.hash()
        let c = factory.hash()
        let stored = [
            VPDQFeature(frameNumber: 0, hash: a, quality: 100, timestamp: 0),
            VPDQFeature(frameNumber: 1, hash: a, quality: 100, timestamp: 1),
            VPDQFeature(frameNumber: 2, hash: b, quality: 100, timestamp: 2),
            VPDQFeature(frameNumber: 3, hash: c, quality: 49, timestamp: 3),
        ]
        let index = try VPDQIndex(videos: [VPDQVideo(id: 9, features: stored)])
        #expect(index.distinctHashCount == 2)
        // The query's low-quality frame c would match c, but neither side counts it.
        let query = [
            VPDQFeature(frameNumber: 0, hash: a, quality: 80, timestamp: 0),
            VPDQFeature(frameNumber: 1, hash: c, quality: 40, timestamp: 1),
        ]
        #expect(index.search(query).first?.result == VPDQMatchResult(queryMatchPercent: 100, comparedMatchPercent: 50))
        #expect(index.search([VPDQFeature(frameNumber: 0, hash: c, quality: 100, timestamp: 0)]).isEmpty)
    }

    @Test("distance 31 matches, 32 does not (inclusive, as python-threatexchange)")
    func distanceBoundary() throws {
        var factory = VideoFactory(random: SplitMix64(seed: 0x5EED_0004))
        let base = factory.hash()
        let index = try VPDQIndex(videos: [VPDQVideo(id: 1, features: factory.features([base]))])
        let at31 = base.flipping(bits: Array(0..<31))
        let at32 = base.flipping(bits: Array(0..<32))
        #expect(index.matches(for: factory.features([at31])).count == 1)
        #expect(index.search(factory.features([at32])).isEmpty)
        let strict = try VPDQIndex(videos: [VPDQVideo(id: 1, features: factory.features([base]))], options: VPDQMatchOptions(distanceThreshold: 30))
        #expect(strict.search(factory.features([at31])).isEmpty)
    }

    @Test("a distance outside 0...256 is refused when building")
    func invalidDistance() {
        #expect(throws: VPDQIndexError.self) {
            try VPDQIndex(videos: [], options: VPDQMatchOptions(distanceThreshold: 300))
        }
    }
}
