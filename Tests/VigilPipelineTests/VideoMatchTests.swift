import Foundation
import Testing
import VigilHash
import VigilMedia
import VigilPipeline
import VigilTestSupport
import VigilVideoIndex

/// Video matching on clips made by ffmpeg: a 10-second Mandelbrot zoom (the "known" video), copies
/// of it re-encoded, trimmed, resized and with black bars, and an unrelated clip (Conway's life).
@Suite("vPDQ matching on generated clips", .serialized)
struct VideoMatchTests {
    struct Clip {
        var name: String
        var path: String
    }

    static func makeClips(in folder: URL) throws -> (original: Clip, unrelated: Clip, copies: [Clip], bordered: [Clip]) {
        func path(_ name: String) -> String { folder.appendingPathComponent(name).path }
        let x264 = ["-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p"]
        try ClipMaker.ffmpeg(
            ["-f", "lavfi", "-i", "mandelbrot=size=480x270:rate=30:start_scale=2:end_scale=0.05", "-t", "10"] + x264 + [path("original.mp4")])
        try ClipMaker.ffmpeg(
            ["-f", "lavfi", "-i", "life=size=480x270:rate=30:seed=7:mold=10:ratio=0.2:death_color=#203040:life_color=#f0c080", "-t", "10"]
                + x264 + [path("unrelated.mp4")])
        let original = path("original.mp4")
        // Re-encoded with another codec at low quality, into AVI.
        try ClipMaker.ffmpeg(["-i", original, "-c:v", "mpeg4", "-q:v", "12", path("reencoded.avi")])
        // Seconds 3 to 8 only, into Matroska.
        try ClipMaker.ffmpeg(["-ss", "3", "-i", original, "-t", "5"] + x264 + [path("trimmed.mkv")])
        // Half the size.
        try ClipMaker.ffmpeg(["-i", original, "-vf", "scale=240:136"] + x264 + [path("resized.mp4")])
        // Letterbox bars (30 px top and bottom), into QuickTime; and bars on all four sides.
        try ClipMaker.ffmpeg(["-i", original, "-vf", "pad=iw:ih+60:0:30:black"] + x264 + [path("letterboxed.mov")])
        try ClipMaker.ffmpeg(["-i", original, "-vf", "pad=iw+96:ih+54:48:27:black"] + x264 + [path("boxed.mp4")])
        return (
            Clip(name: "original", path: original), Clip(name: "unrelated", path: path("unrelated.mp4")),
            ["reencoded.avi", "trimmed.mkv", "resized.mp4"].map { Clip(name: $0, path: path($0)) },
            ["letterboxed.mov", "boxed.mp4"].map { Clip(name: $0, path: path($0)) }
        )
    }

    @Test("copies match the original and an unrelated clip does not; bars need trimming")
    func matching() async throws {
        let folder = try ClipMaker.temporaryFolder("match")
        defer { try? FileManager.default.removeItem(at: folder) }
        let clips = try Self.makeClips(in: folder)
        let plain = VideoHasher(hasher: VPDQHasher(secondsPerHash: 1))
        let trimming = VideoHasher(hasher: VPDQHasher(secondsPerHash: 1, trimsBlackBorders: true))

        let original = try await plain.hash(fileAt: clips.original.path).features
        let unrelated = try await plain.hash(fileAt: clips.unrelated.path).features
        #expect(original.count == 10)
        #expect(original.allSatisfy { $0.quality >= 50 })
        let index = try VPDQIndex(videos: [VPDQVideo(id: 1, features: original), VPDQVideo(id: 2, features: unrelated)])

        func report(_ name: String, _ query: [VPDQFeature], against known: [VPDQFeature]) -> VPDQMatchResult {
            let result = VPDQMatcher.compare(query: query, compared: known)
            print("vPDQ match \(name): query \(result.queryMatchPercent) %, compared \(result.comparedMatchPercent) %")
            return result
        }

        for copy in clips.copies {
            let query = try await plain.hash(fileAt: copy.path).features
            let result = report("\(copy.name) vs original", query, against: original)
            #expect(result.queryMatchPercent >= 80, "\(copy.name)")
            #expect(index.matches(for: query).map(\.id) == [1], "\(copy.name) found in the index")
            _ = report("\(copy.name) vs unrelated", query, against: unrelated)
        }

        // The unrelated clip matches nothing, either way round.
        let reverse = report("unrelated vs original", unrelated, against: original)
        #expect(reverse.queryMatchPercent < 80)
        #expect(reverse.comparedMatchPercent < 80)
        #expect(index.matches(for: unrelated).map(\.id) == [2])

        // The trimmed clip covers half of the original: all of its frames match, half of the original's.
        let trimmed = try await plain.hash(fileAt: clips.copies[1].path).features
        let clipResult = VPDQMatcher.compare(query: trimmed, compared: original)
        #expect(clipResult.comparedMatchPercent >= 40 && clipResult.comparedMatchPercent <= 60)

        // Black bars: vPDQ as Meta specifies it does not match them (recorded); with Vigil's border
        // trimming on both sides they match. Trimming leaves the border-free original unchanged.
        let originalTrimmed = try await trimming.hash(fileAt: clips.original.path).features
        #expect(originalTrimmed == original)
        for copy in clips.bordered {
            let untrimmed = try await plain.hash(fileAt: copy.path).features
            let distances = zip(untrimmed, original).map { $0.hash.distance(to: $1.hash) }
            _ = report("\(copy.name) vs original, no trimming (reference vPDQ); frame distances \(distances)", untrimmed, against: original)
            let query = try await trimming.hash(fileAt: copy.path).features
            let trimmedDistances = zip(query, original).map { $0.hash.distance(to: $1.hash) }
            let result = report("\(copy.name) vs original, borders trimmed; frame distances \(trimmedDistances)", query, against: original)
            #expect(result.queryMatchPercent >= 80, "\(copy.name)")
            #expect(index.matches(for: query).map(\.id) == [1], "\(copy.name) found in the index")
        }
    }
}
