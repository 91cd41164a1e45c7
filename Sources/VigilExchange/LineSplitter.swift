/// Splits a byte stream into lines (LF or CRLF) while holding at most one partial line.
///
/// A line longer than `limit` bytes is not kept: the splitter drops its bytes as they arrive and
/// reports it as too long when its end is reached, so memory stays bounded whatever the input.
struct LineSplitter: Sendable {
    /// One line as delivered to the caller.
    enum Line {
        /// The line's bytes, without the line ending (and without a UTF-8 byte-order mark on line 1).
        case text(UnsafeBufferPointer<UInt8>)
        /// The line was longer than the limit and was skipped.
        case tooLong
    }

    /// The longest line kept, in bytes (counting a CR before the LF).
    let limit: Int
    /// The bytes of the line in progress.
    private(set) var pending: [UInt8] = []
    /// How many lines have been delivered.
    private(set) var lineCount = 0
    /// Whether the line in progress went over the limit (its bytes are being dropped).
    private var overflowing = false

    init(limit: Int) {
        self.limit = limit
    }

    /// Feeds a chunk and calls `body` with the number (1-based) and bytes of each line it completes.
    mutating func feed(_ chunk: some Collection<UInt8>, _ body: (Int, Line) -> Void) {
        let done: Void? = chunk.withContiguousStorageIfAvailable { buffer in feed(buffer: buffer, body) }
        if done == nil {
            Array(chunk).withUnsafeBufferPointer { buffer in feed(buffer: buffer, body) }
        }
    }

    /// Ends the input: delivers a last line that has no line ending.
    mutating func finish(_ body: (Int, Line) -> Void) {
        if overflowing {
            deliverTooLong(body)
        } else if !pending.isEmpty {
            let line = pending
            pending = []
            line.withUnsafeBufferPointer { deliver($0, body) }
        }
    }

    private mutating func feed(buffer: UnsafeBufferPointer<UInt8>, _ body: (Int, Line) -> Void) {
        var start = 0
        var index = 0
        let count = buffer.count
        while index < count {
            if buffer[index] == UInt8(ascii: "\n") {
                let segment = UnsafeBufferPointer(rebasing: buffer[start..<index])
                if overflowing {
                    deliverTooLong(body)
                } else if pending.isEmpty {
                    deliver(segment, body)
                } else if pending.count + segment.count > limit {
                    pending.removeAll(keepingCapacity: false)
                    deliverTooLong(body)
                } else {
                    pending.append(contentsOf: segment)
                    let line = pending
                    pending.removeAll(keepingCapacity: true)
                    line.withUnsafeBufferPointer { deliver($0, body) }
                }
                start = index + 1
            }
            index += 1
        }
        guard start < count, !overflowing else { return }
        let tail = UnsafeBufferPointer(rebasing: buffer[start..<count])
        if pending.count + tail.count > limit {
            pending.removeAll(keepingCapacity: false)
            overflowing = true
        } else {
            pending.append(contentsOf: tail)
        }
    }

    private mutating func deliver(_ raw: UnsafeBufferPointer<UInt8>, _ body: (Int, Line) -> Void) {
        lineCount += 1
        if raw.count > limit {
            body(lineCount, .tooLong)
            return
        }
        var line = raw
        if let last = line.last, last == UInt8(ascii: "\r") {
            line = UnsafeBufferPointer(rebasing: line.dropLast())
        }
        if lineCount == 1, line.count >= 3, line[0] == 0xEF, line[1] == 0xBB, line[2] == 0xBF {
            line = UnsafeBufferPointer(rebasing: line.dropFirst(3))
        }
        body(lineCount, .text(line))
    }

    private mutating func deliverTooLong(_ body: (Int, Line) -> Void) {
        overflowing = false
        lineCount += 1
        body(lineCount, .tooLong)
    }
}
