#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads whole files with POSIX calls, checking the size before reading anything.
enum FileReader {
    static func read(path: String, maxBytes: Int) throws(MediaError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .unreadable(path: path, detail: errorText(errno)) }
        defer { close(fd) }

        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .unreadable(path: path, detail: errorText(errno)) }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw .unreadable(path: path, detail: "not a regular file")
        }
        let size = Int(info.st_size)
        guard size <= maxBytes else { throw .fileTooLarge(bytes: size, limit: maxBytes) }
        guard size > 0 else { throw .empty }

        // Read at most one byte more than the limit so a file that grew since fstat is still caught.
        let capacity = min(size, maxBytes) + 1
        var failure: MediaError?
        let bytes = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initialized in
            guard let base = buffer.baseAddress else { return }
            var total = 0
            while total < capacity {
                let n = systemRead(fd, base + total, capacity - total)
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
        guard bytes.count <= maxBytes else { throw .fileTooLarge(bytes: bytes.count, limit: maxBytes) }
        return bytes
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
