#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads whole files with POSIX calls, checking the file's type and size before reading anything.
enum FileReader {
    static func read(path: String, maxBytes: Int) throws(MediaError) -> [UInt8] {
        // Read at most one byte more than the limit so a file that grew since fstat is still caught.
        let bytes = try withCheckedFile(path: path, maxBytes: maxBytes) { (fd, size) throws(MediaError) in
            try readUpTo(min(size, maxBytes) + 1, from: fd, path: path)
        }
        guard bytes.count <= maxBytes else { throw .fileTooLarge(bytes: bytes.count, limit: maxBytes) }
        return bytes
    }

    /// The first `count` bytes (fewer for a shorter file) of the regular file at `path`, after
    /// checking that the whole file is not empty and not over `maxBytes`: for formats that are
    /// sniffed here and decoded elsewhere (videos, by ffmpeg).
    static func head(path: String, count: Int, maxBytes: Int) throws(MediaError) -> [UInt8] {
        try withCheckedFile(path: path, maxBytes: maxBytes) { (fd, _) throws(MediaError) in try readUpTo(count, from: fd, path: path) }
    }

    /// Opens the regular file at `path`, checks that it is not empty and not over `maxBytes`, and
    /// runs `body` with its descriptor and size (closed afterwards).
    ///
    /// Only regular files: opening a named pipe waits for a writer (for ever, if none comes), and
    /// opening a device can have effects of its own. So the type is checked before opening, the
    /// open does not block (should a pipe have replaced the file since), and the type is checked
    /// again on what was opened.
    private static func withCheckedFile<T>(
        path: String, maxBytes: Int, _ body: (_ fd: Int32, _ size: Int) throws(MediaError) -> T
    ) throws(MediaError) -> T {
        var info = stat()
        guard stat(path, &info) == 0 else { throw .unreadable(path: path, detail: errorText(errno)) }
        try requireRegularFile(info, path: path)
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw .unreadable(path: path, detail: errorText(errno)) }
        defer { close(fd) }
        guard fstat(fd, &info) == 0 else { throw .unreadable(path: path, detail: errorText(errno)) }
        try requireRegularFile(info, path: path)
        let size = Int(info.st_size)
        guard size <= maxBytes else { throw .fileTooLarge(bytes: size, limit: maxBytes) }
        guard size > 0 else { throw .empty }
        return try body(fd, size)
    }

    /// Reads until `count` bytes or the end of the file, retrying interrupted reads.
    private static func readUpTo(_ count: Int, from fd: Int32, path: String) throws(MediaError) -> [UInt8] {
        var failure: MediaError?
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            guard let base = buffer.baseAddress else { return }
            var total = 0
            while total < count {
                let n = systemRead(fd, base + total, count - total)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = .unreadable(path: path, detail: errorText(errno))
                    break
                }
                if n == 0 { break }
                total += n
            }
            initialized = failure == nil ? total : 0
        }
        if let failure { throw failure }
        return bytes
    }

    /// Refuses anything but a regular file, naming what it is instead.
    private static func requireRegularFile(_ info: stat, path: String) throws(MediaError) {
        let type = info.st_mode & S_IFMT
        guard type != S_IFREG else { return }
        let kind =
            switch type {
            case S_IFIFO: "a named pipe (FIFO)"
            case S_IFSOCK: "a socket"
            case S_IFCHR: "a character device"
            case S_IFBLK: "a block device"
            case S_IFDIR: "a folder"
            default: "a special file"
            }
        throw .unreadable(path: path, detail: "it is \(kind), not a regular file; only regular files are read")
    }

    private static func systemRead(_ fd: Int32, _ buffer: UnsafeMutablePointer<UInt8>, _ count: Int) -> Int {
        #if canImport(Darwin)
        return Darwin.read(fd, buffer, count)
        #elseif canImport(Musl)
        return Musl.read(fd, buffer, count)
        #else
        return Glibc.read(fd, buffer, count)
        #endif
    }

    private static func errorText(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "errno \(code)" }
        return String(cString: text)
    }
}
