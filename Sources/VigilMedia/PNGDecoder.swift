import CImageCodecs

/// Decodes PNG with libpng's simplified API (`png_image_*`), which reports errors by return value.
///
/// Output matches Pillow's `convert('RGB')` (or `convert('L')` for grey sources) byte for byte:
/// - grey and grey+alpha (any bit depth) become ``PixelLayout/grey``; RGB, RGBA and palette become
///   ``PixelLayout/rgb``; alpha is dropped, never composited.
/// - gAMA, sRGB, iCCP, cHRM and tRNS are removed first (see ``PNGChunkFilter``) so that the simplified
///   API performs no gamma conversion and sees no tRNS alpha; 8-bit samples come out unchanged.
/// - 16-bit files are read in the simplified API's 16-bit linear formats, which (with no gamma chunk)
///   return the raw samples; ``SixteenBitPolicy`` then picks the high or low byte.
/// - Known limit: 16-bit grey+alpha and RGBA (colour types 4 and 6) come back from the linear
///   formats premultiplied by alpha (libpng cannot return them otherwise). Fully opaque pixels are
///   exact; others are un-premultiplied (`v = round(p * 65535 / a)`, within `65535 / (2a)` of the
///   original sample); fully transparent pixels become 0, where Pillow keeps the hidden colour.
struct PNGDecoder {
    let options: DecodeOptions

    func decode(_ data: UnsafeBufferPointer<UInt8>, storage: inout [UInt8]) throws(MediaError) -> DecodedImage {
        let (header, filtered) = PNGChunkFilter.scan(data)
        if let filtered {
            return try filtered.withUnsafeBufferPointer { buffer throws(MediaError) in
                try decodeFiltered(buffer, header: header, storage: &storage)
            }
        }
        return try decodeFiltered(data, header: header, storage: &storage)
    }

    private func decodeFiltered(
        _ data: UnsafeBufferPointer<UInt8>, header: PNGChunkFilter.Header?, storage: inout [UInt8]
    ) throws(MediaError) -> DecodedImage {
        guard let base = data.baseAddress else { throw .empty }
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        guard png_image_begin_read_from_memory(&image, base, data.count) != 0 else {
            let error = Self.error(image)
            png_image_free(&image)
            throw error
        }
        // From here every exit must free `image` (finish_read frees it itself, free is idempotent).
        defer { png_image_free(&image) }

        let width = Int(image.width)
        let height = Int(image.height)
        let pixelCount = try PixelBudget(maxPixels: options.limits.maxPixels).check(width: width, height: height)

        let colorType = header?.colorType ?? Self.colorType(fromFormat: image.format)
        let sixteenBit = (header?.bitDepth ?? 8) == 16 || image.format & UInt32(PNG_FORMAT_FLAG_LINEAR) != 0
        let hasAlpha = colorType == 4 || colorType == 6
        let layout: PixelLayout = (colorType == 0 || colorType == 4) ? .grey : .rgb

        var format: UInt32 = layout == .rgb ? UInt32(PNG_FORMAT_FLAG_COLOR) : 0
        if hasAlpha { format |= UInt32(PNG_FORMAT_FLAG_ALPHA) }
        if sixteenBit { format |= UInt32(PNG_FORMAT_FLAG_LINEAR) }
        image.format = format

        let decodedChannels = layout.channels + (hasAlpha ? 1 : 0)
        let bytesPerSample = sixteenBit ? 2 : 1
        let capacity = try PixelBudget.byteCount(pixels: pixelCount, bytesPerPixel: decodedChannels * bytesPerSample)
        let policy = options.sixteenBit

        var failure: MediaError?
        let pixels = [UInt8].decoding(capacity: capacity, reusing: &storage) { buffer in
            guard let out = buffer.baseAddress else { return 0 }
            guard png_image_finish_read(&image, nil, out, 0, nil) != 0 else {
                failure = Self.error(image)
                return 0
            }
            let samples = pixelCount * layout.channels
            if sixteenBit {
                Self.reduceSixteenBit(
                    out, pixelCount: pixelCount, channels: layout.channels,
                    hasAlpha: hasAlpha, policy: policy)
            } else if hasAlpha {
                Self.dropAlpha(out, pixelCount: pixelCount, channels: layout.channels)
            }
            return samples
        }
        if let failure { throw failure }
        return DecodedImage(width: width, height: height, layout: layout, format: .png, pixels: pixels)
    }

    /// Removes the trailing alpha byte of every pixel, in place, front to back.
    static func dropAlpha(_ buffer: UnsafeMutablePointer<UInt8>, pixelCount: Int, channels: Int) {
        let stride = channels + 1
        if channels == 3 {
            for i in 0..<pixelCount {
                let source = buffer + i * stride
                let target = buffer + i * 3
                target[0] = source[0]
                target[1] = source[1]
                target[2] = source[2]
            }
        } else {
            for i in 0..<pixelCount {
                buffer[i] = buffer[i * stride]
            }
        }
    }

    /// Turns native-endian 16-bit samples (optionally followed by premultiplied alpha) into 8-bit
    /// samples in place, front to back.
    static func reduceSixteenBit(
        _ buffer: UnsafeMutablePointer<UInt8>, pixelCount: Int, channels: Int, hasAlpha: Bool,
        policy: SixteenBitPolicy
    ) {
        let stride = channels + (hasAlpha ? 1 : 0)
        let shift: UInt16 = policy == .highByte ? 8 : 0
        let raw = UnsafeMutableRawPointer(buffer)
        var target = 0
        for i in 0..<pixelCount {
            let first = i * stride * 2
            let alpha =
                hasAlpha
                ? UInt32(raw.loadUnaligned(fromByteOffset: first + channels * 2, as: UInt16.self)) : 65535
            for c in 0..<channels {
                var value = raw.loadUnaligned(fromByteOffset: first + c * 2, as: UInt16.self)
                if alpha != 65535 {
                    value = alpha == 0 ? 0 : UInt16(min(65535, (UInt32(value) * 65535 + alpha / 2) / alpha))
                }
                // `target` never passes the byte offset just read, so the in-place pass is safe.
                raw.storeBytes(of: UInt8(truncatingIfNeeded: value >> shift), toByteOffset: target, as: UInt8.self)
                target += 1
            }
        }
    }

    private static func colorType(fromFormat format: UInt32) -> Int {
        let color = format & UInt32(PNG_FORMAT_FLAG_COLOR) != 0
        let alpha = format & UInt32(PNG_FORMAT_FLAG_ALPHA) != 0
        switch (color, alpha) {
        case (false, false): return 0
        case (false, true): return 4
        case (true, false): return 2
        case (true, true): return 6
        }
    }

    static func message(_ image: png_image) -> String {
        withUnsafeBytes(of: image.message) { raw in
            let bytes = raw.prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    static func error(_ image: png_image) -> MediaError {
        let text = message(image)
        let lower = text.lowercased()
        if lower.contains("beyond end of data") || lower.contains("not enough image data")
            || lower.contains("unexpected end")
        {
            return .truncated(.png, detail: text)
        }
        if lower.contains("out of memory") || lower.contains("insufficient memory") {
            return .outOfMemory(bytes: 0)
        }
        return .corrupt(.png, detail: text.isEmpty ? "libpng reported an error" : text)
    }
}
