import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import VigilCentre
import VigilDomain
import VigilServer
import VigilStore
import VigilTestSupport

/// NCMEC's CyberTipline protocol at `/ispws`, driven as an NCMEC client drives it: Basic
/// credentials, the documented XML in the schema's element order, multipart uploads, form fields.
@Suite("The CyberTipline protocol (/ispws)")
struct CyberTiplineAPITests {
    static let boundary = "ispws-test-boundary"

    /// A `<report>` in NCMEC's element order (benign values; documentation addresses).
    static let reportXML = """
        <?xml version="1.0" encoding="UTF-8"?>
        <report>
          <incidentSummary>
            <incidentType>Child Pornography (possession, manufacture, and distribution)</incidentType>
            <platform>Example Photos</platform>
            <incidentDateTime>2025-12-31T22:15:00Z</incidentDateTime>
          </incidentSummary>
          <reporter>
            <reportingPerson>
              <firstName>Alex</firstName>
              <email>reports@example.com</email>
            </reportingPerson>
          </reporter>
          <personOrUserReported>
            <espIdentifier>user123</espIdentifier>
            <screenName>sample_user</screenName>
            <ipCaptureEvent>
              <ipAddress>192.0.2.10</ipAddress>
              <eventName>Login</eventName>
              <dateTime>2025-12-31T22:00:00Z</dateTime>
              <port>51234</port>
            </ipCaptureEvent>
            <estimatedLocation>
              <countryCode>DE</countryCode>
            </estimatedLocation>
          </personOrUserReported>
        </report>
        """

