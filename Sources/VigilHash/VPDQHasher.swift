/// The PDQ hash of one video frame, as Meta's vPDQ records it.
public struct VPDQFeature: Sendable, Hashable, Codable {
    /// The frame's position in decoding order, from 0.
    public var frameNumber: Int
    /// The frame's PDQ hash.
    public var hash: PDQHash
    /// PDQ's quality, 0...100; matching ignores frames below ``VPDQMatchOptions/qualityThreshold``.
    public var quality: Int
    /// Seconds from the start: `frameNumber / frameRate`, computed in 32-bit float as vPDQ does.
    public var timestamp: Double

    /// Creates a feature.
    public init(frameNumber: Int, hash: PDQHash, quality: Int, timestamp: Double) {
        self.frameNumber = frameNumber
        self.hash = hash
        self.quality = quality
        self.timestamp = timestamp
    }
}

/// Hashes video frames into vPDQ features, bit for bit as Meta's vPDQ (C++) does for the same RGB
/// pixels: 32-bit float luma (`fillFloatLumaFromRGB`), then PDQ on the full frame (no 512 squash).
///
/// The hasher only decides which frames to hash and hashes them; decoding belongs to the caller
/// (VigilMedia's `VideoFrameSource` runs ffmpeg). vPDQ hashes frame `n` when
/// `n % frameStep == 0`, where `frameStep = Int(secondsPerHash * framesPerSecond)`, at least 1.
///
/// ```swift
/// let hasher = VPDQHasher(secondsPerHash: 1)
/// let step = hasher.frameStep(framesPerSecond: 29.97)  // 29
/// let feature = try hasher.hash(rgb: pixels, width: 640, height: 360, frameNumber: 0, framesPerSecond: 29.97)
/// ```
public struct VPDQHasher: Sendable {
    /// Seconds between hashed frames; 0 hashes every frame (the C++ `vpdq-hash-video` default).
    /// python-threatexchange and HMA hash one frame per second (1, the default here).
    public var secondsPerHash: Double

    /// Whether to cut black borders (letterbox and pillarbox bars) off each frame before hashing.
    ///
    /// This is Vigil's extension, not part of Meta's vPDQ, whose hashes do not survive borders: on
    /// the generated clip of VideoMatchTests (480x270), 30-pixel bars above and below moved every
    /// frame 80-116 bits, and bars on all four sides 90-126 bits, so neither copy matched any frame.
    /// With the bars cut, both matched 100 % (0-22 bits per frame). A frame without black borders
    /// hashes exactly as in vPDQ, so reference hashes of border-free videos stay valid, but hash
    /// both sides of a comparison the same way. Off by default (reference behaviour).
    public var trimsBlackBorders: Bool

    /// The brightest a border pixel may be, in every channel: compression leaves bars a little
    /// above 0, and up to about 37 in the rows next to the picture (H.264 at a 30-pixel bar).
    public static let blackBorderLevel: UInt8 = 40

    /// Creates a hasher. A negative, infinite or NaN `secondsPerHash` counts as 0 (every frame).
    public init(secondsPerHash: Double = 1, trimsBlackBorders: Bool = false) {
        self.secondsPerHash = secondsPerHash.isFinite && secondsPerHash > 0 ? secondsPerHash : 0
        self.trimsBlackBorders = trimsBlackBorders
    }

    /// A hasher that hashes every frame.
    public static let everyFrame = VPDQHasher(secondsPerHash: 0)

    /// Every how many frames one is hashed: `Int(secondsPerHash * framesPerSecond)`, truncated as
    /// vPDQ does, at least 1.
    public func frameStep(framesPerSecond: Double) -> Int {
        let product = secondsPerHash * framesPerSecond
        guard product.isFinite, product >= 1 else { return 1 }
        return product >= Double(Int.max) ? Int.max : Int(product)
    }

    /// Whether frame `frameNumber` is one vPDQ hashes.
    public func hashes(frameNumber: Int, framesPerSecond: Double) -> Bool {
        frameNumber % frameStep(framesPerSecond: framesPerSecond) == 0
    }

    /// vPDQ's timestamp of frame `frameNumber`: `Float(frameNumber) / Float(framesPerSecond)`.
    public static func timestamp(frameNumber: Int, framesPerSecond: Double) -> Double {
        Double(Float(frameNumber) / Float(framesPerSecond))
    }

