import Foundation

#if canImport(FoundationXML)
import FoundationXML
#endif

/// Reads NCMEC hash-sharing API v2 entry pages (`GET /v2/entries` responses: `<queryResult>`
/// documents), one page at a time — the API is paged (about 1,000 entries a page), so memory is
/// bounded by one page (`maxPageBytes`, 32 MiB by default), not by the whole export.
///
/// Feed it one response, or several responses saved back to back: a page is parsed as soon as its
/// closing `</queryResult>` has arrived. A page is atomic: if it is not well-formed XML the reader
/// throws and none of that page's records are returned (earlier pages' records stay valid).
///
/// - `<image>` / `<video>` → one `.add` record per fingerprint Vigil holds (`<pdq>` → PDQ,
///   `<md5>` → MD5); `sha1`, `pdna`, `tmk-pdqf`, `videntifier`, ... are counted in
///   ``ImportBatch/ignored``.
/// - `<deletedImage>` / `<deletedVideo>` → an ``ItemDeletion`` for the entry id (NCMEC does not
///   repeat the fingerprints), plus `.delete` records for any fingerprints it does carry.
/// - Provenance: `sourceOrganisation` "NCMEC", `sourceItemId` `<id>`, `submittedBy`
///   `member <id> (<name>)` from `<member id=…>`, `confirmedAt` `<timestamp>`, `note` the entry kind
///   and `<classification>` (e.g. `image, classification A1`).
///
/// Issues are numbered by the entry's position among all entries read (1-based).
public struct NCMECEntriesReader: IndicatorReader {
    /// The organisation name put in every record's provenance.
    public static let sourceOrganisation = "NCMEC"

    /// The largest page accepted, in bytes.
    public let maxPageBytes: Int
    /// The `<paging><next>` query of the last page read (nil when it had none: the last page).
    public private(set) var nextPage: String?
    /// The latest `maxTimestamp` of the `<images>` / `<videos>` of the pages read.
    public private(set) var maxTimestamp: String?
    /// How many pages have been parsed.
    public private(set) var pageCount = 0

    private var buffer: [UInt8] = []
    private var scanned = 0
    private var entryCount = 0
    private var finished = false
    private var failure: ImportError?

    /// Creates a reader.
    /// - Parameter maxPageBytes: a larger page stops the import (fetch smaller pages from the API).
    public init(maxPageBytes: Int = 32 << 20) {
        self.maxPageBytes = maxPageBytes
    }

    /// Always ``ImportFormat/ncmecXML``.
    public var format: ImportFormat { .ncmecXML }

    /// The bytes of the page in progress.
    public var bufferedByteCount: Int { buffer.count }

    /// Buffers the chunk and parses every page it completes.
    /// If an earlier page of this chunk was good, the error for a later one is thrown by the next call.
    public mutating func read(_ chunk: some Collection<UInt8>) throws(ImportError) -> ImportBatch {
        if let failure { throw failure }
        guard !finished else { throw .finished(format: .ncmecXML) }
        buffer.append(contentsOf: chunk)
        var batch = ImportBatch()
        do throws(ImportError) {
            while let end = pageEnd() {
                let page = Array(buffer[..<end].drop(while: { $0 == 32 || $0 == 9 || $0 == 10 || $0 == 13 }))
                buffer.removeSubrange(..<end)
                scanned = 0
                batch.append(try parse(page))
            }
            if buffer.count > maxPageBytes {
                throw ImportError.tooLarge(format: .ncmecXML, record: entryCount + 1, line: 1, limit: maxPageBytes)
            }
        } catch {
            failure = error
            buffer = []
            if batch.isEmpty { throw error }
        }
        return batch
    }

