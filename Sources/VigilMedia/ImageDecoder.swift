/// Decodes JPEG, PNG, WebP and GIF into 8-bit grey or RGB pixels with Pillow-identical samples,
/// enforcing byte and pixel limits before reading or allocating.
///
/// The decoder holds only its options; every call creates and frees its own codec state, so one
/// value can be shared freely across tasks and threads.
public struct ImageDecoder: Sendable {
    /// The options every decode uses.
    public let options: DecodeOptions

    /// Creates a decoder with the given options.
    public init(options: DecodeOptions = .init()) {
        self.options = options
    }

    /// The format of `bytes` judged by magic bytes only (never by file name), or nil if unsupported.
    public static func sniff(_ bytes: some Collection<UInt8>) -> ImageFormat? {
        ImageFormat.sniff(bytes)
    }

    /// Decodes an encoded image held in memory.
    ///
    /// - Throws: ``MediaError`` — `.empty`, `.fileTooLarge` (more than ``DecodeLimits/maxBytes``),
    ///   `.unrecognisedFormat`, `.tooManyPixels` / `.invalidDimensions` (checked from the header,
    ///   before allocation), or the codec's `.truncated`, `.corrupt` or `.unsupported`.
    public func decode(_ bytes: [UInt8]) throws(MediaError) -> DecodedImage {
        var storage: [UInt8] = []
        return try decode(bytes, reusing: &storage)
    }

    /// Decodes an encoded image held in memory into `storage`'s memory when it is large enough.
    ///
    /// For callers that decode many images in a row: give the returned image's ``DecodedImage/pixels``
    /// back to `storage` when done with them (`storage = image.pixels`), and the next decode of a
    /// similar size touches no fresh memory. `storage` is left empty by this call.
    public func decode(_ bytes: [UInt8], reusing storage: inout [UInt8]) throws(MediaError) -> DecodedImage {
        guard !bytes.isEmpty else { throw .empty }
        guard bytes.count <= options.limits.maxBytes else {
            throw .fileTooLarge(bytes: bytes.count, limit: options.limits.maxBytes)
        }
        guard let format = ImageFormat.sniff(bytes) else {
            throw .unrecognisedFormat(magic: ImageFormat.magicDescription(bytes))
        }
        let options = self.options
        return try bytes.withUnsafeBufferPointer { buffer throws(MediaError) in
            switch format {
            case .jpeg: try JPEGDecoder(options: options).decode(buffer, storage: &storage)
            case .png: try PNGDecoder(options: options).decode(buffer, storage: &storage)
            case .webp: try WebPDecoder(options: options).decode(buffer, storage: &storage)
            case .gif: try GIFDecoder(options: options).decode(buffer, storage: &storage)
            }
        }
    }

    /// Reads and decodes the file at `path`.
    ///
    /// The file's size is checked against ``DecodeLimits/maxBytes`` before any of it is read.
    /// - Throws: ``MediaError/unreadable(path:detail:)`` for I/O failures (missing file, directory,
    ///   permission), ``MediaError/fileTooLarge(bytes:limit:)``, or any error of ``decode(_:)``.
    public func decode(contentsOf path: String) throws(MediaError) -> DecodedImage {
        let bytes = try FileReader.read(path: path, maxBytes: options.limits.maxBytes)
        return try decode(bytes)
    }
}
