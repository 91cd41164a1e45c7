/// Reading media files from disk with the byte limit applied before anything is read.
public enum MediaFile {
    /// Reads the whole file at `path`, refusing it with ``MediaError/fileTooLarge(bytes:limit:)``
    /// when it is larger than `limits.maxBytes`, and ``MediaError/unreadable(path:detail:)`` when it
    /// cannot be opened or read.
    public static func read(path: String, limits: DecodeLimits = DecodeLimits()) throws(MediaError) -> [UInt8] {
        try FileReader.read(path: path, maxBytes: limits.maxBytes)
    }
}
