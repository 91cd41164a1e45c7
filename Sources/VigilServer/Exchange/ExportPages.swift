import OpenAPIRuntime
import VigilDomain
import VigilExchange
import VigilStore

/// A list's live entries written in an export format, one page of the store per element: read
/// only as fast as the client takes them.
struct ExportPages: AsyncSequence, Sendable {
    typealias Element = ArraySlice<UInt8>

    let store: any ListStore
    let list: String
    /// Only entries of this type (all when nil).
    let type: SignalType?
    let writer: any IndicatorWriter
    /// Entries read from the store per page.
    var pageSize = 5_000

    func makeAsyncIterator() -> Iterator {
        Iterator(pages: self)
    }

    struct Iterator: AsyncIteratorProtocol {
        let pages: ExportPages
        var headerSent = false
        var after: Int64 = 0
        var finished = false

        mutating func next() async throws -> ArraySlice<UInt8>? {
            if !headerSent {
                headerSent = true
                let header = pages.writer.header()
                if !header.isEmpty { return header[...] }
            }
            while !finished {
                let page = try await pages.store.entries(ofList: pages.list, afterId: after, limit: pages.pageSize)
                guard let last = page.last else { break }
                after = last.id
                var bytes: [UInt8] = []
                for entry in page where pages.type == nil || entry.type == pages.type {
                    try pages.writer.write(IndicatorRecord(type: entry.type, value: entry.value, provenance: entry.provenance), to: &bytes)
                }
                if !bytes.isEmpty { return bytes[...] }
            }
            finished = true
            return nil
        }
    }
}
