/// Splits a byte stream into CSV records (RFC 4180: comma-separated, `"`-quoted fields with `""` for a
/// quote, CRLF or LF record ends, line breaks allowed inside quotes), holding at most one record.
///
/// Like Python's `csv` module it is lenient inside a record: a quote in the middle of an unquoted
/// field, or text after a closing quote, is kept as text. Blank lines are skipped.
struct CSVTokenizer: Sendable {
    private enum State: Sendable { case fieldStart, unquoted, quoted, quoteInQuoted }

    /// The largest record kept, in bytes.
    let limit: Int
    private var state = State.fieldStart
    private var field: [UInt8] = []
    private var fields: [String] = []
    private var recordBytes = 0
    /// The physical line the byte being read is on.
    private var line = 1
    /// The physical line the record in progress started on.
    private(set) var recordLine = 1

    init(limit: Int) {
        self.limit = limit
    }

    /// The bytes held for the record in progress.
    var bufferedByteCount: Int { recordBytes }

    /// Feeds a chunk and calls `body` with the starting line and fields of each record it completes.
    mutating func feed(_ chunk: some Collection<UInt8>, _ body: (Int, [String]) -> Void) throws(ImportError) {
        for byte in chunk {
            recordBytes += 1
            if recordBytes > limit {
                throw .tooLarge(format: .hmaCSV, record: recordLine, line: line, limit: limit)
            }
            switch (state, byte) {
            case (.quoted, UInt8(ascii: "\"")): state = .quoteInQuoted
            case (.quoted, _): field.append(byte)
            case (.fieldStart, UInt8(ascii: "\"")): state = .quoted
            case (.quoteInQuoted, UInt8(ascii: "\"")):
                field.append(byte)
                state = .quoted
            case (_, UInt8(ascii: ",")): endField()
            case (_, UInt8(ascii: "\r")): break  // part of a CRLF record end
            case (_, UInt8(ascii: "\n")): endRecord(body)
            default:
                field.append(byte)
                state = .unquoted
            }
            if byte == UInt8(ascii: "\n") {
                line += 1
                if state == .fieldStart && fields.isEmpty { recordLine = line }
            }
        }
    }

    /// Ends the input: delivers a last record without a line ending, or throws if a quote is open.
    mutating func finish(_ body: (Int, [String]) -> Void) throws(ImportError) {
        if state == .quoted {
            throw .malformed(
                format: .hmaCSV, record: recordLine, line: line,
                reason: "a quoted field that starts on line \(recordLine) is never closed (a field with quotes must end with \")")
        }
        if state != .fieldStart || !fields.isEmpty {
            endRecord(body)
        }
    }

    private mutating func endField() {
        fields.append(String(decoding: field, as: UTF8.self))
        field.removeAll(keepingCapacity: true)
        state = .fieldStart
    }

    private mutating func endRecord(_ body: (Int, [String]) -> Void) {
        let blank = fields.isEmpty && state == .fieldStart
        if !blank {
            endField()
            body(recordLine, fields)
        }
        fields.removeAll(keepingCapacity: true)
        field.removeAll(keepingCapacity: true)
        state = .fieldStart
        recordBytes = 0
    }
}
