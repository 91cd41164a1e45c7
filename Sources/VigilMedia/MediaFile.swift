/// Reading media files from disk with the byte limit applied before anything is read.
public enum MediaFile {
    /// Reads the whole file at `path`, refusing it with ``MediaError/fileTooLarge(bytes:limit:)``
    /// when it is larger than `limits.maxBytes`, and ``MediaError/unreadable(path:detail:)`` when it
    /// cannot be opened or read.
    public static func read(path: String, limits: DecodeLimits = DecodeLimits()) throws(MediaError) -> [UInt8] {
        try FileReader.read(path: path, maxBytes: limits.maxBytes)
    }

    /// The first `count` bytes (fewer for a shorter file) of the regular file at `path`, for
    /// sniffing its format: ``MediaError/unreadable(path:detail:)`` for anything but a readable
    /// regular file (a named pipe is refused before it is opened, so this never blocks) and
    /// ``MediaError/empty`` for an empty one.
    public static func head(path: String, count: Int) throws(MediaError) -> [UInt8] {
        try FileReader.head(path: path, count: count, maxBytes: Int.max)
    }
}
