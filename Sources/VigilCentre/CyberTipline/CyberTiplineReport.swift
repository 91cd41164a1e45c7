public import Foundation
public import VigilDomain

/// A CyberTipline `<report>` document (the body of `POST /ispws/submit`), read and checked against
/// NCMEC's schema: the parts Vigil maps onto its own ``Report`` as typed fields, everything else
/// kept as `path: value` lines (``Party/details`` and the like) so that nothing the provider sent
/// is lost (see ``CyberTiplineMapping``).
public struct CyberTiplineReport: Sendable, Hashable {
    /// A person as NCMEC describes one (`reportingPerson`, `victimPerson`, `contactPerson`…).
    public struct Person: Sendable, Hashable {
        /// `firstName`.
        public var firstName: String?
        /// `lastName`.
        public var lastName: String?
        /// `email`s.
        public var emails: [String]
        /// `phone`s.
        public var phones: [String]
        /// `age`.
        public var age: Int?
        /// Everything else (addresses, date of birth…), as `path: value` lines.
        public var details: [String]

        /// A person.
        public init(
            firstName: String? = nil, lastName: String? = nil, emails: [String] = [], phones: [String] = [], age: Int? = nil, details: [String] = []
        ) {
            self.firstName = firstName
            self.lastName = lastName
            self.emails = emails
            self.phones = phones
            self.age = age
            self.details = details
        }

        /// The first and last names, joined; nil when neither is given.
        public var fullName: String? {
            let name = [firstName, lastName].compactMap { $0 }.joined(separator: " ")
            return name.isEmpty ? nil : name
        }
    }

    /// An IP capture event as NCMEC gives it (its time is optional there).
    public struct IPEvent: Sendable, Hashable {
        /// `ipAddress`.
        public var ipAddress: String
        /// `eventName` (`Login`, `Registration`, `Purchase`, `Upload`, `Other`, `Unknown`).
        public var eventName: String?
        /// `dateTime`, RFC 3339.
        public var dateTime: String?
        /// `possibleProxy`.
        public var possibleProxy: Bool?
        /// `port`.
        public var port: Int?

        /// An event.
        public init(ipAddress: String, eventName: String? = nil, dateTime: String? = nil, possibleProxy: Bool? = nil, port: Int? = nil) {
            self.ipAddress = ipAddress
            self.eventName = eventName
            self.dateTime = dateTime
            self.possibleProxy = possibleProxy
            self.port = port
        }
    }

    /// A user or person in the report: `personOrUserReported`, `intendedRecipient` or `victim`.
    public struct Party: Sendable, Hashable {
        /// The person (`personOrUserReportedPerson`, `intendedRecipientPerson`, `victimPerson`).
        public var person: Person?
        /// `espIdentifier`: the provider's identifier of the account.
        public var espIdentifier: String?
        /// `espService`.
        public var espService: String?
        /// `screenName`.
        public var screenName: String?
        /// `displayName`s.
        public var displayNames: [String]
        /// `profileUrl`s.
        public var profileUrls: [String]
        /// `ipCaptureEvent`s.
        public var ipEvents: [IPEvent]
        /// `deviceId`s (`idType` → kind, `idValue` → value).
        public var deviceIds: [DeviceIdentifier]
        /// `estimatedLocation/countryCode`.
        public var estimatedCountry: String?
        /// Everything else, as `path: value` lines.
        public var details: [String]

        /// A party.
        public init(
            person: Person? = nil, espIdentifier: String? = nil, espService: String? = nil, screenName: String? = nil, displayNames: [String] = [],
            profileUrls: [String] = [], ipEvents: [IPEvent] = [], deviceIds: [DeviceIdentifier] = [], estimatedCountry: String? = nil,
            details: [String] = []
        ) {
            self.person = person
            self.espIdentifier = espIdentifier
            self.espService = espService
            self.screenName = screenName
            self.displayNames = displayNames
            self.profileUrls = profileUrls
            self.ipEvents = ipEvents
            self.deviceIds = deviceIds
            self.estimatedCountry = estimatedCountry
            self.details = details
        }
    }

