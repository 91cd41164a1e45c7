public import VigilDomain

/// Writes Vigil's JSON Lines: one JSON object per record and line, with the action and every
/// provenance field that is set, keys in a fixed order:
/// `{"type":"pdq","value":"<hex>","action":"add","provenance":{"sourceOrganisation":"NCMEC",...}}`.
/// ``JSONLinesReader`` reads it back to identical records. This is the export that keeps provenance.
public struct JSONLinesWriter: IndicatorWriter {
    /// Creates a writer.
    public init() {}

    /// Always ``ExportFormat/vigilJSONL``.
    public var format: ExportFormat { .vigilJSONL }

    /// JSON Lines has no header.
    public func header() -> [UInt8] { [] }

    /// Appends one line; never throws.
    public func write(_ record: IndicatorRecord, to output: inout [UInt8]) throws(ExportError) {
        output += #"{"type":"#.utf8
        JSONText.appendString(record.type.rawValue, to: &output)
        output += #","value":"#.utf8
        JSONText.appendString(record.value, to: &output)
        output += #","action":"#.utf8
        JSONText.appendString(record.action.rawValue, to: &output)
        output += #","provenance":{"#.utf8
        var first = true
        for name in ProvenanceFields.names {
            guard let value = ProvenanceFields.value(name, of: record.provenance) else { continue }
            if !first { output.append(UInt8(ascii: ",")) }
            first = false
            JSONText.appendString(name, to: &output)
            output.append(UInt8(ascii: ":"))
            JSONText.appendString(value, to: &output)
        }
        output += "}}\n".utf8
    }
}
