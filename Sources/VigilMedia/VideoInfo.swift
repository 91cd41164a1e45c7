/// A frame rate as the container states it, a ratio of two integers (`30000/1001` for NTSC).
public struct FrameRate: Sendable, Hashable, CustomStringConvertible {
    /// Frames per `denominator` seconds.
    public var numerator: Int
    /// The seconds that `numerator` frames take.
    public var denominator: Int

    /// Creates a frame rate; both parts must be positive for it to be usable (``isValid``).
    public init(numerator: Int, denominator: Int) {
        self.numerator = numerator
        self.denominator = denominator
    }

    /// Frames per second, computed in `Double` as vPDQ does (`num / den`).
    public var framesPerSecond: Double { Double(numerator) / Double(denominator) }

    /// Whether both parts are positive.
    public var isValid: Bool { numerator > 0 && denominator > 0 }

    /// `num/den`, as ffprobe writes it.
    public var description: String { "\(numerator)/\(denominator)" }

    /// Parses ffprobe's `num/den` (or a bare integer); `nil` for anything else.
    init?(ffprobe text: some StringProtocol) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        switch parts.count {
        case 1:
            guard let value = Int(parts[0]) else { return nil }
            self.init(numerator: value, denominator: 1)
        case 2:
            guard let numerator = Int(parts[0]), let denominator = Int(parts[1]) else { return nil }
            self.init(numerator: numerator, denominator: denominator)
        default:
            return nil
        }
    }
}

/// What ffprobe says about a video's first video stream.
public struct VideoInfo: Sendable, Hashable {
    /// The container, sniffed from the file's leading bytes.
    public var container: VideoContainer
    /// ffmpeg's name of the stream's codec (`h264`, `vp9`, `av1`, …).
    public var codec: String
    /// The frame width the stream declares (what every delivered frame has).
    public var width: Int
    /// The frame height the stream declares.
    public var height: Int
    /// The stream's average frame rate, or its base rate when the container gives no average; vPDQ
    /// uses it for the frame step and the timestamps.
    public var frameRate: FrameRate
    /// The number of frames the container declares, when it declares one (it may be wrong).
    public var declaredFrameCount: Int?
    /// The stream's duration in seconds, when the container gives one.
    public var durationSeconds: Double?

    /// Creates a description of a video stream.
    public init(
        container: VideoContainer, codec: String, width: Int, height: Int, frameRate: FrameRate,
        declaredFrameCount: Int? = nil, durationSeconds: Double? = nil
    ) {
        self.container = container
        self.codec = codec
        self.width = width
        self.height = height
        self.frameRate = frameRate
        self.declaredFrameCount = declaredFrameCount
        self.durationSeconds = durationSeconds
    }
}

/// One decoded video frame: 8-bit RGB, row-major, tightly packed, at the stream's declared size.
public struct VideoFrame: Sendable {
    /// The frame's position in decoding order, from 0 (vPDQ's frame number), counting every frame
    /// the decoder produced, including those not delivered when a frame step skips them.
    public var number: Int
    /// The width in pixels.
    public var width: Int
    /// The height in pixels.
    public var height: Int
    /// The pixels: an array of this frame's own, or a slot of vigil-framer's memory file lent
    /// until the last copy of the frame is dropped (only frames read with `lendingFrames`).
    private var storage: Storage

    private enum Storage: Sendable {
        case owned([UInt8])
        case lent(LentPixels)
    }

    /// `width * height * 3` bytes: red, green, blue. Reading it copies a lent frame's pixels;
    /// ``withUnsafePixels(_:)`` does not.
    public var pixels: [UInt8] {
        get {
            switch storage {
            case .owned(let pixels): pixels
            case .lent(let lent): Array(lent.buffer)
            }
        }
        set { storage = .owned(newValue) }
    }

    /// Creates a frame.
    ///
    /// - Precondition: `pixels.count == width * height * 3`.
    public init(number: Int, width: Int, height: Int, pixels: [UInt8]) {
        precondition(width >= 0 && height >= 0 && pixels.count == width * height * 3, "an RGB frame needs width * height * 3 bytes")
        self.number = number
        self.width = width
        self.height = height
        self.storage = .owned(pixels)
    }

    /// A frame whose pixels are `lent`'s (`width * height * 3` bytes, checked by the lender).
    init(number: Int, width: Int, height: Int, lent: LentPixels) {
        self.number = number
        self.width = width
        self.height = height
        self.storage = .lent(lent)
    }

    /// Whether the pixels are lent from vigil-framer's memory file (the slot is taken while this
    /// frame, or a copy of it, lives).
    public var isLent: Bool {
        if case .lent = storage { return true }
        return false
    }

    /// The same frame with pixels of its own: a lent frame's pixels are copied (and its slot is
    /// given back once the original is dropped); an owned frame is returned as it is.
    public func owned() -> VideoFrame {
        guard case .lent(let lent) = storage else { return self }
        return VideoFrame(number: number, width: width, height: height, pixels: Array(lent.buffer))
    }

    /// Calls `body` with the pixels in place, without a copy.
    public func withUnsafePixels<R, E: Error>(_ body: (UnsafeBufferPointer<UInt8>) throws(E) -> R) throws(E) -> R {
        switch storage {
        case .owned(let pixels):
            let result: Result<R, E> = pixels.withUnsafeBufferPointer { buffer in Result { () throws(E) -> R in try body(buffer) } }
            return try result.get()
        case .lent(let lent):
            return try withExtendedLifetime(lent) { () throws(E) -> R in try body(lent.buffer) }
        }
    }
}