    /// One `internetDetails` entry: where the incident happened.
    public struct Incident: Sendable, Hashable {
        /// The element's name: `webPageIncident`, `emailIncident`, `newsgroupIncident`,
        /// `chatImIncident`, `onlineGamingIncident`, `cellPhoneIncident`, `nonInternetIncident` or
        /// `peer2peerIncident`.
        public var kind: String
        /// `url`s (web page incidents).
        public var urls: [String]
        /// `ipCaptureEvent`s (peer-to-peer incidents).
        public var ipEvents: [IPEvent]
        /// Everything else, as `path: value` lines.
        public var details: [String]

        /// An incident.
        public init(kind: String, urls: [String] = [], ipEvents: [IPEvent] = [], details: [String] = []) {
            self.kind = kind
            self.urls = urls
            self.ipEvents = ipEvents
            self.details = details
        }
    }

    /// `lawEnforcement`: a police force the incident was already reported to, or that asked for the report.
    public struct LawEnforcement: Sendable, Hashable {
        /// `agencyName`.
        public var agencyName: String
        /// `caseNumber`.
        public var caseNumber: String?
        /// Everything else, as `path: value` lines.
        public var details: [String]

        /// A law enforcement entry.
        public init(agencyName: String, caseNumber: String? = nil, details: [String] = []) {
            self.agencyName = agencyName
            self.caseNumber = caseNumber
            self.details = details
        }
    }

    /// `reporter`: who at the provider made the report.
    public struct Reporter: Sendable, Hashable {
        /// `reportingPerson`.
        public var reportingPerson: Person
        /// `contactPerson`.
        public var contactPerson: Person?
        /// Everything else (`companyTemplate`, `termsOfService`, `legalURL`), as `path: value` lines.
        public var details: [String]

        /// A reporter.
        public init(reportingPerson: Person, contactPerson: Person? = nil, details: [String] = []) {
            self.reportingPerson = reportingPerson
            self.contactPerson = contactPerson
            self.details = details
        }
    }

    /// `batchedReport@reason` (`VIRAL_POTENTIAL_MEME`), when the report is batched.
    public var batchedReportReason: String?
    /// `incidentSummary/incidentType`, as Vigil's value (NCMEC's eight texts map one to one).
    public var incidentType: IncidentType
    /// `incidentSummary/platform`.
    public var platform: String?
    /// `incidentSummary/escalateToHighPriority`: why the report is urgent.
    public var escalateToHighPriority: String?
    /// `incidentSummary/reportAnnotations`, as Vigil's values.
    public var annotations: [ReportAnnotation]
    /// `incidentSummary/incidentDateTime`, RFC 3339.
    public var incidentDateTime: String
    /// `incidentSummary/incidentDateTimeDescription`.
    public var incidentDateTimeDescription: String?
    /// `internetDetails`.
    public var incidents: [Incident]
    /// `lawEnforcement`.
    public var lawEnforcement: LawEnforcement?
    /// `reporter`.
    public var reporter: Reporter
    /// `personOrUserReported`: the suspect.
    public var personOrUserReported: Party?
    /// `intendedRecipient`s.
    public var intendedRecipients: [Party]
    /// `victim`s.
    public var victims: [Party]
    /// `additionalInfo`.
    public var additionalInfo: String?

    /// A report.
    public init(
        batchedReportReason: String? = nil, incidentType: IncidentType, platform: String? = nil, escalateToHighPriority: String? = nil,
        annotations: [ReportAnnotation] = [], incidentDateTime: String, incidentDateTimeDescription: String? = nil, incidents: [Incident] = [],
        lawEnforcement: LawEnforcement? = nil, reporter: Reporter, personOrUserReported: Party? = nil, intendedRecipients: [Party] = [],
        victims: [Party] = [], additionalInfo: String? = nil
    ) {
        self.batchedReportReason = batchedReportReason
        self.incidentType = incidentType
        self.platform = platform
        self.escalateToHighPriority = escalateToHighPriority
        self.annotations = annotations
        self.incidentDateTime = incidentDateTime
        self.incidentDateTimeDescription = incidentDateTimeDescription
        self.incidents = incidents
        self.lawEnforcement = lawEnforcement
        self.reporter = reporter
        self.personOrUserReported = personOrUserReported
        self.intendedRecipients = intendedRecipients
        self.victims = victims
        self.additionalInfo = additionalInfo
    }

