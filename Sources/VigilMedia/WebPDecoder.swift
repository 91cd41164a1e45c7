import CImageCodecs

/// Decodes still WebP (lossy, lossless, with or without alpha) with libwebp's simple API.
///
/// Alpha is dropped (libwebp's RGBA output is not premultiplied, so colour samples are Pillow's).
/// Animated WebP is ``MediaError/unsupported(_:detail:)``: the simple API cannot decode it, and the
/// demux library is not linked.
struct WebPDecoder {
    let options: DecodeOptions

    func decode(_ data: UnsafeBufferPointer<UInt8>, storage: inout [UInt8]) throws(MediaError) -> DecodedImage {
        guard let base = data.baseAddress else { throw .empty }
        var features = WebPBitstreamFeatures()
        let status = WebPGetFeatures(base, data.count, &features)
        guard status == VP8_STATUS_OK else {
            throw Self.error(status, data: data, stage: "header")
        }
        if features.has_animation != 0 {
            throw .unsupported(.webp, detail: "animated WebP; only still images are decoded")
        }
        let width = Int(features.width)
        let height = Int(features.height)
        let pixelCount = try PixelBudget(maxPixels: options.limits.maxPixels).check(width: width, height: height)
        let hasAlpha = features.has_alpha != 0
        let decodedChannels = hasAlpha ? 4 : 3
        let capacity = try PixelBudget.byteCount(pixels: pixelCount, bytesPerPixel: decodedChannels)
        let stride = Int32(width * decodedChannels)

        var failure: MediaError?
        let pixels = [UInt8].decoding(capacity: capacity, reusing: &storage) { buffer in
            guard let out = buffer.baseAddress else { return 0 }
            let result =
                hasAlpha
                ? WebPDecodeRGBAInto(base, data.count, out, capacity, stride)
                : WebPDecodeRGBInto(base, data.count, out, capacity, stride)
            guard result != nil else {
                failure = Self.decodeFailure(data: data)
                return 0
            }
            if hasAlpha {
                for i in 0..<pixelCount {
                    let source = out + i * 4
                    let target = out + i * 3
                    target[0] = source[0]
                    target[1] = source[1]
                    target[2] = source[2]
                }
            }
            return pixelCount * 3
        }
        if let failure { throw failure }
        return DecodedImage(width: width, height: height, layout: .rgb, format: .webp, pixels: pixels)
    }

    /// The simple API's decode calls return only NULL on failure; re-run the advanced decoder's
    /// status-reporting path cheaply by telling truncation (RIFF size larger than the data) apart.
    private static func decodeFailure(data: UnsafeBufferPointer<UInt8>) -> MediaError {
        if isTruncated(data) {
            return .truncated(.webp, detail: "the RIFF header declares more data than the file holds")
        }
        return .corrupt(.webp, detail: "libwebp could not decode the bitstream")
    }

    /// True when the RIFF chunk size says the file should be longer than it is.
    static func isTruncated(_ data: UnsafeBufferPointer<UInt8>) -> Bool {
        guard data.count >= 8 else { return true }
        let declared = Int(data[4]) | Int(data[5]) << 8 | Int(data[6]) << 16 | Int(data[7]) << 24
        return declared + 8 > data.count
    }

    private static func error(_ status: VP8StatusCode, data: UnsafeBufferPointer<UInt8>, stage: String) -> MediaError {
        switch status {
        case VP8_STATUS_NOT_ENOUGH_DATA:
            return .truncated(.webp, detail: "not enough data for the \(stage)")
        case VP8_STATUS_UNSUPPORTED_FEATURE:
            return .unsupported(.webp, detail: "libwebp reports an unsupported feature")
        case VP8_STATUS_OUT_OF_MEMORY:
            return .outOfMemory(bytes: 0)
        default:
            if isTruncated(data) {
                return .truncated(.webp, detail: "the RIFF header declares more data than the file holds")
            }
            return .corrupt(.webp, detail: "invalid WebP \(stage) (libwebp status \(status.rawValue))")
        }
    }
}
