/// Which of the two established PDQ conventions to follow.
///
/// They differ only for images wider or taller than 512 pixels, by up to about 20 bits.
public enum PDQConvention: String, Sendable, CaseIterable, Codable {
    /// Hash the full-resolution image: the convention of pdqhash (PyPI), python-threatexchange,
    /// Hasher-Matcher-Actioner and the Java port. The default.
    case full
    /// First squash any image wider or taller than 512 px to exactly 512x512 by nearest
    /// neighbour (aspect ratio not kept), as Meta's C++ `pdq-photo-hasher` does.
    case referenceCLI = "reference-cli"
}

/// The eight dihedral transforms of an image, in the reference's order.
public enum PDQDihedral: Int, Sendable, CaseIterable, Codable {
    /// The image as it is.
    case original
    /// Rotated 90° counter-clockwise.
    case rotate90
    /// Rotated 180°.
    case rotate180
    /// Rotated 270° counter-clockwise.
    case rotate270
    /// Flipped top to bottom.
    case flipX
    /// Mirrored left to right.
    case flipY
    /// Transposed (mirrored about the main diagonal).
    case flipPlus1
    /// Anti-transposed (mirrored about the anti-diagonal).
    case flipMinus1

    /// The short name used in JSON output and match results (`orig`, `rot90`, …).
    public var name: String {
        switch self {
        case .original: "orig"
        case .rotate90: "rot90"
        case .rotate180: "rot180"
        case .rotate270: "rot270"
        case .flipX: "flipx"
        case .flipY: "flipy"
        case .flipPlus1: "flipplus1"
        case .flipMinus1: "flipminus1"
        }
    }
}

/// A PDQ hash with its quality score.
public struct PDQResult: Sendable, Hashable, Codable {
    /// The 256-bit hash.
    public var hash: PDQHash
    /// The reference's quality metric, 0...100. Hashes with quality below 50 are usually
    /// discarded: flat or nearly flat images give unstable bits.
    public var quality: Int

    /// Creates a result.
    public init(hash: PDQHash, quality: Int) {
        self.hash = hash
        self.quality = quality
    }
}

/// The hashes of all eight dihedral variants of one image.
public struct PDQDihedralResult: Sendable, Hashable {
    /// The hash of the image itself, exactly as ``PDQHasher/hash(pixels:width:height:channels:workspace:)``
    /// computes it.
    public var result: PDQResult
    /// The eight variant hashes in ``PDQDihedral`` order, from the reference's dihedral function
    /// (which, unlike the plain hash, blurs a 64x64 input too).
    public var variants: [PDQHash]

    /// The hash of one variant.
    public subscript(variant: PDQDihedral) -> PDQHash { variants[variant.rawValue] }
}

/// Why pixels could not be hashed: the caller passed an inconsistent buffer.
///
/// A struct with an open set of codes rather than an enum, so that a later version can add a code
/// without breaking callers: compare ``code`` with the static members of ``Code``.
public struct PDQInputError: Error, Sendable, Hashable, CustomStringConvertible {
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

        /// Only 1 (grey) and 3 (RGB) bytes per pixel are accepted.
        public static let unsupportedChannelCount = Code("unsupported_channel_count")
        /// Width or height is negative.
        public static let invalidDimensions = Code("invalid_dimensions")
        /// The buffer holds fewer bytes than `width * height * channels`.
        public static let bufferTooSmall = Code("buffer_too_small")
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

    /// Only 1 (grey) and 3 (RGB) bytes per pixel are accepted.
    public static func unsupportedChannelCount(_ channels: Int) -> PDQInputError {
        PDQInputError(
            code: .unsupportedChannelCount,
            message: "PDQ hashes grey (1 byte per pixel) or RGB (3 bytes) pixels, not \(channels) bytes per pixel; "
                + "drop alpha or convert first")
    }

