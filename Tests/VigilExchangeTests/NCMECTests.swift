import Foundation
import Testing
import VigilDomain
import VigilExchange
import VigilTestSupport

@Suite("NCMEC hash-sharing v2 XML import")
struct NCMECTests {
    static let member7 = "member 7 (Synthetic Member)"

    @Test func pageImportsFingerprintsTombstonesAndPaging() throws {
        var reader = NCMECEntriesReader()
        let batch = try reader.readAll(try ExchangeFixtures.bytes("ncmec-page.xml"))
        let first = Provenance(
            sourceOrganisation: "NCMEC", sourceItemId: "img-100", submittedBy: Self.member7, confirmedAt: "2024-03-01T09:00:00Z",
            note: "image, classification B1")
        let second = Provenance(
            sourceOrganisation: "NCMEC", sourceItemId: "img-101", submittedBy: Self.member7, confirmedAt: "2024-03-01T09:05:00Z",
            note: "image")
        let video = Provenance(
            sourceOrganisation: "NCMEC", sourceItemId: "vid-200", submittedBy: "member 8 (Other Member)",
            confirmedAt: "2024-03-01T11:00:00Z", note: "video, classification A2")
        #expect(
            batch.records == [
                IndicatorRecord(type: .md5, value: Hex.m1, provenance: first),
                pdq(Hex.p1, first),
                IndicatorRecord(type: .md5, value: Hex.m2, provenance: second),
                IndicatorRecord(type: .md5, value: Hex.m3, provenance: video),
            ])
        #expect(
            batch.itemDeletions == [ItemDeletion(record: 3, sourceOrganisation: "NCMEC", sourceItemId: "img-050", deletedAt: "2024-03-02T10:00:00Z")])
        #expect(batch.issues.map(\.record) == [2, 4])
        #expect(batch.issues[0].message.contains("entry img-101: pdq fingerprint: a pdq value is 64 hex digits, got 60"))
        #expect(batch.issues[1].message.contains("has no <id>"))
        #expect(batch.ignored == ["sha1": 1, "pdna": 1, "tmk-pdqf": 1])
        #expect(reader.nextPage == "/v2/entries?from=2024-03-01T00%3A00%3A00.000Z&to=2024-03-03T00%3A00%3A00.000Z&start=1001&size=1000&max=1500")
        #expect(reader.maxTimestamp == "2024-03-02T10:00:00Z")
    }

    @Test func pagesBackToBackAreParsedAsTheyComplete() throws {
        let page = try ExchangeFixtures.bytes("ncmec-page.xml")
        var reader = NCMECEntriesReader()
        let firstHalf = try reader.read(page + page.prefix(100))
        #expect(firstHalf.records.count == 4)
        #expect(reader.bufferedByteCount == 101)  // the newline after the first page, then 100 bytes
        let rest = try reader.read(page.dropFirst(100))
        let tail = try reader.finish()
        #expect(rest.records.count == 4 && tail.isEmpty)
        #expect(rest.itemDeletions.map(\.record) == [8])
        #expect(reader.pageCount == 2)
    }

    @Test func deletedEntryWithFingerprintsGivesDeleteRecords() throws {
        let xml = """
            <queryResult><images count="1"><deletedImage><member id="3">M</member><id>x-1</id>\
            <fingerprints><pdq>\(Hex.p3)</pdq></fingerprints></deletedImage></images></queryResult>
            """
        var reader = NCMECEntriesReader()
        let batch = try reader.readAll(Array(xml.utf8))
        #expect(batch.records.map(\.action) == [.delete])
        #expect(batch.itemDeletions.map(\.sourceItemId) == ["x-1"])
    }

    @Test func namespacePrefixesAreAccepted() throws {
        let xml = """
            <ns2:queryResult xmlns:ns2="https://hashsharing.ncmec.org/hashsharing/v2"><ns2:images><ns2:image>\
            <ns2:id>p-1</ns2:id><ns2:fingerprints><ns2:md5>\(Hex.m1)</ns2:md5></ns2:fingerprints></ns2:image></ns2:images></ns2:queryResult>
            """
        var reader = NCMECEntriesReader()
        #expect(try reader.readAll(Array(xml.utf8)).records.map(\.value) == [Hex.m1])
    }

    /// Found by Fuzz/run.sh ncmec-xml: a page whose element name holds bytes that are not UTF-8
    /// trapped inside Foundation's XMLParser (the fuzz target's first crash); it is now refused.
    @Test func pageThatIsNotUTF8IsMalformedNotACrash() throws {
        let page = try [UInt8](Data(contentsOf: TestPaths.fixtures.appendingPathComponent("fuzz/ncmec-invalid-utf8-name.xml")))
        var reader = NCMECEntriesReader()
        #expect(
            throws: ImportError.malformed(
                format: .ncmecXML, record: 1, line: 6, reason: "byte 254 of the page is not valid UTF-8 (NCMEC pages are UTF-8)")
        ) {
            try reader.readAll(page)
        }
        // The smallest case: one element name with a byte that is not UTF-8.
        var small = NCMECEntriesReader()
        let bytes =
            Array("<queryResult><images><image><id".utf8) + [0xC1] + Array(">1</id".utf8) + [0xC1] + Array("></image></images></queryResult>".utf8)
        #expect(
            throws: ImportError.malformed(
                format: .ncmecXML, record: 1, line: 1, reason: "byte 32 of the page is not valid UTF-8 (NCMEC pages are UTF-8)")
        ) {
            try small.readAll(bytes)
        }
    }

    @Test func brokenXMLThrowsAfterEarlierPages() throws {
        let page = try ExchangeFixtures.bytes("ncmec-page.xml")
        let broken = Array("<queryResult><images><image><id>a</id></images></queryResult>".utf8)
        let outcome = feed(NCMECEntriesReader(), page + broken, nextSize: { _ in 64 })
        #expect(outcome.batch.records.count == 4)
        guard case .malformed(.ncmecXML, record: 6, line: _, let reason) = outcome.error else {
            Issue.record("expected malformed, got \(String(describing: outcome.error))")
            return
        }
        #expect(reason.contains("not well-formed"))
    }

    @Test func otherDocumentsAndEmptyInputAreRefused() {
        let status = importAll(NCMECEntriesReader(), "<status><username>u</username></status>")
        #expect(status.error.map { "\($0)" }?.contains("not an NCMEC <queryResult>") == true)
        let empty = importAll(NCMECEntriesReader(), "  \n")
        #expect(empty.error.map { "\($0)" }?.contains("empty") == true)
        let truncated = importAll(NCMECEntriesReader(), "<queryResult><images><image>")
        #expect(truncated.error != nil)
    }

    @Test func pageOverTheLimitIsTooLarge() {
        let outcome = feed(NCMECEntriesReader(maxPageBytes: 1000), Array(repeating: UInt8(ascii: " "), count: 2000))
        #expect(outcome.error == .tooLarge(format: .ncmecXML, record: 1, line: 1, limit: 1000))
    }

    @Test func tenMegabytePageParses() throws {
        var entries = ""
        var count = 0
        while entries.utf8.count < 10_000_000 {
            count += 1
            let md5 = String(String(count, radix: 16).reversed()).padding(toLength: 32, withPad: "7", startingAt: 0)
            entries +=
                "<image><member id=\"1\">M</member><timestamp>2024-01-01T00:00:00Z</timestamp><id>e\(count)</id>"
                + "<classification>A1</classification><fingerprints><md5>\(md5)</md5><sha1>\(String(repeating: "1", count: 40))</sha1>"
                + "<pdq>\(md5)\(md5)</pdq></fingerprints></image>\n"
        }
        let page = Array("<?xml version=\"1.0\"?><queryResult><images count=\"\(count)\">\(entries)</images></queryResult>".utf8)
        let outcome = feed(NCMECEntriesReader(), page, nextSize: { _ in 1 << 16 })
        #expect(outcome.error == nil)
        #expect(outcome.batch.records.count == 2 * count)
        #expect(outcome.batch.ignored == ["sha1": count])
        #expect(outcome.batch.issues.isEmpty)
    }
}