    static func fileDetails(reportId: Int, fileId: String) -> String {
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <fileDetails>
          <reportId>\(reportId)</reportId>
          <fileId>\(fileId)</fileId>
          <originalFileName>shapes.jpg</originalFileName>
          <fileViewedByEsp>false</fileViewedByEsp>
        </fileDetails>
        """
    }

    struct Provider {
        let name: String
        let key: String

        func headers(_ contentType: String? = "text/xml; charset=utf-8") -> HTTPFields {
            var fields: HTTPFields = [.authorization: "Basic " + Data("\(name):\(key)".utf8).base64EncodedString()]
            if let contentType { fields[.contentType] = contentType }
            return fields
        }
    }

    static func node() async throws -> (TestNode, Provider, Provider) {
        var settings = TestNode.defaultSettings
        settings.cyberTipline.legalBasis = "Regulation (EU) 2021/1232"
        settings.cyberTipline.removal = .removed
        let node = try await TestNode.make(settings: settings)
        var providers: [Provider] = []
        for name in ["Example Hosting", "Other Service"] {
            let organisation = try await node.store.createOrganisation(NewOrganisation(name: name, kind: .provider))
            let key = try await node.store.createKey(organisationId: organisation.id, scopes: [.report], label: "ispws").secret
            providers.append(Provider(name: name, key: key))
        }
        return (node, providers[0], providers[1])
    }

    /// The text of `element` in an XML answer.
    static func value(_ element: String, in body: ByteBuffer) -> String? {
        let text = String(buffer: body)
        guard let start = text.range(of: "<\(element)>"), let end = text.range(of: "</\(element)>", range: start.upperBound..<text.endIndex) else {
            return nil
        }
        return String(text[start.upperBound..<end.lowerBound])
    }

    static func upload(id: Int, bytes: [UInt8]) -> ByteBuffer {
        var body = Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"id\"\r\n\r\n\(id)\r\n".utf8)
        body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"shapes.jpg\"\r\n\r\n".utf8)
        body += bytes
        body += Array("\r\n--\(boundary)--\r\n".utf8)
        return ByteBuffer(bytes: body)
    }

    @Test func aProvidersNCMECIntegrationFilesAReportWithAFile() async throws {
        let (node, provider, other) = try await Self.node()
        let bytes = try TestPaths.fixtureBytes("generated/000-jpeg-q30-420-640x480-shapes.jpg")
        try await node.application.test(.router) { client in
            try await client.execute(uri: "/ispws/status", method: .get, headers: provider.headers(nil)) {
                #expect($0.status == .ok)
                #expect(Self.value("responseCode", in: $0.body) == "0")
                #expect(Self.value("responseDescription", in: $0.body)?.contains("Remote User : Example Hosting") == true)
                #expect($0.headers[HTTPField.Name("Request-ID")!] != nil)
            }
            var reportId = 0
            try await client.execute(uri: "/ispws/submit", method: .post, headers: provider.headers(), body: ByteBuffer(string: Self.reportXML)) {
                #expect($0.status == .ok)
                #expect(Self.value("responseCode", in: $0.body) == "0")
                reportId = Int(Self.value("reportId", in: $0.body) ?? "") ?? 0
            }
            #expect(reportId > 0)
            var fileId = ""
            try await client.execute(
                uri: "/ispws/upload", method: .post, headers: provider.headers("multipart/form-data; boundary=\(Self.boundary)"),
                body: Self.upload(id: reportId, bytes: bytes)
            ) {
                #expect($0.status == .ok)
                #expect(Self.value("responseCode", in: $0.body) == "0")
                fileId = Self.value("fileId", in: $0.body) ?? ""
                #expect(Self.value("hash", in: $0.body)?.count == 32)
            }
            #expect(fileId.count == 32)
            // Another provider cannot touch it: the report "does not exist" for it.
            try await client.execute(
                uri: "/ispws/finish", method: .post, headers: other.headers("application/x-www-form-urlencoded"),
                body: ByteBuffer(string: "id=\(reportId)")
            ) {
                #expect($0.status == .notFound)
                #expect(Self.value("responseCode", in: $0.body) == "5001")
            }
            try await client.execute(
                uri: "/ispws/fileinfo", method: .post, headers: provider.headers(),
                body: ByteBuffer(string: Self.fileDetails(reportId: reportId, fileId: fileId))
            ) {
                #expect($0.status == .ok)
                #expect(Self.value("responseCode", in: $0.body) == "0")
            }
            try await client.execute(
                uri: "/ispws/finish", method: .post, headers: provider.headers("application/x-www-form-urlencoded"),
                body: ByteBuffer(string: "id=\(reportId)")
            ) {
                #expect($0.status == .ok)
                #expect(String(buffer: $0.body).contains("<reportDoneResponse>"))
                #expect(Self.value("responseCode", in: $0.body) == "0")
                #expect(Self.value("fileId", in: $0.body) == fileId)
            }
            // Finished: NCMEC's 5102 to anything more.
            for path in ["finish", "retract"] {
                try await client.execute(
                    uri: "/ispws/\(path)", method: .post, headers: provider.headers("application/x-www-form-urlencoded"),
                    body: ByteBuffer(string: "id=\(reportId)")
                ) {
                    #expect($0.status == .conflict)
                    #expect(Self.value("responseCode", in: $0.body) == "5102")
                }
            }
        }
        // At the Centre: one report, by this channel, with the file sealed and the user and IP event mapped.
        let reports = try await node.store.reports(ReportQuery())
        let report = try #require(reports.first)
        #expect(reports.count == 1 && report.channel == .cyberTipline && report.signature == nil && report.state == .queued)
        #expect(report.report.users.first?.identifier == "user123" && report.report.geographic.offenderCountry == "DE")
        #expect(report.report.files.first?.originalFileName == "shapes.jpg")
        let files = try await node.store.reportFiles(reportId: report.id)
        #expect(files.count == 1 && files.first?.size == bytes.count && files.first?.hashes.pdq != nil)
        let read = try await ContentService(store: node.store, vault: node.vault).read(
            reportId: report.id, reference: try #require(files.first?.reference), by: Actor(name: "analyst-1", organisation: "Centre"))
        #expect(read.bytes == bytes)
        let actions = try await node.store.auditEvents(after: 0, limit: 1_000).map(\.event.action)
        for action in ["cybertipline.submit", "cybertipline.upload", "cybertipline.fileinfo", "report.file", "cybertipline.finish"] {
            #expect(actions.contains(action), "\(action) is on the audit chain")
        }
        #expect(try await node.store.verifyAuditChain().isValid)
    }

    @Test func badCredentialsAndBadXMLAreRefusedAsNCMECRefusesThem() async throws {
        let (node, provider, other) = try await Self.node()
        try await node.application.test(.router) { client in
            // No credentials, a wrong key, a name that is not the key's organisation: 401, empty, a Basic challenge.
            let wrongName = Provider(name: other.name, key: provider.key)
            let wrongKey = Provider(name: provider.name, key: "vk_not-a-key")
            for headers in [HTTPFields(), wrongName.headers(nil), wrongKey.headers(nil)] {
                try await client.execute(uri: "/ispws/status", method: .get, headers: headers) {
                    #expect($0.status == .unauthorized)
                    #expect($0.body.readableBytes == 0)
                    #expect($0.headers[.wwwAuthenticate]?.hasPrefix("Basic") == true)
                }
            }
            // DTDs and entities: refused before parsing (no XXE, no expansion), nothing opened.
            let xxe = """
                <?xml version="1.0"?>
                <!DOCTYPE report [<!ENTITY x SYSTEM "file:///etc/passwd">]>
                <report><incidentSummary><incidentType>&x;</incidentType></incidentSummary></report>
                """
            let laughs = """
                <?xml version="1.0"?>
                <!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
                <report>&lol2;</report>
                """
            // Out of order: the reporter before the incident summary.
            let outOfOrder = Self.reportXML.replacingOccurrences(of: "<incidentSummary>", with: "<reporterFirst>")
            for document in [xxe, laughs, "<report><unclosed></report>", outOfOrder] {
                try await client.execute(uri: "/ispws/submit", method: .post, headers: provider.headers(), body: ByteBuffer(string: document)) {
                    #expect($0.status == .badRequest)
                    let code = Self.value("responseCode", in: $0.body)
                    #expect(code == "4100" || code == "4110")
                    #expect(!String(buffer: $0.body).contains("root:"))
                }
            }
            var moved = Self.reportXML
            if let summary = moved.range(of: "<incidentSummary>"), let end = moved.range(of: "</incidentSummary>") {
                let block = String(moved[summary.lowerBound..<end.upperBound])
                moved.removeSubrange(summary.lowerBound..<end.upperBound)
                moved = moved.replacingOccurrences(of: "</reporter>", with: "</reporter>\n" + block)
            }
            try await client.execute(uri: "/ispws/submit", method: .post, headers: provider.headers(), body: ByteBuffer(string: moved)) {
                #expect($0.status == .badRequest)
                #expect(Self.value("responseCode", in: $0.body) == "4100")
                #expect(Self.value("responseDescription", in: $0.body)?.contains("order") == true)
            }
            // Unknown reports and a missing id.
            try await client.execute(
                uri: "/ispws/retract", method: .post, headers: provider.headers("application/x-www-form-urlencoded"),
                body: ByteBuffer(string: "id=4242")
            ) {
                #expect($0.status == .notFound)
                #expect(Self.value("responseCode", in: $0.body) == "5001")
            }
            try await client.execute(
                uri: "/ispws/finish", method: .post, headers: provider.headers("application/x-www-form-urlencoded"), body: ByteBuffer(string: "")
            ) {
                #expect($0.status == .badRequest)
                #expect(Self.value("responseCode", in: $0.body) == "4000")
            }
        }
        let actions = try await node.store.auditEvents(after: 0, limit: 1_000).map(\.event.action)
        #expect(!actions.contains("cybertipline.submit"), "nothing was opened")
    }

    @Test func aRetractedReportLeavesNoReportAndNoFiles() async throws {
        let (node, provider, _) = try await Self.node()
        try await node.application.test(.router) { client in
            var reportId = 0
            try await client.execute(uri: "/ispws/submit", method: .post, headers: provider.headers(), body: ByteBuffer(string: Self.reportXML)) {
                reportId = Int(Self.value("reportId", in: $0.body) ?? "") ?? 0
            }
            try await client.execute(
                uri: "/ispws/upload", method: .post, headers: provider.headers("multipart/form-data; boundary=\(Self.boundary)"),
                body: Self.upload(id: reportId, bytes: Array("benign bytes".utf8))
            ) { #expect($0.status == .ok) }
            try await client.execute(
                uri: "/ispws/retract", method: .post, headers: provider.headers("application/x-www-form-urlencoded"),
                body: ByteBuffer(string: "id=\(reportId)")
            ) {
                #expect($0.status == .ok)
                #expect(Self.value("responseCode", in: $0.body) == "0")
            }
            try await client.execute(
                uri: "/ispws/retract", method: .post, headers: provider.headers("application/x-www-form-urlencoded"),
                body: ByteBuffer(string: "id=\(reportId)")
            ) {
                #expect($0.status == .conflict)
                #expect(Self.value("responseCode", in: $0.body) == "5101")
            }
        }
        #expect(try await node.store.reports(ReportQuery()).isEmpty)
        let remaining = try await node.store.pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM cybertipline_files") }
        #expect(remaining == 0)
    }
}
