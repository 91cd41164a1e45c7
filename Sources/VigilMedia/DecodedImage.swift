/// How the bytes of a ``DecodedImage`` are laid out per pixel.
public enum PixelLayout: Sendable, Equatable {
    /// One byte per pixel: luminance (greyscale sources only; no colour conversion was applied).
    case grey
    /// Three bytes per pixel: red, green, blue.
    case rgb

    /// The number of bytes per pixel: 1 for ``grey``, 3 for ``rgb``.
    public var channels: Int {
        switch self {
        case .grey: 1
        case .rgb: 3
        }
    }
}

/// A decoded still image: 8-bit samples, row-major, tightly packed, alpha dropped.
public struct DecodedImage: Sendable {
    /// The width of ``pixels`` in pixels (smaller than ``sourceWidth`` when a JPEG was DCT-scaled).
    public let width: Int
    /// The height of ``pixels`` in pixels (smaller than ``sourceHeight`` when a JPEG was DCT-scaled).
    public let height: Int
    /// Whether each pixel is one grey byte or three RGB bytes.
    public let layout: PixelLayout
    /// The container format the image was decoded from (sniffed from its magic bytes).
    public let format: ImageFormat
    /// The width the file's header declares (for GIF: the canvas width Pillow would use).
    public let sourceWidth: Int
    /// The height the file's header declares (for GIF: the canvas height Pillow would use).
    public let sourceHeight: Int
    /// The samples, row-major, `width * layout.channels` bytes per row, no padding.
    public var pixels: [UInt8]

    /// Creates an image from already decoded pixels.
    ///
    /// - Precondition: `pixels.count == width * height * layout.channels`.
    public init(
        width: Int, height: Int, layout: PixelLayout, format: ImageFormat,
        sourceWidth: Int? = nil, sourceHeight: Int? = nil, pixels: [UInt8]
    ) {
        precondition(
            width >= 0 && height >= 0 && pixels.count == width * height * layout.channels,
            "pixel buffer does not match width * height * channels")
        self.width = width
        self.height = height
        self.layout = layout
        self.format = format
        self.sourceWidth = sourceWidth ?? width
        self.sourceHeight = sourceHeight ?? height
        self.pixels = pixels
    }

    /// The number of bytes in one row of ``pixels``.
    public var bytesPerRow: Int { width * layout.channels }
}
