import Foundation
import Testing
import VigilCentre
import VigilDomain

/// Benign CyberTipline documents in NCMEC's documented element order: made-up accounts, example.com
/// addresses, documentation IP addresses (RFC 5737 / 3849), generated hashes.
enum CyberTiplineFixtures {
    /// A `<report>` using most of the schema, every element in the XSD's order.
    static let report = """
        <?xml version="1.0" encoding="UTF-8"?>
        <report>
          <incidentSummary>
            <incidentType>Child Pornography (possession, manufacture, and distribution)</incidentType>
            <platform>Example Photos</platform>
            <escalateToHighPriority>a meeting is arranged for tomorrow</escalateToHighPriority>
            <reportAnnotations>
              <sextortion/>
              <informational/>
            </reportAnnotations>
            <incidentDateTime>2025-12-31T22:15:00Z</incidentDateTime>
            <incidentDateTimeDescription>time of the upload</incidentDateTimeDescription>
          </incidentSummary>
          <internetDetails>
            <webPageIncident thirdPartyHostedContent="false">
              <url>https://example.com/album/1</url>
              <url>https://example.com/album/2</url>
            </webPageIncident>
          </internetDetails>
          <internetDetails>
            <peer2peerIncident>
              <client>ExampleShare</client>
              <ipCaptureEvent>
                <ipAddress>2001:db8::7</ipAddress>
                <eventName>Other</eventName>
                <dateTime>2025-12-30T08:00:00Z</dateTime>
              </ipCaptureEvent>
            </peer2peerIncident>
          </internetDetails>
          <lawEnforcement>
            <agencyName>Example Police</agencyName>
            <caseNumber>EX-2026-001</caseNumber>
            <reportedToLe>true</reportedToLe>
          </lawEnforcement>
          <reporter>
            <reportingPerson>
              <firstName>Alex</firstName>
              <lastName>Example</lastName>
              <email>reports@example.com</email>
            </reportingPerson>
            <contactPerson>
              <firstName>Sam</firstName>
              <phone type="Business">+1 555 0100</phone>
              <email>safety@example.com</email>
            </contactPerson>
            <termsOfService>https://example.com/terms</termsOfService>
          </reporter>
          <personOrUserReported>
            <personOrUserReportedPerson>
              <email>user123@example.com</email>
            </personOrUserReportedPerson>
            <espIdentifier>user123</espIdentifier>
            <espService>Example Photos</espService>
            <screenName>sample_user</screenName>
            <displayName>Sample User</displayName>
            <profileUrl>https://example.com/u/user123</profileUrl>
            <ipCaptureEvent>
              <ipAddress>192.0.2.10</ipAddress>
              <eventName>Login</eventName>
              <dateTime>2025-12-31T22:00:00Z</dateTime>
              <possibleProxy>false</possibleProxy>
              <port>51234</port>
            </ipCaptureEvent>
            <ipCaptureEvent>
              <ipAddress>192.0.2.11</ipAddress>
              <eventName>Registration</eventName>
            </ipCaptureEvent>
            <deviceId>
              <idType>android_id</idType>
              <idValue>0123456789abcdef</idValue>
            </deviceId>
            <estimatedLocation verified="false">
              <city>Example City</city>
              <countryCode>de</countryCode>
            </estimatedLocation>
            <additionalInfo>account created last week</additionalInfo>
          </personOrUserReported>
          <intendedRecipient>
            <espIdentifier>user456</espIdentifier>
            <screenName>another_user</screenName>
          </intendedRecipient>
          <victim>
            <victimPerson>
              <firstName>Pat</firstName>
              <age>14</age>
            </victimPerson>
            <estimatedLocation>
              <countryCode>FR</countryCode>
            </estimatedLocation>
          </victim>
          <additionalInfo>found by the provider's review</additionalInfo>
        </report>
        """

    /// The smallest valid `<report>`: the required elements only.
    static let minimalReport = """
        <report>
          <incidentSummary>
            <incidentType>Child Sex Trafficking</incidentType>
            <incidentDateTime>2026-01-02T03:04:05+01:00</incidentDateTime>
          </incidentSummary>
          <reporter>
            <reportingPerson>
              <email>reports@example.com</email>
            </reportingPerson>
          </reporter>
        </report>
        """

