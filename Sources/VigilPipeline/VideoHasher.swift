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

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Decodes a video with ffmpeg (``VideoFrameSource``) and hashes its frames with vPDQ
/// (``VPDQHasher``). Decoding and hashing overlap: each frame read from ffmpeg is hashed on a task
/// of its own while the next one is read, with at most ``hashingTasks`` frames in work (a bounded
/// queue: past it, reading waits for the oldest hash), so ffmpeg's decoding and the hashing use
/// the machine's cores together. The features come back in frame order, the same whatever the
/// number of tasks.
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
    /// The most frames hashed at once (at least 1), on Swift's cooperative pool.
    public let hashingTasks: Int

    /// The machine's online cores (at least 1): the default number of hashing tasks.
    public static var defaultHashingTasks: Int {
        max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }

    /// Creates a video hasher; by default one frame per second, default limits, ffmpeg from `PATH`,
    /// and as many frames hashed at once as the machine has cores.
    public init(
        hasher: VPDQHasher = VPDQHasher(), decodeOptions: VideoDecodeOptions = VideoDecodeOptions(),
        hashingTasks: Int = VideoHasher.defaultHashingTasks
    ) {
        self.hasher = hasher
        self.source = VideoFrameSource(options: decodeOptions)
        self.hashingTasks = max(1, hashingTasks)
    }

    /// Creates a video hasher that reads frames from `source`: hashers made from one source share
    /// its running `vigil-framer` processes when its backend is the framer.
    public init(hasher: VPDQHasher, source: VideoFrameSource, hashingTasks: Int = VideoHasher.defaultHashingTasks) {
        self.hasher = hasher
        self.source = source
        self.hashingTasks = max(1, hashingTasks)
    }

    /// Decodes and hashes the video at `path`.
    ///
    /// - Throws: ``HashingError`` whose ``HashingError/media`` is the ``MediaError`` (not a video,
    ///   no video stream, over a limit, timed out, ffmpeg missing, …); `CancellationError` when the
    ///   task is cancelled (ffmpeg is killed first, and the frames in work are dropped).
    public func hash(fileAt path: String) async throws -> VideoHashResult {
        do {
            return try await hash(fileAt: path, skipping: true)
        } catch is VideoFrameSource.FrameNumberingFailed {
            // The framer skipped frames and could not vouch for its numbering: count every frame.
            return try await hash(fileAt: path, skipping: false)
        }
    }

    private func hash(fileAt path: String, skipping: Bool) async throws -> VideoHashResult {
        let hasher = self.hasher
        let limit = hashingTasks
        var step = 1
        var framesPerSecond = 0.0
        var slots: [VPDQFeature?] = []
        let summary: VideoReadSummary
        do {
            summary = try await withThrowingTaskGroup(of: HashedFrame.self) { group in
                var inWork = 0
                // Workspaces go from a finished task to the next one (one per task in work).
                var idle: [WorkspaceLease] = []
                func collect(_ done: HashedFrame) {
                    slots[done.slot] = done.feature
                    idle.append(done.lease)
                    inWork -= 1
                }
                // Frames are hashed in place: each task drops its frame when done, and at most
                // `limit` are in work, so the framer's slots come back.
                let summary = try await source.read(
                    contentsOf: path,
                    skippingUnhashedFrames: skipping,
                    lendingFrames: true,
                    frameStep: { info in
                        // Called once, after the probe and before the first frame.
                        framesPerSecond = info.frameRate.framesPerSecond
                        step = hasher.frameStep(framesPerSecond: framesPerSecond)
                        return step
                    },
                    onFrame: { frame in
                        if inWork >= limit, let done = try await group.next() { collect(done) }
                        let slot = slots.count
                        slots.append(nil)
                        let lease = idle.popLast() ?? WorkspaceLease()
                        let fps = framesPerSecond
                        inWork += 1
                        group.addTask {
                            HashedFrame(
                                slot: slot, feature: try Self.hashFrame(frame, hasher: hasher, framesPerSecond: fps, workspace: lease.workspace),
                                lease: lease)
                        }
                    })
                while let done = try await group.next() { collect(done) }
                return summary
            }
        } catch let error as MediaError {
            throw HashingError.media(error)
        }
        return VideoHashResult(features: slots.compactMap { $0 }, info: summary.info, frameStep: step, damage: summary.damage)
    }

    private static func hashFrame(_ frame: VideoFrame, hasher: VPDQHasher, framesPerSecond: Double, workspace: PDQWorkspace) throws
        -> VPDQFeature
    {
        do {
            return try frame.withUnsafePixels { pixels throws(PDQInputError) in
                try hasher.hash(
                    rgb: pixels, width: frame.width, height: frame.height, frameNumber: frame.number,
                    framesPerSecond: framesPerSecond, workspace: workspace)
            }
        } catch {
            throw HashingError.pixels(error)
        }
    }
}

/// One hashed frame: its place in delivery order, its feature, and the workspace to hand on.
private struct HashedFrame: Sendable {
    var slot: Int
    var feature: VPDQFeature
    var lease: WorkspaceLease
}

/// A PDQ workspace handed from one hashing task to the next. `PDQWorkspace` is not thread-safe;
/// this is sound because a lease is held by exactly one task at a time: the task that hashes with
/// it, then (after `group.next()` returned it) the reading task, which gives it to the next task.
private struct WorkspaceLease: @unchecked Sendable {
    let workspace = PDQWorkspace()
}
