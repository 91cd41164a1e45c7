/// NCMEC's hash-sharing API v2 (`GET /v2/entries?from=…&to=…`, then the `<paging><next>` query of
/// each page), without I/O: the time windows, the checkpoint, and what a page means. Pages are
/// parsed by ``NCMECEntriesReader``, the same reader as file imports (one rule, one place).
///
/// NCMEC does not return a window's entries in time order, and an entry can become visible after a
/// window that covers its timestamp was fetched (HMA's fetcher lost entries both ways). So:
/// - the checkpoint moves past a window only when its last page has been applied; in between it
///   keeps the window's exact `from`/`to` and the `next` query, which is only valid with them
///   (python-threatexchange's issue 1744), and a `next` older than `pagingLifetime` (NCMEC: do not
///   keep paging URLs long) restarts the window from its first page;
/// - at the live edge, each new window starts `overlap` seconds before the end of the last finished
///   one, and ends `settle` seconds before now: an entry that shows up late, with a timestamp up to
///   `overlap` seconds old, is still fetched. Entries fetched twice are harmless: an entry sent
///   again under the same id replaces the earlier one. While catching up (the last window was cut
///   short by the span) windows follow on without overlap;
/// - a window whose first page says it holds more than `maxWindowEntries` entries is shrunk to a
///   quarter before anything of it is applied, and the span doubles again after small windows
///   (python-threatexchange's probing, simplified).
public struct NCMECHashSharing: Sendable {
    /// The exchange kind.
    public static let kind = "ncmec"

    /// The resume state, kept as the checkpoint's JSON.
    public struct Cursor: Sendable, Codable, Hashable {
        /// The end of the last finished window (Unix seconds); nil before the first one finished.
        public var complete: Int64?
        /// The longest window to ask for, in seconds (nil: up to now).
        public var span: Int64?
        /// The window in progress, if a page of it has been applied and more remain.
        public var window: Window?
        /// Whether the last finished window was cut short by the span (the fetch is catching up: the
        /// next window follows on without overlap, so a span shorter than the overlap still advances).
        public var behind: Bool?

        /// Creates a cursor.
        public init(complete: Int64? = nil, span: Int64? = nil, window: Window? = nil, behind: Bool? = nil) {
            self.complete = complete
            self.span = span
            self.window = window
            self.behind = behind
        }
    }

    /// One window of the fetch.
    public struct Window: Sendable, Codable, Hashable {
        /// The window's `from` (Unix seconds).
        public var from: Int64
        /// Its `to`.
        public var to: Int64
        /// The `<paging><next>` query of the last page applied (`/v2/entries?…`), nil before the first page.
        public var next: String?
        /// When the window's first page was fetched (Unix seconds, the node's clock).
        public var issuedAt: Int64
        /// Entries applied so far from this window.
        public var fetched: Int
        /// Whether `to` was cut short by the span (more remains up to now).
        public var capped: Bool

        /// Creates a window.
        public init(from: Int64, to: Int64, next: String? = nil, issuedAt: Int64, fetched: Int = 0, capped: Bool) {
            self.from = from
            self.to = to
            self.next = next
            self.issuedAt = issuedAt
            self.fetched = fetched
            self.capped = capped
        }
    }

    /// The request to make and the window it belongs to.
    public struct Plan: Sendable, Hashable {
        /// The request (nil: the window would be empty; the fetch is up to date).
        public var request: ExchangeRequest?
        /// The cursor the request belongs to, its window set.
        public var cursor: Cursor
    }

    /// Where the first fetch starts (Unix seconds).
    public var start: Int64
    /// How far each new window reaches back behind the last finished one, in seconds.
    public var overlap: Int64
    /// How far behind now each window ends, in seconds (python-threatexchange: 5).
    public var settle: Int64
    /// A window estimated to hold more entries than this is shrunk before it is applied.
    public var maxWindowEntries: Int
    /// How long a `next` query is used after its window's first page, in seconds.
    public var pagingLifetime: Int64
    /// The largest page accepted, in bytes.
    public var maxPageBytes: Int

    /// Creates the protocol's settings.
    public init(
        start: Int64 = 0, overlap: Int64 = 3600, settle: Int64 = 5, maxWindowEntries: Int = 400_000, pagingLifetime: Int64 = 12 * 3600,
        maxPageBytes: Int = 32 << 20
    ) {
        self.start = start
        self.overlap = overlap
        self.settle = settle
        self.maxWindowEntries = maxWindowEntries
        self.pagingLifetime = pagingLifetime
        self.maxPageBytes = maxPageBytes
    }

