/// Reads a PNG's IHDR and removes the chunks that would make libpng's simplified API alter samples.
///
/// The simplified API colour-manages: it applies the file's gAMA (or the sRGB/iCCP/cHRM-derived
/// gamma) when converting to its output encoding, and treats tRNS as an alpha channel that it then
/// premultiplies (linear formats) or composites. Pillow ignores all of these for pixel values, and
/// Vigil drops alpha, so removing them before decoding yields Pillow's samples. Only chunks before
/// the first IDAT are examined (these chunks must precede it); the input is copied only when one
/// of them is present.
struct PNGChunkFilter {
    /// IHDR fields the decoder needs.
    struct Header {
        var width: Int
        var height: Int
        var bitDepth: Int
        var colorType: Int
    }

    /// Chunk types removed before decoding.
    static let ignored: Set<String> = ["gAMA", "sRGB", "iCCP", "cHRM", "tRNS"]

    /// The IHDR (nil when the stream is too short or malformed for libpng to report it itself) and,
    /// when some chunk had to be removed, the filtered stream.
    static func scan(_ data: UnsafeBufferPointer<UInt8>) -> (header: Header?, filtered: [UInt8]?) {
        var header: Header?
        var drop: [Range<Int>] = []
        var offset = 8
        while offset + 8 <= data.count {
            let length = Int(readUInt32(data, offset))
            let type = String(decoding: data[(offset + 4)..<(offset + 8)], as: UTF8.self)
            let end = offset + 12 + length
            if type == "IHDR", length >= 13, offset + 8 + 13 <= data.count {
                header = Header(
                    width: Int(readUInt32(data, offset + 8)),
                    height: Int(readUInt32(data, offset + 12)),
                    bitDepth: Int(data[offset + 16]),
                    colorType: Int(data[offset + 17]))
            }
            if type == "IDAT" || type == "IEND" || length > Int(Int32.max) || end > data.count {
                break
            }
            if ignored.contains(type) {
                drop.append(offset..<end)
            }
            offset = end
        }
        guard !drop.isEmpty else { return (header, nil) }
        var filtered: [UInt8] = []
        filtered.reserveCapacity(data.count)
        var start = 0
        for range in drop {
            filtered.append(contentsOf: data[start..<range.lowerBound])
            start = range.upperBound
        }
        filtered.append(contentsOf: data[start...])
        return (header, filtered)
    }

    private static func readUInt32(_ data: UnsafeBufferPointer<UInt8>, _ offset: Int) -> UInt32 {
        UInt32(data[offset]) << 24 | UInt32(data[offset + 1]) << 16 | UInt32(data[offset + 2]) << 8
            | UInt32(data[offset + 3])
    }
}
