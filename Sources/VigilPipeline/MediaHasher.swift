public import VigilHash
public import VigilMedia

/// How ``MediaHasher`` hashes an image.
public struct HashOptions: Sendable {
    /// The PDQ convention: full resolution (the default) or Meta's C++ CLI 512x512 squash.
    public var convention: PDQConvention
    /// Decode JPEGs with libjpeg-turbo's DCT scaling to the smallest size whose shorter side is
    /// at least ``fastMinimumShortSide``, and only their luma (Y) channel, before hashing: several
    /// times faster on large photos, at the cost of a few bits against the exact hash.
    public var fast: Bool
    /// Also compute the eight dihedral variants (rotations and flips).
    public var dihedral: Bool
    /// Also compute the exact digests (MD5 and SHA-256) of the file's bytes. On by default;
    /// turning it off saves about 1.6 ms per megabyte of file when only PDQ is wanted.
    public var digests: Bool
    /// Size and pixel limits applied before decoding.
    public var limits: DecodeLimits

    /// The shorter side that `fast` decoding scales down to, at least.
    public static let fastMinimumShortSide = 512

    /// Creates options; the defaults are the exact full-resolution convention.
    public init(
        convention: PDQConvention = .full,
        fast: Bool = false,
        dihedral: Bool = false,
        digests: Bool = true,
        limits: DecodeLimits = DecodeLimits()
    ) {
        self.convention = convention
        self.fast = fast
        self.dihedral = dihedral
        self.digests = digests
        self.limits = limits
    }

    /// The decoder settings these options imply.
    public var decodeOptions: DecodeOptions {
        DecodeOptions(
            limits: limits,
            // The C++ CLI keeps the low byte of 16-bit samples (ImageMagick PNM cast); the
            // full convention scales properly by taking the high byte.
            sixteenBit: convention == .referenceCLI ? .lowByte : .highByte,
            jpegMinimumShortSide: fast ? Self.fastMinimumShortSide : nil,
            jpegLumaOnly: fast
        )
    }
}

/// Everything Vigil computes for one image file.
public struct MediaHashResult: Sendable, Equatable {
    /// The PDQ hash and its quality.
    public var pdq: PDQResult
    /// The eight dihedral variant hashes in ``PDQDihedral`` order, when asked for.
    public var dihedral: [PDQHash]?
    /// MD5 and SHA-256 of the file's bytes (nil when ``HashOptions/digests`` is off).
    public var digests: ContentDigests?
    /// The image's width as stored in the file (before any fast-mode scaling).
    public var width: Int
    /// The image's height as stored in the file.
    public var height: Int
    /// The format found from the file's magic bytes.
    public var format: ImageFormat
}

/// Why a file could not be hashed.
///
/// A struct with an open set of codes rather than an enum, so that a later version can add a code
/// without breaking callers: compare ``code`` with the static members of ``Code``, or look at
/// ``media`` for the decoder's own error.
public struct HashingError: Error, Sendable, Hashable, CustomStringConvertible {
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

        /// The decoded pixels could not be hashed (an internal inconsistency; please report it).
        public static let internalPixelError = Code("internal_pixel_error")

        /// The file could not be read or decoded: the code is the ``MediaError``'s
        /// (`"unrecognised_format"`, `"truncated"`, ...).
        public init(_ media: MediaError.Code) {
            self.init(media.rawValue)
        }
    }

    /// What kind of failure it is: a ``MediaError``'s code when the file could not be read or
    /// decoded, or ``Code/internalPixelError``.
    public var code: Code
    /// What went wrong and what to do about it.
    public var message: String
    /// The decoder's error, when the file could not be read or decoded.
    public var media: MediaError?

    /// Creates an error; ``media(_:)`` and ``pixels(_:)`` make the ones ``MediaHasher`` throws.
    public init(code: Code, message: String, media: MediaError? = nil) {
        self.code = code
        self.message = message
        self.media = media
    }

    /// What went wrong and what to do about it (the ``message``).
    public var description: String { message }

    /// The file could not be read or decoded.
    public static func media(_ error: MediaError) -> HashingError {
        HashingError(code: Code(error.code), message: error.message, media: error)
    }

    /// The decoded pixels could not be hashed (an internal inconsistency; please report it).
    public static func pixels(_ error: PDQInputError) -> HashingError {
        HashingError(code: .internalPixelError, message: error.message)
    }
}

/// Decodes media with the real C codecs and computes its perceptual and exact hashes.
///
/// ```swift
/// let hasher = MediaHasher(options: HashOptions(convention: .full))
/// let result = try hasher.hash(fileAt: "photo.jpg")
/// print(result.pdq.hash, result.digests.sha256)
/// ```
public struct MediaHasher: Sendable {
    /// The options every call uses.
    public let options: HashOptions

    /// Creates a hasher.
    public init(options: HashOptions = HashOptions()) {
        self.options = options
    }

    /// Reads and hashes the file at `path`.
    public func hash(fileAt path: String, workspace: MediaWorkspace? = nil) throws(HashingError) -> MediaHashResult {
        let bytes: [UInt8]
        do {
            bytes = try MediaFile.read(path: path, limits: options.limits)
        } catch {
            throw .media(error)
        }
        return try hash(bytes: bytes, workspace: workspace)
    }

    /// Hashes an in-memory file.
    public func hash(bytes: [UInt8], workspace: MediaWorkspace? = nil) throws(HashingError) -> MediaHashResult {
        let workspace = workspace ?? MediaWorkspace()
        let image: DecodedImage
        do {
            image = try ImageDecoder(options: options.decodeOptions).decode(bytes, reusing: &workspace.pixels)
        } catch {
            throw .media(error)
        }
        // Hand the pixel memory back for the next image once this one is hashed.
        defer { workspace.pixels = image.pixels }
        let digests = options.digests ? ContentDigests(of: bytes) : nil
        let hasher = PDQHasher(convention: options.convention)
        let work = workspace.pdq
        let channels = image.layout.channels
        do {
            return try image.pixels.withUnsafeBufferPointer { (pixels) throws(PDQInputError) -> MediaHashResult in
                let pdq: PDQResult
                var variants: [PDQHash]?
                if options.dihedral {
                    let all = try hasher.hashDihedral(
                        pixels: pixels, width: image.width, height: image.height, channels: channels, workspace: work)
                    pdq = all.result
                    variants = all.variants
                } else {
                    pdq = try hasher.hash(
                        pixels: pixels, width: image.width, height: image.height, channels: channels, workspace: work)
                }
                return MediaHashResult(
                    pdq: pdq, dihedral: variants, digests: digests,
                    width: image.sourceWidth, height: image.sourceHeight, format: image.format)
            }
        } catch {
            throw .pixels(error)
        }
    }
}

/// Memory reused from one image to the next: the decoded pixels and PDQ's float planes.
///
/// Not thread-safe: give each thread or task its own, and pass it to every call it makes.
public final class MediaWorkspace {
    /// PDQ's buffers.
    public let pdq = PDQWorkspace()
    /// The last decoded image's pixel memory, handed to the next decode.
    var pixels: [UInt8] = []

    /// Creates an empty workspace.
    public init() {}
}
