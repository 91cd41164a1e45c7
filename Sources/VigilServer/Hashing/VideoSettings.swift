public import VigilHash
import VigilMedia
public import VigilPipeline

/// How the node hashes and matches uploaded videos (the `video.*` settings): ffmpeg's limits, the
/// frame rate of vPDQ, and the thresholds of a video match.
public struct VideoSettings: Sendable, Equatable {
    /// The largest video accepted, in bytes (`video.max-bytes`; the upload limit,
    /// `http.max-body-bytes`, applies first).
    public var maxBytes = 32 << 20
    /// The largest frame, in pixels (`video.max-pixels`); each side is also held to 7,680.
    public var maxPixels = 1920 * 1080
    /// The most frames a video may have, hashed or not (`video.max-frames`).
    public var maxFrames = 18_000
    /// The longest probing and decoding one video may take, in seconds (`video.time-limit-seconds`).
    public var timeLimitSeconds = 60
    /// Seconds of video per hashed frame (`video.seconds-per-hash`; 0: every frame). vPDQ's and
    /// HMA's default is 1: lists hashed so match uploads hashed so.
    public var secondsPerHash = 1.0
    /// A video matches an entry when at least this share of its distinct frame hashes matched the
    /// entry's, in percent (`video.query-match-percent`, python-threatexchange's 80).
    public var queryMatchPercent = 80.0
    /// …and at least this share of the entry's distinct frame hashes matched the video's
    /// (`video.compared-match-percent`, 0: a clip of a listed video matches it).
    public var comparedMatchPercent = 0.0
    /// The folder holding `ffmpeg` and `ffprobe` (`video.ffmpeg-directory`; nil: found on `PATH`).
    public var ffmpegDirectory: String?
    /// Which program decodes frames (`video.decoder`): `auto` (the default: `vigil-framer` when
    /// `video.framer-path` names one or one lies beside `vigil`, else ffmpeg), `ffmpeg` (ffprobe
    /// and ffmpeg started per video) or `framer` (`vigil-framer`, kept running between uploads;
    /// it skips the frames no hashed frame needs). Both give the same frames and errors.
    public var decoder = Decoder.auto
    /// The `vigil-framer` executable (`video.framer-path`; nil: the one beside the running `vigil`).
    public var framerPath: String?
    /// The folder an uploaded video is written to while it is decoded, as a file of mode 0600
    /// removed afterwards (`video.temporary-folder`; nil: the system's temporary folder). Point it
    /// at an encrypted or memory-backed file system to keep uploads off plain disks.
    public var temporaryFolder: String?

    /// The programs that can decode frames.
    public enum Decoder: String, Sendable, Equatable, CaseIterable {
        /// vigil-framer when there is one, else ffmpeg (``VideoDecoderBackend/preferred(framerPath:)``).
        case auto
        /// ffprobe and ffmpeg, started for each video.
        case ffmpeg
        /// vigil-framer, kept running.
        case framer
    }

    /// The defaults: 32 MiB, 1920x1080 frames, 18,000 frames (10 min at 30 fps), 60 s, one frame
    /// per second, 80 % / 0 %.
    public init() {}

    /// The matching rules the engine scores videos with.
    public var matchOptions: VPDQMatchOptions {
        VPDQMatchOptions(queryMatchThreshold: queryMatchPercent, comparedMatchThreshold: comparedMatchPercent)
    }

    /// The hasher these settings describe.
    public var hasher: VideoHasher {
        let limits = VideoLimits(maxBytes: maxBytes, maxPixels: maxPixels, maxFrames: maxFrames, timeLimit: .seconds(timeLimitSeconds))
        let tools = ffmpegDirectory.map(FFmpegTools.installed(in:)) ?? FFmpegTools()
        // One frame in work per video: the hashing runs on the calling task's cooperative pool (the
        // video holds one place of the hashing pool), where lookups run too; it still overlaps
        // with ffmpeg's decoding of the next frames.
        let backend: VideoDecoderBackend
        switch decoder {
        case .auto: backend = .preferred(framerPath: framerPath)
        case .ffmpeg: backend = .ffmpegTools
        case .framer:
            // A missing framer answers each video with `decoder_missing`, as a missing ffmpeg does.
            backend = .framer(
                framerPath.map { FramerOptions(executable: $0) } ?? FramerOptions.besideRunningExecutable()
                    ?? FramerOptions(executable: "vigil-framer"))
        }
        return VideoHasher(
            hasher: VPDQHasher(secondsPerHash: secondsPerHash), decodeOptions: VideoDecodeOptions(limits: limits, tools: tools, backend: backend),
            hashingTasks: 1)
    }
}
