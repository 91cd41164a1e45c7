/// Why an import stopped. Records returned before the error stay valid; nothing after the reported
/// position was imported.
public enum ImportError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The input is structurally broken (XML that is not well-formed, JSON that is not JSON, a
    /// quoted CSV field that never closes, a missing document).
    case malformed(format: ImportFormat, record: Int, line: Int, reason: String)
    /// One unit the format cannot split further (a CSV record, a JSON record, an XML page) is larger
    /// than the reader's limit.
    case tooLarge(format: ImportFormat, record: Int, line: Int, limit: Int)
    /// `read` or `finish` was called after `finish`.
    case finished(format: ImportFormat)

    /// What happened, where, and what to do about it.
    public var description: String {
        switch self {
        case .malformed(let format, let record, let line, let reason):
            "\(format.rawValue) input is malformed at record \(record) (line \(line)): \(reason); "
                + "records before this point were imported: fix the file from here on and import the rest again"
        case .tooLarge(let format, let record, let line, let limit):
            "\(format.rawValue) input has a unit over \(limit) bytes at record \(record) (line \(line)): "
                + "split the input (one API page per import for NCMEC) or check for an unclosed quote or bracket"
        case .finished(let format):
            "the \(format.rawValue) reader was already finished: create a new reader for a new input"
        }
    }
}
