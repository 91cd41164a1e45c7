import AsyncAlgorithms
import Foundation
import Testing
import VigilTestSupport

@testable import VigilMedia

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite("Video containers are sniffed from bytes")
struct VideoSniffTests {
    @Test func containers() {
        func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }
        #expect(VideoContainer.sniff([0, 0, 0, 0x20] + bytes("ftypisom")) == .mp4)
        #expect(VideoContainer.sniff([0, 0, 0, 0x14] + bytes("ftypqt  ")) == .quickTime)
        #expect(VideoContainer.sniff([0, 0, 0, 0x08] + bytes("wide....")) == .quickTime)
        #expect(VideoContainer.sniff([0x1A, 0x45, 0xDF, 0xA3, 0x9F, 0x42, 0x86, 0x81]) == .matroska)
        #expect(VideoContainer.sniff(bytes("RIFF") + [1, 2, 3, 4] + bytes("AVI LIST")) == .avi)
        #expect(VideoContainer.sniff(bytes("RIFF") + [1, 2, 3, 4] + bytes("WEBPVP8 ")) == nil)
        #expect(VideoContainer.sniff([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) == nil)
        #expect(VideoContainer.sniff(bytes("#EXTM3U\n")) == nil, "playlists are not handed to ffmpeg")
        #expect(VideoContainer.sniff([0, 0, 0]) == nil)
    }

    @Test func ffprobeReports() throws {
        let report = ProbeReport(
            parsing: """
                index=0|codec_name=aac|codec_type=audio|duration=1.0|nb_frames=44
                index=1|codec_name=h264|codec_type=video|width=1280|height=720|avg_frame_rate=0/0|r_frame_rate=30000/1001|nb_frames=N/A|duration=N/A

                """)
        let info = try report.videoInfo(container: .mp4)
        #expect(info.width == 1280 && info.height == 720 && info.codec == "h264")
        #expect(info.frameRate == FrameRate(numerator: 30000, denominator: 1001))
        #expect(info.declaredFrameCount == nil && info.durationSeconds == nil)
        #expect(throws: MediaError.self) { try ProbeReport(parsing: "index=0|codec_type=audio\n").videoInfo(container: .mp4) }
        #expect(throws: MediaError.self) {
            try ProbeReport(parsing: "index=0|codec_type=video|width=8|height=8|avg_frame_rate=0/0|r_frame_rate=0/0\n").videoInfo(container: .mp4)
        }
    }
}

/// Bad and hostile inputs for ``VideoFrameSource``, with real ffmpeg (Debian's package ffmpeg;
/// these tests fail, not skip, without it). Every clip is generated: test patterns and a sine tone.
@Suite("Video decoding refuses bad input and leaves no process behind", .serialized)
struct VideoBadInputTests {
    static func code(_ body: () async throws -> Void) async -> MediaError.Code? {
        do {
            try await body()
            return nil
        } catch let error as MediaError {
            return error.code
        } catch {
            Issue.record("expected a MediaError, got \(error)")
            return nil
        }
    }

    /// The decoder backends every input test runs with.
    enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case ffmpeg, framer

        var testDescription: String { rawValue }

