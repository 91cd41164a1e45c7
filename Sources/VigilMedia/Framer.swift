import AsyncAlgorithms
import Subprocess
import Synchronization
import VigilHex

#if canImport(System)
import System
#else
import SystemPackage
#endif

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// How to run `vigil-framer`, Vigil's long-lived video frame server (``VideoDecoderBackend/framer(_:)``).
public struct FramerOptions: Sendable, Equatable {
    /// The `vigil-framer` executable: a path, or a bare name looked up on `PATH`.
    public var executable: String
    /// Whether, when only every k-th frame is hashed (k > 1), the decoder may leave undecoded the
    /// non-reference frames that are not hashed. The frames delivered are the same bytes either way;
    /// the framer checks its numbering and, when it cannot vouch for it, the read is done again
    /// without skipping (see ``VideoFrameSource/FrameNumberingFailed``).
    public var skipsUnhashedFrames: Bool
    /// The most framer processes kept running between reads (each serves one read at a time).
    public var idleProcesses: Int
    /// Whether frames are handed over in shared memory: four frame-sized slots of a memory file
    /// the framer makes (Linux's `memfd`, sealed against shrinking), read through
    /// `/proc/PID/fd`, with only a short record per frame on the pipe. Where the system does
    /// not allow it, and when false, frames go through the pipe. Either way the frames are the
    /// same bytes.
    public var sharedMemory: Bool

    /// Creates framer options.
    public init(executable: String, skipsUnhashedFrames: Bool = true, idleProcesses: Int = 2, sharedMemory: Bool = true) {
        self.executable = executable
        self.skipsUnhashedFrames = skipsUnhashedFrames
        self.idleProcesses = max(0, idleProcesses)
        self.sharedMemory = sharedMemory
    }

    /// `vigil-framer` in the folder of the running executable (where `swift build` puts both
    /// `vigil` and `vigil-framer`), or `nil` when it is not there.
    public static func besideRunningExecutable() -> FramerOptions? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        let bytes = buffer[..<count].map { UInt8(bitPattern: $0) }
        guard let slash = bytes.lastIndex(of: UInt8(ascii: "/")) else { return nil }
        let candidate = String(decoding: bytes[...slash], as: UTF8.self) + "vigil-framer"
        guard access(candidate, X_OK) == 0 else { return nil }
        return FramerOptions(executable: candidate)
    }
}

/// One running `vigil-framer` child: requests go in as lines on its standard input, records come
/// out of its standard output through ``records``, one at a time (the child waits while its reader
/// does not take them).
///
/// The child runs in a session of its own; ``kill()`` kills its process group, and
/// swift-subprocess reaps it. When it ends for any reason, ``records`` fails with what happened.
final class FramerProcess: Sendable {
    /// The child's records, in order.
    let records = AsyncThrowingChannel<FramerRecord, any Error>()
    /// Request lines and the "free SLOT" lines of lent frames, which are queued from `deinit`s and
    /// so cannot wait: an unbounded stream (the lines are short and few).
    private let commands: AsyncStream<[UInt8]>
    private let commandInput: AsyncStream<[UInt8]>.Continuation
    private let control = Mutex(Control())

    private struct Control {
        var kill: (@Sendable () -> Void)?
        var killRequested = false
        var ended = false
        var sharedMemory = false
        var lendsFrames = false
    }

    /// The task that runs the child and reaps it.
    private let server = Mutex<Task<Void, Never>?>(nil)

    /// Starts the child (in a task of its own, which holds this object as long as the child runs).
    init(executable: String, arguments: [String], maxRecordBytes: Int) {
        (commands, commandInput) = AsyncStream.makeStream(of: [UInt8].self)
        let task = Task {
            await self.serve(executable: executable, arguments: arguments, maxRecordBytes: maxRecordBytes)
        }
        server.withLock { $0 = task }
    }

    /// Whether the child may take another request (it neither ended nor was killed).
    var isUsable: Bool {
        control.withLock { !$0.ended && !$0.killRequested }
    }

    /// Whether the child hands frames over in shared memory (its memory file was opened and
    /// mapped): a `decode` request may then ask for it.
    var sharesMemory: Bool {
        control.withLock { $0.sharedMemory }
    }

