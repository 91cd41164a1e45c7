public import VigilDomain

/// A streaming exporter: write the ``header()`` once, then each record's bytes as it comes from the
/// store, so an export of millions of indicators never holds them all.
public protocol IndicatorWriter: Sendable {
    /// The format written.
    var format: ExportFormat { get }

    /// The bytes that start the output (a header row; empty for formats without one).
    func header() -> [UInt8]

    /// Appends one record's bytes (ending in a line break) to `output`.
    /// Throws when the format cannot carry the record.
    func write(_ record: IndicatorRecord, to output: inout [UInt8]) throws(ExportError)
}

extension IndicatorWriter {
    /// The whole output for a sequence of records: the header and every record.
    public func export(_ records: some Sequence<IndicatorRecord>) throws(ExportError) -> [UInt8] {
        var output = header()
        for record in records {
            try write(record, to: &output)
        }
        return output
    }
}

/// The output formats Vigil exports indicator lists in.
public enum ExportFormat: String, CaseIterable, Sendable, Codable {
    /// `hex<TAB>id<TAB>note`, adds of one signal type only (``TSVWriter``).
    case tsv
    /// python-threatexchange's dataset CSV plus Vigil's `source_item_id` and `note` (``HMACSVWriter``).
    case hmaCSV = "hma-csv"
    /// One JSON object per record with its action and full provenance (``JSONLinesWriter``).
    case vigilJSONL = "vigil-jsonl"

    /// The import format that reads this output back.
    public var importFormat: ImportFormat {
        switch self {
        case .tsv: .tsv
        case .hmaCSV: .hmaCSV
        case .vigilJSONL: .vigilJSONL
        }
    }

    /// A writer for this format; `signalType` is the one type a TSV export may hold.
    public func makeWriter(signalType: SignalType = .pdq) -> any IndicatorWriter {
        switch self {
        case .tsv: TSVWriter(signalType: signalType)
        case .hmaCSV: HMACSVWriter()
        case .vigilJSONL: JSONLinesWriter()
        }
    }
}

/// Why a record could not be exported.
public enum ExportError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The format has no way to say "delete" (TSV and CSV hold adds only).
    case deletionNotSupported(format: ExportFormat, value: String)
    /// A TSV export holds one signal type and the record has another.
    case wrongSignalType(expected: SignalType, actual: SignalType)

    /// What went wrong and which format to use instead.
    public var description: String {
        switch self {
        case .deletionNotSupported(let format, let value):
            "\(format.rawValue) cannot carry the deletion of \(value): export deletions as vigil-jsonl"
        case .wrongSignalType(let expected, let actual):
            "this TSV export holds \(expected.rawValue) values but got a \(actual.rawValue) value: "
                + "export one TSV per signal type, or use hma-csv or vigil-jsonl for mixed types"
        }
    }
}
