import Foundation
import VigilDomain

#if canImport(FoundationXML)
import FoundationXML
#endif

/// Parses one NCMEC hash-sharing v2 `<queryResult>` page (the whole XML document of one
/// `GET /v2/entries` response) into records, with Foundation's `XMLParser`.
///
/// Elements used (local names; the `https://hashsharing.ncmec.org/hashsharing/v2` namespace or a
/// prefix are accepted): `queryResult` > `images` | `videos` (attribute `maxTimestamp`) >
/// `image` | `video` | `deletedImage` | `deletedVideo` > `member` (attribute `id`, text name), `id`,
/// `timestamp`, `classification`, `fingerprints` > one element per fingerprint (`md5`, `sha1`,
/// `pdna`, `pdq`, `tmk-pdqf`, ...; link-only ones have no text). `feedback` is skipped.
/// `queryResult` > `paging` > `next` is the next page's query.
final class NCMECPageParser: NSObject, XMLParserDelegate {
    /// What a page held besides its entries.
    struct PageInfo: Sendable {
        var next: String?
        var maxTimestamp: String?
    }

    private struct Entry {
        var number: Int
        var element: String
        var id = ""
        var memberId: String?
        var memberName = ""
        var timestamp: String?
        var classification: String?
        var fingerprints: [(name: String, value: String)] = []
    }

    private(set) var batch = ImportBatch()
    private(set) var info = PageInfo()
    private(set) var entryCount = 0
    private(set) var failure: String?
    private(set) var failureLine: Int?
    private let firstNumber: Int
    private var path: [String] = []
    private var entry: Entry?
    private var text = ""
    private var collecting = false

    /// Creates a parser whose entries are numbered from `firstNumber`.
    init(firstNumber: Int) {
        self.firstNumber = firstNumber
    }

    func parser(
        _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName qName: String?,
        attributes attributeDict: [String: String] = [:]
    ) {
        let name = Self.localName(elementName)
        path.append(name)
        text = ""
        collecting = false
        switch path.count {
        case 1 where name != "queryResult":
            fail("the document is <\(name)>, not an NCMEC <queryResult> entries page", parser)
            parser.abortParsing()
        case 2 where name == "images" || name == "videos":
            if let stamp = attributeDict["maxTimestamp"], stamp > (info.maxTimestamp ?? "") { info.maxTimestamp = stamp }
        case 3 where path[1] == "images" || path[1] == "videos":
            entryCount += 1
            entry = Entry(number: firstNumber + entryCount - 1, element: name)
        case 3 where path[1] == "paging" && name == "next":
            collecting = true
        case 4 where entry != nil:
            if name == "member" { entry?.memberId = attributeDict["id"] }
            collecting = ["member", "id", "timestamp", "classification"].contains(name)
        case 5 where entry != nil && path[3] == "fingerprints":
            collecting = true
        default: break
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if collecting { text += string }
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
        let value = text.trimmingSpacesAndNewlines()
        switch path.count {
        case 3 where path[1] == "paging" && path[2] == "next":
            info.next = value
        case 3:
            if let entry { finish(entry) }
            entry = nil
        case 4 where entry != nil:
            switch path[3] {
            case "member": entry?.memberName = value
            case "id": entry?.id = value
            case "timestamp": entry?.timestamp = value
            case "classification": entry?.classification = value.isEmpty ? nil : value
            default: break
            }
        case 5 where entry != nil && path[3] == "fingerprints":
            entry?.fingerprints.append((path[4], value))
        default: break
        }
        path.removeLast()
        text = ""
        collecting = false
    }

    /// libxml2 (under Foundation on Linux) parses in recovery mode and goes on after an error, so
    /// the first reported error is kept and fails the page.
    func parser(_ parser: XMLParser, parseErrorOccurred parseError: any Error) {
        let code = (parseError as NSError).code
        fail("the XML is not well-formed at line \(parser.lineNumber), column \(parser.columnNumber) (XMLParser error \(code))", parser)
    }

    private func fail(_ reason: String, _ parser: XMLParser) {
        guard failure == nil else { return }
        failure = reason
        failureLine = parser.lineNumber
    }

    /// Turns a complete entry into records, a tombstone or an issue.
    private func finish(_ entry: Entry) {
        let kinds = ["image": ("image", false), "video": ("video", false), "deletedImage": ("image", true), "deletedVideo": ("video", true)]
        guard let (kind, deleted) = kinds[entry.element] else {
            batch.issues.append(
                ImportIssue(
                    record: entry.number, message: "<\(entry.element)> is not an NCMEC entry (image, video, deletedImage, deletedVideo); skipped"))
            return
        }
        guard !entry.id.isEmpty else {
            batch.issues.append(ImportIssue(record: entry.number, message: "<\(entry.element)> has no <id>; skipped"))
            return
        }
        if deleted {
            batch.itemDeletions.append(
                ItemDeletion(
                    record: entry.number, sourceOrganisation: NCMECEntriesReader.sourceOrganisation, sourceItemId: entry.id,
                    deletedAt: entry.timestamp))
        }
        var provenance = Provenance(sourceOrganisation: NCMECEntriesReader.sourceOrganisation, sourceItemId: entry.id)
        if let memberId = entry.memberId {
            provenance.submittedBy = entry.memberName.isEmpty ? "member \(memberId)" : "member \(memberId) (\(entry.memberName))"
        }
        provenance.confirmedAt = entry.timestamp
        provenance.note = ([kind] + (entry.classification.map { ["classification \($0)"] } ?? [])).joined(separator: ", ")
        for fingerprint in entry.fingerprints {
            let type: SignalType
            switch fingerprint.name.lowercased() {
            case "pdq": type = .pdq
            case "md5": type = .md5
            default:
                batch.ignore(fingerprint.name)
                continue
            }
            guard !fingerprint.value.isEmpty else {
                batch.ignore(fingerprint.name)
                continue
            }
            do {
                let value = try type.normalise(fingerprint.value)
                batch.append(IndicatorRecord(type: type, value: value, action: deleted ? .delete : .add, provenance: provenance), from: entry.number)
            } catch {
                batch.issues.append(
                    ImportIssue(
                        record: entry.number, message: "entry \(entry.id): \(fingerprint.name) fingerprint: \(error.description); fingerprint skipped"
                    ))
            }
        }
    }

    /// The name without a namespace prefix.
    private static func localName(_ name: String) -> String {
        guard let colon = name.lastIndex(of: ":") else { return name }
        return String(name[name.index(after: colon)...])
    }
}

extension String {
    /// The text without leading and trailing whitespace and line breaks.
    func trimmingSpacesAndNewlines() -> String {
        guard let first = firstIndex(where: { !$0.isWhitespace }), let last = lastIndex(where: { !$0.isWhitespace }) else { return "" }
        return String(self[first...last])
    }
}