    /// Whether frames in shared memory reach the reader in place (lent until dropped) or copied at
    /// once; set before each `decode` request.
    func lendFrames(_ lend: Bool) {
        control.withLock { $0.lendsFrames = lend }
    }

    /// The request that opens the file at `path` with `demuxer` (the path in hex, so that any byte
    /// of it survives the line protocol).
    static func openRequest(demuxer: String, path: String) -> String {
        "open \(demuxer) \(Hex.encode(Array(path.utf8)))"
    }

    /// Sends one request line (a newline is added).
    func send(_ line: String) {
        commandInput.yield(Array((line + "\n").utf8))
    }

    /// Kills the child's process group; pending and later records end.
    func kill() {
        let kill = control.withLock { control in
            control.killRequested = true
            return control.kill
        }
        kill?()
        records.finish()
        commandInput.finish()
    }

    /// Kills the child's process group and waits until swift-subprocess has reaped the child.
    func killAndWait() async {
        kill()
        if let task = server.withLock({ $0 }) { await task.value }
    }

    /// Closes the child's standard input: it exits after its current request.
    func close() {
        commandInput.finish()
    }

    private func serve(executable: String, arguments: [String], maxRecordBytes: Int) async {
        let records = self.records
        let commands = self.commands
        let commandInput = self.commandInput
        var platform = PlatformOptions()
        platform.createSession = true
        platform.teardownSequence = [.send(signal: .kill, toProcessGroup: true, allowedDurationToNextStep: ToolProcess.killGrace)]
        let program: Executable = executable.contains("/") ? .path(FilePath(executable)) : .name(executable)
        let failure: any Error
        do {
            let result = try await Subprocess.run(
                program, arguments: Arguments(arguments), platformOptions: platform,
                input: .inputWriter, output: .sequence, error: .discarded
            ) { execution in
                let writer = execution.standardInputWriter
                // A failed kill means the process is already gone, which is what a kill wants.
                let killer: @Sendable () -> Void = { _ = try? execution.send(signal: .kill, toProcessGroup: true) }
                let killedBeforeStart = control.withLock { control in
                    control.kill = killer
                    return control.killRequested
                }
                if killedBeforeStart { killer() }
                try await withThrowingTaskGroup(of: Bool.self) { group in
                    group.addTask {
                        for await line in commands { _ = try await writer.write(line) }
                        try await writer.finish()
                        return false
                    }
                    group.addTask {
                        var parser = FramerRecordParser(maxPayload: maxRecordBytes)
                        var shared: SharedFrames?
                        for try await chunk in execution.standardOutput {
                            let completed = try chunk.withUnsafeBytes { bytes throws(MediaError) in try parser.append(bytes) }
                            for record in completed {
                                switch record {
                                case .memoryFile(let descriptor, let slots, let slotBytes):
                                    // Not mapped (no /proc, or not allowed): the frames come through the pipe.
                                    shared = SharedFrames(
                                        process: execution.processIdentifier.value, descriptor: descriptor, slots: slots, slotBytes: slotBytes)
                                    let mapped = shared != nil
                                    self.control.withLock { $0.sharedMemory = mapped }
                                case .sharedFrame(let number, let width, let height, let slot):
                                    guard let shared else {
                                        throw MediaError.decoderFailed(tool: "vigil-framer", detail: "a frame in shared memory, with none mapped")
                                    }
                                    // The slot goes back when the frame is dropped; frames of a
                                    // reader that does not borrow them are copied at once.
                                    let lends = self.control.withLock { $0.lendsFrames }
                                    let line = Array("free \(slot)\n".utf8)
                                    let lent = try shared.lend(number: number, width: width, height: height, slot: slot) {
                                        commandInput.yield(line)
                                    }
                                    await records.send(.frame(lends ? lent : lent.owned()))
                                default:
                                    await records.send(record)
                                }
                            }
                        }
                        if parser.hasPartialRecord {
                            throw MediaError.decoderFailed(tool: "vigil-framer", detail: "its output ended inside a record")
                        }
                        return true
                    }
                    // The reader ends when the child's output closes (it exited or was killed):
                    // then nothing more will be written either.
                    while let readerEnded = try await group.next() {
                        if readerEnded { group.cancelAll() }
                    }
                }
            }
            switch result.terminationStatus {
            case .exited(let code):
                failure = MediaError.decoderFailed(tool: "vigil-framer", detail: "it exited with status \(code)")
            case .signaled(let signal):
                failure = MediaError.decoderFailed(tool: "vigil-framer", detail: "killed by signal \(signal)")
            }
        } catch let error as SubprocessError where error.code == .executableNotFound {
            failure = MediaError.decoderMissing(tool: "vigil-framer", path: executable)
        } catch let error as MediaError {
            failure = error
        } catch {
            failure = MediaError.decoderFailed(tool: "vigil-framer", detail: "\(error)")
        }
        control.withLock { control in
            control.ended = true
            control.kill = nil
        }
        commandInput.finish()
        records.fail(failure)
    }
}

