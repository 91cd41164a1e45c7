import CImageCodecs

/// Decodes JPEG through libjpeg-turbo's TurboJPEG API (errors by return value, no longjmp).
///
/// Pixels match Pillow's `Image.open(f).convert('RGB')` (or `'L'` for greyscale JPEGs): TurboJPEG's
/// defaults are libjpeg's accurate integer (ISLOW) IDCT and fancy upsampling, which is what Pillow uses.
///
/// Warnings: libjpeg reports damaged data as *warnings* and still produces a full image. Only the
/// "Premature end of JPEG file" warning is an error here (``MediaError/truncated(_:detail:)``), as it is
/// in Pillow ("image file is truncated"). Every other warning (corrupt entropy-coded data, extraneous
/// bytes before a marker, bad restart markers, bogus progression) is tolerated, as Pillow tolerates it:
/// the damaged region decodes to whatever libjpeg reconstructs, and a single flipped byte cannot make
/// an otherwise viewable picture unhashable. Fatal libjpeg errors are ``MediaError/corrupt(_:detail:)``.
struct JPEGDecoder {
    let options: DecodeOptions

    func decode(_ data: UnsafeBufferPointer<UInt8>, storage: inout [UInt8]) throws(MediaError) -> DecodedImage {
        guard let base = data.baseAddress else { throw .empty }
        guard let handle = tjInitDecompress() else {
            throw .outOfMemory(bytes: 0)
        }
        defer { tjDestroy(handle) }
        let size = UInt(data.count)

        var width: Int32 = 0
        var height: Int32 = 0
        var subsampling: Int32 = 0
        var colorspace: Int32 = 0
        if tjDecompressHeader3(handle, base, size, &width, &height, &subsampling, &colorspace) != 0 {
            throw Self.error(handle, during: "header")
        }
        if width == 0 || height == 0 {
            // libjpeg reached the end of the data (real or the fake EOI it inserts) before any frame header.
            let endsWithEOI = data.count >= 2 && data[data.count - 2] == 0xFF && data[data.count - 1] == 0xD9
            throw endsWithEOI
                ? .corrupt(.jpeg, detail: "the datastream holds no image (tables only)")
                : .truncated(.jpeg, detail: "the data ends before the frame header")
        }
        let budget = PixelBudget(maxPixels: options.limits.maxPixels)
        _ = try budget.check(width: Int(width), height: Int(height))

        let factor = Self.scalingFactor(
            width: Int(width), height: Int(height),
            minimumShortSide: options.jpegMinimumShortSide)
        let outWidth = factor.scale(Int(width))
        let outHeight = factor.scale(Int(height))
        let pixelCount = try budget.check(width: outWidth, height: outHeight)

        let isCMYK = colorspace == Int32(TJCS_CMYK.rawValue) || colorspace == Int32(TJCS_YCCK.rawValue)
        let lumaOnly = options.jpegLumaOnly && colorspace == Int32(TJCS_YCbCr.rawValue)
        let layout: PixelLayout = colorspace == Int32(TJCS_GRAY.rawValue) || lumaOnly ? .grey : .rgb
        let pixelFormat: TJPF = isCMYK ? TJPF_CMYK : (layout == .grey ? TJPF_GRAY : TJPF_RGB)
        let decodeChannels = isCMYK ? 4 : layout.channels
        let capacity = try PixelBudget.byteCount(pixels: pixelCount, bytesPerPixel: decodeChannels)
        let flags = Int32(TJFLAG_LIMITSCANS)

        var failure: MediaError?
        let pixels = [UInt8].decoding(capacity: capacity, reusing: &storage) { buffer in
            guard let out = buffer.baseAddress else { return 0 }
            let status = tjDecompress2(
                handle, base, size, out, Int32(outWidth), 0, Int32(outHeight),
                Int32(pixelFormat.rawValue), flags)
            if status != 0 {
                // A warning leaves a complete image in `out`; only truncation is fatal (see type docs).
                if tjGetErrorCode(handle) != Int32(TJERR_WARNING.rawValue) || Self.isTruncation(handle) {
                    failure = Self.error(handle, during: "scan")
                    return 0
                }
            }
            if isCMYK {
                Self.convertInvertedCMYKToRGB(out, pixelCount: pixelCount)
                return pixelCount * 3
            }
            return capacity
        }
        if let failure { throw failure }
        return DecodedImage(
            width: outWidth, height: outHeight, layout: layout, format: .jpeg,
            sourceWidth: Int(width), sourceHeight: Int(height), pixels: pixels)
    }

