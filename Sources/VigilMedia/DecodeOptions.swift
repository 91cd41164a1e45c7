/// How 16-bit PNG samples are reduced to 8 bits.
public enum SixteenBitPolicy: Sendable {
    /// Keep the most significant byte (`v >> 8`): what Pillow does for 16-bit RGB(A) and what
    /// `scripts/pillow_pixels.py` expects for 16-bit grey. The default.
    case highByte
    /// Keep the least significant byte (`v & 255`). This reproduces a bug of Meta's C++ PDQ CLI,
    /// whose ImageMagick PNM path casts 16-bit samples to 8 bits; use it only to match that CLI's
    /// reference hashes.
    case lowByte
}

/// Resource limits checked before any pixel buffer is allocated.
public struct DecodeLimits: Sendable {
    /// The largest accepted `width * height` (of the decoded output and of the header's image).
    public var maxPixels: Int
    /// The largest accepted encoded input, in bytes.
    public var maxBytes: Int

    /// Creates limits; the defaults accept 100 megapixels and 256 MiB of input.
    public init(maxPixels: Int = 100_000_000, maxBytes: Int = 256 << 20) {
        self.maxPixels = maxPixels
        self.maxBytes = maxBytes
    }
}

/// Options for ``ImageDecoder``.
public struct DecodeOptions: Sendable {
    /// Pixel and byte limits.
    public var limits: DecodeLimits
    /// How 16-bit PNG samples become 8-bit ones.
    public var sixteenBit: SixteenBitPolicy
    /// JPEG only: decode with libjpeg-turbo DCT scaling to the smallest scaled size whose
    /// shorter side is at least this many pixels (`nil` decodes at full size). Factors come from
    /// `tjGetScalingFactors()` and include non-powers of two such as 3/8, unlike Pillow's `draft`.
    public var jpegMinimumShortSide: Int?

    /// JPEG only: decode just the luma (Y) channel of YCbCr JPEGs, as ``PixelLayout/grey``, skipping
    /// the chroma IDCT, upsampling and colour conversion. JFIF's Y is 0.299 R + 0.587 G + 0.114 B,
    /// the same weights PDQ uses for luma, so this is a cheap approximation for fast hashing; the
    /// pixels are not Pillow's. Other colour spaces (grey, RGB, CMYK, YCCK) decode as usual.
    public var jpegLumaOnly: Bool

    /// Creates options; by default: default limits, ``SixteenBitPolicy/highByte``, full-size JPEG.
    public init(
        limits: DecodeLimits = DecodeLimits(),
        sixteenBit: SixteenBitPolicy = .highByte,
        jpegMinimumShortSide: Int? = nil,
        jpegLumaOnly: Bool = false
    ) {
        self.limits = limits
        self.sixteenBit = sixteenBit
        self.jpegMinimumShortSide = jpegMinimumShortSide
        self.jpegLumaOnly = jpegLumaOnly
    }
}
