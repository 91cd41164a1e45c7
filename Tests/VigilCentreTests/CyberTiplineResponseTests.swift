import Foundation
import Testing
import VigilCentre

/// The response codes and the XML answers of the CyberTipline endpoints.
@Suite("CyberTipline: response codes and response documents")
struct CyberTiplineResponseTests {
    @Test func theCodesHaveNCMECsNumbersAndMeanings() {
        let expected: [Int: String] = [
            0: "Success", 1000: "Server error", 1100: "Save failed", 1110: "Upload failed", 1111: "File upload failed", 1210: "Resource not found",
            1300: "Update failed", 2000: "Authentication required", 3000: "User is not authorized to perform this action",
            3100: "User does not have authorization to make submissions", 3300: "User does not have authorization to make updates",
            4000: "Invalid request", 4100: "Validation failed", 4110: "Malformed XML submittal", 4200: "Malformed file submittal",
            5001: "Report does not exist", 5002: "File does not exist", 5101: "Report already retracted", 5102: "Report already finished",
        ]
        #expect(Dictionary(uniqueKeysWithValues: CyberTiplineResponseCode.allCases.map { ($0.rawValue, $0.description) }) == expected)
    }

    @Test func anUploadAnswerCarriesTheFileIdAndHash() throws {
        let xml = CyberTiplineResponse.uploaded(
            reportId: 4_564_654, fileId: "b0754af766b426f2928a02c651ed4b99", md5: "fafa5efeaf3cbe3b23b2748d13e629a1"
        ).xml
        #expect(xml.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<reportResponse>"))
        let root = try CyberTiplineXML.parse(Data(xml.utf8))
        #expect(root.name == "reportResponse")
        #expect(root.children.map(\.name) == ["responseCode", "responseDescription", "reportId", "fileId", "hash"])
        #expect(root.text("responseCode") == "0")
        #expect(root.text("responseDescription") == "Success")
        #expect(root.text("reportId") == "4564654")
        #expect(root.text("fileId") == "b0754af766b426f2928a02c651ed4b99")
        #expect(root.text("hash") == "fafa5efeaf3cbe3b23b2748d13e629a1")
    }

    @Test func eachEndpointAnswersWithItsElements() throws {
        let cases: [(CyberTiplineResponse, [String])] = [
            (.status(user: "example-user", remoteIP: "192.0.2.1"), ["responseCode", "responseDescription"]),
            (.submitted(reportId: 1), ["responseCode", "responseDescription", "reportId"]),
            (.fileInfoSaved(reportId: 1), ["responseCode", "responseDescription", "reportId"]),
            (.retracted(reportId: 1), ["responseCode", "responseDescription", "reportId"]),
        ]
        for (response, elements) in cases {
            #expect(try CyberTiplineXML.parse(Data(response.xml.utf8)).children.map(\.name) == elements)
        }
        let status = try CyberTiplineXML.parse(Data(CyberTiplineResponse.status(user: "example-user", remoteIP: "192.0.2.1").xml.utf8))
        #expect(status.text("responseDescription") == "Remote User : example-user, Remote Ip : 192.0.2.1")
    }

    @Test func aRefusalIsEscapedAndReadsBack() throws {
        let error = CyberTiplineError(.invalid, element: "report/a&b", "is \"<x>\" & 'y'\u{1}; give one of: A | B")
        let xml = CyberTiplineResponse.refusal(error, reportId: 9).xml
        #expect(!xml.contains("<x>"))
        #expect(xml.contains("&lt;x&gt;") && xml.contains("&amp;") && xml.contains("&quot;") && xml.contains("&apos;"))
        let root = try CyberTiplineXML.parse(Data(xml.utf8))
        #expect(root.text("responseCode") == "4100")
        #expect(root.text("responseDescription") == "Validation failed: report/a&b: is \"<x>\" & 'y'\u{FFFD}; give one of: A | B")
        #expect(root.text("reportId") == "9")
    }

    @Test func finishAnswersWithAReportDoneResponse() throws {
        let done = try CyberTiplineXML.parse(Data(CyberTiplineDoneResponse.finished(reportId: 4_564_654, fileIds: ["a1", "b2"]).xml.utf8))
        #expect(done.name == "reportDoneResponse")
        #expect(done.children.map(\.name) == ["responseCode", "reportId", "files"])
        #expect(done.text("responseCode") == "0")
        #expect(done.child("files")?.children("fileId").map(\.text) == ["a1", "b2"])

        let refused = CyberTiplineDoneResponse.refusal(CyberTiplineError(.alreadyFinished, "report 7 was already finished"), reportId: 7)
        let root = try CyberTiplineXML.parse(Data(refused.xml.utf8))
        #expect(root.name == "reportDoneResponse")
        #expect(root.text("responseCode") == "5102")
        #expect(root.text("responseDescription")?.hasPrefix("Report already finished: ") == true)
        #expect(root.text("reportId") == "7")
    }
}