    /// Width or height is negative.
    public static func invalidDimensions(width: Int, height: Int) -> PDQInputError {
        PDQInputError(
            code: .invalidDimensions, message: "image dimensions \(width)x\(height) are invalid; both must be zero or more")
    }

    /// The buffer holds `actual` bytes, fewer than the `expected` `width * height * channels`.
    public static func bufferTooSmall(expected: Int, actual: Int) -> PDQInputError {
        PDQInputError(
            code: .bufferTooSmall, message: "the pixel buffer has \(actual) bytes but width x height x channels needs \(expected)")
    }
}

/// Computes PDQ hashes from decoded pixels, bit-identical to Meta's reference.
///
/// The hasher itself is a small value; the large float buffers live in a ``PDQWorkspace`` that a
/// caller can reuse across images (one per thread or task) to avoid re-allocating them.
///
/// ```swift
/// let hasher = PDQHasher(convention: .full)
/// let result = try hasher.hash(pixels: rgb, width: 640, height: 480, channels: 3)
/// print(result.hash, result.quality)
/// ```
public struct PDQHasher: Sendable {
    /// The convention this hasher follows.
    public var convention: PDQConvention

    /// The reference's minimum hashable side: smaller images hash to zero with quality 0.
    public static let minimumDimension = 5

    /// The side to which ``PDQConvention/referenceCLI`` squashes larger images.
    public static let referenceCLISide = 512

    /// Creates a hasher for `convention`.
    public init(convention: PDQConvention = .full) {
        self.convention = convention
    }

    /// Hashes row-major, tightly packed 8-bit pixels (`channels` is 1 for grey, 3 for RGB).
    public func hash(
        pixels: UnsafeBufferPointer<UInt8>,
        width: Int,
        height: Int,
        channels: Int,
        workspace: PDQWorkspace? = nil
    ) throws(PDQInputError) -> PDQResult {
        let image = try prepare(pixels: pixels, width: width, height: height, channels: channels)
        return image.withPixels { image in
            guard image.width >= Self.minimumDimension, image.height >= Self.minimumDimension else {
                return PDQResult(hash: .zero, quality: 0)
            }
            let work = workspace ?? PDQWorkspace()
            // The reference copies a 64x64 input straight through, without the blur.
            let blur = !(image.width == 64 && image.height == 64)
            let downsampled = PDQPipeline.downsample(image, luma: lumaRule(image), blur: blur, workspace: work)
            return Self.finish(downsampled)
        }
    }

    /// Hashes an array of row-major, tightly packed 8-bit pixels.
    public func hash(pixels: [UInt8], width: Int, height: Int, channels: Int, workspace: PDQWorkspace? = nil)
        throws(PDQInputError) -> PDQResult
    {
        let result: Result<PDQResult, PDQInputError> = pixels.withUnsafeBufferPointer { buffer in
            Result { () throws(PDQInputError) -> PDQResult in
                try hash(pixels: buffer, width: width, height: height, channels: channels, workspace: workspace)
            }
        }
        return try result.get()
    }

    /// Hashes the image and all eight of its dihedral variants (at the cost of about one hash).
    public func hashDihedral(
        pixels: UnsafeBufferPointer<UInt8>,
        width: Int,
        height: Int,
        channels: Int,
        workspace: PDQWorkspace? = nil
    ) throws(PDQInputError) -> PDQDihedralResult {
        let image = try prepare(pixels: pixels, width: width, height: height, channels: channels)
        return image.withPixels { image in
            guard image.width >= Self.minimumDimension, image.height >= Self.minimumDimension else {
                return PDQDihedralResult(
                    result: PDQResult(hash: .zero, quality: 0),
                    variants: Array(repeating: .zero, count: 8)
                )
            }
            let work = workspace ?? PDQWorkspace()
            let luma = lumaRule(image)
            let blurred = PDQPipeline.downsample(image, luma: luma, blur: true, workspace: work)
            let coefficients = PDQTransform.dct(blurred)
            let quality = PDQTransform.quality(blurred)
            let variants = PDQDihedral.allCases.map {
                PDQTransform.bits(PDQTransform.coefficients(coefficients, for: $0))
            }
            let plain: PDQResult
            if image.width == 64 && image.height == 64 {
                plain = Self.finish(PDQPipeline.downsample(image, luma: luma, blur: false, workspace: work))
            } else {
                plain = PDQResult(hash: variants[0], quality: quality)
            }
            return PDQDihedralResult(result: plain, variants: variants)
        }
    }

