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

/// `vigil hash`: PDQ, MD5 and SHA-256 of image files, on every core, in input order.
struct HashCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hash",
        abstract: "Compute PDQ perceptual hashes and exact digests of images.",
        discussion: """
            Formats are detected from the bytes (JPEG, PNG, WebP, GIF). Folders are searched \
            recursively; files in them that are not images are skipped. With --json, one JSON \
            object per input is printed, in input order; a file that fails prints an "error" \
            object and the exit status is 1.
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

    @Argument(help: "Image files or folders.")
    var paths: [String]

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
        if maxPixels < 1 { throw ValidationError("--max-pixels must be at least 1") }
        if maxBytes < 1 { throw ValidationError("--max-bytes must be at least 1") }
        if paths.isEmpty { throw ValidationError("give at least one file or folder") }
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
        let output = OrderedOutput(count: inputs.count, json: json)
        if !json { output.writeHeader() }
        let workers = min(jobs ?? ProcessInfo.processInfo.activeProcessorCount, max(inputs.count, 1))
        let hasher = MediaHasher(options: options)
        let queue = WorkQueue(count: inputs.count)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<workers {
                group.addTask {
                    Self.work(inputs: inputs, queue: queue, hasher: hasher, output: output)
                }
            }
        }
        let summary = output.summary
        if summary.skipped > 0 {
            FileHandle.standardError.write(Data("vigil hash: skipped \(summary.skipped) file(s) that are not images\n".utf8))
        }
        if summary.failed > 0 {
            FileHandle.standardError.write(Data("vigil hash: \(summary.failed) of \(inputs.count) file(s) failed\n".utf8))
            throw ExitCode(1)
        }
    }
}

extension HashCommand {
    /// One worker: takes the next input until none are left, with its own reusable workspace.
    static func work(inputs: [InputFile], queue: WorkQueue, hasher: MediaHasher, output: OrderedOutput) {
        let workspace = MediaWorkspace()
        while let index = queue.take() {
            let input = inputs[index]
            let outcome: Outcome
            do {
                outcome = .hashed(try hasher.hash(fileAt: input.path, workspace: workspace))
            } catch {
                if error.media?.code == .unrecognisedFormat, !input.named {
                    outcome = .skipped
                } else {
                    outcome = .failed(error)
                }
            }
            output.deliver(index: index, path: input.path, outcome: outcome)
        }
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
    }

    private let state = Mutex(State())
    private let json: Bool

    init(count: Int, json: Bool) {
        self.json = json
    }

    var summary: (failed: Int, skipped: Int) {
        state.withLock { ($0.failed, $0.skipped) }
    }

    func writeHeader() {
        FileHandle.standardOutput.write(Data("pdq\tquality\twidth\theight\tpath\n".utf8))
    }

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
                    out += (json ? renderJSON(path: path, result: result) : renderRow(path: path, result: result)) + "\n"
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