        /// Options with `limits` for this backend; the framer is the one `swift build` put beside
        /// the test runner.
        func options(limits: VideoLimits = VideoLimits()) throws -> VideoDecodeOptions {
            switch self {
            case .ffmpeg:
                return VideoDecodeOptions(limits: limits)
            case .framer:
                let framer = try #require(FramerOptions.besideRunningExecutable(), "vigil-framer is built beside the tests (swift build)")
                return VideoDecodeOptions(limits: limits, backend: .framer(framer))
            }
        }
    }

    static func read(_ path: String, options: VideoDecodeOptions = VideoDecodeOptions()) async throws -> (VideoReadSummary, [Int]) {
        var numbers: [Int] = []
        let summary = try await VideoFrameSource(options: options).read(contentsOf: path) { frame in
            #expect(frame.pixels.count == frame.width * frame.height * 3)
            numbers.append(frame.number)
        }
        return (summary, numbers)
    }

    /// Whether process `pid` is gone (or only a zombie that is no child of ours, waiting for init).
    /// Whether `pid` is gone within a few seconds. The tool's own child (the grandchild) gets the
    /// process group's SIGKILL at once, but it dies when the kernel next schedules it, which on a
    /// loaded machine can be a moment after the read returned: this waits for that, boundedly.
    static func isGoneSoon(_ pid: pid_t) async throws -> Bool {
        for _ in 0..<100 {
            if isGone(pid) { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return isGone(pid)
    }

    static func isGone(_ pid: pid_t) -> Bool {
        if kill(pid, 0) != 0 { return errno == ESRCH }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return true }
        return stat[stat.index(close, offsetBy: 2)] == "Z"
    }

    /// An executable shell script that writes its pid and its child's pid to `pidFile` (through
    /// `fifo` first when given, so a test can wait for it to start) and then hangs for ever.
    static func hangingTool(in folder: URL, pidFile: String, fifo: String? = nil) throws -> String {
        let path = folder.appendingPathComponent("hanging-tool").path
        let announce = fifo.map { "echo started > '\($0)'\n" } ?? ""
        let script = """
            #!/bin/sh
            sleep 100000 &
            echo $$ $! > '\(pidFile)'
            \(announce)wait

            """
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(chmod(path, 0o755) == 0)
        return path
    }

    /// Opens `path` for reading and reads until end of file, blocking (a FIFO's open waits for its writer).
    static func readBlocking(_ path: String) -> String {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return "" }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 256)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            bytes += buffer[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func pids(in file: String) throws -> [pid_t] {
        try String(contentsOfFile: file, encoding: .utf8).split(whereSeparator: \.isWhitespace).compactMap { pid_t(String($0)) }
    }

    @Test("a clean clip decodes every frame, or every k-th, at its size", arguments: Backend.allCases)
    func cleanClip(backend: Backend) async throws {
        let folder = try ClipMaker.temporaryFolder("video")
        defer { try? FileManager.default.removeItem(at: folder) }
        let clip = folder.appendingPathComponent("clip.mp4").path
        try ClipMaker.testPattern(at: clip, seconds: 2)
        let (summary, numbers) = try await Self.read(clip, options: try backend.options())
        #expect(summary.info.width == 320 && summary.info.height == 240 && summary.info.codec == "h264")
        #expect(summary.info.frameRate == FrameRate(numerator: 25, denominator: 1))
        #expect(summary.info.declaredFrameCount == 50)
        #expect(numbers == Array(0..<50))
        #expect(summary.damage == nil)
        var stepped: [Int] = []
        _ = try await VideoFrameSource(options: try backend.options()).read(
            contentsOf: clip, frameStep: { _ in 7 }, onFrame: { stepped.append($0.number) })
        #expect(stepped == [0, 7, 14, 21, 28, 35, 42, 49])
    }

    @Test("zero-length, not a video, too large a file", arguments: Backend.allCases)
    func fileChecks(backend: Backend) async throws {
        let folder = try ClipMaker.temporaryFolder("video")
        defer { try? FileManager.default.removeItem(at: folder) }
        let empty = folder.appendingPathComponent("empty.mp4").path
        #expect(FileManager.default.createFile(atPath: empty, contents: Data()))
        #expect(await Self.code { _ = try await Self.read(empty, options: try backend.options()) } == .empty)

        let text = folder.appendingPathComponent("notes.mp4").path
        #expect(FileManager.default.createFile(atPath: text, contents: Data("not a video at all, just text".utf8)))
        #expect(await Self.code { _ = try await Self.read(text, options: try backend.options()) } == .unrecognisedFormat)

        #expect(await Self.code { _ = try await Self.read(folder.path, options: try backend.options()) } == .unreadable)
        #expect(
            await Self.code { _ = try await Self.read(folder.appendingPathComponent("missing.mp4").path, options: try backend.options()) }
                == .unreadable)

        let clip = folder.appendingPathComponent("clip.mp4").path
        try ClipMaker.testPattern(at: clip, seconds: 1)
        let small = try backend.options(limits: VideoLimits(maxBytes: 1000))
        #expect(await Self.code { _ = try await Self.read(clip, options: small) } == .fileTooLarge)
    }

    @Test("an audio-only file has no video stream", arguments: Backend.allCases)
    func audioOnly(backend: Backend) async throws {
        let folder = try ClipMaker.temporaryFolder("video")
        defer { try? FileManager.default.removeItem(at: folder) }
        let audio = folder.appendingPathComponent("tone.mp4").path
        try ClipMaker.ffmpeg(["-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "aac", audio])
        do {
            _ = try await Self.read(audio, options: try backend.options())
            Issue.record("an audio-only file decoded")
        } catch let error as MediaError {
            #expect(error.code == .noVideoStream)
            #expect(error.message.contains("audio"))
        }
    }

    @Test("frames over the size limits and videos over the frame limit are refused", arguments: Backend.allCases)
    func limits(backend: Backend) async throws {
        let folder = try ClipMaker.temporaryFolder("video")
        defer { try? FileManager.default.removeItem(at: folder) }
        let clip = folder.appendingPathComponent("clip.mp4").path
        try ClipMaker.testPattern(at: clip, seconds: 2)
        for limits in [VideoLimits(maxWidth: 319), VideoLimits(maxHeight: 200), VideoLimits(maxPixels: 320 * 240 - 1)] {
            #expect(await Self.code { _ = try await Self.read(clip, options: try backend.options(limits: limits)) } == .frameTooLarge)
        }
        // MP4 declares its frame count: refused before decoding.
        let few = try backend.options(limits: VideoLimits(maxFrames: 10))
        #expect(await Self.code { _ = try await Self.read(clip, options: few) } == .tooManyFrames)
        // Matroska does not: refused while decoding, when frame 10 arrives.
        let mkv = folder.appendingPathComponent("clip.mkv").path
        try ClipMaker.ffmpeg(["-i", clip, "-c", "copy", mkv])
        var seen: [Int] = []
        let error = await Self.code {
            _ = try await VideoFrameSource(options: few).read(contentsOf: mkv) { seen.append($0.number) }
        }
        #expect(error == .tooManyFrames)
        #expect(seen == Array(0..<10))
    }

    @Test("truncated files: no index is an error; a cut tail decodes what is there and says so", arguments: Backend.allCases)
    func truncated(backend: Backend) async throws {
        let folder = try ClipMaker.temporaryFolder("video")
        defer { try? FileManager.default.removeItem(at: folder) }
        let clip = folder.appendingPathComponent("clip.mp4").path
        try ClipMaker.testPattern(at: clip, seconds: 4)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: clip))
        // The index (moov) is at the end: cut it off and nothing can be decoded.
        let cut = folder.appendingPathComponent("cut.mp4").path
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: cut))
        #expect(await Self.code { _ = try await Self.read(cut, options: try backend.options()) } == .truncated)
        // With the index first (faststart), the first half still decodes, with a warning.
        let fast = folder.appendingPathComponent("fast.mp4").path
        try ClipMaker.ffmpeg(["-i", clip, "-c", "copy", "-movflags", "+faststart", fast])
        let fastBytes = try Data(contentsOf: URL(fileURLWithPath: fast))
        let fastCut = folder.appendingPathComponent("fast-cut.mp4").path
        try fastBytes.prefix(fastBytes.count / 2).write(to: URL(fileURLWithPath: fastCut))
        let (summary, numbers) = try await Self.read(fastCut, options: try backend.options())
        #expect(summary.damage?.code == .truncated)
        #expect(numbers.count > 10 && numbers.count < 100)
        #expect(numbers == Array(0..<numbers.count))
    }

    @Test("corrupt data: nothing decodable is an error; damaged frames are decoded with a warning", arguments: Backend.allCases)
    func corrupt(backend: Backend) async throws {
        let folder = try ClipMaker.temporaryFolder("video")
        defer { try? FileManager.default.removeItem(at: folder) }
        let clip = folder.appendingPathComponent("clip.mp4").path
        try ClipMaker.testPattern(at: clip, seconds: 4)
        let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: clip)))
        var random = SplitMix64(seed: 0xC0_22_0B7)
        // The coded frames (between the header and the index at the end) replaced by noise.
        var noise = original
        for index in 100..<(original.count - 3000) { noise[index] = UInt8.random(in: 0...255, using: &random) }
        let garbage = folder.appendingPathComponent("garbage.mp4").path
        try Data(noise).write(to: URL(fileURLWithPath: garbage))
        #expect(await Self.code { _ = try await Self.read(garbage, options: try backend.options()) } == .corrupt)
        // A few hundred bytes flipped: frames still decode (concealed), and the damage is reported.
        var flipped = original
        for _ in 0..<200 { flipped[Int.random(in: 2000..<(original.count - 3000), using: &random)] ^= 0xFF }
        let damaged = folder.appendingPathComponent("damaged.mp4").path
        try Data(flipped).write(to: URL(fileURLWithPath: damaged))
        let (summary, numbers) = try await Self.read(damaged, options: try backend.options())
        #expect(summary.damage != nil)
        #expect(!numbers.isEmpty)
    }

    @Test("ffmpeg or ffprobe missing: a clear error naming the Debian package")
    func missingTools() async throws {
        let folder = try ClipMaker.temporaryFolder("video")
        defer { try? FileManager.default.removeItem(at: folder) }
        let clip = folder.appendingPathComponent("clip.mp4").path
        try ClipMaker.testPattern(at: clip, seconds: 1)
        for tools in [
            FFmpegTools(ffmpeg: "/nonexistent/bin/ffmpeg"), FFmpegTools(ffprobe: "/nonexistent/bin/ffprobe"),
            FFmpegTools(ffprobe: "vigil-no-such-ffprobe"),
        ] {
            do {
                _ = try await Self.read(clip, options: VideoDecodeOptions(tools: tools))
                Issue.record("decoded with \(tools)")
            } catch let error as MediaError {
                #expect(error.code == .decoderMissing)
                #expect(error.message.contains("apt-get install ffmpeg"))
            }
        }
    }

    /// Options whose `which` (ffmpeg, ffprobe or the framer) is `tool`.
    static func options(running tool: String, as which: String, limit: Duration) -> VideoDecodeOptions {
        switch which {
        case "framer": VideoDecodeOptions(limits: VideoLimits(timeLimit: limit), backend: .framer(FramerOptions(executable: tool)))
        case "ffprobe": VideoDecodeOptions(limits: VideoLimits(timeLimit: limit), tools: FFmpegTools(ffprobe: tool))
        default: VideoDecodeOptions(limits: VideoLimits(timeLimit: limit), tools: FFmpegTools(ffmpeg: tool))
        }
    }

    @Test("a hanging ffmpeg, ffprobe or framer is killed at the time limit, with its child, and reaped", arguments: ["ffmpeg", "ffprobe", "framer"])
    func hangingTool(which: String) async throws {
        let folder = try ClipMaker.temporaryFolder("video")
        defer { try? FileManager.default.removeItem(at: folder) }
        let clip = folder.appendingPathComponent("clip.mp4").path
        try ClipMaker.testPattern(at: clip, seconds: 1)
        let pidFile = folder.appendingPathComponent("pids").path
        let tool = try Self.hangingTool(in: folder, pidFile: pidFile)
        // The limit covers the real ffprobe before a hanging ffmpeg: room for it on a loaded machine.
        let limit = Duration.seconds(which == "ffmpeg" ? 5 : 2)
        let options = Self.options(running: tool, as: which, limit: limit)
        let clock = ContinuousClock()
        let start = clock.now
        let code = await Self.code { _ = try await Self.read(clip, options: options) }
        let elapsed = clock.now - start
        #expect(code == .timedOut)
        #expect(elapsed >= limit && elapsed < limit + .seconds(8), "took \(elapsed)")
        let pids = try Self.pids(in: pidFile)
        #expect(pids.count == 2)
        for pid in pids { #expect(try await Self.isGoneSoon(pid), "process \(pid) is still running") }
        // The direct child was reaped: not even a zombie is left.
        if let child = pids.first { #expect(kill(child, 0) != 0 && errno == ESRCH) }
    }

    @Test("cancelling the task kills and reaps ffmpeg or the framer at once", arguments: ["ffmpeg", "framer"])
    func cancellation(which: String) async throws {
        let folder = try ClipMaker.temporaryFolder("video")
        defer { try? FileManager.default.removeItem(at: folder) }
        let clip = folder.appendingPathComponent("clip.mp4").path
        try ClipMaker.testPattern(at: clip, seconds: 1)
        let pidFile = folder.appendingPathComponent("pids").path
        let fifo = folder.appendingPathComponent("started").path
        #expect(mkfifo(fifo, 0o600) == 0)
        let tool = try Self.hangingTool(in: folder, pidFile: pidFile, fifo: fifo)
        let options = Self.options(running: tool, as: which, limit: .seconds(600))
        let task = Task { try await Self.read(clip, options: options) }
        // Wait (on a thread of its own: opening a FIFO blocks) until the tool has started.
        let started = await withCheckedContinuation { (continuation: CheckedContinuation<String, Never>) in
            Thread.detachNewThread {
                continuation.resume(returning: Self.readBlocking(fifo))
            }
        }
        #expect(started.hasPrefix("started"))
        task.cancel()
        let result = await task.result
        switch result {
        case .success: Issue.record("a cancelled read succeeded")
        case .failure(let error): #expect(error is CancellationError, "got \(error)")
        }
        let pids = try Self.pids(in: pidFile)
        #expect(pids.count == 2)
        for pid in pids { #expect(try await Self.isGoneSoon(pid), "process \(pid) is still running") }
    }
}

/// What only the framer backend has: a long-lived child that must not outlive a failed read.
@Suite("vigil-framer: missing, reused (hanging and cancelled: with ffmpeg's tests above)", .serialized)
struct FramerProcessTests {
    typealias Bad = VideoBadInputTests

    /// Runs `body` with a 2 s 320x240 test pattern (50 frames) in a folder of its own, removed after.
    static func withClip(_ body: (String) async throws -> Void) async throws {
        let folder = try ClipMaker.temporaryFolder("video")
        defer { try? FileManager.default.removeItem(at: folder) }
        let clip = folder.appendingPathComponent("clip.mp4").path
        try ClipMaker.testPattern(at: clip, size: "320x240", seconds: 2)
        try await body(clip)
    }

    @Test("a bad option value is refused: the framer exits with its usage, and the read says so")
    func badOptionValues() async throws {
        let framer = try #require(FramerOptions.besideRunningExecutable(), "vigil-framer is built beside the tests")
        let bad: [[String]] = [
            ["--slots", "0"], ["--slots", "65"], ["--slots", "many"], ["--slots", "5x"], ["--slots", ""],
            ["--threads", "-1"], ["--threads", "2 "], ["--ring", "lots"], ["--ring", "-4096"], ["--slots"],
        ]
        for option in bad {
            let process = FramerProcess(executable: framer.executable, arguments: ["--ring", "4096"] + option, maxRecordBytes: 1 << 20)
            var records = process.records.makeAsyncIterator()
            do {
                _ = try await records.next()
                Issue.record("\(option): a record came")
            } catch let error as MediaError {
                #expect(error.code == .decoderFailed && "\(error)".contains("status 2"), "\(option): \(error)")
            }
            await process.killAndWait()
        }
        // The same options with good values start a framer that makes its memory file (its record
        // comes first, taken in by FramerProcess) and answers a request (it keeps running after
        // a file it cannot open).
        let process = FramerProcess(
            executable: framer.executable, arguments: ["--ring", "4096", "--slots", "5", "--threads", "2"], maxRecordBytes: 1 << 20)
        process.send(FramerProcess.openRequest(demuxer: "mov", path: "/nonexistent/clip.mp4"))
        var records = process.records.makeAsyncIterator()
        let answer = try await records.next()
        if case .refused(let text) = answer {
            #expect(text.hasPrefix("open_failed"))
        } else {
            Issue.record("the answer to an open of a missing file is \(String(describing: answer))")
        }
        #expect(process.sharesMemory)
        await process.killAndWait()
    }

    @Test("a missing vigil-framer is a clear error")
    func missing() async throws {
        let folder = try ClipMaker.temporaryFolder("video")
        defer { try? FileManager.default.removeItem(at: folder) }
        let clip = folder.appendingPathComponent("clip.mp4").path
        try ClipMaker.testPattern(at: clip, seconds: 1)
        for executable in ["/nonexistent/bin/vigil-framer", "vigil-no-such-framer"] {
            let options = VideoDecodeOptions(backend: .framer(FramerOptions(executable: executable)))
            #expect(await Bad.code { _ = try await Bad.read(clip, options: options) } == .decoderMissing)
        }
    }

    @Test("one source serves many reads, in turn and at once, and survives a failed one")
    func reuseAndConcurrency() async throws {
        let folder = try ClipMaker.temporaryFolder("video")
        defer { try? FileManager.default.removeItem(at: folder) }
        let clip = folder.appendingPathComponent("clip.mp4").path
        try ClipMaker.testPattern(at: clip, seconds: 2)
        let empty = folder.appendingPathComponent("noise.mp4").path
        var noise = [UInt8](try Data(contentsOf: URL(fileURLWithPath: clip)))
        var random = SplitMix64(seed: 0xF4A_3E2)
        for index in 100..<(noise.count - 3000) { noise[index] = UInt8.random(in: 0...255, using: &random) }
        try Data(noise).write(to: URL(fileURLWithPath: empty))
        let options = try Bad.Backend.framer.options()
        let source = VideoFrameSource(options: options)
        func frames(_ path: String) async throws -> [Int] {
            var numbers: [Int] = []
            _ = try await source.read(contentsOf: path, frameStep: { _ in 5 }, onFrame: { numbers.append($0.number) })
            return numbers
        }
        let expected = Array(stride(from: 0, to: 50, by: 5))
        for _ in 0..<3 {
            #expect(try await frames(clip) == expected)
            #expect(await Bad.code { _ = try await frames(empty) } == .corrupt)
        }
        let results = try await withThrowingTaskGroup(of: [Int].self) { group in
            for _ in 0..<12 { group.addTask { try await frames(clip) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.count == 12 && results.allSatisfy { $0 == expected })
    }

    @Test("frames come through shared memory, the same bytes as through the pipe")
    func sharedMemory() async throws {
        try await Self.withClip { clip in
            let framer = try #require(FramerOptions.besideRunningExecutable(), "vigil-framer is built beside the tests")
            func frames(shared: Bool, step: Int) async throws -> [Int: [UInt8]] {
                var options = framer
                options.sharedMemory = shared
                let source = VideoFrameSource(options: VideoDecodeOptions(backend: .framer(options)))
                var frames: [Int: [UInt8]] = [:]
                _ = try await source.read(contentsOf: clip, frameStep: { _ in step }, onFrame: { frames[$0.number] = $0.pixels })
                return frames
            }
            // Every frame (more frames than slots, so slots are given back and reused) and every 7th.
            for step in [1, 7] {
                let shared = try await frames(shared: true, step: step)
                let piped = try await frames(shared: false, step: step)
                #expect(shared.count == (50 + step - 1) / step && shared == piped, "every \(step)")
            }
            // The framer did make its memory file, and the reader mapped it (or not, when asked not to).
            for shared in [true, false] {
                var options = framer
                options.sharedMemory = shared
                let pool = FramerPool(options: options, colourConversion: .native, decoderThreads: nil, limits: VideoLimits())
                let process = pool.checkOut()
                process.send(FramerProcess.openRequest(demuxer: "mov,mp4,m4a,3gp,3g2,mj2", path: clip))
                var records = process.records.makeAsyncIterator()
                guard case .info = try await records.next() else {
                    Issue.record("no info record")
                    await process.killAndWait()
                    continue
                }
                #expect(process.sharesMemory == shared)
                await process.killAndWait()
            }
        }
    }

    @Test("lent frames are read in place, and a slot kept past its read is not written by the next")
    func lentFrames() async throws {
        try await Self.withClip { clip in
            var framer = try #require(FramerOptions.besideRunningExecutable(), "vigil-framer is built beside the tests")
            framer.idleProcesses = 1  // every read below goes to the same child, and its slots
            let source = VideoFrameSource(options: VideoDecodeOptions(backend: .framer(framer)))
            var copied: [Int: [UInt8]] = [:]
            var anyLent = false
            _ = try await source.read(contentsOf: clip) { frame in
                anyLent = anyLent || frame.isLent
                copied[frame.number] = frame.pixels
            }
            #expect(copied.count == 50 && !anyLent, "a plain read copies")

            // Every frame (more frames than slots), in place; frames 3 and 4 are kept past the read.
            var kept: [VideoFrame] = []
            var lent = 0
            var differing: [Int] = []
            for _ in 0..<2 {
                _ = try await source.read(contentsOf: clip, lendingFrames: true) { frame in
                    if frame.isLent { lent += 1 }
                    if frame.withUnsafePixels({ Array($0) }) != copied[frame.number] { differing.append(frame.number) }
                    if kept.count < 2, frame.number == 3 || frame.number == 4 { kept.append(frame) }
                }
            }
            #expect(lent == 100 && differing.isEmpty)
            // The second read ran with two slots still held: the framer used the others.
            #expect(kept.count == 2 && kept.allSatisfy { $0.pixels == copied[$0.number] && $0.owned().pixels == copied[$0.number] })
            #expect(kept.allSatisfy { !$0.owned().isLent })
        }
    }

    @Test("a reader that keeps every lent frame stalls the framer until the time limit, which kills it")
    func keepingEveryLentFrameTimesOut() async throws {
        try await Self.withClip { clip in
            let framer = try #require(FramerOptions.besideRunningExecutable(), "vigil-framer is built beside the tests")
            let source = VideoFrameSource(
                options: VideoDecodeOptions(limits: VideoLimits(timeLimit: .seconds(2)), backend: .framer(framer)))
            var kept: [VideoFrame] = []
            let code = await Bad.code {
                _ = try await source.read(contentsOf: clip, lendingFrames: true) { kept.append($0) }
            }
            #expect(code == .timedOut)
            // No more frames than slots came, and they are still readable after the kill.
            #expect(!kept.isEmpty && kept.count < 50)
            #expect(kept.allSatisfy { $0.pixels.count == 320 * 240 * 3 })
        }
    }

    @Test("auto takes the framer named, else the one beside the executable")
    func preferredBackend() throws {
        #expect(VideoDecoderBackend.preferred(framerPath: "/opt/vigil/vigil-framer") == .framer(FramerOptions(executable: "/opt/vigil/vigil-framer")))
        // `swift build --build-tests` puts vigil-framer beside the test bundle.
        let beside = try #require(FramerOptions.besideRunningExecutable())
        #expect(VideoDecoderBackend.preferred() == .framer(beside))
    }

    @Test("a memory file that is not sealed against shrinking is not mapped")
    func unsealedFileIsRefused() throws {
        let path = try ClipMaker.temporaryFolder("video").appendingPathComponent("slots").path
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        try Data(repeating: 7, count: 4 * 4096).write(to: URL(fileURLWithPath: path))
        let descriptor = open(path, O_RDONLY)
        try #require(descriptor >= 0)
        defer { close(descriptor) }
        #expect(SharedFrames(process: getpid(), descriptor: Int(descriptor), slots: 4, slotBytes: 4096) == nil)
    }
}

@Suite("vigil-framer's records are read whatever the pipe's chunks")
struct FramerRecordParserTests {
    static func record(_ tag: Character, _ payload: [UInt8]) -> [UInt8] {
        var bytes = [UInt8(ascii: tag.unicodeScalars.first ?? "?")]
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: UInt64(payload.count) >> UInt64(shift))) }
        return bytes + payload
    }

    static func little(_ value: Int, bytes count: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
    }

    @Test func chunksOfEverySize() throws {
        let pixels: [UInt8] = Array(0..<18)  // 3x2 RGB
        let frame = Self.little(30, bytes: 8) + Self.little(3, bytes: 4) + Self.little(2, bytes: 4) + pixels
        let stream =
            Self.record("I", Array("index=0|codec_type=video\n".utf8)) + Self.record("F", frame)
            + Self.record("E", Array("status=ok|decoded=31\n".utf8))
        for size in 1...stream.count {
            var parser = FramerRecordParser(maxPayload: 1 << 20)
            var records: [FramerRecord] = []
            for start in stride(from: 0, to: stream.count, by: size) {
                let chunk = Array(stream[start..<min(start + size, stream.count)])
                records += try chunk.withUnsafeBytes { try parser.append($0) }
            }
            #expect(!parser.hasPartialRecord)
            #expect(records.count == 3, "chunks of \(size)")
            guard records.count == 3 else { continue }
            if case .info(let text) = records[0] { #expect(text.hasPrefix("index=0")) } else { Issue.record("not info") }
            if case .frame(let decoded) = records[1] {
                #expect(decoded.number == 30 && decoded.width == 3 && decoded.height == 2 && decoded.pixels == pixels)
            } else {
                Issue.record("not a frame")
            }
            if case .end(let text) = records[2] { #expect(text.contains("decoded=31")) } else { Issue.record("not end") }
        }
    }

    @Test func badRecordsAreRefused() {
        func refuses(_ bytes: [UInt8], limit: Int = 1 << 20) -> Bool {
            var parser = FramerRecordParser(maxPayload: limit)
            do {
                _ = try bytes.withUnsafeBytes { try parser.append($0) }
                return false
            } catch {
                return true
            }
        }
        #expect(refuses(Self.record("Q", [1, 2, 3])), "unknown tag")
        #expect(refuses(Self.record("I", Array(repeating: 65, count: 100)), limit: 99), "over the limit")
        #expect(refuses(Self.record("F", Array(repeating: 0, count: 8))), "a frame without its header")
        let wrongSize = Self.little(0, bytes: 8) + Self.little(4, bytes: 4) + Self.little(4, bytes: 4) + [1, 2, 3]
        #expect(refuses(Self.record("F", wrongSize)), "pixels that do not fill the frame")
        var huge = Self.record("E", [])
        huge[8] = 0x80
        #expect(refuses(huge), "a length with the top bit set")
        #expect(refuses(Self.record("M", Self.little(3, bytes: 8) + Self.little(0, bytes: 8) + Self.little(4096, bytes: 8))), "no slots")
        #expect(refuses(Self.record("M", Self.little(3, bytes: 8))), "a short memory-file record")
        #expect(
            refuses(Self.record("G", Self.little(0, bytes: 8) + Self.little(0, bytes: 4) + Self.little(2, bytes: 4) + Self.little(0, bytes: 4))),
            "no width")
        #expect(refuses(Self.record("G", Self.little(0, bytes: 16))), "a short shared-frame record")
    }

    @Test func sharedMemoryRecords() throws {
        let stream =
            Self.record("M", Self.little(3, bytes: 8) + Self.little(4, bytes: 8) + Self.little(8192, bytes: 8))
            + Self.record("G", Self.little(60, bytes: 8) + Self.little(32, bytes: 4) + Self.little(24, bytes: 4) + Self.little(2, bytes: 4))
        var parser = FramerRecordParser(maxPayload: 1 << 20)
        let records = try stream.withUnsafeBytes { try parser.append($0) }
        guard records.count == 2, case .memoryFile(3, 4, 8192) = records[0],
            case .sharedFrame(number: 60, width: 32, height: 24, slot: 2) = records[1]
        else {
            Issue.record("\(records)")
            return
        }
    }
}
