public import Foundation

/// Runs Debian's ffmpeg to make benign test clips (lavfi's generated patterns, tones). A missing
/// ffmpeg is a test failure with the fix in its message, not a skip: CI installs it
/// (scripts/install-deps.sh).
public enum ClipMaker {
    /// ffmpeg failed or is not installed.
    public struct Failure: Error, CustomStringConvertible {
        /// What failed, with ffmpeg's own message.
        public var description: String
    }

    /// Runs `ffmpeg -nostdin -hide_banner -v error -y ARGUMENTS` and waits for it.
    public static func ffmpeg(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["ffmpeg", "-nostdin", "-hide_banner", "-v", "error", "-y"] + arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(
                description: "ffmpeg \(arguments.joined(separator: " ")) failed (\(process.terminationStatus)): "
                    + String(decoding: message, as: UTF8.self)
                    + " — the video tests need Debian's ffmpeg: apt-get install ffmpeg (scripts/install-deps.sh)")
        }
    }

    /// A fresh temporary folder whose name starts with `vigil-NAME-`.
    public static func temporaryFolder(_ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A small test-pattern clip: `seconds` of lavfi's `testsrc` at `size` and 25 fps, H.264.
    public static func testPattern(at path: String, size: String = "320x240", seconds: Int = 2, extra: [String] = []) throws {
        try ffmpeg(
            [
                "-f", "lavfi", "-i", "testsrc=size=\(size):rate=25", "-t", String(seconds), "-c:v", "libx264", "-preset", "veryfast",
                "-pix_fmt", "yuv420p",
            ] + extra + [path])
    }
}
