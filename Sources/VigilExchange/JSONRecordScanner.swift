/// Finds the records of a JSON document as it streams in, holding one record at a time.
///
/// The records are the elements of the top-level array, or of the array under `recordsKey` in a
/// top-level object (an API response such as StopNCII's `{"count": 2, "hashRecords": [...]}`).
/// The scanner tracks strings and bracket nesting byte by byte; each record's bytes are handed over
/// whole, to be parsed as JSON on their own. Everything outside the records (the "envelope", with
/// the records array left empty) is kept, up to `limit` bytes, and checked to be JSON at the end.
struct JSONRecordScanner: Sendable {
    /// The key of the records array in a top-level object.
    let recordsKey: [UInt8]
    /// The largest record (and envelope) kept, in bytes.
    let limit: Int
    let format: ImportFormat

    private var stack: [UInt8] = []
    private var inString = false
    private var escaped = false
    private var line = 1
    private var sawValue = false
    private var done = false
    /// The nesting depth of the records array while inside it.
    private var recordsDepth: Int?
    private var foundRecords = false
    private var element: [UInt8] = []
    private var elementLine = 1
    private var afterComma = false
    private(set) var envelope: [UInt8] = []
    private var keyBytes: [UInt8] = []
    private var lastString: [UInt8]?
    private var currentKey: [UInt8]?
    /// How many records have been handed over.
    private(set) var recordCount = 0

    init(recordsKey: String, limit: Int, format: ImportFormat) {
        self.recordsKey = Array(recordsKey.utf8)
        self.limit = limit
        self.format = format
    }

    /// The bytes held: the record in progress and the envelope.
    var bufferedByteCount: Int { element.count + envelope.count }

    /// Feeds a chunk and calls `body` with the number (1-based), starting line and bytes of each
    /// record it completes.
    mutating func feed(_ chunk: some Collection<UInt8>, _ body: (Int, Int, [UInt8]) -> Void) throws(ImportError) {
        for byte in chunk {
            try scan(byte, body)
            if byte == UInt8(ascii: "\n") { line += 1 }
        }
    }

    /// Ends the input; throws unless exactly one complete JSON value with a records array was read.
    mutating func finish() throws(ImportError) {
        if !sawValue { throw malformed("the input is empty: expected a JSON array of records or an API response object") }
        if !done { throw malformed("the input ends inside the JSON value (an unclosed string, array or object)") }
        guard let value = JSONValue.parse(envelope) else {
            throw malformed("the text around the records is not valid JSON")
        }
        if case .object = value, !foundRecords {
            throw malformed("the object has no \"\(String(decoding: recordsKey, as: UTF8.self))\" array")
        }
    }

    private func malformed(_ reason: String) -> ImportError {
        .malformed(format: format, record: recordCount + 1, line: line, reason: reason)
    }

    private mutating func scan(_ byte: UInt8, _ body: (Int, Int, [UInt8]) -> Void) throws(ImportError) {
        let isSpace = byte == 32 || byte == 9 || byte == 10 || byte == 13
        if let depth = recordsDepth, stack.count == depth, !inString {
            // Directly inside the records array: a comma or the closing bracket ends a record.
            if byte == UInt8(ascii: ",") || byte == UInt8(ascii: "]") {
                if element.isEmpty {
                    if byte == UInt8(ascii: ",") || afterComma {
                        throw malformed("a record is missing between commas in the records array")
                    }
                } else {
                    try deliver(body)
                }
                afterComma = byte == UInt8(ascii: ",")
                if byte == UInt8(ascii: "]") {
                    recordsDepth = nil
                    stack.removeLast()
                    try append(toEnvelope: byte)
                    if stack.isEmpty { done = true }
                }
                return
            }
            if isSpace && element.isEmpty { return }
            if element.isEmpty { elementLine = line }
        }
        if recordsDepth != nil {
            element.append(byte)
            if element.count > limit {
                throw .tooLarge(format: format, record: recordCount + 1, line: elementLine, limit: limit)
            }
            try track(byte)
            return
        }
        if stack.isEmpty && !inString {
            if isSpace { return }
            if byte == 0xEF || byte == 0xBB || byte == 0xBF, !sawValue { return }  // a UTF-8 byte-order mark
            if done { throw malformed("there is more text after the JSON value") }
            guard byte == UInt8(ascii: "[") || byte == UInt8(ascii: "{") else {
                throw malformed("expected a JSON array of records or an API response object")
            }
            sawValue = true
        }
        try append(toEnvelope: byte)
        let topObject = stack == [UInt8(ascii: "{")]
        if inString {
            if topObject && !escaped && byte != UInt8(ascii: "\"") && keyBytes.count <= recordsKey.count { keyBytes.append(byte) }
            if !escaped && byte == UInt8(ascii: "\"") && topObject { lastString = keyBytes }
        } else if topObject {
            switch byte {
            case UInt8(ascii: "\""): keyBytes.removeAll()
            case UInt8(ascii: ":"): currentKey = lastString
            case UInt8(ascii: ","): currentKey = nil
            default: break
            }
        }
        let opensRecords =
            !inString && byte == UInt8(ascii: "[") && !foundRecords
            && (stack.isEmpty || (topObject && currentKey == recordsKey))
        try track(byte)
        if opensRecords {
            recordsDepth = stack.count
            foundRecords = true
            afterComma = false
        }
        if stack.isEmpty && !inString && sawValue { done = true }
    }

    /// Follows strings and brackets; throws on a closing bracket that does not match.
    private mutating func track(_ byte: UInt8) throws(ImportError) {
        if inString {
            if escaped {
                escaped = false
            } else if byte == UInt8(ascii: "\\") {
                escaped = true
            } else if byte == UInt8(ascii: "\"") {
                inString = false
            }
            return
        }
        switch byte {
        case UInt8(ascii: "\""): inString = true
        case UInt8(ascii: "["), UInt8(ascii: "{"):
            guard stack.count < 256 else { throw malformed("the JSON is nested more than 256 levels deep") }
            stack.append(byte)
        case UInt8(ascii: "]"), UInt8(ascii: "}"):
            let opener = byte == UInt8(ascii: "]") ? UInt8(ascii: "[") : UInt8(ascii: "{")
            guard stack.last == opener else {
                throw malformed("\"\(Character(Unicode.Scalar(byte)))\" does not close an open \(opener == UInt8(ascii: "[") ? "array" : "object")")
            }
            stack.removeLast()
        default: break
        }
    }

    private mutating func append(toEnvelope byte: UInt8) throws(ImportError) {
        envelope.append(byte)
        if envelope.count > limit {
            throw .tooLarge(format: format, record: recordCount + 1, line: line, limit: limit)
        }
    }

    private mutating func deliver(_ body: (Int, Int, [UInt8]) -> Void) throws(ImportError) {
        recordCount += 1
        var end = element.count
        while end > 0, [32, 9, 10, 13].contains(element[end - 1]) { end -= 1 }
        body(recordCount, elementLine, Array(element[..<end]))
        element.removeAll(keepingCapacity: true)
    }
}
