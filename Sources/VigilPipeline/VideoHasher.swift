public import VigilHash
public import VigilMedia

/// The vPDQ hash of one video file and what was learnt decoding it.
public struct VideoHashResult: Sendable {
    /// One feature per hashed frame, in frame order.
    public var features: [VPDQFeature]
    /// The decoded video stream (container, codec, size, frame rate).
    public var info: VideoInfo
    /// Every how many frames one was hashed (1 = every frame).
    public var frameStep: Int
    /// Damage ffmpeg reported while frames could still be decoded (a truncated or partly corrupt
    /// file); `nil` after a clean decode. The features cover what could be decoded.
    public var damage: MediaError?

    /// Creates a result.
    public init(features: [VPDQFeature], info: VideoInfo, frameStep: Int, damage: MediaError? = nil) {
        self.features = features
        self.info = info
        self.frameStep = frameStep
        self.damage = damage
    }

    /// The vPDQ text (`frameNumber,quality,pdqHex,timestamp` lines).
    public var text: String { VPDQText.format(features) }
}

/// Decodes a video with ffmpeg (``VideoFrameSource``) and hashes its frames with vPDQ
/// (``VPDQHasher``): frames are hashed as they arrive, while ffmpeg decodes the next one.
///
/// ```swift
/// let hasher = VideoHasher(hasher: VPDQHasher(secondsPerHash: 1))
/// let result = try await hasher.hash(fileAt: "clip.mp4")
/// print(result.text)
/// ```
public struct VideoHasher: Sendable {
    /// Which frames to hash.
    public let hasher: VPDQHasher
    /// How frames are decoded, with which limits.
    public let source: VideoFrameSource

    /// Creates a video hasher; by default one frame per second, default limits, ffmpeg from `PATH`.
    public init(hasher: VPDQHasher = VPDQHasher(), decodeOptions: VideoDecodeOptions = VideoDecodeOptions()) {
        self.hasher = hasher
        self.source = VideoFrameSource(options: decodeOptions)
    }

    /// Decodes and hashes the video at `path`.
    ///
    /// - Throws: ``HashingError`` whose ``HashingError/media`` is the ``MediaError`` (not a video,
    ///   no video stream, over a limit, timed out, ffmpeg missing, …); `CancellationError` when the
    ///   task is cancelled (ffmpeg is killed first).
    public func hash(fileAt path: String) async throws -> VideoHashResult {
        let hasher = self.hasher
        let workspace = PDQWorkspace()
        var features: [VPDQFeature] = []
        var step = 1
        var framesPerSecond = 0.0
        let summary: VideoReadSummary
        do {
            summary = try await source.read(
                contentsOf: path,
                frameStep: { info in
                    // Called once, after the probe and before the first frame.
                    framesPerSecond = info.frameRate.framesPerSecond
                    step = hasher.frameStep(framesPerSecond: framesPerSecond)
                    return step
                },
                onFrame: { frame in
                    features.append(try Self.hashFrame(frame, hasher: hasher, framesPerSecond: framesPerSecond, workspace: workspace))
                })
        } catch let error as MediaError {
            throw HashingError.media(error)
        }
        return VideoHashResult(features: features, info: summary.info, frameStep: step, damage: summary.damage)
    }

    private static func hashFrame(_ frame: VideoFrame, hasher: VPDQHasher, framesPerSecond: Double, workspace: PDQWorkspace) throws
        -> VPDQFeature
    {
        do {
            return try hasher.hash(
                rgb: frame.pixels, width: frame.width, height: frame.height, frameNumber: frame.number,
                framesPerSecond: framesPerSecond, workspace: workspace)
        } catch {
            throw HashingError.pixels(error)
        }
    }
}
