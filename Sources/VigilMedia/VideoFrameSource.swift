import Subprocess

/// What a finished ``VideoFrameSource/read(contentsOf:frameStep:onFrame:)`` saw.
public struct VideoReadSummary: Sendable {
    /// The video stream that was decoded.
    public var info: VideoInfo
    /// The number of frames handed to the frame handler.
    public var deliveredFrames: Int
    /// Set when ffmpeg reported damage (a truncated file, undecodable data) but still decoded frames:
    /// the error that describes the damage (``MediaError/Code/truncated`` or
    /// ``MediaError/Code/corrupt``). A damaged copy of a video is still worth hashing, so this is
    /// a warning, not a failure; `nil` after a clean decode.
    public var damage: MediaError?
    /// How many frames the decoder produced, delivered or not, when the decoder says
    /// (`vigil-framer` does; fewer than the video has when it skipped unhashed frames); `nil` from
    /// ffmpeg's command-line tool.
    public var decodedFrames: Int? = nil
}

/// Decodes video frames by running Debian's `ffmpeg` and `ffprobe` as child processes.
///
/// A read takes four steps, each bounded by ``VideoLimits``:
/// 1. the file is checked without any process: a regular file, not empty, not over
///    ``VideoLimits/maxBytes``, and a container (``VideoContainer``) recognised from its first bytes;
/// 2. `ffprobe` describes the first video stream (size, frame rate, declared frame count), which is
///    checked against the limits before anything is decoded;
/// 3. `ffmpeg` decodes that stream and writes raw RGB24 frames to a pipe, at the stream's own size,
///    with frame rate conversion and automatic rotation off, so that frame `n` is the decoder's
///    `n`-th frame (as in Meta's vPDQ, which decodes with libavcodec in-process);
/// 4. frames are read from the pipe and handed over one by one.
///
/// The tools are started without a shell, the path is passed as `file:PATH` with only the `file`
/// protocol allowed, and the sniffed container's demuxer is forced. One wall-clock deadline covers
/// steps 2–4; when it passes, when a limit is hit, when the frame handler throws, or when the task
/// is cancelled, the tool's whole process group is killed and reaped before the call returns.
///
/// ```swift
/// let source = VideoFrameSource()
/// let summary = try await source.read(contentsOf: "clip.mp4", frameStep: { _ in 1 }) { frame in
///     print(frame.number, frame.width, frame.height)
/// }
/// ```
public struct VideoFrameSource: Sendable {
    /// The options every read uses.
    public let options: VideoDecodeOptions
    /// The framer children this source keeps between reads, when its backend is the framer.
    let framers: FramerPool?

    /// Creates a frame source with the given options. With the ``VideoDecoderBackend/framer(_:)``
    /// backend, copies of the source share its running framer processes.
    public init(options: VideoDecodeOptions = VideoDecodeOptions()) {
        self.options = options
        if case .framer(let framer) = options.backend {
            framers = FramerPool(
                options: framer, colourConversion: options.colourConversion, decoderThreads: options.decoderThreads, limits: options.limits)
        } else {
            framers = nil
        }
    }

    /// The container of `bytes` judged by magic bytes only, or nil if it is no supported video.
    public static func sniff(_ bytes: some Collection<UInt8>) -> VideoContainer? {
        VideoContainer.sniff(bytes)
    }

    /// Describes the first video stream of the file at `path` (steps 1 and 2), checking the limits.
    ///
    /// - Throws: ``MediaError``: `.unreadable`, `.empty`, `.fileTooLarge`, `.unrecognisedFormat`
    ///   (not a supported container), `.noVideoStream`, `.invalidDimensions`, `.frameTooLarge`,
    ///   `.tooManyFrames` (declared), `.truncated` / `.corrupt` (ffprobe could not read the
    ///   container), `.timedOut`, `.decoderMissing`, `.decoderFailed`; or `CancellationError`.
    public func probe(contentsOf path: String) async throws -> VideoInfo {
        let deadline = ContinuousClock.now + options.limits.timeLimit
        let container = try checkFile(path)
        return try await probe(path: path, container: container, deadline: deadline)
    }