    /// Parses what is left; throws if it is not a complete page (or if there was no page at all).
    public mutating func finish() throws(ImportError) -> ImportBatch {
        if let failure { throw failure }
        guard !finished else { throw .finished(format: .ncmecXML) }
        finished = true
        let rest = buffer
        buffer = []
        if rest.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 10 || $0 == 13 }) {
            guard pageCount > 0 else {
                throw .malformed(format: .ncmecXML, record: 1, line: 1, reason: "the input is empty: expected an NCMEC <queryResult> page")
            }
            return ImportBatch()
        }
        return try parse(Array(rest.drop(while: { $0 == 32 || $0 == 9 || $0 == 10 || $0 == 13 })))
    }

    /// The end of the first complete page in the buffer: just after a `</queryResult>` (or
    /// `</prefix:queryResult>`) closing tag.
    private mutating func pageEnd() -> Int? {
        let tag = Array("queryResult>".utf8)
        var index = max(scanned, 0)
        while index + tag.count <= buffer.count {
            if buffer[index] == tag[0], buffer[index..<(index + tag.count)].elementsEqual(tag) {
                var back = index - 1
                while back >= 0, buffer[back] != UInt8(ascii: "/"), buffer[back] != UInt8(ascii: "<"), index - back < 64 { back -= 1 }
                if back >= 1, buffer[back] == UInt8(ascii: "/"), buffer[back - 1] == UInt8(ascii: "<") {
                    return index + tag.count
                }
            }
            index += 1
        }
        scanned = max(0, buffer.count - tag.count - 64)
        return nil
    }

    private mutating func parse(_ page: [UInt8]) throws(ImportError) -> ImportBatch {
        // Foundation's XMLParser on Linux traps (a force unwrap in swift-corelibs-foundation's
        // _NSXMLParserStartElementNs) on an element name that is not valid UTF-8, which libxml2 can
        // pass on; NCMEC pages are UTF-8, so anything else is refused here, before the parser sees it.
        if let offset = Self.invalidUTF8Offset(page) {
            throw .malformed(
                format: .ncmecXML, record: entryCount + 1, line: page[..<offset].count(where: { $0 == UInt8(ascii: "\n") }) + 1,
                reason: "byte \(offset + 1) of the page is not valid UTF-8 (NCMEC pages are UTF-8)")
        }
        if let offset = Self.processingInstructionOffset(page) {
            throw .malformed(
                format: .ncmecXML, record: entryCount + 1, line: page[..<offset].count(where: { $0 == UInt8(ascii: "\n") }) + 1,
                reason: "byte \(offset + 1) starts a processing instruction (<?…?>) or a declaration (<!DOCTYPE, <!ENTITY), "
                    + "which NCMEC pages do not have")
        }
        let delegate = NCMECPageParser(firstNumber: entryCount + 1)
        // A stream makes XMLParser push the page to libxml2 in small chunks; one 10 MB push trips
        // libxml2's "huge input" limit.
        let parser = XMLParser(stream: InputStream(data: Data(page)))
        parser.shouldProcessNamespaces = false
        parser.shouldResolveExternalEntities = false
        parser.delegate = delegate
        let ok = parser.parse()
        if !ok || delegate.failure != nil {
            let reason = delegate.failure ?? "the XML is not well-formed (\(Self.describe(parser.parserError)))"
            throw .malformed(
                format: .ncmecXML, record: entryCount + max(delegate.entryCount, 1), line: delegate.failureLine ?? parser.lineNumber,
                reason: reason)
        }
        entryCount += delegate.entryCount
        pageCount += 1
        nextPage = delegate.info.next
        if let stamp = delegate.info.maxTimestamp, stamp > (maxTimestamp ?? "") { maxTimestamp = stamp }
        return delegate.batch
    }

    /// The offset of the first `<?` that is not the XML declaration at the start, or of the first `<!`
    /// that is not a comment or CDATA (a DOCTYPE could declare entities that expand), or nil.
    ///
    /// Foundation's XMLParser on Linux crashes (strlen of a null pointer in
    /// `_NSXMLParserProcessingInstruction`) on a processing instruction without data, such as
    /// `<?x?>` (found by fuzzing the exchange pages); NCMEC pages have none, so every processing
    /// instruction is refused before the parser sees it.
    static func processingInstructionOffset(_ bytes: [UInt8]) -> Int? {
        var start = 0
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { start = 3 }
        var index = start
        while index + 1 < bytes.count {
            if bytes[index] == UInt8(ascii: "<"), bytes[index + 1] == UInt8(ascii: "?") {
                let declaration = Array("<?xml".utf8)
                let isDeclaration =
                    index == start && bytes[index...].starts(with: declaration) && index + 5 < bytes.count
                    && [32, 9, 10, 13].contains(bytes[index + 5])
                if !isDeclaration { return index }
            }
            if bytes[index] == UInt8(ascii: "<"), bytes[index + 1] == UInt8(ascii: "!"),
                !bytes[index...].starts(with: Array("<!--".utf8)), !bytes[index...].starts(with: Array("<![CDATA[".utf8))
            {
                return index
            }
            index += 1
        }
        return nil
    }

    /// The offset of the first byte of `bytes` that does not start a valid UTF-8 sequence, or nil.
    static func invalidUTF8Offset(_ bytes: [UInt8]) -> Int? {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let scalar): offset += scalar.count
            case .error: return offset
            case .emptyInput: return nil
            }
        }
    }

    private static func describe(_ error: (any Error)?) -> String {
        guard let error else { return "unknown parser error" }
        let nsError = error as NSError
        return "XMLParser error \(nsError.code) at column \(nsError.userInfo["NSXMLParserErrorColumn"] ?? "?")"
    }
}