    /// Converts libjpeg's CMYK output (Adobe's inverted convention: 255 means no ink) to RGB in place,
    /// exactly as Pillow does: it unpacks such JPEGs as `CMYK;I` (c = 255 - stored) and then computes
    /// `r = nk - nk * c / 255` with `nk = 255 - k` and its rounding `MULDIV255(a, b) = (t + (t >> 8)) >> 8`,
    /// `t = a * b + 128`.
    static func convertInvertedCMYKToRGB(_ buffer: UnsafeMutablePointer<UInt8>, pixelCount: Int) {
        for i in 0..<pixelCount {
            let source = buffer + i * 4
            let notK = Int(source[3])  // 255 - (255 - stored k)
            let c = 255 - Int(source[0])
            let m = 255 - Int(source[1])
            let y = 255 - Int(source[2])
            let target = buffer + i * 3  // never ahead of `source`, so in-place is safe
            target[0] = UInt8(clamping: notK - mulDiv255(c, notK))
            target[1] = UInt8(clamping: notK - mulDiv255(m, notK))
            target[2] = UInt8(clamping: notK - mulDiv255(y, notK))
        }
    }

    @inline(__always)
    static func mulDiv255(_ a: Int, _ b: Int) -> Int {
        let t = a * b + 128
        return ((t >> 8) + t) >> 8
    }

    /// A DCT scaling factor `num/denom` (libjpeg-turbo rounds scaled sizes up).
    struct ScalingFactor: Equatable {
        var num: Int
        var denom: Int
        func scale(_ dimension: Int) -> Int { (dimension * num + denom - 1) / denom }
        static let identity = ScalingFactor(num: 1, denom: 1)
    }

    /// The factor from `tjGetScalingFactors()` giving the smallest output whose shorter side is still
    /// at least `minimumShortSide`; `1/1` when no reducing factor qualifies or scaling is off.
    static func scalingFactor(width: Int, height: Int, minimumShortSide: Int?) -> ScalingFactor {
        guard let minimumShortSide else { return .identity }
        var count: Int32 = 0
        guard let factors = tjGetScalingFactors(&count), count > 0 else { return .identity }
        let candidates = (0..<Int(count)).map {
            ScalingFactor(num: Int(factors[$0].num), denom: Int(factors[$0].denom))
        }
        return chooseScalingFactor(
            width: width, height: height, minimumShortSide: minimumShortSide,
            among: candidates)
    }

    static func chooseScalingFactor(
        width: Int, height: Int, minimumShortSide: Int,
        among candidates: [ScalingFactor]
    ) -> ScalingFactor {
        var best = ScalingFactor.identity
        var bestShort = min(width, height)
        for factor in candidates where factor.num < factor.denom && factor.num > 0 {
            let short = min(factor.scale(width), factor.scale(height))
            if short >= minimumShortSide && short < bestShort {
                best = factor
                bestShort = short
            }
        }
        return best
    }

    static func message(_ handle: tjhandle) -> String {
        guard let text = tjGetErrorStr2(handle) else { return "unknown libjpeg-turbo error" }
        return String(cString: text)
    }

    static func isTruncation(_ handle: tjhandle) -> Bool {
        message(handle).contains("Premature end of JPEG file")
    }

    static func error(_ handle: tjhandle, during phase: String) -> MediaError {
        let text = message(handle)
        if text.contains("Premature end of JPEG file") || text.contains("JPEG datastream contains no image") {
            return .truncated(.jpeg, detail: text)
        }
        if text.contains("Unsupported") || text.contains("unsupported") {
            return .unsupported(.jpeg, detail: text)
        }
        return .corrupt(.jpeg, detail: text)
    }
}
