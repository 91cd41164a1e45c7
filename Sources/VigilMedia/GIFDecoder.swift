import CImageCodecs

/// Decodes the first frame of a GIF with giflib's record-level API, reading from memory.
///
/// Output equals Pillow's `Image.open(gif).convert('RGB')` for frame 0:
/// - the canvas is the logical screen, grown to contain the first frame if that frame extends past
///   it (Pillow does the same); its size is ``DecodedImage/sourceWidth`` x ``DecodedImage/sourceHeight``;
/// - pixels outside the frame take the colour of the frame's transparent index when its Graphic
///   Control Extension has one, else of index 0 (not the screen's background index, which Pillow
///   ignores for frame 0);
/// - indices map through the local colour table, else the global one (entries past the table are
///   black); with no colour table at all, index `i` is grey `(i, i, i)`; transparency is not applied;
/// - interlaced frames are de-interlaced.
/// Only the records up to the first image are read, so later frames cost nothing, and the canvas
/// and frame sizes are checked against the limits before anything is allocated.
struct GIFDecoder {
    let options: DecodeOptions

    /// The memory reader's state, reached from giflib through `GifFileType.UserData`.
    private struct Reader {
        var base: UnsafePointer<UInt8>
        var count: Int
        var offset: Int
    }

    /// GIF frames are small and rare enough that `storage` is not reused.
    func decode(_ data: UnsafeBufferPointer<UInt8>, storage: inout [UInt8]) throws(MediaError) -> DecodedImage {
        guard let base = data.baseAddress else { throw .empty }
        let reader = UnsafeMutablePointer<Reader>.allocate(capacity: 1)
        reader.initialize(to: Reader(base: base, count: data.count, offset: 0))
        defer { reader.deallocate() }

        var openError: Int32 = 0
        let readFunction: InputFunc = { gif, destination, length in
            guard let gif, let destination, length > 0,
                let state = gif.pointee.UserData?.assumingMemoryBound(to: Reader.self)
            else { return 0 }
            let available = max(0, state.pointee.count - state.pointee.offset)
            let n = min(Int(length), available)
            if n > 0 {
                destination.update(from: state.pointee.base + state.pointee.offset, count: n)
                state.pointee.offset += n
            }
            return Int32(n)
        }
        guard let gif = DGifOpen(UnsafeMutableRawPointer(reader), readFunction, &openError) else {
            throw Self.error(openError)
        }
        defer { DGifCloseFile(gif, nil) }
        return try readFirstFrame(gif)
    }

    private func readFirstFrame(_ gif: UnsafeMutablePointer<GifFileType>) throws(MediaError) -> DecodedImage {
        var transparentIndex: Int?
        while true {
            var record = UNDEFINED_RECORD_TYPE
            guard DGifGetRecordType(gif, &record) == GIF_OK else { throw Self.error(gif.pointee.Error) }
            switch record {
            case EXTENSION_RECORD_TYPE:
                var code: Int32 = 0
                var block: UnsafeMutablePointer<GifByteType>?
                guard DGifGetExtension(gif, &code, &block) == GIF_OK else { throw Self.error(gif.pointee.Error) }
                if code == GRAPHICS_EXT_FUNC_CODE, let block {
                    var control = GraphicsControlBlock()
                    if DGifExtensionToGCB(Int(block[0]), block + 1, &control) == GIF_OK {
                        transparentIndex = control.TransparentColor >= 0 ? Int(control.TransparentColor) : nil
                    }
                }
                while block != nil {
                    guard DGifGetExtensionNext(gif, &block) == GIF_OK else { throw Self.error(gif.pointee.Error) }
                }
            case IMAGE_DESC_RECORD_TYPE:
                guard DGifGetImageDesc(gif) == GIF_OK else { throw Self.error(gif.pointee.Error) }
                return try readImage(gif, transparentIndex: transparentIndex)
            case TERMINATE_RECORD_TYPE:
                throw .corrupt(.gif, detail: "the file ends before its first image")
            default:
                throw .corrupt(.gif, detail: "unexpected record type \(record.rawValue)")
            }
        }
    }