    /// The request after `checkpoint` at time `now` (Unix seconds).
    public func plan(after checkpoint: ExchangeCheckpoint?, now: Int64) throws(ExchangeError) -> Plan {
        var cursor = try ExchangeCursorCoding.decode(Cursor.self, from: checkpoint, kind: Self.kind) ?? Cursor()
        if var window = cursor.window {
            if let next = window.next, now - window.issuedAt <= pagingLifetime {
                guard let request = Self.request(fromNext: next) else {
                    throw .misconfigured("the stored NCMEC paging query is not /v2/entries?…: reset the exchange's checkpoint")
                }
                return Plan(request: request, cursor: cursor)
            }
            // The paging query is too old to trust: fetch the same window again from its first page.
            window.next = nil
            window.fetched = 0
            window.issuedAt = now
            cursor.window = window
            return Plan(request: windowRequest(window), cursor: cursor)
        }
        let from = cursor.complete.map { cursor.behind == true ? $0 : max(0, $0 - overlap) } ?? start
        let end = now - settle
        let to = cursor.span.map { min(end, from + $0) } ?? end
        guard to > from else { return Plan(request: nil, cursor: cursor) }
        let window = Window(from: from, to: to, issuedAt: now, capped: to < end)
        cursor.window = window
        return Plan(request: windowRequest(window), cursor: cursor)
    }

    /// The page a response to `plan`'s request is, with the checkpoint after it; `.malformed` when
    /// the body is not an entries page (nothing of it is applied).
    public func page(_ body: [UInt8], plan: Plan) throws(ExchangeError) -> ExchangePage {
        var cursor = plan.cursor
        guard var window = cursor.window else { return upToDate(cursor) }
        var reader = NCMECEntriesReader(maxPageBytes: maxPageBytes)
        let batch: ImportBatch
        do {
            batch = try reader.readAll(body)
        } catch {
            switch error {
            case .malformed(_, _, let line, let reason): throw .malformed("the NCMEC entries page is broken at line \(line): \(reason)")
            case .tooLarge(_, _, _, let limit): throw .malformed("the NCMEC entries page is over \(limit) bytes")
            case .finished: throw .malformed("the NCMEC entries page could not be read")
            }
        }
        guard reader.pageCount == 1 else { throw .malformed("the answer holds \(reader.pageCount) NCMEC pages, not one") }
        let next = reader.nextPage.flatMap { $0.isEmpty ? nil : $0 }
        if let next, Self.request(fromNext: next) == nil {
            throw .malformed("the NCMEC page's <next> is not a /v2/entries query: \(next.prefix(120))")
        }
        let entries = batch.records.count + batch.itemDeletions.count + batch.issues.count
        if window.next == nil, let next, window.to - window.from > 1, let estimate = Self.estimatedEntries(next: next), estimate > maxWindowEntries {
            // Too large a window: ask again for a quarter of it; nothing of this page is applied.
            cursor.span = max(1, (window.to - window.from) / 4)
            cursor.window = nil
            return ExchangePage(batch: ImportBatch(), checkpoint: checkpoint(cursor), hasMore: true)
        }
        window.fetched += entries
        if let next {
            window.next = next
            cursor.window = window
            return ExchangePage(batch: batch, checkpoint: checkpoint(cursor), hasMore: true)
        }
        cursor.complete = window.to
        cursor.window = nil
        cursor.behind = window.capped
        if let span = cursor.span, window.fetched < 2 * 1000 { cursor.span = span * 2 }
        return ExchangePage(batch: batch, checkpoint: checkpoint(cursor), hasMore: window.capped)
    }

    /// The page for a plan with nothing to fetch.
    public func upToDate(_ cursor: Cursor) -> ExchangePage {
        ExchangePage(batch: ImportBatch(), checkpoint: checkpoint(cursor), hasMore: false)
    }

    private func checkpoint(_ cursor: Cursor) -> ExchangeCheckpoint {
        ExchangeCheckpoint(state: ExchangeCursorCoding.encode(cursor), timestamp: cursor.complete ?? start)
    }

    private func windowRequest(_ window: Window) -> ExchangeRequest {
        ExchangeRequest(
            path: "/v2/entries",
            query: [.init("from", RFC3339.string(fromUnixSeconds: window.from)), .init("to", RFC3339.string(fromUnixSeconds: window.to))])
    }

    /// The request a `<next>` query names; nil unless it is `/v2/entries?…`.
    static func request(fromNext next: String) -> ExchangeRequest? {
        guard next.hasPrefix("/v2/entries?"), let mark = next.firstIndex(of: "?"),
            let query = ExchangeRequest.parseQuery(next[next.index(after: mark)...])
        else { return nil }
        return ExchangeRequest(path: "/v2/entries", query: query)
    }

    /// The entries left in the window after this page, from the `next` query's `start` and `max`
    /// (python-threatexchange's `estimated_entries_in_range`).
    static func estimatedEntries(next: String) -> Int? {
        guard let query = request(fromNext: next)?.query else { return nil }
        let start = query.first { $0.name == "start" }.flatMap { Int($0.value) }
        let max = query.first { $0.name == "max" }.flatMap { Int($0.value) }
        guard let start, let max else { return nil }
        return max - start + 1
    }
}
