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
        /// A video container holds no video stream (for example an audio-only MP4).
        public static let noVideoStream = Code("no_video_stream")
        /// A video's frames are wider, taller or larger than ``VideoLimits`` allow.
        public static let frameTooLarge = Code("frame_too_large")
        /// A video has more frames than ``VideoLimits/maxFrames``.
        public static let tooManyFrames = Code("too_many_frames")
        /// Decoding took longer than ``VideoLimits/timeLimit``; the decoder was killed.
        public static let timedOut = Code("timed_out")
        /// The `ffmpeg` or `ffprobe` executable is not installed where ``FFmpegTools`` says.
        public static let decoderMissing = Code("decoder_missing")
        /// The external decoder failed in a way that says nothing about the file (it could not be
        /// started, crashed, or answered in an unexpected form).
        public static let decoderFailed = Code("decoder_failed")
    }

    /// What kind of failure it is.
    public var code: Code
    /// What happened and what to do about it.
    public var message: String
    /// The image format whose codec failed (for ``Code/truncated``, ``Code/corrupt`` and
    /// ``Code/unsupported`` of images; `nil` for videos).
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

    // MARK: - Videos

    /// The leading bytes match no supported video container; `magic` is the first (up to 8) bytes in hex.
    public static func notAVideo(magic: String) -> MediaError {
        MediaError(
            code: .unrecognisedFormat,
            message: "The input is not an MP4, QuickTime, Matroska/WebM or AVI video (first bytes: \(magic.isEmpty ? "none" : magic)). "
                + "Containers are detected from content, not file names; convert it to MP4.")
    }

    /// The container holds no video stream; `detail` names what it holds instead, when known.
    public static func noVideoStream(_ container: VideoContainer, detail: String) -> MediaError {
        MediaError(
            code: .noVideoStream,
            message: "The \(container.displayName) file has no video stream (\(detail)). "
                + "Only the pictures of a video are hashed; an audio-only file has nothing to hash.")
    }

    /// The video's frames exceed one of the size limits.
    public static func frameTooLarge(width: Int, height: Int, limits: VideoLimits) -> MediaError {
        MediaError(
            code: .frameTooLarge,
            message: "The video's frames are \(width)x\(height), over the limits of \(limits.maxWidth) wide, \(limits.maxHeight) high "
                + "and \(limits.maxPixels) pixels; nothing was decoded. Raise VideoLimits only for trusted inputs.")
    }

    /// The video's frames declare an impossible size (zero or negative).
    public static func invalidFrameSize(width: Int, height: Int) -> MediaError {
        MediaError(
            code: .invalidDimensions,
            message: "The video declares an invalid frame size of \(width)x\(height). The file is damaged or malicious; re-encode it.")
    }

    /// The video has (or declares) more frames than the limit.
    public static func tooManyFrames(frames: Int, limit: Int, declared: Bool) -> MediaError {
        MediaError(
            code: .tooManyFrames,
            message: declared
                ? "The video declares \(frames) frames, over the limit of \(limit); nothing was decoded. "
                    + "Raise VideoLimits.maxFrames if videos this long are expected, or cut it into parts."
                : "The video has more than \(limit) frames (the limit); decoding was stopped. "
                    + "Raise VideoLimits.maxFrames if videos this long are expected, or cut it into parts.")
    }

    /// Probing and decoding took longer than `limit`; the decoder was killed.
    public static func timedOut(limit: Duration, stage: String) -> MediaError {
        MediaError(
            code: .timedOut,
            message: "Decoding the video took longer than the time limit of \(limit) (while \(stage)); the decoder was killed. "
                + "The file may be crafted to be slow to decode, or the machine overloaded: raise VideoLimits.timeLimit for long videos.")
    }

    /// The video's data is malformed.
    public static func corruptVideo(_ container: VideoContainer, detail: String) -> MediaError {
        MediaError(
            code: .corrupt,
            message: "The \(container.displayName) video is malformed (\(detail)). The file is damaged; re-encode it from the original.")
    }

    /// The video's data ends before the video does.
    public static func truncatedVideo(_ container: VideoContainer, detail: String) -> MediaError {
        MediaError(
            code: .truncated,
            message: "The \(container.displayName) video ends too early (\(detail)). The file was cut short; fetch or upload it again.")
    }

    /// The `tool` executable (ffmpeg or ffprobe) could not be found at `path`.
    public static func decoderMissing(tool: String, path: String) -> MediaError {
        MediaError(
            code: .decoderMissing,
            message: "Videos are decoded by \(tool), which was not found (looked for \"\(path)\"). "
                + "Install the Debian package ffmpeg (apt-get install ffmpeg; it brings ffmpeg and ffprobe), "
                + "or set FFmpegTools to where they are.")
    }

    /// The `tool` executable failed in a way that says nothing about the file.
    public static func decoderFailed(tool: String, detail: String) -> MediaError {
        MediaError(
            code: .decoderFailed,
            message: "\(tool) failed (\(detail)). Check that \(tool) runs (\(tool) -version) and is Debian's ffmpeg 5.1 or newer.")
    }
}
