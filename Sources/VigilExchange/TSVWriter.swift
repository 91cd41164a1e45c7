public import VigilDomain

/// Writes plain TSV that ``TSVReader`` reads back: `hex<TAB>id<TAB>note` with LF line ends, the id
/// and note escaped (`\t`, `\n`, `\r`, `\\`) and trailing empty fields left out. Only
/// `sourceItemId` and `note` of the provenance are kept; use ``JSONLinesWriter`` for all of it.
public struct TSVWriter: IndicatorWriter {
    /// The one signal type this file holds.
    public let signalType: SignalType

    /// Creates a writer for values of `signalType`.
    public init(signalType: SignalType = .pdq) {
        self.signalType = signalType
    }

    /// Always ``ExportFormat/tsv``.
    public var format: ExportFormat { .tsv }

    /// TSV has no header.
    public func header() -> [UInt8] { [] }

    /// Appends one line; throws for deletions and for other signal types.
    public func write(_ record: IndicatorRecord, to output: inout [UInt8]) throws(ExportError) {
        guard record.action == .add else { throw .deletionNotSupported(format: .tsv, value: record.value) }
        guard record.type == signalType else { throw .wrongSignalType(expected: signalType, actual: record.type) }
        output += TSVEscaping.escape(record.value).utf8  // a vpdq value's line breaks as `\n`; hex is unchanged
        let id = record.provenance.sourceItemId ?? ""
        let note = record.provenance.note ?? ""
        if !id.isEmpty || !note.isEmpty {
            output.append(9)
            output += TSVEscaping.escape(id).utf8
        }
        if !note.isEmpty {
            output.append(9)
            output += TSVEscaping.escape(note).utf8
        }
        output.append(10)
    }
}
