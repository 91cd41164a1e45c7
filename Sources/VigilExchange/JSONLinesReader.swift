import VigilDomain

/// Reads Vigil's JSON Lines export (``JSONLinesWriter``): one JSON object per line,
/// `{"action":"add","provenance":{...},"type":"pdq","value":"<hex>"}`.
///
/// - `type` (`pdq`, `md5`, `sha256`) and `value` are required; `value` goes through
///   ``SignalType/normalise(_:)``. `action` (`add` or `delete`) defaults to `add`; `provenance`
///   holds ``Provenance``'s fields by their Swift names and may be absent.
/// - Blank lines are skipped. Each line stands alone, so a line that is not a JSON object of this
///   shape is an issue (numbered by line) and the next line is read.
public struct JSONLinesReader: IndicatorReader {
    private var lines: LineSplitter
    private var finished = false

    /// Creates a reader.
    /// - Parameter maxLineBytes: longer lines are reported as issues and skipped.
    public init(maxLineBytes: Int = 1 << 20) {
        lines = LineSplitter(limit: maxLineBytes)
    }

    /// Always ``ImportFormat/vigilJSONL``.
    public var format: ImportFormat { .vigilJSONL }

    /// The bytes of the line in progress.
    public var bufferedByteCount: Int { lines.pending.count }

    /// Parses the lines the chunk completes.
    public mutating func read(_ chunk: some Collection<UInt8>) throws(ImportError) -> ImportBatch {
        guard !finished else { throw .finished(format: .vigilJSONL) }
        var batch = ImportBatch()
        let limit = lines.limit
        lines.feed(chunk) { number, line in Self.parse(line, number: number, limit, into: &batch) }
        return batch
    }

    /// Parses a last line without a line ending.
    public mutating func finish() throws(ImportError) -> ImportBatch {
        guard !finished else { throw .finished(format: .vigilJSONL) }
        finished = true
        var batch = ImportBatch()
        let limit = lines.limit
        lines.finish { number, line in Self.parse(line, number: number, limit, into: &batch) }
        return batch
    }

    private static func parse(_ line: LineSplitter.Line, number: Int, _ limit: Int, into batch: inout ImportBatch) {
        func skip(_ reason: String) { batch.issues.append(ImportIssue(record: number, message: "\(reason); line skipped")) }
        guard case .text(let bytes) = line else { return skip("line is longer than \(limit) bytes") }
        guard bytes.contains(where: { $0 != 32 && $0 != 9 }) else { return }
        guard let value = JSONValue.parse(Array(bytes)) else { return skip("line is not valid JSON") }
        guard let fields = value.object else { return skip("line is not a JSON object") }
        guard let typeName = fields["type"]?.string else { return skip("\"type\" is missing (pdq, md5 or sha256)") }
        guard let type = SignalType(rawValue: typeName) else {
            return skip("type \"\(typeName.prefix(40))\" is not one of \(SignalType.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let raw = fields["value"]?.string else { return skip("\"value\" is missing") }
        let hex: String
        do { hex = try type.normalise(raw) } catch { return skip(error.description) }
        var action = IndicatorRecord.Action.add
        if let actionValue = fields["action"], actionValue != .null {
            guard let name = actionValue.string, let parsed = IndicatorRecord.Action(rawValue: name) else {
                return skip("\"action\" must be \"add\" or \"delete\"")
            }
            action = parsed
        }
        var provenance = Provenance()
        if let provenanceValue = fields["provenance"], provenanceValue != .null {
            guard let members = provenanceValue.object else { return skip("\"provenance\" is not an object") }
            for (key, member) in members where ProvenanceFields.names.contains(key) {
                guard member == .null || member.string != nil else { return skip("provenance \"\(key)\" is not a string") }
                _ = ProvenanceFields.set(key, to: member.string, in: &provenance)
            }
        }
        batch.append(IndicatorRecord(type: type, value: hex, action: action, provenance: provenance), from: number)
    }
}
