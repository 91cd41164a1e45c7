import Subprocess
import Synchronization

#if canImport(System)
import System
#else
import SystemPackage
#endif

/// One run of an external tool (ffprobe or ffmpeg): the executable, its arguments, and what to call
/// it in messages. The arguments go to the executable as they are: no shell is involved.
struct ToolInvocation: Sendable {
    /// `ffmpeg` or `ffprobe`, for messages.
    var tool: String
    /// A path (with a `/`) or a bare name looked up on `PATH`.
    var executable: String
    /// The arguments, each passed as one argument.
    var arguments: [String]
}

/// How a tool's run ended.
struct ToolOutcome: Sendable {
    /// The exit code, or `nil` when a signal ended the process.
    var exitCode: Int32?
    /// The signal that ended the process, if one did.
    var signal: Int32?
    /// The last few kilobytes of what the tool wrote to standard error.
    var standardError: String
}

/// Runs external tools so that none outlives its call.
///
/// Each tool runs in a session of its own (`setsid`), so that it and anything it starts form one
/// process group. That group is killed with `SIGKILL`:
/// - when the deadline passes (the caller then sees ``MediaError/Code/timedOut``);
/// - when the output handler throws (a limit was hit, or the caller's frame handler failed);
/// - when the calling task is cancelled (swift-subprocess's teardown, set to kill the group).
///
/// swift-subprocess then reaps the child before `run` returns, so no zombie is left either.
enum ToolProcess {
    /// How long the kill signal may take before swift-subprocess's final, unconditional kill.
    static let killGrace: Duration = .seconds(2)

    /// Standard error kept for messages (its end, where ffmpeg says what went wrong).
    static let standardErrorTail = 8192

    /// Runs `invocation`, handing each chunk of its standard output to `onOutput` in order.
    ///
    /// - Throws: ``MediaError/timedOut(limit:stage:)`` when `deadline` passed first,
    ///   ``MediaError/decoderMissing(tool:path:)`` when the executable is not there,
    ///   ``MediaError/decoderFailed(tool:detail:)`` when it could not be run, anything `onOutput`
    ///   throws, and `CancellationError` when the task was cancelled.
    static func run(
        _ invocation: ToolInvocation,
        deadline: ContinuousClock.Instant,
        timeLimit: Duration,
        stage: String,
        onOutput: (SubprocessOutputSequence.Buffer) async throws -> Void
    ) async throws -> ToolOutcome {
        let watchdog = Watchdog(deadline: deadline)
        var platform = PlatformOptions()
        platform.createSession = true
        platform.teardownSequence = [.send(signal: .kill, toProcessGroup: true, allowedDurationToNextStep: killGrace)]
        let executable: Executable =
            invocation.executable.contains("/") ? .path(FilePath(invocation.executable)) : .name(invocation.executable)
        // A deadline that has already passed is not worth starting a process for.
        guard ContinuousClock.now < deadline else { throw MediaError.timedOut(limit: timeLimit, stage: stage) }
        do {
            let result = try await Subprocess.run(
                executable,
                arguments: Arguments(invocation.arguments),
                platformOptions: platform,
                input: .none,
                output: .sequence,
                error: .sequence
            ) { execution in
                // A failed kill means the process is already gone, which is what a kill wants.
                let kill: @Sendable () -> Void = { _ = try? execution.send(signal: .kill, toProcessGroup: true) }
                return try await watchdog.guarding(kill: kill) {
                    try await withThrowingTaskGroup(of: String.self) { group in
                        // Standard error is drained concurrently, or a chatty tool would block on it.
                        group.addTask {
                            var tail = ByteTail(limit: standardErrorTail)
                            for try await chunk in execution.standardError {
                                chunk.withUnsafeBytes { tail.append($0) }
                            }
                            return tail.text
                        }
                        do {
                            for try await chunk in execution.standardOutput {
                                try await onOutput(chunk)
                            }
                        } catch {
                            // Stop the tool at once: the stderr reader and the process exit then end too.
                            try? execution.send(signal: .kill, toProcessGroup: true)
                            throw error
                        }
                        // Standard output is closed; standard error closes when the process exits (or the
                        // watchdog kills it).
                        return try await group.next() ?? ""
                    }
                }
            }
            if watchdog.hasFired { throw MediaError.timedOut(limit: timeLimit, stage: stage) }
            // Cancelled: swift-subprocess has killed and reaped the tool; say so rather than "killed".
            try Task.checkCancellation()
            switch result.terminationStatus {
            case .exited(let code):
                return ToolOutcome(exitCode: code, signal: nil, standardError: result.closureResult)
            case .signaled(let signal):
                return ToolOutcome(exitCode: nil, signal: signal, standardError: result.closureResult)
            }
        } catch let error as SubprocessError {
            if watchdog.hasFired { throw MediaError.timedOut(limit: timeLimit, stage: stage) }
            try Task.checkCancellation()
            if error.code == .executableNotFound {
                throw MediaError.decoderMissing(tool: invocation.tool, path: invocation.executable)
            }
            throw MediaError.decoderFailed(tool: invocation.tool, detail: "\(error)")
        } catch {
            if watchdog.hasFired { throw MediaError.timedOut(limit: timeLimit, stage: stage) }
            try Task.checkCancellation()
            throw error
        }
    }
}

/// Kills a child process when a deadline passes. ``guarding(kill:_:)`` runs an operation beside a
/// timer; if the deadline comes first, the timer calls `kill` (which ends the child, and so the
/// operation reading from it) and ``hasFired`` says so afterwards. The timer stops with the
/// operation. Used by the ffmpeg tools' runs and by `vigil-framer`'s reads.
final class Watchdog: Sendable {
    /// When the child is killed.
    let deadline: ContinuousClock.Instant
    private let fired = Flag()

    /// A watchdog for `deadline`.
    init(deadline: ContinuousClock.Instant) {
        self.deadline = deadline
    }

    /// Whether the deadline passed and `kill` was called.
    var hasFired: Bool { fired.isSet }

    /// Runs `operation`, calling `kill` if the deadline passes before it ends.
    nonisolated(nonsending) func guarding<Result>(
        kill: @escaping @Sendable () -> Void, _ operation: () async throws -> Result
    ) async throws -> Result {
        let deadline = self.deadline
        let fired = self.fired
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    try await Task.sleep(until: deadline, clock: .continuous)
                } catch {
                    return  // cancelled: the operation ended in time
                }
                fired.set()
                kill()
            }
            defer { group.cancelAll() }
            return try await operation()
        }
    }
}

/// A flag set once from any thread.
final class Flag: Sendable {
    private let state = Mutex(false)

    /// Sets the flag.
    func set() {
        state.withLock { $0 = true }
    }

    /// Whether the flag was set.
    var isSet: Bool { state.withLock { $0 } }
}

/// Keeps the last `limit` bytes of a stream (UTF-8 text, possibly cut mid-character at the start).
struct ByteTail {
    let limit: Int
    private(set) var bytes: [UInt8] = []

    init(limit: Int) {
        self.limit = limit
    }

    mutating func append(_ chunk: UnsafeRawBufferPointer) {
        bytes.append(contentsOf: chunk)
        if bytes.count > 2 * limit {
            bytes.removeFirst(bytes.count - limit)
        }
    }

    /// The kept text, at most `limit` bytes.
    var text: String {
        String(decoding: bytes.suffix(limit), as: UTF8.self)
    }
}
