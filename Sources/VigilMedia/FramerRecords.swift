// vigil-framer's output: the records it writes, and the parser that cuts them out of the pipe's chunks.

/// What `vigil-framer` writes: one record per answer (see `Sources/vigil-framer/main.c`).
enum FramerRecord: Sendable {
    /// The streams of an opened file, one ffprobe-style `key=value|…` line each.
    case info(String)
    /// A decoded frame.
    case frame(VideoFrame)
    /// The end of a decode: a `key=value|…` summary line, then the library's error messages.
    case end(String)
    /// A refused request: a reason line (`open_failed`, `bad_request`), then the messages.
    case refused(String)
    /// The framer's memory file for frames: its descriptor number in the framer, and its slots.
    /// ``FramerProcess`` takes it; it never reaches a read.
    case memoryFile(descriptor: Int, slots: Int, slotBytes: Int)
    /// A frame lying in a slot of the memory file. ``FramerProcess`` hands it on as a
    /// ``frame(_:)`` that holds the slot until dropped, or, for a read that does not lend frames,
    /// as a copy (the slot then goes back at once).
    case sharedFrame(number: Int, width: Int, height: Int, slot: Int)
}

/// Cuts `vigil-framer`'s output into records: a tag byte, an 8-byte little-endian length, the payload.
struct FramerRecordParser {
    /// The longest payload accepted (a frame of the largest allowed size, plus its header).
    let maxPayload: Int
    private var header: [UInt8] = []
    private var tag: UInt8 = 0
    private var payload: [UInt8] = []
    private var expected = -1
    private var frame = (number: 0, width: 0, height: 0)

    init(maxPayload: Int) {
        self.maxPayload = maxPayload
        header.reserveCapacity(25)
    }

    /// Whether the output stopped inside a record.
    var hasPartialRecord: Bool { !header.isEmpty || expected >= 0 }

    /// Appends `bytes` and returns the records they completed.
    mutating func append(_ bytes: UnsafeRawBufferPointer) throws(MediaError) -> [FramerRecord] {
        var records: [FramerRecord] = []
        var offset = 0
        while offset < bytes.count {
            if expected < 0 {
                // The record's header: 9 bytes, and a frame's own 16 (number, width, height), so
                // that its pixels land in an array of their own with no further copy.
                let headerLength = header.first == UInt8(ascii: "F") && header.count >= 9 ? 25 : 9
                let take = min(headerLength - header.count, bytes.count - offset)
                header.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + take]))
                offset += take
                guard header.count == headerLength else { continue }
                let length = integer(header, 1..<9)
                guard length <= maxPayload, length >= 0 else {
                    throw .decoderFailed(tool: "vigil-framer", detail: "a record of \(length) bytes, over the limit of \(maxPayload)")
                }
                if header[0] == UInt8(ascii: "F") {
                    guard length >= 16 else { throw .decoderFailed(tool: "vigil-framer", detail: "a frame record without its header") }
                    if headerLength == 9 { continue }  // read the frame's own header first
                    frame = (integer(header, 9..<17), integer(header, 17..<21), integer(header, 21..<25))
                    expected = length - 16
                } else {
                    expected = length
                }
                tag = header[0]
                header.removeAll(keepingCapacity: true)
                payload = []
                payload.reserveCapacity(expected)
            }
            let take = min(expected - payload.count, bytes.count - offset)
            payload.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + take]))
            offset += take
            if payload.count == expected {
                records.append(try record())
                expected = -1
                payload = []
            }
        }
        return records
    }

    /// The little-endian unsigned integer in `bytes[range]` (at most 8 bytes; the top bit of an
    /// 8-byte one makes it negative, which the callers refuse).
    private func integer(_ bytes: [UInt8], _ range: Range<Int>) -> Int {
        Int(truncatingIfNeeded: range.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64(bytes[$1]) })
    }

    /// Whether a frame header (from an `F` or a `G` record) is one a frame can have: a frame number
    /// from 0, and each side from 1 to 65,536 pixels.
    private static func plausibleFrame(number: Int, width: Int, height: Int) -> Bool {
        number >= 0 && (1...1 << 16).contains(width) && (1...1 << 16).contains(height)
    }

    private func record() throws(MediaError) -> FramerRecord {
        switch tag {
        case UInt8(ascii: "I"): return .info(String(decoding: payload, as: UTF8.self))
        case UInt8(ascii: "E"): return .end(String(decoding: payload, as: UTF8.self))
        case UInt8(ascii: "X"): return .refused(String(decoding: payload, as: UTF8.self))
        case UInt8(ascii: "M"):
            guard payload.count == 24 else { throw .decoderFailed(tool: "vigil-framer", detail: "a memory-file record of \(payload.count) bytes") }
            let (descriptor, slots, slotBytes) = (integer(payload, 0..<8), integer(payload, 8..<16), integer(payload, 16..<24))
            guard (0...Int(Int32.max)).contains(descriptor), (1...64).contains(slots), slotBytes > 0,
                !slots.multipliedReportingOverflow(by: slotBytes).overflow
            else {
                throw .decoderFailed(tool: "vigil-framer", detail: "a memory file of \(slots) slots of \(slotBytes) bytes (descriptor \(descriptor))")
            }
            return .memoryFile(descriptor: descriptor, slots: slots, slotBytes: slotBytes)
        case UInt8(ascii: "G"):
            guard payload.count == 20 else { throw .decoderFailed(tool: "vigil-framer", detail: "a shared-frame record of \(payload.count) bytes") }
            let (number, width, height, slot) = (
                integer(payload, 0..<8), integer(payload, 8..<12), integer(payload, 12..<16), integer(payload, 16..<20)
            )
            guard Self.plausibleFrame(number: number, width: width, height: height) else {
                throw .decoderFailed(tool: "vigil-framer", detail: "a shared frame of \(width)x\(height)")
            }
            return .sharedFrame(number: number, width: width, height: height, slot: slot)
        case UInt8(ascii: "F"):
            let (number, width, height) = frame
            guard Self.plausibleFrame(number: number, width: width, height: height), payload.count == width * height * 3 else {
                throw .decoderFailed(tool: "vigil-framer", detail: "a frame record whose size does not match its \(width)x\(height) header")
            }
            return .frame(VideoFrame(number: number, width: width, height: height, pixels: payload))
        default:
            throw .decoderFailed(tool: "vigil-framer", detail: "an unknown record tag \(tag)")
        }
    }
}
