#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a snapshot file could not be written or loaded.
///
/// A struct with an open set of codes rather than an enum, so that a later version can add a code
/// without breaking callers: compare ``code`` with the static members of ``Code``.
public struct IndexFileError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure it is. ``rawValue`` is a stable snake_case identifier for logs and
    /// machine-readable output; more codes may be added in later versions.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The stable snake_case identifier.
        public let rawValue: String

        init(_ rawValue: String) {
            self.rawValue = rawValue
        }

        /// The snake_case identifier.
        public var description: String { rawValue }

        /// The file could not be opened, read or written.
        public static let io = Code("io")
        /// The file does not start with Vigil's index magic: it is some other kind of file.
        public static let notAnIndex = Code("not_an_index")
        /// The file was written by a format version this build does not read.
        public static let unsupportedVersion = Code("unsupported_version")
        /// The file is shorter than its header says.
        public static let truncated = Code("truncated")
        /// A checksum or a structural check failed.
        public static let corrupt = Code("corrupt")
    }

    /// What kind of failure it is.
    public var code: Code
    /// What is wrong and what to do instead.
    public var message: String

    /// Creates an error; the static functions below make the ones this module throws.
    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    /// What is wrong and what to do instead (the ``message``).
    public var description: String { message }

    /// The file at `path` could not be opened, read or written.
    public static func io(path: String, detail: String) -> IndexFileError {
        IndexFileError(code: .io, message: "could not access \(path): \(detail); check the path and permissions")
    }

    /// The file does not start with Vigil's index magic: it is some other kind of file.
    public static let notAnIndex = IndexFileError(
        code: .notAnIndex, message: "this is not a Vigil index file (wrong magic bytes); build one with `vigil index build`")

    /// The file was written by a format version this build does not read.
    public static func unsupportedVersion(found: Int, supported: Int) -> IndexFileError {
        IndexFileError(
            code: .unsupportedVersion,
            message: "this index file has format version \(found); this build reads version \(supported). "
                + "Rebuild it with this version of `vigil index build`")
    }

    /// The file is shorter than its header says.
    public static func truncated(expected: Int, actual: Int) -> IndexFileError {
        IndexFileError(code: .truncated, message: "the index file is truncated: \(actual) bytes of \(expected); copy or rebuild it")
    }

    /// A checksum or a structural check failed.
    public static func corrupt(detail: String) -> IndexFileError {
        IndexFileError(code: .corrupt, message: "the index file is corrupt (\(detail)); rebuild it with `vigil index build`")
    }
}

