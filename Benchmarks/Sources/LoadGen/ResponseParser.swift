import NIOCore

/// Why a response could not be parsed; the connection is then closed and counted as a socket error.
enum ResponseParseError: Error, CustomStringConvertible {
    case badStatusLine
    case badContentLength
    case badChunkSize
    /// Neither Content-Length nor chunked: a body delimited by the close, which LoadGen does not take.
    case unsupportedFraming
    case headTooLarge

    var description: String {
        switch self {
        case .badStatusLine: "malformed status line"
        case .badContentLength: "malformed Content-Length"
        case .badChunkSize: "malformed chunk size"
        case .unsupportedFraming: "response without Content-Length or chunked encoding"
        case .headTooLarge: "response head over 64 KiB"
        }
    }
}

/// A minimal incremental HTTP/1.1 response parser: the status code, `Connection: close`, and the
/// body framing (Content-Length or chunked), whose bytes it skips without copying. Enough to
/// delimit responses on a keep-alive connection without pipelining; not a general HTTP parser.
struct ResponseParser {
    /// What one call to ``parse(_:)`` found.
    enum Outcome: Equatable {
        /// The buffer ends inside a response; call again with more bytes.
        case needMore
        /// A whole response was consumed from the buffer.
        case complete(status: Int, close: Bool)
    }

    private enum State {
        case head
        case fixedBody(remaining: Int)
        case chunkHeader
        /// The chunk's data plus its CRLF.
        case chunkBody(remaining: Int)
        case trailer
    }

    private static let maxHeadBytes = 65_536

    private var state = State.head
    private var status = 0
    private var close = false
    /// The request was a HEAD: responses have headers only.
    private let headRequest: Bool

    /// - Parameter headRequest: whether the requests on this connection are HEAD requests.
    init(headRequest: Bool) {
        self.headRequest = headRequest
    }

    /// Consumes as much of `buffer` as belongs to the current response.
    mutating func parse(_ buffer: inout ByteBuffer) throws -> Outcome {
        while true {
            switch state {
            case .head:
                guard let headLength = try parseHead(buffer) else { return .needMore }
                buffer.moveReaderIndex(forwardBy: headLength)
            case .fixedBody(let remaining):
                let skip = min(remaining, buffer.readableBytes)
                buffer.moveReaderIndex(forwardBy: skip)
                if skip < remaining {
                    state = .fixedBody(remaining: remaining - skip)
                    return .needMore
                }
                return finish()
            case .chunkHeader:
                guard let (size, lineLength) = try parseChunkHeader(buffer) else { return .needMore }
                buffer.moveReaderIndex(forwardBy: lineLength)
                state = size == 0 ? .trailer : .chunkBody(remaining: size + 2)
            case .chunkBody(let remaining):
                let skip = min(remaining, buffer.readableBytes)
                buffer.moveReaderIndex(forwardBy: skip)
                if skip < remaining {
                    state = .chunkBody(remaining: remaining - skip)
                    return .needMore
                }
                state = .chunkHeader
            case .trailer:
                guard let lineLength = Self.lineLength(buffer) else { return .needMore }
                buffer.moveReaderIndex(forwardBy: lineLength)
                if lineLength == 2 { return finish() }
            }
        }
    }

    private mutating func finish() -> Outcome {
        state = .head
        return .complete(status: status, close: close)
    }

    /// Parses a complete head at the start of `buffer`, sets the state for the body, and returns
    /// the head's length; nil when the head is not complete yet.
    private mutating func parseHead(_ buffer: ByteBuffer) throws -> Int? {
        try buffer.withUnsafeReadableBytes { bytes -> Int? in
            guard let end = Self.headEnd(bytes) else {
                if bytes.count > Self.maxHeadBytes { throw ResponseParseError.headTooLarge }
                return nil
            }
            // "HTTP/1.1 200 ..." (or HTTP/1.0)
            guard end >= 12, bytes[0] == UInt8(ascii: "H"), bytes[4] == UInt8(ascii: "/"),
                bytes[8] == UInt8(ascii: " ")
            else { throw ResponseParseError.badStatusLine }
            var code = 0
            for i in 9..<12 {
                let digit = Int(bytes[i]) - 48
                guard (0...9).contains(digit) else { throw ResponseParseError.badStatusLine }
                code = code * 10 + digit
            }
            var contentLength: Int?
            var chunked = false
            var connectionClose = bytes[7] == UInt8(ascii: "0")  // HTTP/1.0 closes unless told otherwise
            // Header lines: from after the status line's CRLF to the blank line.
            var lineStart = (Self.index(of: UInt8(ascii: "\n"), in: bytes, from: 0, to: end) ?? end) + 1
            while lineStart < end - 2 {
                let lineEnd = Self.index(of: UInt8(ascii: "\n"), in: bytes, from: lineStart, to: end) ?? end
                if let colon = Self.index(of: UInt8(ascii: ":"), in: bytes, from: lineStart, to: lineEnd) {
                    var valueStart = colon + 1
                    while valueStart < lineEnd, bytes[valueStart] == UInt8(ascii: " ") { valueStart += 1 }
                    var valueEnd = lineEnd
                    while valueEnd > valueStart,
                        bytes[valueEnd - 1] == UInt8(ascii: "\r") || bytes[valueEnd - 1] == UInt8(ascii: " ")
                    {
                        valueEnd -= 1
                    }
                    let name = lineStart..<colon
                    if Self.equalsLowercase(bytes, name, "content-length") {
                        var length = 0
                        guard valueStart < valueEnd else { throw ResponseParseError.badContentLength }
                        for i in valueStart..<valueEnd {
                            let digit = Int(bytes[i]) - 48
                            guard (0...9).contains(digit), length < Int.max / 20 else {
                                throw ResponseParseError.badContentLength
                            }
                            length = length * 10 + digit
                        }
                        contentLength = length
                    } else if Self.equalsLowercase(bytes, name, "transfer-encoding") {
                        chunked = Self.containsLowercase(bytes, valueStart..<valueEnd, "chunked")
                    } else if Self.equalsLowercase(bytes, name, "connection") {
                        if Self.containsLowercase(bytes, valueStart..<valueEnd, "close") {
                            connectionClose = true
                        } else if Self.containsLowercase(bytes, valueStart..<valueEnd, "keep-alive") {
                            connectionClose = false
                        }
                    }
                }
                lineStart = lineEnd + 1
            }
            status = code
            close = connectionClose
            if (100..<200).contains(code) && code != 101 {
                state = .head  // interim response: the real one follows
            } else if headRequest || code == 204 || code == 304 {
                state = .fixedBody(remaining: 0)
            } else if chunked {
                state = .chunkHeader
            } else if let contentLength {
                state = .fixedBody(remaining: contentLength)
            } else {
                throw ResponseParseError.unsupportedFraming
            }
            return end
        }
    }