    /// A `<fileDetails>` for the file `fileId` of report `reportId`, in the XSD's order.
    static func fileDetails(reportId: Int = 1001, fileId: String = "f0000000000000000000000000000001") -> String {
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <fileDetails>
          <reportId>\(reportId)</reportId>
          <fileId>\(fileId)</fileId>
          <originalFileName>pattern.png</originalFileName>
          <uploadedToEspTimestamp>2025-12-31T22:15:00Z</uploadedToEspTimestamp>
          <locationOfFile>https://example.com/files/pattern.png</locationOfFile>
          <fileViewedByEsp>true</fileViewedByEsp>
          <exifViewedByEsp>false</exifViewedByEsp>
          <publiclyAvailable>false</publiclyAvailable>
          <fileRelevance>Reported</fileRelevance>
          <fileAnnotations>
            <viral/>
            <someFutureFlag/>
            <generativeAi/>
          </fileAnnotations>
          <originalFileHash hashType="MD5">0123456789ABCDEF0123456789ABCDEF</originalFileHash>
          <originalFileHash hashType="SHA-256">0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef</originalFileHash>
          <originalFileHash hashType="EXAMPLEHASH">abc123</originalFileHash>
          <ipCaptureEvent>
            <ipAddress>192.0.2.10</ipAddress>
            <eventName>Upload</eventName>
            <dateTime>2025-12-31T22:15:00Z</dateTime>
            <port>443</port>
          </ipCaptureEvent>
          <deviceId>
            <idType>imei</idType>
            <idValue>000000000000000</idValue>
          </deviceId>
          <details>
            <nameValuePair type="EXIF">
              <name>Make</name>
              <value>ExampleCam</value>
            </nameValuePair>
          </details>
          <additionalInfo>posted with 2 others</additionalInfo>
        </fileDetails>
        """
    }

    /// The settings the Centre holds for a provider filing through the CyberTipline endpoints.
    static let provider = CyberTiplineProvider(
        name: "Example Hosting", establishment: "IE", legalBasis: "Regulation (EU) 2021/1232", removal: .removed)

    static func parseReport(_ text: String) throws(CyberTiplineError) -> CyberTiplineReport {
        try CyberTiplineReport.parse(Data(text.utf8))
    }

    /// The error of reading `text` as a report, or nil when it reads.
    static func reportRefusal(_ text: String) -> CyberTiplineError? {
        do {
            _ = try parseReport(text)
            return nil
        } catch {
            return error
        }
    }
}

@Suite("CyberTipline: the <report> and <fileDetails> documents and their mapping")
struct CyberTiplineReportTests {
    @Test func theDocumentedReportIsRead() throws {
        let report = try CyberTiplineFixtures.parseReport(CyberTiplineFixtures.report)
        #expect(report.incidentType == .childSexualAbuseMaterial)
        #expect(report.platform == "Example Photos")
        #expect(report.escalateToHighPriority == "a meeting is arranged for tomorrow")
        #expect(report.annotations == [.sextortion, .informational])
        #expect(report.incidentDateTime == "2025-12-31T22:15:00Z")
        #expect(report.incidents.map(\.kind) == ["webPageIncident", "peer2peerIncident"])
        #expect(report.incidents[0].urls == ["https://example.com/album/1", "https://example.com/album/2"])
        #expect(report.incidents[0].details == ["internetDetails[1]/webPageIncident@thirdPartyHostedContent: false"])
        #expect(
            report.incidents[1].ipEvents == [
                CyberTiplineReport.IPEvent(ipAddress: "2001:db8::7", eventName: "Other", dateTime: "2025-12-30T08:00:00Z")
            ])
        #expect(report.lawEnforcement?.agencyName == "Example Police")
        #expect(report.lawEnforcement?.caseNumber == "EX-2026-001")
        #expect(report.reporter.reportingPerson.fullName == "Alex Example")
        #expect(report.reporter.contactPerson?.emails == ["safety@example.com"])
        #expect(report.reporter.contactPerson?.phones == ["+1 555 0100"])
        let suspect = try #require(report.personOrUserReported)
        #expect(suspect.espIdentifier == "user123")
        #expect(suspect.screenName == "sample_user")
        #expect(suspect.ipEvents.count == 2)
        #expect(
            suspect.ipEvents[0]
                == CyberTiplineReport.IPEvent(
                    ipAddress: "192.0.2.10", eventName: "Login", dateTime: "2025-12-31T22:00:00Z", possibleProxy: false, port: 51_234))
        #expect(suspect.deviceIds == [DeviceIdentifier(kind: "android_id", value: "0123456789abcdef")])
        #expect(suspect.estimatedCountry == "de")
        #expect(suspect.details.contains("personOrUserReported/additionalInfo: account created last week"))
        #expect(suspect.details.contains("personOrUserReported/estimatedLocation/city: Example City"))
        #expect(report.intendedRecipients.map(\.espIdentifier) == ["user456"])
        #expect(report.victims.first?.person?.age == 14)
        #expect(report.additionalInfo == "found by the provider's review")
    }

    @Test func theDocumentedReportMapsOntoAVigilReport() throws {
        var submission = CyberTiplineSubmission(
            reportId: 1001, report: try CyberTiplineFixtures.parseReport(CyberTiplineFixtures.report),
            openedAt: Date(timeIntervalSince1970: 1_767_225_600))
        let fileId = "f0000000000000000000000000000001"
        try submission.upload(
            fileId: fileId, hashes: [FileHash(algorithm: .md5, value: "fedcba9876543210fedcba9876543210")], mediaType: "image/png",
            at: submission.openedAt.addingTimeInterval(60))
        try submission.describe(
            try CyberTiplineFileDetails.parse(Data(CyberTiplineFixtures.fileDetails().utf8)), at: submission.openedAt.addingTimeInterval(120))
        let finishedAt = submission.openedAt.addingTimeInterval(180)
        let (report, problems) = CyberTiplineMapping.report(submission, provider: CyberTiplineFixtures.provider, finishedAt: finishedAt)
        #expect(problems == [])
        #expect(report.providerReference == "cybertipline-1001")
        #expect(report.provider == ReportingProvider(name: "Example Hosting", contact: "safety@example.com", establishment: "IE"))
        #expect(report.reportedAt == finishedAt.rfc3339)
        #expect(report.incidentAt == "2025-12-31T22:15:00Z")
        #expect(report.type == .newMaterial)
        #expect(report.incidentType == .childSexualAbuseMaterial)
        #expect(report.annotations == [.sextortion, .informational])
        #expect(report.urgent)
        #expect(report.urgencyReason == "a meeting is arranged for tomorrow")
        #expect(report.removal == .removed)
        #expect(report.legalBasis == "Regulation (EU) 2021/1232")
        #expect(report.alsoReportedTo == [OtherReport(recipient: "Example Police", reference: "EX-2026-001")])
        #expect(report.geographic.offenderCountry == "DE")
        #expect(report.geographic.victimCountry == "FR")
        #expect(report.geographic.ipEvents == [IPCaptureEvent(ip: "2001:db8::7", at: "2025-12-30T08:00:00Z", event: "other")])
        #expect(
            report.users == [
                ReportedUser(
                    role: .suspect, identifier: "user123", screenName: "sample_user",
                    ipEvents: [IPCaptureEvent(ip: "192.0.2.10", port: 51_234, at: "2025-12-31T22:00:00Z", event: "login", possibleProxy: false)],
                    deviceIds: [DeviceIdentifier(kind: "android_id", value: "0123456789abcdef")]),
                ReportedUser(role: .recipient, identifier: "user456", screenName: "another_user"),
            ])
        #expect(
            report.files == [
                ReportedFile(
                    reference: fileId, originalFileName: "pattern.png", mediaType: "image/png",
                    hashes: [FileHash(algorithm: .md5, value: "fedcba9876543210fedcba9876543210")],
                    originalHashes: [
                        FileHash(algorithm: .md5, value: "0123456789abcdef0123456789abcdef"),
                        FileHash(algorithm: .sha256, value: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"),
                    ],
                    uploadedAt: "2025-12-31T22:15:00Z", viewedByProvider: true, publiclyAvailable: false, annotations: [.viral, .generativeAi],
                    ipEvents: [IPCaptureEvent(ip: "192.0.2.10", port: 443, at: "2025-12-31T22:15:00Z", event: "upload")],
                    deviceIds: [DeviceIdentifier(kind: "imei", value: "000000000000000")])
            ])
        let other = try #require(report.otherData)
        for line in [
            "platform: Example Photos", "internetDetails[1]/webPageIncident/url: https://example.com/album/1",
            "internetDetails[2]/peer2peerIncident/client: ExampleShare", "reporter/reportingPerson: Alex Example",
            "personOrUserReported/ipCaptureEvent: 192.0.2.11 (no dateTime)", "personOrUserReported/profileUrl: https://example.com/u/user123",
            "victim[1]/person: Pat", "file \(fileId): fileDetails/fileAnnotations/someFutureFlag",
            "file \(fileId): fileDetails/originalFileHash@EXAMPLEHASH: abc123", "file \(fileId): fileDetails/fileRelevance: Reported",
            "file \(fileId): fileDetails/details/nameValuePair/name: Make", "additionalInfo: found by the provider's review",
        ] {
            #expect(other.contains(line), "other_data lacks \(line)")
        }
        // The victim has no account (no espIdentifier, screen name or e-mail), so is not a user.
        #expect(!report.users.contains(where: { $0.role == .victim }))
        // The mapped report passes the same check intake makes, and survives Vigil's JSON form unchanged.
        #expect(ReportValidation.problems(report) == [])
        let decoded = try ReportCoding.decoder().decode(Report.self, from: Data(ReportCoding.canonicalJSON(report)))
        #expect(decoded == report)
    }

    @Test func theMinimalReportIsReadAndItsGapsAreNamed() throws {
        let report = try CyberTiplineFixtures.parseReport(CyberTiplineFixtures.minimalReport)
        #expect(report.incidentType == .childSexTrafficking)
        #expect(report.incidentDateTime == "2026-01-02T03:04:05+01:00")
        let submission = CyberTiplineSubmission(reportId: 7, report: report, openedAt: Date(timeIntervalSince1970: 0))
        let (_, problems) = CyberTiplineMapping.report(
            submission, provider: CyberTiplineProvider(name: "Example Hosting"), finishedAt: Date(timeIntervalSince1970: 60))
        let byField = Dictionary(problems.map { ($0.field, $0.message) }, uniquingKeysWith: { a, _ in a })
        #expect(Set(byField.keys) == ["legal_basis", "removal", "files", "users", "geographic"])
        #expect(byField["legal_basis"]?.contains("NCMEC's XML has no legal basis") == true)
        #expect(byField["removal"]?.contains("CyberTiplineProvider.removal") == true)
        #expect(byField["users"]?.contains("espIdentifier or screenName") == true)
    }

    @Test func anEnticementReportNeedsAConversationNCMECCannotCarry() throws {
        let text = CyberTiplineFixtures.report.replacingOccurrences(
            of: "Child Pornography (possession, manufacture, and distribution)", with: "Online Enticement of Children for Sexual Acts")
        let submission = CyberTiplineSubmission(
            reportId: 8, report: try CyberTiplineFixtures.parseReport(text), openedAt: Date(timeIntervalSince1970: 0))
        let (report, problems) = CyberTiplineMapping.report(
            submission, provider: CyberTiplineFixtures.provider, finishedAt: Date(timeIntervalSince1970: 1))
        #expect(report.type == .solicitation)
        #expect(report.incidentType == .onlineEnticementOfChildren)
        #expect(problems.map(\.field) == ["conversation"])
        #expect(problems.first?.message.contains("POST /v1/reports") == true)
    }

    @Test func anOutOfOrderElementIsRefusedByName() {
        // incidentDateTime must come after reportAnnotations, and reporter after lawEnforcement.
        let swapped = """
            <report>
              <incidentSummary>
                <incidentType>Child Sex Tourism</incidentType>
                <incidentDateTime>2026-01-01T00:00:00Z</incidentDateTime>
                <reportAnnotations><spam/></reportAnnotations>
              </incidentSummary>
              <reporter><reportingPerson><email>reports@example.com</email></reportingPerson></reporter>
            </report>
            """
        let error = CyberTiplineFixtures.reportRefusal(swapped)
        #expect(error?.reason == .invalid)
        #expect(error?.responseCode == .validationFailed)
        #expect(error?.element == "report/incidentSummary/reportAnnotations")
        #expect(error?.message.contains("out of order") == true)
        #expect(error?.message.contains("<incidentDateTime>") == true)

        let reporterFirst = CyberTiplineFixtures.report.replacingOccurrences(
            of: "<additionalInfo>found by the provider's review</additionalInfo>\n</report>",
            with:
                "<additionalInfo>found by the provider's review</additionalInfo>\n<lawEnforcement><agencyName>Example</agencyName></lawEnforcement>\n</report>"
        )
        let late = CyberTiplineFixtures.reportRefusal(reporterFirst)
        #expect(late?.element == "report/lawEnforcement")
        #expect(late?.message.contains("comes before <additionalInfo>") == true)

        let annotations = """
            <fileDetails><reportId>1</reportId><fileId>a</fileId><fileAnnotations><generativeAi/><viral/></fileAnnotations></fileDetails>
            """
        #expect(throws: CyberTiplineError.self) { try CyberTiplineFileDetails.parse(Data(annotations.utf8)) }
    }

    @Test func aMissingRequiredElementIsRefusedByName() {
        let noReporter = """
            <report>
              <incidentSummary>
                <incidentType>Child Sex Tourism</incidentType>
                <incidentDateTime>2026-01-01T00:00:00Z</incidentDateTime>
              </incidentSummary>
            </report>
            """
        let error = CyberTiplineFixtures.reportRefusal(noReporter)
        #expect(error?.element == "report/reporter")
        #expect(error?.message.contains("required") == true)

        let noType = CyberTiplineFixtures.minimalReport.replacingOccurrences(of: "<incidentType>Child Sex Trafficking</incidentType>", with: "")
        #expect(CyberTiplineFixtures.reportRefusal(noType)?.element == "report/incidentSummary/incidentType")

        let noIP = CyberTiplineFixtures.report.replacingOccurrences(of: "<ipAddress>192.0.2.11</ipAddress>", with: "")
        #expect(CyberTiplineFixtures.reportRefusal(noIP)?.element == "report/personOrUserReported/ipCaptureEvent/ipAddress")
    }

    @Test func wrongValuesUnknownAndRepeatedElementsAreRefusedByName() {
        let cases: [(String, String, String)] = [
            (
                "<incidentType>Child Sex Trafficking</incidentType>", "<incidentType>Something Else</incidentType>",
                "report/incidentSummary/incidentType"
            ),
            (
                "<incidentDateTime>2026-01-02T03:04:05+01:00</incidentDateTime>", "<incidentDateTime>2026-01-02 03:04</incidentDateTime>",
                "report/incidentSummary/incidentDateTime"
            ),
            (
                "<email>reports@example.com</email>", "<email>reports@example.com</email><nickname>x</nickname>",
                "report/reporter/reportingPerson/nickname"
            ),
            (
                "<incidentType>Child Sex Trafficking</incidentType>",
                "<incidentType>Child Sex Trafficking</incidentType><incidentType>Child Sex Tourism</incidentType>",
                "report/incidentSummary/incidentType"
            ),
        ]
        for (from, to, element) in cases {
            let error = CyberTiplineFixtures.reportRefusal(CyberTiplineFixtures.minimalReport.replacingOccurrences(of: from, with: to))
            #expect(error?.element == element, "\(to)")
            #expect(error?.responseCode == .validationFailed)
        }
        #expect(CyberTiplineFixtures.reportRefusal("<fileDetails/>")?.message.contains("this endpoint takes <report>") == true)
        let port = CyberTiplineFixtures.report.replacingOccurrences(of: "<port>51234</port>", with: "<port>70000</port>")
        #expect(CyberTiplineFixtures.reportRefusal(port)?.element == "report/personOrUserReported/ipCaptureEvent/port")
        let choice = CyberTiplineFixtures.report.replacingOccurrences(of: "</webPageIncident>", with: "</webPageIncident><emailIncident/>")
        #expect(CyberTiplineFixtures.reportRefusal(choice)?.element == "report/internetDetails")
        let batched = CyberTiplineFixtures.minimalReport.replacingOccurrences(of: "<report>", with: "<report><batchedReport/>")
        #expect(CyberTiplineFixtures.reportRefusal(batched)?.message.contains("reason is required") == true)
    }

    @Test func fileDetailsAreReadInOrderAndMapOntoAReportedFile() throws {
        let details = try CyberTiplineFileDetails.parse(Data(CyberTiplineFixtures.fileDetails().utf8))
        #expect(details.reportId == 1001)
        #expect(details.fileId == "f0000000000000000000000000000001")
        #expect(details.annotations == [.viral, .generativeAi])
        #expect(details.otherAnnotations == ["someFutureFlag"])
        #expect(details.originalHashes.map(\.hashType) == ["MD5", "SHA-256", "EXAMPLEHASH"])
        #expect(details.ipEvent?.port == 443)
        #expect(details.details.contains("fileDetails/locationOfFile: https://example.com/files/pattern.png"))
        #expect(details.details.contains("fileDetails/details/nameValuePair@type: EXIF"))
        #expect(details.details.contains("fileDetails/additionalInfo: posted with 2 others"))

        let file = CyberTiplineSubmission.File(
            fileId: details.fileId, hashes: [FileHash(algorithm: .md5, value: "fedcba9876543210fedcba9876543210")],
            uploadedAt: Date(timeIntervalSince1970: 0), details: details)
        let (reported, other) = CyberTiplineMapping.reportedFile(file)
        #expect(reported.reference == details.fileId)
        #expect(reported.originalFileName == "pattern.png")
        #expect(reported.viewedByProvider == true)
        #expect(reported.originalHashes.map(\.algorithm) == [.md5, .sha256])
        #expect(other.allSatisfy { $0.hasPrefix("file \(details.fileId): ") })

        let outOfOrder = CyberTiplineFixtures.fileDetails().replacingOccurrences(
            of: "<originalFileName>pattern.png</originalFileName>", with: ""
        ).replacingOccurrences(
            of: "<publiclyAvailable>false</publiclyAvailable>",
            with: "<publiclyAvailable>false</publiclyAvailable><originalFileName>p.png</originalFileName>")
        do {
            _ = try CyberTiplineFileDetails.parse(Data(outOfOrder.utf8))
            Issue.record("an out-of-order fileDetails was read")
        } catch {
            #expect(error.element == "fileDetails/originalFileName")
        }
        let noFileId = CyberTiplineFixtures.fileDetails().replacingOccurrences(of: "<fileId>f0000000000000000000000000000001</fileId>", with: "")
        #expect(throws: CyberTiplineError.self) { try CyberTiplineFileDetails.parse(Data(noFileId.utf8)) }
    }

    @Test func everyIncidentTypeTextMapsOneToOne() throws {
        let texts = [
            "Child Pornography (possession, manufacture, and distribution)", "Child Sex Trafficking", "Child Sex Tourism", "Child Sexual Molestation",
            "Misleading Domain Name", "Misleading Words or Digital Images on the Internet", "Online Enticement of Children for Sexual Acts",
            "Unsolicited Obscene Material Sent to a Child",
        ]
        var types: [IncidentType] = []
        for text in texts {
            let xml = CyberTiplineFixtures.minimalReport.replacingOccurrences(of: "Child Sex Trafficking", with: text)
            types.append(try CyberTiplineFixtures.parseReport(xml).incidentType)
        }
        #expect(Set(types) == Set(IncidentType.allCases))
    }
}
