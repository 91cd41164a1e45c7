import Foundation
import Testing
import VigilTestSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// End-to-end tests of `vigil hash`: the built binary, run as a user runs it.
@Suite("vigil hash command")
struct HashCommandTests {
    static let packageRoot: URL = TestPaths.packageRoot

    static let binary: String = {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("vigil")
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside.path }
        return packageRoot.appendingPathComponent(".build/debug/vigil").path
    }()

    static func fixture(_ path: String) -> String {
        packageRoot.appendingPathComponent("Tests/Fixtures/" + path).path
    }

    struct Run {
        let status: Int32
        let stdout: String
        let stderr: String
        var lines: [[String: Any]] {
            stdout.split(separator: "\n").compactMap {
                (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
            }
        }
    }

    /// Runs `vigil` with `arguments` (and extra environment variables) to the end.
    static func vigil(_ arguments: [String], environment: [String: String] = [:]) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new } }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(
            status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self))
    }

    let bridge = fixture("reference/images/pdq-data/bridge-mods/aaa-orig.jpg")
    let bridgeHash = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
    let bridgeCLIHash = "d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22"

    @Test func jsonLineHasEveryFieldInOrder() throws {
        let run = try Self.vigil(["hash", "--json", bridge])
        #expect(run.status == 0)
        let line = try #require(run.stdout.split(separator: "\n").first.map(String.init))
        let keys = ["path", "pdq", "quality", "md5", "sha256", "width", "height"]
        var position = line.startIndex
        for key in keys {
            let range = try #require(line.range(of: "\"\(key)\":", range: position..<line.endIndex), "missing \(key)")
            position = range.upperBound
        }
        let object = try #require(run.lines.first)
        #expect(object["pdq"] as? String == bridgeHash)
        #expect(object["quality"] as? Int == 100)
        #expect(object["width"] as? Int == 1600)
        #expect(object["height"] as? Int == 1004)
        #expect((object["sha256"] as? String)?.count == 64)
        #expect((object["md5"] as? String)?.count == 32)
    }

    @Test func conventionAndDihedral() throws {
        let run = try Self.vigil(["hash", "--json", "--convention", "reference-cli", "--dihedral", bridge])
        #expect(run.status == 0)
        let object = try #require(run.lines.first)
        #expect(object["pdq"] as? String == bridgeCLIHash)
        let variants = try #require(object["pdq_dihedral"] as? [String])
        #expect(variants.count == 8)
        #expect(variants.first == bridgeCLIHash)
    }

    /// One bad file among good ones: it gets an error object, the others still succeed, order is
    /// kept, and the exit status is 1.
    @Test func failuresAreReportedInPlaceAndSetTheExitStatus() throws {
        let files = [
            bridge,
            Self.fixture("bad/truncated.jpg"),
            Self.fixture("bad/bomb-60000x60000.png"),
            Self.fixture("bad/text.jpg"),
            Self.fixture("reference/images/generated-edge/scene-64x64.png"),
        ]
        let run = try Self.vigil(["hash", "--json", "--jobs", "2"] + files)
        #expect(run.status == 1)
        let lines = run.lines
        try #require(lines.count == files.count)
        #expect(lines.map { $0["path"] as? String } == files)
        #expect(lines[0]["pdq"] as? String == bridgeHash)
        let codes = lines.map { ($0["error"] as? [String: Any])?["code"] as? String }
        #expect(codes == [nil, "truncated", "too_many_pixels", "unrecognised_format", nil])
        #expect(lines[4]["pdq"] != nil)
        #expect(run.stderr.contains("3 of 5"))
    }

    /// A named pipe among the inputs is an error for that input only (it is not opened, so the
    /// command cannot hang on it); the image beside it is still hashed. Should the check go, the
    /// time limit fails the test: cancellation opens the pipe's write end, which releases a reader
    /// stuck opening it.
    @Test(.timeLimit(.minutes(1)), arguments: ["pipe.jpg", "pipe.mp4"])
    func namedPipeIsAnErrorNotAHang(_ name: String) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-cli-fifo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let pipe = folder.appendingPathComponent(name).path
        try #require(mkfifo(pipe, 0o600) == 0)
        let bridge = bridge
        // The command runs from a thread of its own: waiting for it must not hold one of the
        // concurrency pool's few threads (one per core), which the time limit itself needs.
        // Watchdog: should the command block opening the pipe, fail after 20 s and release it.
        let watchdog = Task {
            do { try await Task.sleep(for: .seconds(20)) } catch { return }
            Issue.record("vigil hash blocked on the named pipe for 20 s")
            let writer = open(pipe, O_WRONLY | O_NONBLOCK)
            if writer >= 0 { close(writer) }
        }
        let outcome = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                Thread { continuation.resume(returning: Result { try Self.vigil(["hash", "--json", pipe, bridge]) }) }.start()
            }
        } onCancel: {
            let writer = open(pipe, O_WRONLY | O_NONBLOCK)
            if writer >= 0 { close(writer) }
        }
        watchdog.cancel()
        let run = try outcome.get()
        #expect(run.status == 1)
        let lines = run.lines
        try #require(lines.count == 2, "\(run.stdout)\(run.stderr)")
        let error = try #require(lines[0]["error"] as? [String: Any])
        #expect(error["code"] as? String == "unreadable")
        #expect((error["message"] as? String)?.contains("named pipe (FIFO), not a regular file") == true, "\(error)")
        #expect(lines[1]["pdq"] as? String == bridgeHash)
    }

    @Test func outputIsTheSameWithOneJobOrMany() throws {
        let folder = Self.fixture("reference/images/generated-edge")
        let one = try Self.vigil(["hash", "--json", "--jobs", "1", folder])
        let many = try Self.vigil(["hash", "--json", "--jobs", "4", folder])
        #expect(one.status == 0)
        #expect(one.stdout == many.stdout)
        #expect(one.lines.count == 21)
    }

    /// Folders are searched recursively; files in them that are not images are skipped, not errors.
    @Test func foldersSkipNonImages() throws {
        let run = try Self.vigil(["hash", Self.fixture("reference")])
        #expect(run.status == 0)
        #expect(run.stderr.contains("skipped 3 file(s) that are neither images nor videos"))
        #expect(run.stdout.split(separator: "\n").count == 1 + 36)
    }

    @Test(arguments: [
        ["hash", "--jobs", "0", "x.jpg"],
        ["hash", "--convention", "exact", "x.jpg"],
        ["hash"],
        ["hash", "/no/such/file.jpg"],
    ])
    func badArgumentsAreUsageErrors(arguments: [String]) throws {
        let run = try Self.vigil(arguments)
        #expect(run.status == 64)
        #expect(!run.stderr.isEmpty)
    }
}

