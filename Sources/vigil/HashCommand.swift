import ArgumentParser
import Foundation
import Synchronization
import VigilHash
import VigilMedia
import VigilPipeline

/// The `--convention` values, mapped onto ``PDQConvention``.
enum ConventionArgument: String, ExpressibleByArgument, CaseIterable {
    case full
    case referenceCLI = "reference-cli"

    var convention: PDQConvention {
        switch self {
        case .full: .full
        case .referenceCLI: .referenceCLI
        }
    }
}

/// `vigil hash`: PDQ, MD5 and SHA-256 of image files, and vPDQ of videos, on every core, in input order.
struct HashCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hash",
        abstract: "Compute PDQ perceptual hashes and exact digests of images, and vPDQ hashes of videos.",
        discussion: """
            Formats are detected from the bytes (JPEG, PNG, WebP, GIF; MP4, MOV, MKV/WebM, AVI). \
            Folders are searched recursively; files in them that are neither images nor videos are \
            skipped. A video prints its vPDQ lines (frameNumber,quality,pdqHex,timestamp); with more \
            than one input, a line "# PATH" comes before them. Videos are decoded by Debian's ffmpeg. \
            With --json, one JSON object per input is printed, in input order; a file that fails \
            prints an "error" object and the exit status is 1.
            """
    )

    @Option(help: "PDQ convention: full (pdqhash/HMA, default) or reference-cli (Meta's C++ CLI, 512x512 squash).")
    var convention: ConventionArgument = .full

    @Flag(help: "Decode JPEGs with DCT scaling to a short side of at least 512 px first (faster, a few bits off).")
    var fast = false

    @Flag(help: "Also print the 8 dihedral variant hashes (orig, rot90, rot180, rot270, flipx, flipy, flipplus1, flipminus1).")
    var dihedral = false

    @Flag(help: "Skip the MD5 and SHA-256 digests (JSON then has no md5/sha256 fields).")
    var noDigests = false

    @Flag(help: "Print JSON Lines instead of a table.")
    var json = false

    @Option(help: "Files hashed at once (default: one per core).")
    var jobs: Int?

    @Option(help: "Refuse images with more pixels than this (checked from the header before decoding).")
    var maxPixels = DecodeLimits().maxPixels

    @Option(help: "Refuse files larger than this many bytes (checked before reading).")
    var maxBytes = DecodeLimits().maxBytes

    @Option(help: "Videos: hash one frame per this many seconds (vPDQ's frame step); 0 hashes every frame.")
    var secondsPerHash = 1.0

    @Flag(help: "Videos: cut black bars off each frame before hashing (Vigil's extension; hash both sides alike).")
    var trimBorders = false

    @Option(help: "Videos: kill ffmpeg and fail a video after this many seconds.")
    var videoTimeLimit = 600

    @Option(help: "Videos: refuse videos with more frames than this.")
    var maxFrames = VideoLimits().maxFrames

    @Option(help: "Videos: refuse video files larger than this many bytes (checked before ffmpeg starts).")
    var maxVideoBytes = VideoLimits().maxBytes

    @Option(help: "Videos: the folder holding ffmpeg and ffprobe (default: found on PATH).")
    var ffmpegFolder: String?

    @Option(
        help:
            "Videos: the frame decoder: auto (vigil-framer when there is one, else ffmpeg), ffmpeg (ffprobe and ffmpeg per video) or framer (vigil-framer, kept running; it skips frames no hashed frame needs). The same frames either way."
    )
    var decoder = "auto"

    @Option(help: "Videos: the vigil-framer executable (default: the one beside vigil).")
    var framerPath: String?

    @Argument(help: "Image or video files, or folders.")
    var paths: [String]

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
        if maxPixels < 1 { throw ValidationError("--max-pixels must be at least 1") }
        if maxBytes < 1 { throw ValidationError("--max-bytes must be at least 1") }
        if !(secondsPerHash >= 0 && secondsPerHash.isFinite) { throw ValidationError("--seconds-per-hash must be 0 or more") }
        if videoTimeLimit < 1 { throw ValidationError("--video-time-limit must be at least 1") }
        if maxFrames < 1 { throw ValidationError("--max-frames must be at least 1") }
        if maxVideoBytes < 1 { throw ValidationError("--max-video-bytes must be at least 1") }
        if paths.isEmpty { throw ValidationError("give at least one file or folder") }
        if !["auto", "ffmpeg", "framer"].contains(decoder) { throw ValidationError("--decoder must be auto, ffmpeg or framer") }
        if decoder == "framer" && framerPath == nil && FramerOptions.besideRunningExecutable() == nil {
            throw ValidationError("no vigil-framer beside vigil: build it (swift build --product vigil-framer) or give --framer-path")
        }
    }

    func run() async throws {
        let inputs: [InputFile]
        do {
            inputs = try InputFiles.expand(paths)
        } catch {
            throw ValidationError(String(describing: error))
        }
        let options = HashOptions(
            convention: convention.convention, fast: fast, dihedral: dihedral, digests: !noDigests,
            limits: DecodeLimits(maxPixels: maxPixels, maxBytes: maxBytes))
        // validate() made sure `framer` has one.
        let backend: VideoDecoderBackend = decoder == "ffmpeg" ? .ffmpegTools : .preferred(framerPath: framerPath)
        let output = OrderedOutput(count: inputs.count, json: json)
        let workers = min(jobs ?? ProcessInfo.processInfo.activeProcessorCount, max(inputs.count, 1))
        let hashers = Hashers(
            image: MediaHasher(options: options),
            video: VideoHasher(
                hasher: VPDQHasher(secondsPerHash: secondsPerHash, trimsBlackBorders: trimBorders),
                decodeOptions: VideoDecodeOptions(
                    limits: VideoLimits(maxBytes: maxVideoBytes, maxFrames: maxFrames, timeLimit: .seconds(videoTimeLimit)),
                    tools: ffmpegFolder.map { FFmpegTools.installed(in: $0) } ?? FFmpegTools(), backend: backend)))
        let queue = WorkQueue(count: inputs.count)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<workers {
                group.addTask {
                    await Self.work(inputs: inputs, queue: queue, hashers: hashers, output: output)
                }
            }
        }
        let summary = output.summary
        if summary.skipped > 0 {
            FileHandle.standardError.write(Data("vigil hash: skipped \(summary.skipped) file(s) that are neither images nor videos\n".utf8))
        }
        if summary.failed > 0 {
            FileHandle.standardError.write(Data("vigil hash: \(summary.failed) of \(inputs.count) file(s) failed\n".utf8))
            throw ExitCode(1)
        }
    }
}