    /// Decodes the first video stream of the file at `path` and hands every `frameStep(info)`-th
    /// frame to `onFrame`, in order (frames 0, k, 2k, …; a step below 1 counts as 1).
    ///
    /// `onFrame` runs on the calling task while ffmpeg goes on decoding the next frame. When it
    /// throws, ffmpeg is killed and its error is rethrown.
    ///
    /// - Returns: The stream's description, the number of frames delivered, and any damage ffmpeg
    ///   reported while frames could still be decoded.
    /// - Throws: Every error of ``probe(contentsOf:)``; ``MediaError`` `.tooManyFrames` when frame
    ///   numbers pass ``VideoLimits/maxFrames``; `.truncated` / `.corrupt` when no frame could be
    ///   decoded; `.timedOut`; anything `onFrame` throws; `CancellationError` when the task is cancelled.
    ///
    /// With `lendingFrames`, frames from vigil-framer's memory file reach `onFrame` in place, with
    /// no copy (``VideoFrame/isLent``): each holds one of the framer's few slots until its last
    /// copy is dropped, and the framer waits while none is free. So a caller that lends must drop
    /// every frame soon, whatever else it waits for, and never keep more than two or three: one
    /// that keeps them all stalls the read until its time limit. Without it (the default) every
    /// frame has pixels of its own.
    public func read(
        contentsOf path: String,
        skippingUnhashedFrames: Bool = true,
        lendingFrames: Bool = false,
        frameStep: (VideoInfo) -> Int = { _ in 1 },
        onFrame: (VideoFrame) async throws -> Void
    ) async throws -> VideoReadSummary {
        let deadline = ContinuousClock.now + options.limits.timeLimit
        let container = try checkFile(path)
        if let framers, case .framer(let framer) = options.backend {
            return try await readWithFramer(
                pool: framers, path: path, container: container, deadline: deadline,
                skipping: skippingUnhashedFrames && framer.skipsUnhashedFrames, lending: lendingFrames, frameStep: frameStep,
                onFrame: onFrame)
        }
        let info = try await probe(path: path, container: container, deadline: deadline)
        let step = max(1, frameStep(info))
        let limits = options.limits
        var assembler = FrameAssembler(width: info.width, height: info.height, step: step)
        let outcome = try await ToolProcess.run(
            decodeInvocation(path: path, info: info, step: step),
            deadline: deadline, timeLimit: limits.timeLimit, stage: "decoding frames"
        ) { chunk in
            var frames: [VideoFrame] = []
            chunk.withUnsafeBytes { assembler.append($0, into: &frames) }
            for frame in frames {
                guard frame.number < limits.maxFrames else {
                    throw MediaError.tooManyFrames(frames: frame.number + 1, limit: limits.maxFrames, declared: false)
                }
                try await onFrame(frame)
            }
        }
        let damage = FFmpegDiagnostics.damage(in: outcome.standardError, container: container)
        if outcome.exitCode != 0 || assembler.delivered == 0 || assembler.hasPartialFrame {
            if let signal = outcome.signal {
                throw MediaError.decoderFailed(tool: "ffmpeg", detail: "killed by signal \(signal)")
            }
            if assembler.delivered == 0 {
                throw damage ?? .corruptVideo(container, detail: "no frame could be decoded")
            }
            if damage == nil {
                throw MediaError.decoderFailed(
                    tool: "ffmpeg",
                    detail: assembler.hasPartialFrame ? "its output ended inside a frame" : "exit status \(outcome.exitCode ?? -1)")
            }
        }
        return VideoReadSummary(info: info, deliveredFrames: assembler.delivered, damage: damage)
    }

    // MARK: - Steps

    /// Step 1: a readable regular file within the byte limit whose first bytes are a known container.
    private func checkFile(_ path: String) throws(MediaError) -> VideoContainer {
        let head = try FileReader.head(path: path, count: 12, maxBytes: options.limits.maxBytes)
        guard let container = VideoContainer.sniff(head) else {
            throw .notAVideo(magic: ImageFormat.magicDescription(head))
        }
        return container
    }

