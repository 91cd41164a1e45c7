import Foundation
import Testing
import VigilMedia

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Paths that are not regular files are refused without being opened for a blocking read.
@Suite("Special files")
struct SpecialFileTests {
    /// A named pipe that nothing writes to: opening it for a plain read would wait for ever. The
    /// time limit makes a regression fail rather than hang: on cancellation the pipe's write end is
    /// opened and closed, which releases a reader stuck in `open`.
    @Test(.timeLimit(.minutes(1)))
    func namedPipeIsRefusedAtOnce() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-fifo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("upload.jpg").path
        try #require(mkfifo(path, 0o600) == 0, "mkfifo: \(String(cString: strerror(errno)))")

        let watchdog = releaseReaders(of: path, after: .seconds(20))
        let result = await withTaskCancellationHandler {
            await onOwnThread { Result { () throws(MediaError) in try MediaFile.read(path: path) } }
        } onCancel: {
            let writer = open(path, O_WRONLY | O_NONBLOCK)
            if writer >= 0 { close(writer) }
        }
        watchdog.cancel()
        guard case .failure(let error) = result else {
            Issue.record("a named pipe was read")
            return
        }
        #expect(error.code == .unreadable)
        #expect(error.description.contains("named pipe (FIFO), not a regular file"), "\(error)")
    }

    @Test func deviceAndFolderAreRefused() {
        for (path, kind) in [("/dev/null", "a character device"), (NSTemporaryDirectory(), "a folder")] {
            #expect(throws: MediaError.unreadable(path: path, detail: "it is \(kind), not a regular file; only regular files are read")) {
                try MediaFile.read(path: path)
            }
        }
    }
}

/// Runs blocking work on a thread of its own and awaits it: a read stuck in `open` must not hold one
/// of the concurrency pool's few threads (one per core), which the time limit itself needs.
func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: work()) }.start()
    }
}

/// A watchdog for a test that must not block on a named pipe: unless cancelled first, it records an
/// issue after `delay` and opens and closes the pipe's write end, which releases a reader stuck in
/// `open`, so that a regression fails the test instead of hanging the run.
func releaseReaders(of fifo: String, after delay: Duration) -> Task<Void, Never> {
    Task {
        do { try await Task.sleep(for: delay) } catch { return }
        Issue.record("opening the named pipe \(fifo) blocked for \(delay)")
        let writer = open(fifo, O_WRONLY | O_NONBLOCK)
        if writer >= 0 { close(writer) }
    }
}
