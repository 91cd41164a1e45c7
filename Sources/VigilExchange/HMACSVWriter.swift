public import VigilDomain

/// Writes the CSV that ``HMACSVReader`` reads back: RFC 4180, CRLF line ends, header
/// `signal_type,signal_str,collab,category,tags,source_item_id,note` — python-threatexchange's
/// `dataset --csv` columns first, then Vigil's two. `collab` is `provenance.sourceOrganisation`;
/// `category` and `tags` are left empty. Fields with commas, quotes, line breaks or edge spaces are
/// quoted. A vpdq value is written as python-threatexchange's signal string (HMA's form,
/// ``HMASignalNames/hmaValue(_:_:)``), which has no frame numbers: they come back as 0, 1, 2, …
/// Other provenance fields are not kept; use ``JSONLinesWriter`` for all of them.
public struct HMACSVWriter: IndicatorWriter {
    /// The header's column names, in order.
    public static let columns = HMACSVReader.referenceColumns + ["source_item_id", "note"]

    /// Creates a writer.
    public init() {}

    /// Always ``ExportFormat/hmaCSV``.
    public var format: ExportFormat { .hmaCSV }

    /// The header row.
    public func header() -> [UInt8] { Array((Self.columns.joined(separator: ",") + "\r\n").utf8) }

    /// Appends one row; throws for deletions.
    public func write(_ record: IndicatorRecord, to output: inout [UInt8]) throws(ExportError) {
        guard record.action == .add else { throw .deletionNotSupported(format: .hmaCSV, value: record.value) }
        let cells = [
            HMASignalNames.name(of: record.type), HMASignalNames.hmaValue(record.type, record.value), record.provenance.sourceOrganisation ?? "", "",
            "",
            record.provenance.sourceItemId ?? "", record.provenance.note ?? "",
        ]
        for (index, cell) in cells.enumerated() {
            if index > 0 { output.append(UInt8(ascii: ",")) }
            Self.append(cell, to: &output)
        }
        output += [13, 10]
    }

    private static func append(_ cell: String, to output: inout [UInt8]) {
        let needsQuotes =
            cell.utf8.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 10 || $0 == 13 }
            || cell.first == " " || cell.last == " "
        guard needsQuotes else {
            output += cell.utf8
            return
        }
        output.append(UInt8(ascii: "\""))
        for byte in cell.utf8 {
            if byte == UInt8(ascii: "\"") { output.append(byte) }
            output.append(byte)
        }
        output.append(UInt8(ascii: "\""))
    }
}
