import VigilHex

/// The still-image container formats VigilMedia can decode.
///
/// The format of an input is always decided from its leading magic bytes
/// (see ``ImageDecoder/sniff(_:)``), never from a file name or a declared MIME type.
public enum ImageFormat: String, Sendable, CaseIterable {
    /// JPEG / JFIF / Exif (`FF D8 FF`), decoded with libjpeg-turbo's TurboJPEG API.
    case jpeg
    /// PNG (`89 50 4E 47 0D 0A 1A 0A`), decoded with libpng's simplified API.
    case png
    /// WebP (`RIFF` ... `WEBP`), decoded with libwebp's simple API.
    case webp
    /// GIF87a / GIF89a, decoded (first frame only) with giflib.
    case gif
}

extension ImageFormat {
    /// The conventional spelling of the format's name, for messages.
    var displayName: String {
        switch self {
        case .jpeg: "JPEG"
        case .png: "PNG"
        case .webp: "WebP"
        case .gif: "GIF"
        }
    }

    /// Decides the format from magic bytes only.
    public static func sniff(_ bytes: some Collection<UInt8>) -> ImageFormat? {
        var head: [UInt8] = []
        head.reserveCapacity(12)
        for byte in bytes.prefix(12) { head.append(byte) }
        if head.count >= 3, head[0] == 0xFF, head[1] == 0xD8, head[2] == 0xFF {
            return .jpeg
        }
        if head.count >= 8, head[0..<8].elementsEqual([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) {
            return .png
        }
        if head.count >= 12, head[0..<4].elementsEqual(Array("RIFF".utf8)),
            head[8..<12].elementsEqual(Array("WEBP".utf8))
        {
            return .webp
        }
        if head.count >= 6, head[0..<6].elementsEqual(Array("GIF87a".utf8)) || head[0..<6].elementsEqual(Array("GIF89a".utf8)) {
            return .gif
        }
        return nil
    }

    /// The first bytes of an unrecognised input as lowercase hex, for error messages.
    static func magicDescription(_ bytes: some Collection<UInt8>) -> String {
        Hex.encode(bytes.prefix(8))
    }
}