    /// Step 2: ffprobe's description of the first video stream, checked against the limits.
    private func probe(path: String, container: VideoContainer, deadline: ContinuousClock.Instant) async throws -> VideoInfo {
        let invocation = ToolInvocation(
            tool: "ffprobe", executable: options.tools.ffprobe,
            arguments: [
                "-hide_banner", "-v", "error",
                "-protocol_whitelist", "file",
                "-f", container.demuxer,
                "-show_entries", "stream=index,codec_type,codec_name,width,height,avg_frame_rate,r_frame_rate,nb_frames,duration",
                "-of", "compact=p=0:nk=0",
                "file:" + path,
            ])
        var output = ByteTail(limit: 1 << 20)
        let outcome = try await ToolProcess.run(
            invocation, deadline: deadline, timeLimit: options.limits.timeLimit, stage: "probing the container"
        ) { chunk in
            chunk.withUnsafeBytes { output.append($0) }
        }
        guard outcome.exitCode == 0 else {
            if let signal = outcome.signal {
                throw MediaError.decoderFailed(tool: "ffprobe", detail: "killed by signal \(signal)")
            }
            throw FFmpegDiagnostics.damage(in: outcome.standardError, container: container)
                ?? .corruptVideo(container, detail: "ffprobe could not read it, exit status \(outcome.exitCode ?? -1)")
        }
        let info = try ProbeReport(parsing: output.text).videoInfo(container: container)
        try check(info)
        return info
    }

    /// The limits that can be checked before decoding.
    func check(_ info: VideoInfo) throws(MediaError) {
        let limits = options.limits
        guard info.width > 0, info.height > 0 else { throw .invalidFrameSize(width: info.width, height: info.height) }
        let (pixels, overflow) = info.width.multipliedReportingOverflow(by: info.height)
        guard info.width <= limits.maxWidth, info.height <= limits.maxHeight, !overflow, pixels <= limits.maxPixels else {
            throw .frameTooLarge(width: info.width, height: info.height, limits: limits)
        }
        if let declared = info.declaredFrameCount, declared > limits.maxFrames {
            throw .tooManyFrames(frames: declared, limit: limits.maxFrames, declared: true)
        }
    }

    /// Step 3: the ffmpeg command that writes every `step`-th frame as raw RGB24 at the stream's size.
    func decodeInvocation(path: String, info: VideoInfo, step: Int) -> ToolInvocation {
        var arguments = ["-nostdin", "-hide_banner", "-nostats", "-v", "error"]
        if options.colourConversion == .portable { arguments += ["-cpuflags", "0"] }
        if let threads = options.decoderThreads { arguments += ["-threads", String(threads)] }
        // The scale filter keeps every frame at the declared size (a stream that changes size
        // mid-way is scaled back, as vPDQ's fixed libswscale context does); at that size it only
        // converts to RGB. `select` drops the frames that would not be hashed before conversion.
        var filter = "scale=\(info.width):\(info.height):flags=area"
        if step > 1 { filter = "select=not(mod(n\\,\(step)))," + filter }
        arguments += [
            "-noautorotate",
            "-protocol_whitelist", "file",
            "-f", info.container.demuxer,
            "-i", "file:" + path,
            "-map", "0:v:0", "-an", "-sn", "-dn",
            "-vf", filter,
            "-fps_mode", "passthrough",
            "-f", "rawvideo", "-pix_fmt", "rgb24",
            "pipe:1",
        ]
        return ToolInvocation(tool: "ffmpeg", executable: options.tools.ffmpeg, arguments: arguments)
    }
}

/// Cuts ffmpeg's byte stream into frames.
struct FrameAssembler {
    let width: Int
    let height: Int
    let step: Int
    let frameBytes: Int
    private var buffer: [UInt8] = []
    private(set) var delivered = 0

    init(width: Int, height: Int, step: Int) {
        self.width = width
        self.height = height
        self.step = step
        frameBytes = width * height * 3
        buffer.reserveCapacity(frameBytes)
    }

    /// Whether bytes of an unfinished frame are left over.
    var hasPartialFrame: Bool { !buffer.isEmpty }

    /// Appends `bytes` and moves every completed frame into `frames`.
    mutating func append(_ bytes: UnsafeRawBufferPointer, into frames: inout [VideoFrame]) {
        var offset = 0
        while offset < bytes.count {
            let take = min(frameBytes - buffer.count, bytes.count - offset)
            buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + take]))
            offset += take
            if buffer.count == frameBytes {
                frames.append(VideoFrame(number: delivered * step, width: width, height: height, pixels: buffer))
                delivered += 1
                buffer = []
                buffer.reserveCapacity(frameBytes)
            }
        }
    }
}
