import HTTPTypes

/// Refuses, before any decoding, a file whose header declares far more pixels than its size can
/// hold: a decompression bomb (a few dozen bytes of WebP or PNG can declare 10,000 × 10,000
/// pixels, which takes seconds of CPU to decode and hash).
///
/// The bound is in pixels per input byte. What real encoders reach on the most compressible image
/// there is, one flat colour (measured with Pillow 13 / libpng / libwebp 1.6 at 1-100 MP; see
/// `docs/benchmarks.md`): JPEG up to about 260, GIF 1,340, PNG 8,200 (1-bit palette), lossless
/// WebP 26,000. The default, 100,000, is four times the highest of them; a crafted 40-byte WebP
/// declaring 100 MP is at 2.5 million.
struct DecompressionBombCheck: Sendable {
    /// The most pixels one input byte may declare.
    let maxPixelsPerByte: Int

    /// Throws 422 `decompression_bomb` when `bytes` declares more than `maxPixelsPerByte` pixels
    /// per byte of input; passes anything whose size it cannot read (the decoder judges that).
    func check(_ bytes: [UInt8]) throws {
        guard let size = DeclaredImageSize(bytes) else { return }
        let (pixels, overflow) = size.width.multipliedReportingOverflow(by: size.height)
        let (allowed, allowedOverflow) = maxPixelsPerByte.multipliedReportingOverflow(by: bytes.count)
        guard overflow || (!allowedOverflow && pixels > allowed) else { return }
        throw APIError(
            .unprocessableContent, code: "decompression_bomb",
            "the \(bytes.count)-byte file declares \(size.width)x\(size.height) pixels, more than \(maxPixelsPerByte) per byte "
                + "that no real image reaches; it was not decoded. Send the image as exported by a camera or an editor")
    }
}

/// The width and height an image file's header declares, read without decoding: PNG's IHDR,
/// GIF's logical screen, WebP's VP8, VP8L or VP8X header, JPEG's first SOF marker.
struct DeclaredImageSize: Equatable, Sendable {
    var width: Int
    var height: Int

    /// The declared size, or nil for a format it does not know or a header it cannot read.
    init?(_ bytes: [UInt8]) {
        let reader = HeaderBytes(bytes)
        if reader.matches([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], at: 0) {
            // Signature, then the IHDR chunk: length, "IHDR", width and height (big-endian).
            guard reader.matches(Array("IHDR".utf8), at: 12), let width = reader.bigEndian(16, 4), let height = reader.bigEndian(20, 4) else {
                return nil
            }
            self.init(width: width, height: height)
        } else if reader.matches(Array("GIF87a".utf8), at: 0) || reader.matches(Array("GIF89a".utf8), at: 0) {
            guard let width = reader.littleEndian(6, 2), let height = reader.littleEndian(8, 2) else { return nil }
            self.init(width: width, height: height)
        } else if reader.matches(Array("RIFF".utf8), at: 0), reader.matches(Array("WEBP".utf8), at: 8) {
            guard let size = Self.webP(reader) else { return nil }
            self = size
        } else if reader.matches([0xFF, 0xD8], at: 0) {
            guard let size = Self.jpeg(reader) else { return nil }
            self = size
        } else {
            return nil
        }
    }

    init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    /// The first chunk after "RIFF....WEBP" (its data at offset 20).
    private static func webP(_ reader: HeaderBytes) -> DeclaredImageSize? {
        if reader.matches(Array("VP8 ".utf8), at: 12) {
            // Frame tag (3 bytes), start code 9D 01 2A, then 14-bit width and height.
            guard reader.matches([0x9D, 0x01, 0x2A], at: 23), let width = reader.littleEndian(26, 2), let height = reader.littleEndian(28, 2) else {
                return nil
            }
            return DeclaredImageSize(width: width & 0x3FFF, height: height & 0x3FFF)
        }
        if reader.matches(Array("VP8L".utf8), at: 12) {
            // Signature 0x2F, then width - 1 and height - 1 in 14 bits each.
            guard reader.matches([0x2F], at: 20), let bits = reader.littleEndian(21, 4) else { return nil }
            return DeclaredImageSize(width: (bits & 0x3FFF) + 1, height: ((bits >> 14) & 0x3FFF) + 1)
        }
        if reader.matches(Array("VP8X".utf8), at: 12) {
            // Flags and reserved (4 bytes), then canvas width - 1 and height - 1 in 24 bits each.
            guard let width = reader.littleEndian(24, 3), let height = reader.littleEndian(27, 3) else { return nil }
            return DeclaredImageSize(width: width + 1, height: height + 1)
        }
        return nil
    }

    /// Walks the JPEG's marker segments to the first start-of-frame (SOF0-SOF15 but DHT, JPG and
    /// DAC), whose data holds precision, height and width; gives up at the start of scan.
    private static func jpeg(_ reader: HeaderBytes) -> DeclaredImageSize? {
        var position = 2
        while let marker = reader.byte(position), marker == 0xFF {
            guard let code = reader.byte(position + 1) else { return nil }
            if code == 0xFF {  // fill byte
                position += 1
                continue
            }
            if code == 0x01 || (0xD0...0xD7).contains(code) {  // markers without a segment
                position += 2
                continue
            }
            guard code != 0xD9, code != 0xDA, let length = reader.bigEndian(position + 2, 2), length >= 2 else { return nil }
            if (0xC0...0xCF).contains(code), code != 0xC4, code != 0xC8, code != 0xCC {
                guard let height = reader.bigEndian(position + 5, 2), let width = reader.bigEndian(position + 7, 2) else { return nil }
                return DeclaredImageSize(width: width, height: height)
            }
            position += 2 + length
        }
        return nil
    }
}

/// Bounds-checked reads from a header.
private struct HeaderBytes {
    let bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func byte(_ offset: Int) -> UInt8? {
        offset >= 0 && offset < bytes.count ? bytes[offset] : nil
    }

    func matches(_ expected: [UInt8], at offset: Int) -> Bool {
        guard offset >= 0, offset + expected.count <= bytes.count else { return false }
        return bytes[offset..<(offset + expected.count)].elementsEqual(expected)
    }

    func bigEndian(_ offset: Int, _ count: Int) -> Int? {
        guard offset >= 0, offset + count <= bytes.count else { return nil }
        return bytes[offset..<(offset + count)].reduce(0) { $0 << 8 | Int($1) }
    }

    func littleEndian(_ offset: Int, _ count: Int) -> Int? {
        guard offset >= 0, offset + count <= bytes.count else { return nil }
        return bytes[offset..<(offset + count)].reversed().reduce(0) { $0 << 8 | Int($1) }
    }
}
