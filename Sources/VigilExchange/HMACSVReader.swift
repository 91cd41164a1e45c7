public import VigilDomain

/// Reads the CSV that python-threatexchange's `threatexchange dataset -P --csv` writes (and that
/// ``HMACSVWriter`` writes): RFC 4180 with a header row
/// `signal_type,signal_str,collab,category,tags`.
///
/// - Columns are found by name, in any order; unknown columns are ignored. Vigil's writer adds
///   `source_item_id` and `note`.
/// - `signal_type` is a python-threatexchange name (`pdq`, `video_md5`, `video_sha256`, or Vigil's
///   `md5`, `sha256`); an empty cell or a missing column means the reader's `signalType`. Other types
///   (`raw_text`, `url`, ...) are counted in ``ImportBatch/ignored`` and reported as issues.
/// - `signal_str` is the value. `collab` becomes `provenance.sourceOrganisation`, `source_item_id`
///   `provenance.sourceItemId`; `note`, `category` and `tags` are joined into `provenance.note`
///   (`category: X`, `tags: a b`).
/// - Without a header (first record has no `signal_str` cell) columns are taken in the order above.
///
/// Issues are numbered by the line a record starts on (the header is line 1).
public struct HMACSVReader: IndicatorReader {
    /// The column names of python-threatexchange's dataset CSV, in its order.
    public static let referenceColumns = ["signal_type", "signal_str", "collab", "category", "tags"]

    /// The type used when a row does not name one.
    public let signalType: SignalType
    /// Provenance given to every record (fields the row gives replace it).
    public let provenance: Provenance
    private var tokenizer: CSVTokenizer
    private var columns: [String: Int]?
    private var finished = false
    private var failure: ImportError?

    /// Creates a reader.
    /// - Parameters:
    ///   - signalType: the type for rows with an empty or missing `signal_type`.
    ///   - provenance: provenance for every record.
    ///   - maxRecordBytes: a longer record (often an unclosed quote) stops the import.
    public init(signalType: SignalType = .pdq, provenance: Provenance = Provenance(), maxRecordBytes: Int = 1 << 20) {
        self.signalType = signalType
        self.provenance = provenance
        self.tokenizer = CSVTokenizer(limit: maxRecordBytes)
    }

    /// Always ``ImportFormat/hmaCSV``.
    public var format: ImportFormat { .hmaCSV }

    /// The bytes of the record in progress.
    public var bufferedByteCount: Int { tokenizer.bufferedByteCount }

    /// Parses the records the chunk completes. When the chunk completed good records before an
    /// over-long one, they are returned and the next call throws.
    public mutating func read(_ chunk: some Collection<UInt8>) throws(ImportError) -> ImportBatch {
        if let failure { throw failure }
        guard !finished else { throw .finished(format: .hmaCSV) }
        var batch = ImportBatch()
        var columns = self.columns
        let (type, template) = (signalType, provenance)
        do {
            try tokenizer.feed(chunk) { line, fields in Self.handle(fields, line: line, &columns, type, template, into: &batch) }
        } catch {
            failure = error
            if batch.isEmpty { throw error }
        }
        self.columns = columns
        return batch
    }

    /// Parses a last record without a line ending; throws if a quoted field is still open.
    public mutating func finish() throws(ImportError) -> ImportBatch {
        if let failure { throw failure }
        guard !finished else { throw .finished(format: .hmaCSV) }
        finished = true
        var batch = ImportBatch()
        var columns = self.columns
        let (type, template) = (signalType, provenance)
        try tokenizer.finish { line, fields in Self.handle(fields, line: line, &columns, type, template, into: &batch) }
        self.columns = columns
        return batch
    }

    private static func handle(
        _ fields: [String], line: Int, _ columns: inout [String: Int]?, _ type: SignalType, _ template: Provenance,
        into batch: inout ImportBatch
    ) {
        if columns == nil {
            var names = fields.map { $0.trimmingCharacters(in: " ").lowercased() }
            if let first = names.first, first.hasPrefix("\u{FEFF}") { names[0] = String(first.dropFirst()) }
            if names.contains("signal_str") {
                columns = Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
                return
            }
            columns = Dictionary(uniqueKeysWithValues: referenceColumns.enumerated().map { ($1, $0) })
        }
        guard let columns else { return }
        func cell(_ name: String, trimmed: Bool = false) -> String? {
            guard let index = columns[name], index < fields.count else { return nil }
            let text = trimmed ? fields[index].trimmingCharacters(in: " ") : fields[index]
            return text.isEmpty ? nil : text
        }
        var rowType = type
        if var name = cell("signal_type", trimmed: true) {
            if line == 1, name.hasPrefix("\u{FEFF}") { name.removeFirst() }
            guard let known = HMASignalNames.signalType(named: name) else {
                batch.ignore(name)
                batch.issues.append(
                    ImportIssue(
                        record: line,
                        message:
                            "signal type \"\(name.prefix(40))\" is not one Vigil holds (pdq, md5/video_md5, sha256/video_sha256, vpdq); row skipped"))
                return
            }
            rowType = known
        }
        guard let raw = cell("signal_str", trimmed: true) else {
            batch.issues.append(ImportIssue(record: line, message: "signal_str is empty; row skipped"))
            return
        }
        let value: String
        do {
            // A vpdq signal_str in python-threatexchange's form or Vigil's lines, as the HMA routes read it.
            value = try HMASignalNames.storedValue(rowType, raw)
        } catch {
            batch.issues.append(ImportIssue(record: line, message: "\(error.description); row skipped"))
            return
        }
        var provenance = template
        if let collab = cell("collab") { provenance.sourceOrganisation = collab }
        if let id = cell("source_item_id") { provenance.sourceItemId = id }
        let noteParts = [
            cell("note"), cell("category").map { "category: \($0)" }, cell("tags").map { "tags: \($0)" },
        ].compactMap { $0 }
        if !noteParts.isEmpty { provenance.note = noteParts.joined(separator: "; ") }
        batch.append(IndicatorRecord(type: rowType, value: value, provenance: provenance), from: line)
    }
}

extension String {
    /// The text without leading and trailing copies of `character`.
    func trimmingCharacters(in character: Character) -> String {
        guard let first = firstIndex(where: { $0 != character }), let last = lastIndex(where: { $0 != character }) else { return "" }
        return String(self[first...last])
    }
}
