/// Resource limits for decoding one video. Each is checked as early as it can be: the byte limit
/// before any process starts, the frame size and the declared frame count from ffprobe's answer
/// before any frame is decoded, the frame count again while frames arrive, and the time limit over
/// the whole run (probe and decode together).
public struct VideoLimits: Sendable, Equatable {
    /// The largest accepted file, in bytes.
    public var maxBytes: Int
    /// The widest accepted frame, in pixels.
    public var maxWidth: Int
    /// The tallest accepted frame, in pixels.
    public var maxHeight: Int
    /// The largest accepted `width * height` of a frame.
    public var maxPixels: Int
    /// The most frames a video may have (counted in decoding order, hashed or not).
    public var maxFrames: Int
    /// The longest the probe and the decode may take together, wall-clock; then every process is
    /// killed and the call fails with ``MediaError/Code/timedOut``.
    public var timeLimit: Duration

    /// Creates limits. The defaults accept 2 GiB files, frames up to 8K UHD (7680x4320, either
    /// way round), one hour at 60 frames per second, and ten minutes of wall-clock time.
    public init(
        maxBytes: Int = 2 << 30,
        maxWidth: Int = 7680,
        maxHeight: Int = 7680,
        maxPixels: Int = 7680 * 4320,
        maxFrames: Int = 216_000,
        timeLimit: Duration = .seconds(600)
    ) {
        self.maxBytes = maxBytes
        self.maxWidth = maxWidth
        self.maxHeight = maxHeight
        self.maxPixels = maxPixels
        self.maxFrames = maxFrames
        self.timeLimit = timeLimit
    }
}

/// Where the `ffmpeg` and `ffprobe` executables are.
public struct FFmpegTools: Sendable, Equatable {
    /// The `ffmpeg` executable: a path, or a bare name looked up on `PATH`.
    public var ffmpeg: String
    /// The `ffprobe` executable: a path, or a bare name looked up on `PATH`.
    public var ffprobe: String

    /// Creates tool locations; the defaults look both names up on `PATH` (Debian's package
    /// `ffmpeg` installs both in `/usr/bin`).
    public init(ffmpeg: String = "ffmpeg", ffprobe: String = "ffprobe") {
        self.ffmpeg = ffmpeg
        self.ffprobe = ffprobe
    }

    /// Both tools in one folder (for example `/opt/ffmpeg/bin`).
    public static func installed(in folder: String) -> FFmpegTools {
        let base = folder.hasSuffix("/") ? folder : folder + "/"
        return FFmpegTools(ffmpeg: base + "ffmpeg", ffprobe: base + "ffprobe")
    }
}

/// How ffmpeg converts decoded YUV frames to RGB.
public enum VideoColourConversion: Sendable, Equatable {
    /// libswscale's plain C code (`-cpuflags 0`): the same bytes on every CPU. Meta's older vPDQ
    /// expected outputs (the repository's sample hashes) were made this way and reproduce exactly.
    /// It also turns off the decoder's SIMD code, so decoding takes about 1.6x as long. The default.
    case portable
    /// libswscale's SIMD code for this CPU: faster, but its rounding differs from the C code (on the
    /// sample videos by up to 22 bits of PDQ on usable frames, 76 on low-quality ones), and may
    /// differ between CPUs with different vector units. Current PyPI `vpdq` builds take this path.
    case native
}

/// Which program decodes video frames.
public enum VideoDecoderBackend: Sendable, Equatable {
    /// `ffprobe`, then `ffmpeg`, started for each video (``VideoDecodeOptions/tools``). The default.
    case ffmpegTools
    /// `vigil-framer`, Vigil's frame server: a long-lived child process (started once, then kept for
    /// the next videos) that decodes with FFmpeg's libraries and can leave undecoded the frames no
    /// hashed frame needs. The same frames, bytes and errors as ``ffmpegTools``, with less work.
    case framer(FramerOptions)

    /// The choice Vigil makes when none is configured (`auto`): `vigil-framer` when `framerPath`
    /// names one or one lies beside the running executable (where `swift build` and
    /// `make release` put it), else ``ffmpegTools``. Both give the same frames and errors.
    public static func preferred(framerPath: String? = nil) -> VideoDecoderBackend {
        if let framerPath { return .framer(FramerOptions(executable: framerPath)) }
        if let beside = FramerOptions.besideRunningExecutable() { return .framer(beside) }
        return .ffmpegTools
    }
}

/// Options for ``VideoFrameSource``.
public struct VideoDecodeOptions: Sendable, Equatable {
    /// Size, frame, byte and time limits.
    public var limits: VideoLimits
    /// Where `ffmpeg` and `ffprobe` are.
    public var tools: FFmpegTools
    /// Which YUV-to-RGB code ffmpeg runs.
    public var colourConversion: VideoColourConversion
    /// ffmpeg's decoding threads (`-threads`); `nil` leaves ffmpeg's own choice (one per core).
    public var decoderThreads: Int?
    /// Which program decodes the frames.
    public var backend: VideoDecoderBackend

    /// Creates options; by default: default limits, the tools on `PATH`, portable colour conversion,
    /// ffprobe and ffmpeg started per video.
    public init(
        limits: VideoLimits = VideoLimits(),
        tools: FFmpegTools = FFmpegTools(),
        colourConversion: VideoColourConversion = .portable,
        decoderThreads: Int? = nil,
        backend: VideoDecoderBackend = .ffmpegTools
    ) {
        self.limits = limits
        self.tools = tools
        self.colourConversion = colourConversion
        self.decoderThreads = decoderThreads
        self.backend = backend
    }
}