    private func readImage(_ gif: UnsafeMutablePointer<GifFileType>, transparentIndex: Int?) throws(MediaError) -> DecodedImage {
        let frame = gif.pointee.Image
        let left = Int(frame.Left)
        let top = Int(frame.Top)
        let frameWidth = Int(frame.Width)
        let frameHeight = Int(frame.Height)
        let budget = PixelBudget(maxPixels: options.limits.maxPixels)
        _ = try budget.check(width: frameWidth, height: frameHeight)
        let canvasWidth = max(Int(gif.pointee.SWidth), left + frameWidth)
        let canvasHeight = max(Int(gif.pointee.SHeight), top + frameHeight)
        let pixelCount = try budget.check(width: canvasWidth, height: canvasHeight)
        let capacity = try PixelBudget.byteCount(pixels: pixelCount, bytesPerPixel: 3)

        let palette = Self.palette(frame.ColorMap ?? gif.pointee.SColorMap)
        let fill = transparentIndex ?? 0
        let fillColour = (palette[fill * 3], palette[fill * 3 + 1], palette[fill * 3 + 2])
        let rows = Self.rowOrder(height: frameHeight, interlaced: frame.Interlace)

        var failure: MediaError?
        let pixels = [UInt8].decoding(capacity: capacity) { buffer in
            guard let out = buffer.baseAddress else { return 0 }
            for i in 0..<pixelCount {
                out[i * 3] = fillColour.0
                out[i * 3 + 1] = fillColour.1
                out[i * 3 + 2] = fillColour.2
            }
            var line = [GifPixelType](repeating: 0, count: frameWidth)
            for row in rows {
                let ok = line.withUnsafeMutableBufferPointer { lineBuffer in
                    DGifGetLine(gif, lineBuffer.baseAddress, Int32(frameWidth)) == GIF_OK
                }
                guard ok else {
                    failure = Self.error(gif.pointee.Error)
                    return 0
                }
                let target = out + ((top + row) * canvasWidth + left) * 3
                for x in 0..<frameWidth {
                    let index = Int(line[x]) * 3
                    target[x * 3] = palette[index]
                    target[x * 3 + 1] = palette[index + 1]
                    target[x * 3 + 2] = palette[index + 2]
                }
            }
            return capacity
        }
        if let failure { throw failure }
        return DecodedImage(width: canvasWidth, height: canvasHeight, layout: .rgb, format: .gif, pixels: pixels)
    }

    /// 256 RGB entries: the colour table padded with black, or a grey ramp when there is none.
    static func palette(_ map: UnsafeMutablePointer<ColorMapObject>?) -> [UInt8] {
        guard let map, let colors = map.pointee.Colors else {
            return (0..<768).map { UInt8($0 / 3) }
        }
        var table = [UInt8](repeating: 0, count: 768)
        for i in 0..<min(256, max(0, Int(map.pointee.ColorCount))) {
            table[i * 3] = colors[i].Red
            table[i * 3 + 1] = colors[i].Green
            table[i * 3 + 2] = colors[i].Blue
        }
        return table
    }

    /// The frame rows in the order the file stores them.
    static func rowOrder(height: Int, interlaced: Bool) -> [Int] {
        guard interlaced else { return Array(0..<height) }
        var order: [Int] = []
        order.reserveCapacity(height)
        for (start, step) in [(0, 8), (4, 8), (2, 4), (1, 2)] {
            order.append(contentsOf: stride(from: start, to: height, by: step))
        }
        return order
    }

    static func error(_ code: Int32) -> MediaError {
        let text = GifErrorString(code).map { String(cString: $0) } ?? "giflib error \(code)"
        switch code {
        case D_GIF_ERR_READ_FAILED, D_GIF_ERR_EOF_TOO_SOON:
            return .truncated(.gif, detail: text)
        case D_GIF_ERR_NOT_ENOUGH_MEM:
            return .outOfMemory(bytes: 0)
        default:
            return .corrupt(.gif, detail: text)
        }
    }
}