/// The two hashers a worker chooses between.
struct Hashers: Sendable {
    let image: MediaHasher
    let video: VideoHasher
}

extension HashCommand {
    /// One worker: takes the next input until none are left, with its own reusable workspace.
    static func work(inputs: [InputFile], queue: WorkQueue, hashers: Hashers, output: OrderedOutput) async {
        let workspace = MediaWorkspace()
        while let index = queue.take() {
            let input = inputs[index]
            let outcome: Outcome
            do {
                if isVideo(input.path) {
                    outcome = .video(try await hashers.video.hash(fileAt: input.path))
                } else {
                    outcome = .hashed(try hashers.image.hash(fileAt: input.path, workspace: workspace))
                }
            } catch let error as HashingError {
                if error.media?.code == .unrecognisedFormat, !input.named {
                    outcome = .skipped
                } else {
                    outcome = .failed(error)
                }
            } catch {
                outcome = .failed(.media(.decoderFailed(tool: "vigil", detail: "\(error)")))
            }
            output.deliver(index: index, path: input.path, outcome: outcome)
        }
    }

    /// A video by its bytes (an MP4, MOV, Matroska/WebM or AVI container), or, when the bytes are
    /// no image either, by its name's extension (then ffmpeg's error says what is wrong with it).
    /// The head is read once, and only from a regular file (a named pipe is never opened); a file
    /// whose head cannot be read goes by its name, and the hasher's error then says what it is.
    static func isVideo(_ path: String) -> Bool {
        let namedVideo = VideoContainer.fileExtensions.contains(URL(fileURLWithPath: path).pathExtension.lowercased())
        let head: [UInt8]
        do {
            head = try MediaFile.head(path: path, count: 12)
        } catch {
            return namedVideo
        }
        if VideoContainer.sniff(head) != nil { return true }
        return namedVideo && ImageFormat.sniff(head) == nil
    }
}

/// Hands out the indices 0..<count, each once, to any number of workers.
final class WorkQueue: Sendable {
    private let next = Mutex(0)
    private let count: Int

    init(count: Int) {
        self.count = count
    }