    /// Hashes one frame of RGB pixels (row-major, `width * 3` bytes per row, no padding).
    ///
    /// A frame under 5 pixels on a side gets the zero hash and quality 0, as PDQ does (vPDQ
    /// refuses such videos; matching drops the frame for its quality).
    /// - Throws: ``PDQInputError`` when the buffer is smaller than `width * height * 3` bytes.
    public func hash(
        rgb: UnsafeBufferPointer<UInt8>, width: Int, height: Int, frameNumber: Int, framesPerSecond: Double,
        workspace: PDQWorkspace? = nil
    ) throws(PDQInputError) -> VPDQFeature {
        guard width >= 0, height >= 0 else { throw .invalidDimensions(width: width, height: height) }
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        let (bytes, overflow2) = pixels.multipliedReportingOverflow(by: 3)
        guard !overflow, !overflow2, rgb.count >= bytes else {
            throw .bufferTooSmall(expected: overflow || overflow2 ? Int.max : bytes, actual: rgb.count)
        }
        let result: PDQResult
        if trimsBlackBorders, let box = BlackBorders.content(of: rgb, width: width, height: height, level: Self.blackBorderLevel),
            box.width < width || box.height < height
        {
            let cropped = BlackBorders.copy(rgb, width: width, box: box)
            result = cropped.withUnsafeBufferPointer { Self.pdq($0, width: box.width, height: box.height, workspace: workspace) }
        } else {
            result = Self.pdq(rgb, width: width, height: height, workspace: workspace)
        }
        return VPDQFeature(
            frameNumber: frameNumber, hash: result.hash, quality: result.quality,
            timestamp: Self.timestamp(frameNumber: frameNumber, framesPerSecond: framesPerSecond))
    }

    /// PDQ of RGB pixels with vPDQ's float32 luma.
    private static func pdq(_ rgb: UnsafeBufferPointer<UInt8>, width: Int, height: Int, workspace: PDQWorkspace?) -> PDQResult {
        guard width >= PDQHasher.minimumDimension, height >= PDQHasher.minimumDimension else {
            return PDQResult(hash: .zero, quality: 0)
        }
        let image = PixelImage(pixels: rgb, width: width, height: height, channels: 3)
        // pdqHash256FromFloatLuma copies a 64x64 frame through without the blur, as for images.
        let blur = !(width == 64 && height == 64)
        return PDQHasher.finish(PDQPipeline.downsample(image, luma: .float32, blur: blur, workspace: workspace ?? PDQWorkspace()))
    }

    /// Hashes one frame held in an array; see ``hash(rgb:width:height:frameNumber:framesPerSecond:workspace:)``.
    public func hash(
        rgb: [UInt8], width: Int, height: Int, frameNumber: Int, framesPerSecond: Double, workspace: PDQWorkspace? = nil
    ) throws(PDQInputError) -> VPDQFeature {
        let result: Result<VPDQFeature, PDQInputError> = rgb.withUnsafeBufferPointer { buffer in
            Result { () throws(PDQInputError) -> VPDQFeature in
                try hash(
                    rgb: buffer, width: width, height: height, frameNumber: frameNumber, framesPerSecond: framesPerSecond,
                    workspace: workspace)
            }
        }
        return try result.get()
    }
}

/// Finding and cutting black bars at a frame's edges.
enum BlackBorders {
    /// The region inside the black bars.
    struct Box: Equatable {
        var x: Int
        var y: Int
        var width: Int
        var height: Int
    }

    /// The content box: whole rows at the top and bottom, then whole columns (of the rows left) at
    /// the left and right, whose every channel is at most `level`, are cut. At most a third of the
    /// frame is cut from each side, so a dark or black frame keeps its middle (and its low quality).
    /// `nil` for a frame too small to trim.
    static func content(of rgb: UnsafeBufferPointer<UInt8>, width: Int, height: Int, level: UInt8) -> Box? {
        guard width >= 3, height >= 3, rgb.count >= width * height * 3 else { return nil }
        func dark(_ x: Int, _ y: Int) -> Bool {
            let p = (y * width + x) * 3
            return rgb[p] <= level && rgb[p + 1] <= level && rgb[p + 2] <= level
        }
        func darkRow(_ y: Int) -> Bool { (0..<width).allSatisfy { dark($0, y) } }
        var top = 0
        while top < height / 3 && darkRow(top) { top += 1 }
        var bottom = height
        while bottom > height - height / 3 && darkRow(bottom - 1) { bottom -= 1 }
        func darkColumn(_ x: Int) -> Bool { (top..<bottom).allSatisfy { dark(x, $0) } }
        var left = 0
        while left < width / 3 && darkColumn(left) { left += 1 }
        var right = width
        while right > width - width / 3 && darkColumn(right - 1) { right -= 1 }
        return Box(x: left, y: top, width: right - left, height: bottom - top)
    }

    /// The pixels inside `box`, tightly packed.
    static func copy(_ rgb: UnsafeBufferPointer<UInt8>, width: Int, box: Box) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(box.width * box.height * 3)
        for y in box.y..<box.y + box.height {
            let start = (y * width + box.x) * 3
            out.append(contentsOf: UnsafeBufferPointer(rebasing: rgb[start..<start + box.width * 3]))
        }
        return out
    }
}
