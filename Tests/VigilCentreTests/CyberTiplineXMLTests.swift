import Foundation
import Testing
import VigilCentre

/// The safe reader refuses hostile documents before any parser sees them, with a typed error.
@Suite("CyberTipline: the safe XML reader")
struct CyberTiplineXMLTests {
    private func refusal(_ text: String, limits: CyberTiplineXML.Limits = CyberTiplineXML.Limits()) -> CyberTiplineError? {
        do {
            _ = try CyberTiplineXML.parse(Data(text.utf8), limits: limits)
            return nil
        } catch {
            return error
        }
    }

    @Test func aPlainDocumentIsRead() throws {
        let root = try CyberTiplineXML.parse(
            Data(
                """
                <?xml version="1.0" encoding="UTF-8"?>
                <!-- a comment is fine -->
                <report><additionalInfo><![CDATA[a < b & c]]> and &amp; more</additionalInfo><x:n xmlns:x="urn:example" x:a="1"/></report>
                """.utf8))
        #expect(root.name == "report")
        #expect(root.text("additionalInfo") == "a < b & c and & more")
        #expect(root.children.map(\.name) == ["additionalInfo", "n"])
        #expect(root.children[1].attributes["a"] == "1")
    }

    @Test func billionLaughsIsRefusedBeforeParsing() {
        let text = """
            <?xml version="1.0"?>
            <!DOCTYPE lolz [
             <!ENTITY lol "lol">
             <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
             <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
             <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
            ]>
            <report><additionalInfo>&lol4;</additionalInfo></report>
            """
        let error = refusal(text)
        #expect(error?.reason == .forbiddenMarkup)
        #expect(error?.responseCode == .validationFailed)
        #expect(error?.message.contains("<!DOCTYPE") == true)
        #expect(error?.message.contains("line 2") == true)
    }

    @Test func anExternalEntityIsRefusedBeforeParsing() {
        let text = """
            <?xml version="1.0"?>
            <!DOCTYPE report [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
            <report><additionalInfo>&xxe;</additionalInfo></report>
            """
        let error = refusal(text)
        #expect(error?.reason == .forbiddenMarkup)
        #expect(error?.responseCode.rawValue == 4100)
    }

    @Test func aDoctypeAloneIsRefused() {
        #expect(refusal("<!DOCTYPE report>\n<report/>")?.reason == .forbiddenMarkup)
        #expect(refusal("<!DOCTYPE report SYSTEM \"http://example.com/report.dtd\"><report/>")?.reason == .forbiddenMarkup)
    }

    @Test func anEntityDeclarationWithoutDoctypeIsRefused() {
        #expect(refusal("<report><!ENTITY a \"b\"></report>")?.reason == .forbiddenMarkup)
    }

    @Test func processingInstructionsOtherThanTheDeclarationAreRefused() {
        #expect(refusal("<report><?xml-stylesheet href=\"a.xsl\"?></report>")?.reason == .forbiddenMarkup)
        #expect(refusal("\n<?xml version=\"1.0\"?><report/>")?.reason == .forbiddenMarkup)
    }

    @Test func markupInsideCommentsAndCDATAIsText() throws {
        let root = try CyberTiplineXML.parse(Data("<report><!-- <!DOCTYPE x> --><a><![CDATA[<!ENTITY y>]]></a></report>".utf8))
        #expect(root.text("a") == "<!ENTITY y>")
    }

    @Test func tooDeepIsRefused() {
        let deep = String(repeating: "<a>", count: 40) + String(repeating: "</a>", count: 40)
        let error = refusal(deep)
        #expect(error?.reason == .tooDeep)
        #expect(error?.message.contains("16 levels") == true)
        #expect(refusal(deep, limits: CyberTiplineXML.Limits(depth: 40)) == nil)
    }

    @Test func tooLargeIsRefusedWithoutParsing() {
        let big = "<report><additionalInfo>" + String(repeating: "x", count: 1 << 20) + "</additionalInfo></report>"
        let error = refusal(big)
        #expect(error?.reason == .tooLarge)
        #expect(error?.message.contains("at most 1048576") == true)
    }

    @Test func tooManyElementsIsRefused() {
        let many = "<r>" + String(repeating: "<a/>", count: 101) + "</r>"
        #expect(refusal(many, limits: CyberTiplineXML.Limits(elements: 100))?.reason == .tooManyElements)
    }

    @Test func otherEncodingsAreRefused() {
        var utf16: [UInt8] = [0xFF, 0xFE]
        for unit in "<report/>".utf16 { utf16 += [UInt8(unit & 0xFF), UInt8(unit >> 8)] }
        #expect(throws: CyberTiplineError.self) { try CyberTiplineXML.parse(utf16) }
        #expect(refusal("<?xml version=\"1.0\" encoding=\"UTF-16\"?><report/>")?.reason == .notUTF8)
        #expect(refusal("<report>a\u{0}b</report>")?.reason == .notUTF8)
        do {
            _ = try CyberTiplineXML.parse([0x3C, 0x72, 0x3E, 0xC3, 0x28, 0x3C, 0x2F, 0x72, 0x3E])
            Issue.record("invalid UTF-8 was read")
        } catch {
            #expect(error.reason == .notUTF8)
        }
    }

    @Test func malformedXMLIsA4110() {
        let error = refusal("<report><a></report>")
        #expect(error?.reason == .malformed)
        #expect(error?.responseCode == .malformedXML)
        #expect(refusal("")?.reason == .malformed)
        #expect(refusal("<report><!-- not closed </report>")?.reason == .malformed)
    }
}