/// Running `vigil-framer` children kept between reads: a read takes one (or starts one) and gives it
/// back when it ended cleanly; a read that failed half-way kills its child instead.
final class FramerPool: Sendable {
    let options: FramerOptions
    let arguments: [String]
    let maxRecordBytes: Int
    private let idle = Mutex<[FramerProcess]>([])

    init(options: FramerOptions, colourConversion: VideoColourConversion, decoderThreads: Int?, limits: VideoLimits) {
        self.options = options
        var arguments: [String] = []
        if colourConversion == .portable { arguments.append("--portable") }
        if let threads = decoderThreads { arguments += ["--threads", String(min(1024, max(0, threads)))] }
        // A frame of the largest allowed size with its 16-byte header; text records are far smaller.
        let (bytes, overflow) = limits.maxPixels.multipliedReportingOverflow(by: 3)
        maxRecordBytes = overflow ? Int.max : max(bytes + 16, 1 << 20)
        // Slots for frames of the largest allowed size (pages are used only once written).
        // Two more slots than cores: a reader hashing lent frames on every core still leaves the
        // framer a slot to decode into.
        if options.sharedMemory, !overflow, bytes > 0, bytes <= 1 << 36 {
            let cores = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
            arguments += ["--ring", String(bytes), "--slots", String(min(64, max(4, cores + 2)))]
        }
        self.arguments = arguments
    }

    deinit {
        for process in idle.withLock({ $0 }) { process.close() }
    }

    /// An idle child, or a new one.
    func checkOut() -> FramerProcess {
        while let process = idle.withLock({ $0.popLast() }) {
            if process.isUsable { return process }
        }
        return FramerProcess(executable: options.executable, arguments: arguments, maxRecordBytes: maxRecordBytes)
    }

    /// Gives a child back after a clean read; it is closed when enough are idle already.
    func checkIn(_ process: FramerProcess) {
        guard process.isUsable else { return }
        let kept = idle.withLock { idle in
            guard idle.count < options.idleProcesses else { return false }
            idle.append(process)
            return true
        }
        if !kept { process.close() }
    }
}

extension VideoFrameSource {
    /// Thrown by ``read(contentsOf:skippingUnhashedFrames:lendingFrames:frameStep:onFrame:)`` when the framer
    /// skipped undecoded frames and then could not vouch for the frame numbers it gave (a frame's
    /// timestamp was not among the packets', a hashed frame was missing, the decoder reported
    /// damage) after some frames were delivered. The frames delivered so far must be dropped and the video read again with
    /// `skippingUnhashedFrames: false`, which numbers frames by counting, as vPDQ does.
    public struct FrameNumberingFailed: Error, Sendable, CustomStringConvertible {
        /// The framer's summary line.
        public var detail: String
        /// How many frames were handed to the frame handler before (never 0: with none handed
        /// over, the source reads again itself).
        public var deliveredFrames: Int

        /// A description for logs.
        public var description: String { "vigil-framer could not vouch for its frame numbers while skipping frames (\(detail))" }
    }

