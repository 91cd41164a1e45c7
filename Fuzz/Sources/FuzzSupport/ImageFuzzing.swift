public import VigilMedia

/// The image-decoder harness shared by FuzzJPEG, FuzzPNG, FuzzWebP and FuzzGIF.
public enum ImageFuzzing {
    /// The pixel limit the fuzz targets decode under: far below the 100-megapixel default, so a run
    /// spends its time in parsing rather than in filling large buffers, while the limit checks still run.
    public static let maxPixels = 4_000_000

    /// The decode options for one input, chosen from its length so that every option is exercised
    /// without taking bytes away from the codec.
    static func options(forLength length: Int) -> DecodeOptions {
        let limits = DecodeLimits(maxPixels: maxPixels, maxBytes: 1 << 20)
        switch length % 4 {
        case 1: return DecodeOptions(limits: limits, jpegLumaOnly: true)
        case 2: return DecodeOptions(limits: limits, sixteenBit: .lowByte, jpegMinimumShortSide: 16)
        case 3: return DecodeOptions(limits: limits, jpegMinimumShortSide: 1024)
        default: return DecodeOptions(limits: limits)
        }
    }

    /// The leading bytes `ImageFormat.sniff` recognises as `format`.
    static func magic(_ format: ImageFormat) -> [UInt8] {
        switch format {
        case .jpeg: [0xFF, 0xD8, 0xFF]
        case .png: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        case .webp: Array("RIFF".utf8) + [0, 0, 0, 0] + Array("WEBP".utf8)
        case .gif: Array("GIF89a".utf8)
        }
    }

    /// Decodes one fuzz input as `format` through the public ``ImageDecoder`` (an input whose magic
    /// bytes are not `format`'s gets them put in front, so every execution reaches that codec) and
    /// traps on any broken promise: a decoded image over the pixel limit, with the wrong number of
    /// samples or in another format. Errors are expected and must carry a message.
    public static func decode(_ data: UnsafePointer<UInt8>?, _ size: Int, as format: ImageFormat) {
        var bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
        if ImageFormat.sniff(bytes) != format { bytes = magic(format) + bytes }
        let decoder = ImageDecoder(options: options(forLength: size))
        do {
            let image = try decoder.decode(bytes)
            precondition(image.format == format, "decoded as \(image.format), sniffed as \(format)")
            precondition(image.width > 0 && image.height > 0, "empty image \(image.width)x\(image.height)")
            precondition(image.sourceWidth * image.sourceHeight <= maxPixels, "over the pixel limit")
            precondition(image.pixels.count == image.width * image.height * image.layout.channels, "wrong sample count")
        } catch {
            precondition(!error.description.isEmpty, "an error without a message")
        }
    }
}
