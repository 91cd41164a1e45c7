import VigilDomain

/// Reads StopNCII hash records: the `FetchHashes` response object
/// (`{"count", "nextPageToken", "nextSetTimestamp", "hasMoreRecords", "hashRecords": [...]}`) or a
/// bare JSON array of records. Each record has `signalType`, `hashValue`, `hashStatus`,
/// `caseNumbers` (case id → status), `lastModtimestamp` (Unix seconds) and `CSPFeedbacks`.
///
/// - `signalType` `ImagePDQ` → a PDQ record, `VideoMD5` → an MD5 record; other types (`VideoTMK`,
///   `Text`, `URL`, `Unknown`) are counted in ``ImportBatch/ignored`` and reported as issues.
/// - `hashStatus` `Withdrawn` or `Deleted` → a `.delete` record (StopNCII: "should be deleted by
///   client"); `Received`, `Active` and others → `.add`.
/// - Provenance: `sourceOrganisation` "StopNCII", `decisionReference` the case numbers (sorted,
///   space-separated), `note` the status and last-modified time.
///
/// The input streams: records are parsed one at a time as their bytes complete (each at most
/// `maxRecordBytes`). Issues are numbered by the record's position in the array (1-based).
///
/// For the StopNCII exchange client (`fetched: true`) each record also gets `sourceItemId`
/// `<signalType>:<hash>` (StopNCII's own key for a record: python-threatexchange keys fetched
/// records by type and hash, and a later record for them replaces the earlier), and the types Vigil
/// does not hold are only counted in ``ImportBatch/ignored``, not reported as issues on every page;
/// after ``finish()``, ``pageInfo`` holds the response's paging fields.
public struct StopNCIIReader: IndicatorReader {
    /// The organisation name put in every record's provenance.
    public static let sourceOrganisation = "StopNCII"

    /// The paging fields of a `FetchHashes` response object.
    public struct PageInfo: Sendable, Hashable {
        /// `nextPageToken`: the cursor of the next page of this set (nil or empty on the last).
        public var nextPageToken: String?
        /// `nextSetTimestamp`: where the next fetch starts once this set is done.
        public var nextSetTimestamp: Int64?
        /// `hasMoreRecords`: whether more pages of this set remain.
        public var hasMoreRecords: Bool
    }

    /// The response's paging fields, read by ``finish()`` from a response object (nil for a bare array).
    public private(set) var pageInfo: PageInfo?

    private var scanner: JSONRecordScanner
    private let fetched: Bool
    private var finished = false
    private var failure: ImportError?

    /// Creates a reader.
    /// - Parameters:
    ///   - maxRecordBytes: a larger record (or response envelope) stops the import.
    ///   - fetched: read for the exchange client (ids on records, other types only counted).
    public init(maxRecordBytes: Int = 1 << 20, fetched: Bool = false) {
        scanner = JSONRecordScanner(recordsKey: "hashRecords", limit: maxRecordBytes, format: .stopnciiJSON)
        self.fetched = fetched
    }

    /// Always ``ImportFormat/stopnciiJSON``.
    public var format: ImportFormat { .stopnciiJSON }

    /// The bytes of the record in progress and of the response envelope.
    public var bufferedByteCount: Int { scanner.bufferedByteCount }

    /// Parses the records the chunk completes; throws when the input is not JSON. When the chunk
    /// completed good records before the break, they are returned and the next call throws.
    public mutating func read(_ chunk: some Collection<UInt8>) throws(ImportError) -> ImportBatch {
        if let failure { throw failure }
        guard !finished else { throw .finished(format: .stopnciiJSON) }
        var batch = ImportBatch()
        var broken: ImportError?
        var scanError: ImportError?
        do {
            try scanner.feed(chunk) { number, line, bytes in
                guard broken == nil else { return }
                guard let value = JSONValue.parse(bytes) else {
                    broken = .malformed(format: .stopnciiJSON, record: number, line: line, reason: "record \(number) is not valid JSON")
                    return
                }
                Self.convert(value, number: number, fetched: fetched, into: &batch)
            }
        } catch {
            scanError = error
        }
        if let error = broken ?? scanError {
            failure = error
            if batch.isEmpty { throw error }
        }
        return batch
    }

