public import VigilDomain

/// Reads plain TSV: one indicator per line, `hex<TAB>id<TAB>note`.
///
/// - `hex` is the value, checked by ``SignalType/normalise(_:)`` for the reader's signal type.
/// - `id` (optional) becomes `provenance.sourceItemId`; `note` (optional) becomes `provenance.note`.
///   Both may use the escapes `\t`, `\n`, `\r`, `\\`.
/// - Blank lines and lines whose first non-blank character is `#` are skipped; CRLF and a UTF-8
///   byte-order mark are accepted. Every record is an add.
///
/// Issues are numbered by line. Memory holds at most one line (`maxLineBytes`).
public struct TSVReader: IndicatorReader {
    /// The type of every value in the file.
    public let signalType: SignalType
    /// Provenance given to every record (its id and note are replaced by the line's when present).
    public let provenance: Provenance
    private var lines: LineSplitter
    private var finished = false

    /// Creates a reader.
    /// - Parameters:
    ///   - signalType: the type of every value (default PDQ).
    ///   - provenance: provenance for every record, e.g. the source organisation.
    ///   - maxLineBytes: longer lines are reported as issues and skipped.
    public init(signalType: SignalType = .pdq, provenance: Provenance = Provenance(), maxLineBytes: Int = 512 * 1024) {
        self.signalType = signalType
        self.provenance = provenance
        self.lines = LineSplitter(limit: maxLineBytes)
    }

    /// Always ``ImportFormat/tsv``.
    public var format: ImportFormat { .tsv }

    /// The bytes of the line in progress.
    public var bufferedByteCount: Int { lines.pending.count }

    /// Parses the lines the chunk completes.
    public mutating func read(_ chunk: some Collection<UInt8>) throws(ImportError) -> ImportBatch {
        guard !finished else { throw .finished(format: .tsv) }
        var batch = ImportBatch()
        let (type, template, limit) = (signalType, provenance, lines.limit)
        lines.feed(chunk) { number, line in Self.parse(line, number: number, type, template, limit, into: &batch) }
        return batch
    }

    /// Parses a last line without a line ending.
    public mutating func finish() throws(ImportError) -> ImportBatch {
        guard !finished else { throw .finished(format: .tsv) }
        finished = true
        var batch = ImportBatch()
        let (type, template, limit) = (signalType, provenance, lines.limit)
        lines.finish { number, line in Self.parse(line, number: number, type, template, limit, into: &batch) }
        return batch
    }

    private static func parse(
        _ line: LineSplitter.Line, number: Int, _ type: SignalType, _ template: Provenance, _ limit: Int,
        into batch: inout ImportBatch
    ) {
        guard case .text(let bytes) = line else {
            batch.issues.append(ImportIssue(record: number, message: "line is longer than \(limit) bytes; skipped"))
            return
        }
        guard let first = bytes.firstIndex(where: { $0 != UInt8(ascii: " ") && $0 != 9 }),
            bytes[first] != UInt8(ascii: "#")
        else { return }
        let fields = bytes.split(separator: 9, maxSplits: 3, omittingEmptySubsequences: false)
        guard fields.count <= 3 else {
            batch.issues.append(
                ImportIssue(
                    record: number,
                    message: "line has more than 3 tab-separated fields; expected hex<TAB>id<TAB>note (write a tab inside a note as \\t)"
                ))
            return
        }
        let value: String
        do {
            // A vpdq value's lines are written with `\n` escapes (hex values have no backslash).
            value = try type.normalise(TSVEscaping.unescape(UnsafeBufferPointer(rebasing: fields[0])))
        } catch {
            batch.issues.append(ImportIssue(record: number, message: "\(error.description); line skipped"))
            return
        }
        var provenance = template
        if fields.count > 1, !fields[1].isEmpty {
            provenance.sourceItemId = TSVEscaping.unescape(UnsafeBufferPointer(rebasing: fields[1]))
        }
        if fields.count > 2, !fields[2].isEmpty {
            provenance.note = TSVEscaping.unescape(UnsafeBufferPointer(rebasing: fields[2]))
        }
        batch.append(IndicatorRecord(type: type, value: value, provenance: provenance), from: number)
    }
}