extension HammingIndex {
    /// Writes the index as a snapshot file (atomically: to a temporary file, synced, then renamed).
    public func write(toFile path: String) throws(IndexFileError) {
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw .io(path: temporary, detail: String(cString: strerror(errno))) }
        var failure: IndexFileError?
        let bytes = storage.bytes
        var written = 0
        while written < bytes.count, failure == nil {
            let chunk = min(bytes.count - written, 1 << 28)
            let n = systemWrite(fd, bytes.baseAddress.map { $0 + written }, chunk)
            if n < 0 {
                if errno == EINTR { continue }
                failure = .io(path: temporary, detail: String(cString: strerror(errno)))
            } else {
                written += n
            }
        }
        if failure == nil, fsync(fd) != 0 {
            failure = .io(path: temporary, detail: "fsync: " + String(cString: strerror(errno)))
        }
        close(fd)
        if failure == nil, rename(temporary, path) != 0 {
            failure = .io(path: path, detail: String(cString: strerror(errno)))
        }
        if let failure {
            unlink(temporary)
            throw failure
        }
    }

    /// Loads a snapshot file written by ``write(toFile:)``, refusing foreign, truncated, corrupt or
    /// inconsistent files with a clear error.
    public static func load(fromFile path: String) throws(IndexFileError) -> HammingIndex {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw .io(path: path, detail: String(cString: strerror(errno))) }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw .io(path: path, detail: String(cString: strerror(errno))) }
        let fileSize = Int(status.st_size)
        guard fileSize >= IndexHeader.size else {
            if fileSize >= 8 {
                var magic: UInt64 = 0
                _ = read(fd, &magic, 8)
                if magic != IndexHeader.magic { throw .notAnIndex }
            }
            throw .truncated(expected: IndexHeader.size, actual: fileSize)
        }
        let raw = IndexStorage.allocate(fileSize)
        var filled = 0
        while filled < fileSize {
            let n = read(fd, raw + filled, min(fileSize - filled, 1 << 28))
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                IndexStorage.deallocate(raw, fileSize)
                throw n == 0 ? .truncated(expected: fileSize, actual: filled) : .io(path: path, detail: String(cString: strerror(errno)))
            }
            filled += n
        }
        do {
            let storage = try validate(raw, fileSize: fileSize)
            return HammingIndex(storage: storage)
        } catch {
            IndexStorage.deallocate(raw, fileSize)
            throw error
        }
    }

    /// Checks a loaded block and wraps it; `raw` is not owned unless this returns.
    static func validate(_ raw: UnsafeMutableRawPointer, fileSize: Int) throws(IndexFileError) -> IndexStorage {
        let bytes = UnsafeRawBufferPointer(start: raw, count: fileSize)
        let header = try IndexHeader.read(from: bytes, fileSize: fileSize)
        let payload = UnsafeRawBufferPointer(rebasing: bytes[IndexHeader.size...])
        guard Checksum.of(payload) == header.payloadChecksum else {
            throw .corrupt(detail: "the data checksum does not match")
        }
        var substrings: SubstringLayout?
        if header.substringCount > 0 {
            // The widths are read from the layout section: it must be in the file before any is read.
            guard fileSize >= IndexHeader.size + header.substringCount else {
                throw .corrupt(detail: "the sections do not add up to the file size")
            }
            let widths = (0..<header.substringCount).map { Int(bytes[IndexHeader.size + $0]) }
            guard widths.reduce(0, +) <= 256, widths.allSatisfy({ (1...SubstringLayout.maximumWidth).contains($0) }) else {
                throw .corrupt(detail: "the substring layout is invalid")
            }
            substrings = SubstringLayout(widths: widths)
        }
        let layout = StorageLayout(count: header.count, substrings: substrings, hasLists: header.hasLists, hasFilters: header.hasFilters)
        guard layout.totalSize == fileSize else {
            throw .corrupt(detail: "the sections do not add up to the file size")
        }
        // Structural checks, so that no search can read outside the block even if a file was
        // crafted with a valid checksum: bucket offsets ascend to `count`, postings are in range.
        let count = UInt32(header.count)
        for j in 0..<(substrings?.count ?? 0) {
            let width = substrings?.widths[j] ?? 0
            let offsets = raw.advanced(by: layout.offsetsOffsets[j]).assumingMemoryBound(to: UInt32.self)
            guard offsets[0] == 0, offsets[1 << width] == count else {
                throw .corrupt(detail: "table \(j) does not cover every entry")
            }
            for b in 0..<(1 << width) where offsets[b] > offsets[b + 1] {
                throw .corrupt(detail: "table \(j) has descending bucket offsets")
            }
            if j > 0 {
                let postings = raw.advanced(by: layout.postingsOffsets[j]).assumingMemoryBound(to: UInt32.self)
                for p in 0..<header.count where postings[p] >= count {
                    throw .corrupt(detail: "table \(j) points past the last entry")
                }
                // A wrong filter would hide matches, so each must be its entry's half.
                if layout.hasFilters, let substrings {
                    let hashes = raw.advanced(by: layout.hashesOffset).assumingMemoryBound(to: SIMD4<UInt64>.self)
                    let filters = raw.advanced(by: layout.filtersOffsets[j]).assumingMemoryBound(to: SIMD2<UInt64>.self)
                    for p in 0..<header.count where filters[p] != substrings.filterHalf(hashes[Int(postings[p])], j) {
                        throw .corrupt(detail: "table \(j)'s candidate filters do not match the entries")
                    }
                }
            }
        }
        return IndexStorage(owning: raw, layout: layout)
    }
}

/// `write(2)`, named apart from ``HammingIndex/write(toFile:)``.
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
    write(fd, buffer, count)
}