    /// Hashes a float luma plane directly (row-major, `width * height` values), skipping the
    /// RGB-to-luma step. This is the reference's `pdqHash256FromFloatLuma`, used for video frames.
    public func hash(luma: [Float], width: Int, height: Int, workspace: PDQWorkspace? = nil) throws(PDQInputError) -> PDQResult {
        guard width >= 0, height >= 0 else { throw .invalidDimensions(width: width, height: height) }
        guard luma.count >= width * height else {
            throw .bufferTooSmall(expected: width * height, actual: luma.count)
        }
        guard width >= Self.minimumDimension, height >= Self.minimumDimension else {
            return PDQResult(hash: .zero, quality: 0)
        }
        let work = workspace ?? PDQWorkspace()
        let blur = !(width == 64 && height == 64)
        let downsampled = luma.withUnsafeBufferPointer { buffer in
            PDQPipeline.downsample(luma: buffer, width: width, height: height, blur: blur, workspace: work)
        }
        return Self.finish(downsampled)
    }

    // MARK: - Internals

    private func lumaRule(_ image: PixelImage) -> LumaRule {
        if image.channels == 1 { return .grey }
        return convention == .referenceCLI ? .float32 : .float64
    }

    private func prepare(pixels: UnsafeBufferPointer<UInt8>, width: Int, height: Int, channels: Int)
        throws(PDQInputError) -> PreparedImage
    {
        guard channels == 1 || channels == 3 else { throw .unsupportedChannelCount(channels) }
        guard width >= 0, height >= 0 else { throw .invalidDimensions(width: width, height: height) }
        let (needed, overflow) = width.multipliedReportingOverflow(by: height)
        let (bytes, overflow2) = needed.multipliedReportingOverflow(by: channels)
        guard !overflow, !overflow2, pixels.count >= bytes else {
            throw .bufferTooSmall(expected: overflow || overflow2 ? Int.max : bytes, actual: pixels.count)
        }
        let image = PixelImage(pixels: pixels, width: width, height: height, channels: channels)
        let side = Self.referenceCLISide
        if convention == .referenceCLI && (width > side || height > side) {
            return .squashed(PDQPipeline.squash(image, to: side), channels: channels)
        }
        return .borrowed(image)
    }

    static func finish(_ downsampled: [Float]) -> PDQResult {
        PDQResult(hash: PDQTransform.bits(PDQTransform.dct(downsampled)), quality: PDQTransform.quality(downsampled))
    }
}

/// Scratch memory for hashing, reusable across images so that it is allocated once.
///
/// The downsampler streams: it holds a ring of rows rather than full float planes, so even a
/// 100 MP image needs only a few megabytes here. A workspace is not thread-safe: give each thread
/// or task its own.
public final class PDQWorkspace {
    private(set) var scratch: UnsafeMutablePointer<Float>
    private var scratchCapacity: Int

    /// Creates an empty workspace; its buffer grows on first use.
    public init() {
        scratchCapacity = 0
        scratch = .allocate(capacity: 1)
    }

    deinit {
        scratch.deallocate()
    }

    /// Ensures the scratch buffer holds at least `count` floats.
    func reserveScratch(_ count: Int) {
        guard count > scratchCapacity else { return }
        scratch.deallocate()
        scratch = .allocate(capacity: count)
        scratchCapacity = count
    }
}
