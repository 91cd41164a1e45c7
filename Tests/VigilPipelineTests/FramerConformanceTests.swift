import Foundation
import Testing
import VigilHash
import VigilMedia
import VigilPipeline
import VigilTestSupport

/// vigil-framer (the long-lived frame server) against ffmpeg's command-line tool on the sample
/// videos, in the same run: the same lines, byte for byte, whether it decodes every frame or skips
/// the non-reference frames no hashed frame needs.
@Suite("vigil-framer gives ffmpeg's frames", .serialized)
struct FramerConformanceTests {
    static func framer(skipping: Bool = true) throws -> VideoDecoderBackend {
        var options = try #require(FramerOptions.besideRunningExecutable(), "vigil-framer is built beside the tests (swift build)")
        options.skipsUnhashedFrames = skipping
        return .framer(options)
    }

    static func hash(
        _ video: SampleVideo, secondsPerHash: Double, colour: VideoColourConversion, backend: VideoDecoderBackend
    ) async throws -> VideoHashResult {
        let options = VideoDecodeOptions(colourConversion: colour, backend: backend)
        return try await VideoHasher(hasher: VPDQHasher(secondsPerHash: secondsPerHash), decodeOptions: options).hash(fileAt: video.path)
    }

    /// Every frame, portable colour conversion: the framer's lines equal ffmpeg's.
    @Test(arguments: SampleVideo.all)
    func everyFrame(video: SampleVideo) async throws {
        let tools = try await Self.hash(video, secondsPerHash: 0, colour: .portable, backend: .ffmpegTools)
        let framer = try await Self.hash(video, secondsPerHash: 0, colour: .portable, backend: try Self.framer())
        #expect(framer.features.count == tools.features.count && framer.frameStep == 1)
        #expect(framer.text == tools.text)
        #expect(framer.damage == nil)
    }

    /// One frame per second, both colour paths, with the unhashed non-reference frames skipped:
    /// frames 0, 30, 60, … equal to ffmpeg's, and to the reference's lines on the portable path.
    @Test(arguments: SampleVideo.all)
    func oneFramePerSecondSkipping(video: SampleVideo) async throws {
        for colour in [VideoColourConversion.portable, .native] {
            let tools = try await Self.hash(video, secondsPerHash: 1, colour: colour, backend: .ffmpegTools)
            let framer = try await Self.hash(video, secondsPerHash: 1, colour: colour, backend: try Self.framer())
            #expect(framer.frameStep == 30)
            #expect(framer.text == tools.text, "\(colour)")
            if colour == .portable {
                let expected = try video.expected("ffmpeg5.1-cpath")
                #expect(framer.features.map(VPDQText.line) == expected.lines.enumerated().filter { $0.offset % 30 == 0 }.map(\.element))
            }
        }
    }

    /// The skipping is real: fewer frames are decoded than the video has, and the frames delivered
    /// are the same as when every frame is decoded.
    @Test func skippingDecodesFewerFrames() async throws {
        let video = SampleVideo.all[0]
        func read(skipping: Bool) async throws -> (VideoReadSummary, [Int: [UInt8]]) {
            var frames: [Int: [UInt8]] = [:]
            let source = VideoFrameSource(options: VideoDecodeOptions(backend: try Self.framer(skipping: skipping)))
            let summary = try await source.read(contentsOf: video.path, frameStep: { _ in 30 }, onFrame: { frames[$0.number] = $0.pixels })
            return (summary, frames)
        }
        let (skipped, skippedFrames) = try await read(skipping: true)
        let (full, fullFrames) = try await read(skipping: false)
        #expect(full.decodedFrames == 120)
        let decoded = try #require(skipped.decodedFrames)
        print("vigil-framer on \(video.name), every 30th frame: \(decoded) of 120 frames decoded when skipping")
        #expect(decoded < 120)
        #expect(skippedFrames.keys.sorted() == [0, 30, 60, 90])
        #expect(skippedFrames == fullFrames)
    }

    /// Short GOPs: the framer decodes the segments between keyframes at once when they are closed
    /// (an open GOP's are not, and it decodes in one pass); either way its lines are ffmpeg's.
    @Test(
        "segments between keyframes",
        arguments: [
            ["-g", "20"], ["-g", "20", "-x264-params", "open-gop=1"], ["-g", "7", "-bf", "0"], ["-g", "30", "-bf", "3", "-b_strategy", "0"],
        ])
    func segmentsBetweenKeyframes(extra: [String]) async throws {
        let folder = try ClipMaker.temporaryFolder("framer")
        defer { try? FileManager.default.removeItem(at: folder) }
        let clip = folder.appendingPathComponent("clip.mp4").path
        try ClipMaker.testPattern(at: clip, seconds: 6, extra: extra)
        for secondsPerHash in [0.2, 1, 2] {
            let options = { (backend: VideoDecoderBackend) in VideoDecodeOptions(colourConversion: .native, backend: backend) }
            let hasher = VPDQHasher(secondsPerHash: secondsPerHash)
            let tools = try await VideoHasher(hasher: hasher, decodeOptions: options(.ffmpegTools)).hash(fileAt: clip)
            let framer = try await VideoHasher(hasher: hasher, decodeOptions: options(try Self.framer())).hash(fileAt: clip)
            #expect(framer.text == tools.text, "\(extra) every \(secondsPerHash) s")
            #expect(framer.damage == nil && tools.damage == nil)
            #expect(framer.features.count == tools.features.count && !framer.features.isEmpty)
        }
    }

    /// A damaged video: while skipping, the decoder's complaints make the framer refuse to vouch for
    /// its numbering, and the hasher reads the video again counting every frame: the same frames
    /// as ffmpeg's, and the same damage. The pixels of a damaged frame are the decoder's concealment,
    /// which depends on its threads' timing (two runs of ffmpeg itself can differ there), so only
    /// the frames before the damage are compared.
    @Test(arguments: [false, true])
    func damagedVideoFallsBackToCounting(short: Bool) async throws {
        let folder = try ClipMaker.temporaryFolder("framer")
        defer { try? FileManager.default.removeItem(at: folder) }
        let clip = folder.appendingPathComponent("clip.mp4").path
        try ClipMaker.testPattern(at: clip, seconds: 4, extra: short ? ["-g", "20"] : [])
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: clip)))
        var random = SplitMix64(seed: 0xDA_3A_6E)
        for _ in 0..<200 { bytes[Int.random(in: 2000..<(bytes.count - 3000), using: &random)] ^= 0xFF }
        let damaged = folder.appendingPathComponent("damaged.mp4").path
        try Data(bytes).write(to: URL(fileURLWithPath: damaged))
        let options = { (backend: VideoDecoderBackend) in VideoDecodeOptions(colourConversion: .native, backend: backend) }
        let tools = try await VideoHasher(hasher: VPDQHasher(secondsPerHash: 0.2), decodeOptions: options(.ffmpegTools)).hash(fileAt: damaged)
        let framer = try await VideoHasher(hasher: VPDQHasher(secondsPerHash: 0.2), decodeOptions: options(try Self.framer())).hash(
            fileAt: damaged)
        #expect(tools.damage != nil && framer.damage?.code == tools.damage?.code)
        #expect(framer.features.map(\.frameNumber) == tools.features.map(\.frameNumber))
        // The first flipped byte is past the first 2000 bytes: at least frame 0 is whole.
        #expect(framer.features.first?.hash == tools.features.first?.hash && framer.features.first != nil)
    }
}
