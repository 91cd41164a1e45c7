/// StopNCII's `FetchHashes` protocol (`GET /FetchHashes?startTimestamp=…&pageSize=…[&nextPageToken=…]`),
/// without I/O: the checkpoint and what a page means. Pages are read by ``StopNCIIReader`` (the
/// same reader as file imports) in its `fetched` mode.
///
/// A fetch asks for the set changed since `startTimestamp` and follows `nextPageToken` while
/// `hasMoreRecords`; when the set is done the next fetch starts at its `nextSetTimestamp`. The
/// checkpoint keeps the set's `startTimestamp` with the token, so a resumed fetch asks for the same
/// set; a record fetched twice (StopNCII sends the current state of a hash) replaces itself.
public struct StopNCIIHashFetching: Sendable {
    /// The exchange kind.
    public static let kind = "stopncii"
    /// python-threatexchange's first `startTimestamp`.
    public static let defaultStart: Int64 = 10

    /// The resume state.
    public struct Cursor: Sendable, Codable, Hashable {
        /// The `startTimestamp` of the set in progress (or of the next one).
        public var start: Int64
        /// The `nextPageToken` while a set is in progress.
        public var token: String?

        /// Creates a cursor.
        public init(start: Int64, token: String? = nil) {
            self.start = start
            self.token = token
        }
    }

    /// Records asked for per page (python-threatexchange: 800).
    public var pageSize: Int
    /// Where the first fetch starts.
    public var start: Int64
    /// The largest record accepted, in bytes.
    public var maxRecordBytes: Int

    /// Creates the protocol's settings.
    public init(pageSize: Int = 800, start: Int64 = defaultStart, maxRecordBytes: Int = 1 << 20) {
        self.pageSize = pageSize
        self.start = start
        self.maxRecordBytes = maxRecordBytes
    }

    /// The request after `checkpoint`.
    public func request(after checkpoint: ExchangeCheckpoint?) throws(ExchangeError) -> ExchangeRequest {
        let cursor = try ExchangeCursorCoding.decode(Cursor.self, from: checkpoint, kind: Self.kind) ?? Cursor(start: start)
        var query: [ExchangeRequest.QueryItem] = [.init("startTimestamp", String(cursor.start)), .init("pageSize", String(pageSize))]
        if let token = cursor.token { query.append(.init("nextPageToken", token)) }
        return ExchangeRequest(path: "/FetchHashes", query: query)
    }

    /// The page a response body is, with the checkpoint after it; `.malformed` when it is not a
    /// `FetchHashes` response object (nothing of it is applied).
    public func page(_ body: [UInt8], after checkpoint: ExchangeCheckpoint?) throws(ExchangeError) -> ExchangePage {
        let cursor = try ExchangeCursorCoding.decode(Cursor.self, from: checkpoint, kind: Self.kind) ?? Cursor(start: start)
        var reader = StopNCIIReader(maxRecordBytes: maxRecordBytes, fetched: true)
        let batch: ImportBatch
        do {
            batch = try reader.readAll(body)
        } catch {
            switch error {
            case .malformed(_, let record, let line, let reason):
                throw .malformed("the StopNCII FetchHashes answer is broken at record \(record) (line \(line)): \(reason)")
            case .tooLarge(_, let record, _, let limit):
                throw .malformed("record \(record) of the StopNCII FetchHashes answer is over \(limit) bytes")
            case .finished: throw .malformed("the StopNCII FetchHashes answer could not be read")
            }
        }
        guard let info = reader.pageInfo else {
            throw .malformed("the StopNCII FetchHashes answer is not a response object (a bare array has no paging fields)")
        }
        let next: Cursor
        if info.hasMoreRecords {
            guard let token = info.nextPageToken else {
                throw .malformed("the StopNCII FetchHashes answer has more records but no nextPageToken")
            }
            next = Cursor(start: cursor.start, token: token)
        } else {
            next = Cursor(start: max(cursor.start, info.nextSetTimestamp ?? cursor.start))
        }
        return ExchangePage(
            batch: batch, checkpoint: ExchangeCheckpoint(state: ExchangeCursorCoding.encode(next), timestamp: next.start),
            hasMore: info.hasMoreRecords)
    }
}