    /// A chunk-size line at the start of `buffer`: the size and the line's length with its CRLF.
    private func parseChunkHeader(_ buffer: ByteBuffer) throws -> (Int, Int)? {
        try buffer.withUnsafeReadableBytes { bytes -> (Int, Int)? in
            guard let newline = Self.index(of: UInt8(ascii: "\n"), in: bytes, from: 0, to: bytes.count) else {
                if bytes.count > 1024 { throw ResponseParseError.badChunkSize }
                return nil
            }
            var size = 0
            var digits = 0
            for i in 0..<newline {
                let byte = bytes[i]
                let value: Int
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): value = Int(byte) - 48
                case UInt8(ascii: "a")...UInt8(ascii: "f"): value = Int(byte) - 87
                case UInt8(ascii: "A")...UInt8(ascii: "F"): value = Int(byte) - 55
                default: value = -1
                }
                if value < 0 { break }  // ";extension" or CR
                guard size < Int.max / 32 else { throw ResponseParseError.badChunkSize }
                size = size * 16 + value
                digits += 1
            }
            guard digits > 0 else { throw ResponseParseError.badChunkSize }
            return (size, newline + 1)
        }
    }

    /// The length of the first line in `buffer` including its LF, or nil without a LF.
    private static func lineLength(_ buffer: ByteBuffer) -> Int? {
        buffer.withUnsafeReadableBytes { bytes in
            index(of: UInt8(ascii: "\n"), in: bytes, from: 0, to: bytes.count).map { $0 + 1 }
        }
    }

    /// The offset just past the head's CRLFCRLF.
    private static func headEnd(_ bytes: UnsafeRawBufferPointer) -> Int? {
        var i = 3
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "\n") {
                if bytes[i - 1] == UInt8(ascii: "\r"), bytes[i - 2] == UInt8(ascii: "\n"),
                    bytes[i - 3] == UInt8(ascii: "\r")
                {
                    return i + 1
                }
                i += 1
            } else {
                // The byte at i is not LF, so no terminator can end before i + 2.
                i += bytes[i] == UInt8(ascii: "\r") ? 1 : 2
            }
        }
        return nil
    }

    private static func index(of byte: UInt8, in bytes: UnsafeRawBufferPointer, from: Int, to: Int) -> Int? {
        var i = from
        while i < to {
            if bytes[i] == byte { return i }
            i += 1
        }
        return nil
    }

    /// Whether `bytes[range]`, lowercased, equals `lowercase` (ASCII).
    private static func equalsLowercase(
        _ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, _ lowercase: StaticString
    ) -> Bool {
        guard range.count == lowercase.utf8CodeUnitCount else { return false }
        let expected = lowercase.utf8Start
        for (offset, i) in range.enumerated() where bytes[i] | 0x20 != expected[offset] {
            // `| 0x20` lowercases letters; '-' (0x2D) is unchanged.
            return false
        }
        return true
    }

    /// Whether `bytes[range]`, lowercased, contains `lowercase` (ASCII).
    private static func containsLowercase(
        _ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, _ lowercase: StaticString
    ) -> Bool {
        let count = lowercase.utf8CodeUnitCount
        guard range.count >= count else { return false }
        let expected = lowercase.utf8Start
        for start in range.lowerBound...(range.upperBound - count) {
            var matched = true
            for offset in 0..<count where bytes[start + offset] | 0x20 != expected[offset] {
                matched = false
                break
            }
            if matched { return true }
        }
        return false
    }
}