extension HashCommandTests {
    @Test func noDigestsDropsTheDigestFields() throws {
        let run = try Self.vigil(["hash", "--json", "--no-digests", bridge])
        #expect(run.status == 0)
        let object = try #require(run.lines.first)
        #expect(object["pdq"] as? String == bridgeHash)
        #expect(object["md5"] == nil)
        #expect(object["sha256"] == nil)
    }

    /// `--fast` stays within a few bits of the exact hash on a large photo.
    @Test func fastIsCloseToExact() throws {
        let file = Self.fixture("reference/images/generated-edge/scene-2000x1500.jpg")
        let exact = try #require(try Self.vigil(["hash", "--json", file]).lines.first?["pdq"] as? String)
        let fast = try #require(try Self.vigil(["hash", "--json", "--fast", file]).lines.first?["pdq"] as? String)
        let distance = zip(Array(exact.utf8), Array(fast.utf8)).reduce(0) { sum, pair in
            let a = Int(String(UnicodeScalar(pair.0)), radix: 16) ?? 0
            let b = Int(String(UnicodeScalar(pair.1)), radix: 16) ?? 0
            return sum + (a ^ b).nonzeroBitCount
        }
        #expect(exact != fast, "fast decodes at 1000x750 luma only, so it is not expected to be exact here")
        #expect(distance <= 16)
    }
}

/// `vigil hash` on videos: vPDQ lines through Debian's ffmpeg (these tests fail without it).
extension HashCommandTests {
    static func videoFixture(_ name: String) -> String { fixture("vpdq/\(name).mp4") }

    /// The reference's lines for frames 0, k, 2k, … (the every-frame file, plain-C colour path).
    static func expectedLines(_ name: String, every step: Int) throws -> [String] {
        let text = try String(contentsOfFile: fixture("vpdq/\(name).ffmpeg5.1-cpath.txt"), encoding: .utf8)
        return text.split(separator: "\n").enumerated().filter { $0.offset % step == 0 }.map { String($0.element) }
    }

    /// One video: its vPDQ lines and nothing else, one frame per second by default.
    @Test func aVideoPrintsItsVPDQLines() throws {
        let run = try Self.vigil(["hash", Self.videoFixture("doorknob-hd-no-bar")])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.split(separator: "\n").map(String.init) == (try Self.expectedLines("doorknob-hd-no-bar", every: 30)))
    }

    /// A video is found by its bytes, whatever its name; JSON carries the lines and the stream.
    @Test func videosAreSniffedAndJSONHasTheStream() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-cli-video-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let renamed = folder.appendingPathComponent("clip.bin").path
        try FileManager.default.copyItem(atPath: Self.videoFixture("pattern-sd-grey-bar"), toPath: renamed)
        let run = try Self.vigil(["hash", "--json", "--seconds-per-hash", "2", renamed])
        #expect(run.status == 0, "\(run.stderr)")
        let object = try #require(run.lines.first)
        #expect(object["path"] as? String == renamed)
        #expect(object["vpdq"] as? [String] == (try Self.expectedLines("pattern-sd-grey-bar", every: 60)))
        #expect(object["width"] as? Int == 480)
        #expect(object["height"] as? Int == 720)
        #expect(object["frame_rate"] as? String == "30/1")
        #expect(object["frame_step"] as? Int == 60)
        #expect(object["container"] as? String == "mp4")
    }

    /// Images and videos together: the table header before the first image row, `# PATH` before
    /// each video's lines; a file named .mp4 that is no video is an error naming the containers.
    @Test func imagesAndVideosTogether() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-cli-mixed-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let fake = folder.appendingPathComponent("fake.mp4").path
        try Data("this is not a video".utf8).write(to: URL(fileURLWithPath: fake))
        let video = Self.videoFixture("doorknob-hd-no-bar")
        let run = try Self.vigil(["hash", "--jobs", "2", bridge, video, fake])
        #expect(run.status == 1)
        let lines = run.stdout.split(separator: "\n").map(String.init)
        let expected = try Self.expectedLines("doorknob-hd-no-bar", every: 30)
        #expect(lines.count == 3 + expected.count)
        #expect(lines.first == "pdq\tquality\twidth\theight\tpath")
        #expect(lines.dropFirst().first?.hasPrefix(bridgeHash) == true)
        #expect(lines.dropFirst(2).first == "# \(video)")
        #expect(Array(lines.dropFirst(3)) == expected)
        #expect(run.stderr.contains("\(fake): unrecognised_format"))
        #expect(run.stderr.contains("not an MP4, QuickTime, Matroska/WebM or AVI video"))
    }
}