    /// Checks the input ended after one complete JSON value holding the records.
    public mutating func finish() throws(ImportError) -> ImportBatch {
        if let failure { throw failure }
        guard !finished else { throw .finished(format: .stopnciiJSON) }
        finished = true
        try scanner.finish()
        if case .object(let fields)? = JSONValue.parse(scanner.envelope) {
            pageInfo = try Self.readPageInfo(fields, line: 1)
        }
        return ImportBatch()
    }

    /// The envelope's paging fields; a field of the wrong type is `.malformed` (a client cannot go on
    /// from a page it cannot follow).
    private static func readPageInfo(_ fields: [String: JSONValue], line: Int) throws(ImportError) -> PageInfo {
        func wrong(_ name: String, _ expected: String) -> ImportError {
            .malformed(format: .stopnciiJSON, record: 1, line: line, reason: "the response's \"\(name)\" is not \(expected)")
        }
        var info = PageInfo(hasMoreRecords: false)
        switch fields["nextPageToken"] {
        case nil, .null?: break
        case .string(let token)?: info.nextPageToken = token.isEmpty ? nil : token
        default: throw wrong("nextPageToken", "a string")
        }
        switch fields["nextSetTimestamp"] {
        case nil, .null?: break
        case let value?:
            guard let stamp = value.integer else { throw wrong("nextSetTimestamp", "a whole number of seconds") }
            info.nextSetTimestamp = stamp
        }
        switch fields["hasMoreRecords"] {
        case nil, .null?: break
        case .bool(let more)?: info.hasMoreRecords = more
        default: throw wrong("hasMoreRecords", "true or false")
        }
        return info
    }

    private static func convert(_ value: JSONValue, number: Int, fetched: Bool, into batch: inout ImportBatch) {
        guard let fields = value.object else {
            batch.issues.append(ImportIssue(record: number, message: "hash record is not a JSON object; skipped"))
            return
        }
        guard let kind = fields["signalType"]?.string else {
            batch.issues.append(ImportIssue(record: number, message: "hash record has no signalType string; skipped"))
            return
        }
        let type: SignalType
        switch kind {
        case "ImagePDQ": type = .pdq
        case "VideoMD5": type = .md5
        default:
            batch.ignore(String(kind.prefix(40)))
            if fetched { return }
            batch.issues.append(
                ImportIssue(
                    record: number, message: "signalType \"\(kind.prefix(40))\" is not imported (Vigil imports ImagePDQ and VideoMD5); skipped"))
            return
        }
        guard let raw = fields["hashValue"]?.string else {
            batch.issues.append(ImportIssue(record: number, message: "hash record has no hashValue string; skipped"))
            return
        }
        let hash: String
        do {
            hash = try type.normalise(raw)
        } catch {
            batch.issues.append(ImportIssue(record: number, message: "hashValue: \(error.description); skipped"))
            return
        }
        let status = fields["hashStatus"]?.string
        let deleted = status == "Withdrawn" || status == "Deleted"
        var provenance = Provenance(sourceOrganisation: sourceOrganisation, sourceItemId: fetched ? "\(kind):\(hash)" : nil)
        if let cases = fields["caseNumbers"]?.object, !cases.isEmpty {
            provenance.decisionReference = cases.keys.sorted().joined(separator: " ")
        }
        var note: [String] = []
        if let status { note.append("status \(status)") }
        if let modified = fields["lastModtimestamp"]?.integer {
            note.append("last modified \(RFC3339.string(fromUnixSeconds: modified))")
        }
        if !note.isEmpty { provenance.note = note.joined(separator: ", ") }
        batch.append(IndicatorRecord(type: type, value: hash, action: deleted ? .delete : .add, provenance: provenance), from: number)
    }
}