    func take() -> Int? {
        next.withLock { (value: inout Int) -> Int? in
            guard value < count else { return nil }
            value += 1
            return value - 1
        }
    }
}

/// What happened to one input.
enum Outcome: Sendable {
    case hashed(MediaHashResult)
    case video(VideoHashResult)
    case failed(HashingError)
    case skipped
}

/// Collects results from the workers and writes them in input order as soon as each next one is ready.
final class OrderedOutput: Sendable {
    private struct State {
        var pending: [Int: (String, Outcome)] = [:]
        var nextIndex = 0
        var failed = 0
        var skipped = 0
        var wroteHeader = false
    }

    private let state = Mutex(State())
    private let json: Bool
    /// Whether a video's lines get a `# PATH` line before them (when there is more than one input).
    private let labelsVideos: Bool

    init(count: Int, json: Bool) {
        self.json = json
        self.labelsVideos = count > 1
    }

    var summary: (failed: Int, skipped: Int) {
        state.withLock { ($0.failed, $0.skipped) }
    }

    static let header = "pdq\tquality\twidth\theight\tpath\n"

    func deliver(index: Int, path: String, outcome: Outcome) {
        state.withLock { state in
            state.pending[index] = (path, outcome)
            var out = ""
            var errors = ""
            while let (path, outcome) = state.pending.removeValue(forKey: state.nextIndex) {
                state.nextIndex += 1
                switch outcome {
                case .skipped:
                    state.skipped += 1
                case .failed(let error):
                    state.failed += 1
                    if json {
                        out += renderError(path: path, error: error) + "\n"
                    } else {
                        errors += "vigil hash: \(path): \(error.code): \(error)\n"
                    }
                case .hashed(let result):
                    if !json && !state.wroteHeader {
                        out += Self.header
                        state.wroteHeader = true
                    }
                    out += (json ? renderJSON(path: path, result: result) : renderRow(path: path, result: result)) + "\n"
                case .video(let result):
                    if json {
                        out += renderJSON(path: path, video: result) + "\n"
                    } else {
                        if labelsVideos { out += "# \(path)\n" }
                        out += result.text
                    }
                    if let damage = result.damage {
                        errors += "vigil hash: \(path): warning: \(damage.code): \(damage); hashed the frames that could be decoded\n"
                    }
                }
            }
            if !out.isEmpty { FileHandle.standardOutput.write(Data(out.utf8)) }
            if !errors.isEmpty { FileHandle.standardError.write(Data(errors.utf8)) }
        }
    }

    private func renderJSON(path: String, result: MediaHashResult) -> String {
        var line = JSONLine()
        line.add("path", path)
        line.add("pdq", result.pdq.hash.hex)
        line.add("quality", result.pdq.quality)
        if let digests = result.digests {
            line.add("md5", digests.md5)
            line.add("sha256", digests.sha256)
        }
        line.add("width", result.width)
        line.add("height", result.height)
        if let variants = result.dihedral {
            line.add("pdq_dihedral", strings: variants.map(\.hex))
        }
        return line.rendered
    }

    private func renderJSON(path: String, video: VideoHashResult) -> String {
        var line = JSONLine()
        line.add("path", path)
        line.add("vpdq", strings: video.features.map(VPDQText.line))
        line.add("width", video.info.width)
        line.add("height", video.info.height)
        line.add("frame_rate", video.info.frameRate.description)
        line.add("frame_step", video.frameStep)
        line.add("container", video.info.container.rawValue)
        line.add("codec", video.info.codec)
        if let damage = video.damage {
            var detail = JSONLine()
            detail.add("code", damage.code.rawValue)
            detail.add("message", damage.message)
            line.add("damage", object: detail)
        }
        return line.rendered
    }

    private func renderError(path: String, error: HashingError) -> String {
        var detail = JSONLine()
        detail.add("code", error.code.rawValue)
        detail.add("message", error.description)
        var line = JSONLine()
        line.add("path", path)
        line.add("error", object: detail)
        return line.rendered
    }

    private func renderRow(path: String, result: MediaHashResult) -> String {
        var row = "\(result.pdq.hash.hex)\t\(result.pdq.quality)\t\(result.width)\t\(result.height)\t\(path)"
        if let variants = result.dihedral {
            row += "\t" + variants.map(\.hex).joined(separator: ",")
        }
        return row
    }
}