    /// Step 2 to 4 through a `vigil-framer` child: the same checks and answers as the ffmpeg path.
    func readWithFramer(
        pool: FramerPool, path: String, container: VideoContainer, deadline: ContinuousClock.Instant, skipping: Bool,
        lending: Bool, frameStep: (VideoInfo) -> Int, onFrame: (VideoFrame) async throws -> Void
    ) async throws -> VideoReadSummary {
        let limit = options.limits.timeLimit
        guard ContinuousClock.now < deadline else { throw MediaError.timedOut(limit: limit, stage: "decoding frames") }
        let process = pool.checkOut()
        let watchdog = Watchdog(deadline: deadline)
        do {
            let kill: @Sendable () -> Void = { process.kill() }
            let summary = try await watchdog.guarding(kill: kill) {
                do {
                    return try await converse(
                        with: process, path: path, container: container, skipping: skipping, lending: lending, frameStep: frameStep,
                        onFrame: onFrame)
                } catch let error as FrameNumberingFailed where error.deliveredFrames == 0 {
                    // Nothing was handed over yet: read again here, counting every frame.
                    return try await converse(
                        with: process, path: path, container: container, skipping: false, lending: lending, frameStep: frameStep,
                        onFrame: onFrame)
                }
            }
            pool.checkIn(process)
            return summary
        } catch {
            // Reaped before the call returns, as the ffmpeg backend's tools are.
            await process.killAndWait()
            if watchdog.hasFired { throw MediaError.timedOut(limit: limit, stage: "decoding frames") }
            try Task.checkCancellation()
            throw error
        }
    }

    private func converse(
        with process: FramerProcess, path: String, container: VideoContainer, skipping: Bool, lending: Bool,
        frameStep: (VideoInfo) -> Int, onFrame: (VideoFrame) async throws -> Void
    ) async throws -> VideoReadSummary {
        var records = process.records.makeAsyncIterator()
        func next() async throws -> FramerRecord {
            guard let record = try await records.next() else {
                try Task.checkCancellation()
                throw MediaError.decoderFailed(tool: "vigil-framer", detail: "its output ended early")
            }
            return record
        }
        process.send(FramerProcess.openRequest(demuxer: container.demuxer, path: path))
        let info: VideoInfo
        switch try await next() {
        case .info(let text):
            info = try ProbeReport(parsing: text).videoInfo(container: container)
        case .refused(let text):
            let (reason, messages) = Self.split(text)
            throw FFmpegDiagnostics.damage(in: messages, container: container)
                ?? .corruptVideo(container, detail: "vigil-framer could not open it (\(reason))")
        case .frame, .end, .memoryFile, .sharedFrame:
            throw MediaError.decoderFailed(tool: "vigil-framer", detail: "it answered an open with something else")
        }
        try check(info)
        let step = max(1, frameStep(info))
        let limits = options.limits
        process.lendFrames(lending)
        process.send("decode \(step) \(limits.maxFrames) \(skipping && step > 1 ? 1 : 0) \(process.sharesMemory ? 1 : 0)")
        var delivered = 0
        var last = -1
        while true {
            switch try await next() {
            case .frame(let frame):
                guard frame.width == info.width, frame.height == info.height, frame.number > last, frame.number % step == 0 else {
                    throw MediaError.decoderFailed(
                        tool: "vigil-framer", detail: "frame \(frame.number) (\(frame.width)x\(frame.height)) is not the one expected")
                }
                last = frame.number
                delivered += 1
                try await onFrame(frame)
            case .end(let text):
                let (summary, messages) = Self.split(text)
                let fields = ProbeReport(parsing: summary).streams.first ?? [:]
                let damage = FFmpegDiagnostics.damage(in: messages, container: container)
                switch fields["status"] {
                case "ok":
                    if delivered == 0 { throw damage ?? .corruptVideo(container, detail: "no frame could be decoded") }
                    return VideoReadSummary(
                        info: info, deliveredFrames: delivered, damage: damage, decodedFrames: fields["decoded"].flatMap { Int($0) })
                case "too_many_frames":
                    throw MediaError.tooManyFrames(frames: limits.maxFrames + 1, limit: limits.maxFrames, declared: false)
                case "inconsistent":
                    throw FrameNumberingFailed(detail: summary, deliveredFrames: delivered)
                default:
                    throw damage ?? .decoderFailed(tool: "vigil-framer", detail: summary)
                }
            case .info, .refused, .memoryFile, .sharedFrame:
                throw MediaError.decoderFailed(tool: "vigil-framer", detail: "it answered a decode with something else")
            }
        }
    }

    /// The first line of `text` and the rest.
    private static func split(_ text: String) -> (String, String) {
        guard let newline = text.firstIndex(of: "\n") else { return (text, "") }
        return (String(text[..<newline]), String(text[text.index(after: newline)...]))
    }
}
