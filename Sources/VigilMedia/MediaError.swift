/// Why an image could not be decoded. Every error is safe to show to an operator; none carries pixels.
///
/// A struct with an open set of codes rather than an enum, so that a later version can add a code
/// without breaking code that switches over them: compare ``code`` with the static members of
/// ``Code`` (`error.code == .unrecognisedFormat`), and show ``description`` to people.
public struct MediaError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure it is. ``rawValue`` is a stable snake_case identifier for JSON output
    /// and metrics (`"unrecognised_format"`); more codes may be added in later versions.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The stable snake_case identifier.
        public let rawValue: String

        init(_ rawValue: String) {
            self.rawValue = rawValue
        }

        /// The snake_case identifier.
        public var description: String { rawValue }

        /// The input has zero bytes.
        public static let empty = Code("empty")
        /// The input is larger than ``DecodeLimits/maxBytes``; it was not read.
        public static let fileTooLarge = Code("file_too_large")
        /// The leading bytes match no supported format.
        public static let unrecognisedFormat = Code("unrecognised_format")
        /// The header declares more than ``DecodeLimits/maxPixels`` pixels; nothing was allocated.
        public static let tooManyPixels = Code("too_many_pixels")
        /// The header declares a zero, negative or otherwise impossible size.
        public static let invalidDimensions = Code("invalid_dimensions")
        /// The data ends before the image does (the file was cut short).
        public static let truncated = Code("truncated")
        /// The codec rejected the data as malformed.
        public static let corrupt = Code("corrupt")
        /// A valid file using a feature this decoder does not handle (for example an animated WebP).
        public static let unsupported = Code("unsupported")
        /// The file could not be opened or read, or is not a regular file.
        public static let unreadable = Code("unreadable")
        /// A pixel buffer of the required size could not be allocated or addressed.
        public static let outOfMemory = Code("out_of_memory")
    }

    /// What kind of failure it is.
    public var code: Code
    /// What happened and what to do about it.
    public var message: String
    /// The format whose codec failed (for ``Code/truncated``, ``Code/corrupt`` and ``Code/unsupported``).
    public var format: ImageFormat?

    /// Creates an error; the static functions below make the ones Vigil's decoders throw.
    public init(code: Code, message: String, format: ImageFormat? = nil) {
        self.code = code
        self.message = message
        self.format = format
    }

    /// What happened and what to do about it (the ``message``).
    public var description: String { message }

    /// The input has zero bytes.
    public static let empty = MediaError(
        code: .empty, message: "The input is empty (0 bytes). Check that the upload or file transfer completed.")

    /// The input is larger than ``DecodeLimits/maxBytes``; it was not read.
    public static func fileTooLarge(bytes: Int, limit: Int) -> MediaError {
        MediaError(
            code: .fileTooLarge,
            message: "The input is \(bytes) bytes, over the limit of \(limit) bytes; it was not read. "
                + "Raise DecodeLimits.maxBytes if inputs this large are expected.")
    }

    /// The leading bytes match no supported format; `magic` is the first (up to 8) bytes in hex.
    public static func unrecognisedFormat(magic: String) -> MediaError {
        MediaError(
            code: .unrecognisedFormat,
            message: "The input is not a JPEG, PNG, WebP or GIF (first bytes: \(magic.isEmpty ? "none" : magic)). "
                + "Formats are detected from content, not file names; convert it to a supported format.")
    }

    /// The header declares more than `limit` pixels; nothing was decoded.
    public static func tooManyPixels(width: Int, height: Int, limit: Int) -> MediaError {
        MediaError(
            code: .tooManyPixels,
            message: "The image declares \(width)x\(height) pixels, over the limit of \(limit); nothing was decoded. "
                + "This may be a decompression bomb; raise DecodeLimits.maxPixels only for trusted inputs.")
    }

    /// The header declares a zero, negative or otherwise impossible size.
    public static func invalidDimensions(width: Int, height: Int) -> MediaError {
        MediaError(
            code: .invalidDimensions,
            message: "The image declares an invalid size of \(width)x\(height). The file is damaged or malicious; re-export it.")
    }

    /// The data ends before the image does (the file was cut short).
    public static func truncated(_ format: ImageFormat, detail: String) -> MediaError {
        MediaError(
            code: .truncated,
            message: "The \(format.displayName) data ends too early (\(detail)). The file was cut short; fetch or upload it again.",
            format: format)
    }

    /// The codec rejected the data as malformed.
    public static func corrupt(_ format: ImageFormat, detail: String) -> MediaError {
        MediaError(
            code: .corrupt,
            message: "The \(format.displayName) data is malformed (\(detail)). The file is damaged; re-export it from the original.",
            format: format)
    }

    /// A valid file using a feature this decoder does not handle (for example an animated WebP).
    public static func unsupported(_ format: ImageFormat, detail: String) -> MediaError {
        MediaError(
            code: .unsupported,
            message: "This \(format.displayName) file uses a feature that is not supported (\(detail)). "
                + "Convert it to a still JPEG or PNG.",
            format: format)
    }

    /// The file could not be opened or read, or is not a regular file.
    public static func unreadable(path: String, detail: String) -> MediaError {
        MediaError(
            code: .unreadable,
            message: "Could not read \(path) (\(detail)). Check that the path exists, is a regular file and is readable.")
    }

    /// A pixel buffer of `bytes` bytes could not be allocated or addressed.
    public static func outOfMemory(bytes: Int) -> MediaError {
        MediaError(
            code: .outOfMemory,
            message: "Could not allocate \(bytes) bytes for the pixels. Lower DecodeLimits.maxPixels or free memory.")
    }
}