    /// Reads a `<report>` document: the safe reader (``CyberTiplineXML``), then the schema check
    /// (elements known, in NCMEC's order, required ones present, values of their kind). A refusal
    /// names the element and is answered with its ``CyberTiplineError/responseCode`` (4100 or 4110).
    public static func parse(_ data: Data, limits: CyberTiplineXML.Limits = CyberTiplineXML.Limits()) throws(CyberTiplineError) -> Self {
        try read(CyberTiplineXML.parse(data, limits: limits))
    }

    /// Reads an already parsed `<report>` element (see ``parse(_:limits:)``).
    public static func read(_ root: CyberTiplineXML.Element) throws(CyberTiplineError) -> Self {
        try CyberTiplineSchema.check(root, as: .report)
        // The schema check let through only known elements with values of their kind, so what
        // follows reads without further checks; the fallbacks below are never taken.
        let summary = root.child("incidentSummary") ?? CyberTiplineXML.Element(name: "incidentSummary")
        let typeText = summary.text("incidentType") ?? ""
        guard let incidentType = CyberTiplineSchema.incidentTypes.first(where: { $0.text == typeText })?.type else {
            throw CyberTiplineError(.invalid, element: "report/incidentSummary/incidentType", "is not one of NCMEC's incident types")
        }
        let annotationElement = summary.child("reportAnnotations")
        let annotations = CyberTiplineSchema.reportAnnotations.filter { annotationElement?.child($0.name) != nil }.map(\.annotation)
        let reporterElement = root.child("reporter") ?? CyberTiplineXML.Element(name: "reporter")
        let law = root.child("lawEnforcement").map { element in
            LawEnforcement(
                agencyName: element.text("agencyName") ?? "", caseNumber: element.text("caseNumber"),
                details: Reading.details(of: element, except: ["agencyName", "caseNumber"], prefix: "lawEnforcement"))
        }
        return CyberTiplineReport(
            batchedReportReason: root.child("batchedReport")?.attributes["reason"],
            incidentType: incidentType,
            platform: summary.text("platform"),
            escalateToHighPriority: summary.text("escalateToHighPriority"),
            annotations: annotations,
            incidentDateTime: summary.text("incidentDateTime") ?? "",
            incidentDateTimeDescription: summary.text("incidentDateTimeDescription"),
            incidents: root.children("internetDetails").compactMap(\.children.first).enumerated().map {
                Reading.incident($0.element, path: "internetDetails[\($0.offset + 1)]/\($0.element.name)")
            },
            lawEnforcement: law,
            reporter: Reporter(
                reportingPerson: Reading.person(reporterElement.child("reportingPerson"), prefix: "reporter/reportingPerson")
                    ?? Person(),
                contactPerson: Reading.person(reporterElement.child("contactPerson"), prefix: "reporter/contactPerson"),
                details: Reading.details(of: reporterElement, except: ["reportingPerson", "contactPerson"], prefix: "reporter")),
            personOrUserReported: root.child("personOrUserReported").map {
                Reading.party($0, personElement: "personOrUserReportedPerson", prefix: "personOrUserReported")
            },
            intendedRecipients: root.children("intendedRecipient").enumerated().map {
                Reading.party($0.element, personElement: "intendedRecipientPerson", prefix: "intendedRecipient[\($0.offset + 1)]")
            },
            victims: root.children("victim").enumerated().map {
                Reading.party($0.element, personElement: "victimPerson", prefix: "victim[\($0.offset + 1)]")
            },
            additionalInfo: root.text("additionalInfo"))
    }
}

