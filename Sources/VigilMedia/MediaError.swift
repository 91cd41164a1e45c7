/// Why an image could not be decoded. Every case is safe to show to an operator; none carries pixels.
public enum MediaError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The input has zero bytes.
    case empty
    /// The input is larger than ``DecodeLimits/maxBytes``; it was not read.
    case fileTooLarge(bytes: Int, limit: Int)
    /// The leading bytes match no supported format; `magic` is the first (up to 8) bytes in hex.
    case unrecognisedFormat(magic: String)
    /// The header declares more than ``DecodeLimits/maxPixels`` pixels; nothing was allocated.
    case tooManyPixels(width: Int, height: Int, limit: Int)
    /// The header declares a zero, negative or otherwise impossible size.
    case invalidDimensions(width: Int, height: Int)
    /// The data ends before the image does (the file was cut short).
    case truncated(ImageFormat, detail: String)
    /// The codec rejected the data as malformed.
    case corrupt(ImageFormat, detail: String)
    /// A valid file using a feature this decoder does not handle (for example an animated WebP).
    case unsupported(ImageFormat, detail: String)
    /// The file could not be opened or read.
    case unreadable(path: String, detail: String)
    /// A pixel buffer of the required size could not be allocated or addressed.
    case outOfMemory(bytes: Int)

    /// A stable snake_case identifier for JSON output and metrics.
    public var code: String {
        switch self {
        case .empty: "empty"
        case .fileTooLarge: "file_too_large"
        case .unrecognisedFormat: "unrecognised_format"
        case .tooManyPixels: "too_many_pixels"
        case .invalidDimensions: "invalid_dimensions"
        case .truncated: "truncated"
        case .corrupt: "corrupt"
        case .unsupported: "unsupported"
        case .unreadable: "unreadable"
        case .outOfMemory: "out_of_memory"
        }
    }

    /// What happened and what to do about it.
    public var description: String {
        switch self {
        case .empty:
            "The input is empty (0 bytes). Check that the upload or file transfer completed."
        case .fileTooLarge(let bytes, let limit):
            "The input is \(bytes) bytes, over the limit of \(limit) bytes; it was not read. "
                + "Raise DecodeLimits.maxBytes if inputs this large are expected."
        case .unrecognisedFormat(let magic):
            "The input is not a JPEG, PNG, WebP or GIF (first bytes: \(magic.isEmpty ? "none" : magic)). "
                + "Formats are detected from content, not file names; convert it to a supported format."
        case .tooManyPixels(let width, let height, let limit):
            "The image declares \(width)x\(height) pixels, over the limit of \(limit); nothing was decoded. "
                + "This may be a decompression bomb; raise DecodeLimits.maxPixels only for trusted inputs."
        case .invalidDimensions(let width, let height):
            "The image declares an invalid size of \(width)x\(height). The file is damaged or malicious; re-export it."
        case .truncated(let format, let detail):
            "The \(format.displayName) data ends too early (\(detail)). The file was cut short; fetch or upload it again."
        case .corrupt(let format, let detail):
            "The \(format.displayName) data is malformed (\(detail)). The file is damaged; re-export it from the original."
        case .unsupported(let format, let detail):
            "This \(format.displayName) file uses a feature that is not supported (\(detail)). Convert it to a still JPEG or PNG."
        case .unreadable(let path, let detail):
            "Could not read \(path) (\(detail)). Check that the path exists, is a regular file and is readable."
        case .outOfMemory(let bytes):
            "Could not allocate \(bytes) bytes for the pixels. Lower DecodeLimits.maxPixels or free memory."
        }
    }
}