/// Reads the typed parts of elements the schema check has let through.
enum Reading {
    /// The person in `element`, if there is one.
    static func person(_ element: CyberTiplineXML.Element?, prefix: String) -> CyberTiplineReport.Person? {
        guard let element else { return nil }
        return CyberTiplineReport.Person(
            firstName: element.text("firstName"), lastName: element.text("lastName"), emails: texts(element, "email"),
            phones: texts(element, "phone"), age: element.text("age").flatMap { Int($0) },
            details: details(of: element, except: ["firstName", "lastName", "email", "phone", "age"], prefix: prefix))
    }

    /// A suspect, recipient or victim.
    static func party(_ element: CyberTiplineXML.Element, personElement: String, prefix: String) -> CyberTiplineReport.Party {
        CyberTiplineReport.Party(
            person: person(element.child(personElement), prefix: "\(prefix)/\(personElement)"),
            espIdentifier: element.text("espIdentifier"), espService: element.text("espService"), screenName: element.text("screenName"),
            displayNames: texts(element, "displayName"), profileUrls: texts(element, "profileUrl"),
            ipEvents: element.children("ipCaptureEvent").map(ipEvent), deviceIds: element.children("deviceId").map(deviceId),
            estimatedCountry: element.child("estimatedLocation")?.text("countryCode"),
            details: details(
                of: element,
                except: [
                    personElement, "espIdentifier", "espService", "screenName", "displayName", "profileUrl", "ipCaptureEvent", "deviceId",
                ],
                prefix: prefix))
    }

    /// One `internetDetails` choice.
    static func incident(_ element: CyberTiplineXML.Element, path: String) -> CyberTiplineReport.Incident {
        CyberTiplineReport.Incident(
            kind: element.name, urls: texts(element, "url"), ipEvents: element.children("ipCaptureEvent").map(ipEvent),
            details: details(of: element, except: ["url", "ipCaptureEvent"], prefix: path))
    }

    /// An `ipCaptureEvent`.
    static func ipEvent(_ element: CyberTiplineXML.Element) -> CyberTiplineReport.IPEvent {
        CyberTiplineReport.IPEvent(
            ipAddress: element.text("ipAddress") ?? "", eventName: element.text("eventName"), dateTime: element.text("dateTime"),
            possibleProxy: element.text("possibleProxy").flatMap(CyberTiplineSchema.boolean), port: element.text("port").flatMap { Int($0) })
    }

    /// A `deviceId`.
    static func deviceId(_ element: CyberTiplineXML.Element) -> DeviceIdentifier {
        DeviceIdentifier(kind: element.text("idType") ?? "", value: element.text("idValue") ?? "")
    }

    /// The non-empty trimmed texts of every child named `name`.
    static func texts(_ element: CyberTiplineXML.Element, _ name: String) -> [String] {
        element.children(name).map(\.text.trimmedXMLSpace).filter { !$0.isEmpty }
    }

    /// Every value under `element` not read into a typed field (its own attributes, and its
    /// children other than `except`), as `path: value` lines in document order (attributes as
    /// `path@name: value`; empty elements are left out).
    static func details(of element: CyberTiplineXML.Element, except: Set<String>, prefix: String) -> [String] {
        var lines = element.attributes.sorted(by: { $0.key < $1.key }).map { "\(prefix)@\($0.key): \($0.value)" }
        for child in element.children where !except.contains(child.name) {
            collect(child, path: "\(prefix)/\(child.name)", into: &lines)
        }
        return lines
    }

    private static func collect(_ element: CyberTiplineXML.Element, path: String, into lines: inout [String]) {
        for (name, value) in element.attributes.sorted(by: { $0.key < $1.key }) { lines.append("\(path)@\(name): \(value)") }
        if element.children.isEmpty {
            let text = element.text.trimmedXMLSpace
            if !text.isEmpty { lines.append("\(path): \(text)") }
        }
        for child in element.children { collect(child, path: "\(path)/\(child.name)", into: &lines) }
    }
}
