public import Foundation
public import VigilDomain

/// What the Centre knows about a provider that files through the CyberTipline endpoints and that
/// NCMEC's XML does not carry: set once per provider (with its ISPWS credentials), applied to every
/// report it files that way.
public struct CyberTiplineProvider: Sendable, Hashable {
    /// The provider's name (the authenticated organisation's; the XML's reporter is a person).
    public var name: String
    /// Its legal representative in the Union, if it has one.
    public var legalRepresentative: String?
    /// The Member State of its main establishment, ISO 3166-1 alpha-2.
    public var establishment: String?
    /// The legal basis it acts on (NCMEC's XML has none; a report without one is refused).
    public var legalBasis: String?
    /// What it does to reported material (NCMEC's XML does not say; a report without it is refused).
    public var removal: RemovalStatus?

    /// A provider's settings.
    public init(
        name: String, legalRepresentative: String? = nil, establishment: String? = nil, legalBasis: String? = nil, removal: RemovalStatus? = nil
    ) {
        self.name = name
        self.legalRepresentative = legalRepresentative
        self.establishment = establishment
        self.legalBasis = legalBasis
        self.removal = removal
    }
}

/// The mapping of a CyberTipline report (its `<report>`, uploaded files and `<fileDetails>`) onto
/// Vigil's ``Report``. Field by field:
///
/// | Vigil | from |
/// |---|---|
/// | `provider_reference` | `cybertipline-<reportId>` (the Centre's report id) |
/// | `provider.name`, `legal_representative`, `establishment` | ``CyberTiplineProvider`` (the authenticated provider) |
/// | `provider.contact` | the first e-mail, else phone, of `reporter/contactPerson`, else of `reporter/reportingPerson` |
/// | `reported_at` | the time of `/finish` |
/// | `incident_at` | `incidentSummary/incidentDateTime` |
/// | `type` | `solicitation` for "Online Enticement of Children for Sexual Acts"; `new_material` for every other incident type (NCMEC's XML does not say whether material matched a list; the Centre's indicator check does) |
/// | `incident_type` | `incidentType`: NCMEC's eight texts, one to one |
/// | `annotations` | `reportAnnotations` flags, one to one |
/// | `urgent`, `urgency_reason` | `escalateToHighPriority`: present → urgent, its text the reason |
/// | `files` | one per upload (see ``reportedFile(_:)``) |
/// | `conversation` | none: NCMEC carries a chat only as free text (`chatImIncident/content`) or as files, so a solicitation report filed this way is refused with a problem saying so |
/// | `users` | `personOrUserReported` → `suspect`, `intendedRecipient` → `recipient`, `victim` → `victim`; identifier: `espIdentifier`, else `screenName`, else the person's first e-mail; `claimed_age`: the person's `age`. A party with none of the three is not a user: its details go to `other_data` and its IP events to `geographic` |
/// | IP events | `ipCaptureEvent` → `ip`, `port`, `at` (`dateTime`), `event` (`eventName` lower-cased; `Unknown` → none), `possible_proxy`. An event without `dateTime` (optional in NCMEC's schema, required by Vigil: an address without a time cannot be traced) goes to `other_data` |
/// | device ids | `deviceId`: `idType` → kind, `idValue` → value |
/// | `geographic` | `offender_country`: `personOrUserReported/estimatedLocation/countryCode`; `victim_country`: the first victim's; `ip_events`: `peer2peerIncident` events and those of parties that are not users |
/// | `also_reported_to` | `lawEnforcement`: `agencyName` → recipient, `caseNumber` → reference |
/// | `removal`, `legal_basis` | ``CyberTiplineProvider`` (NCMEC's XML has neither) |
/// | `other_data` | everything else, as `path: value` lines (platform, batching, internet details, people's names and addresses, profile data, file details Vigil has no field for, `additionalInfo`), cut at ``ReportValidation/Limits/otherData`` characters with a marker |
///
/// The result is checked with ``ReportValidation``, the same check intake makes; where a problem
/// comes from something NCMEC's XML cannot say, its message says where it must come from instead.
public enum CyberTiplineMapping {
    /// The report's Vigil form and its problems (empty when it can be filed).
    public static func report(
        _ submission: CyberTiplineSubmission, provider: CyberTiplineProvider, finishedAt: Date
    ) -> (report: Report, problems: [ReportProblem]) {
        let source = submission.report
        var other = OtherData()
        other.add("platform", source.platform)
        other.add("batchedReport@reason", source.batchedReportReason)
        other.add("incidentSummary/incidentDateTimeDescription", source.incidentDateTimeDescription)
        var geographic = GeographicInformation()
        for (i, incident) in source.incidents.enumerated() {
            let path = "internetDetails[\(i + 1)]/\(incident.kind)"
            other.lines.append(contentsOf: incident.urls.map { "\(path)/url: \($0)" })
            geographic.ipEvents += events(incident.ipEvents, path: path, other: &other)
            other.lines.append(contentsOf: incident.details)
        }
        if let law = source.lawEnforcement { other.lines.append(contentsOf: law.details) }

        let reporter = source.reporter
        let contact = [reporter.contactPerson, reporter.reportingPerson].compactMap { $0 }.lazy.compactMap { $0.emails.first ?? $0.phones.first }
            .first
        other.add(person: reporter.reportingPerson, path: "reporter/reportingPerson")
        other.add(person: reporter.contactPerson, path: "reporter/contactPerson")
        other.lines.append(contentsOf: reporter.details)

        var users: [ReportedUser] = []
        let parties: [(ReportedUser.Role, String, CyberTiplineReport.Party)] =
            (source.personOrUserReported.map { [(.suspect, "personOrUserReported", $0)] } ?? [])
            + source.intendedRecipients.enumerated().map { (.recipient, "intendedRecipient[\($0.offset + 1)]", $0.element) }
            + source.victims.enumerated().map { (.victim, "victim[\($0.offset + 1)]", $0.element) }
        for (role, path, party) in parties {
            let ipEvents = events(party.ipEvents, path: path, other: &other)
            other.add(person: party.person, path: "\(path)/person")
            other.lines.append(contentsOf: party.displayNames.map { "\(path)/displayName: \($0)" })
            other.lines.append(contentsOf: party.profileUrls.map { "\(path)/profileUrl: \($0)" })
            other.add("\(path)/espService", party.espService)
            other.lines.append(contentsOf: party.details)
            guard let identifier = party.espIdentifier ?? party.screenName ?? party.person?.emails.first else {
                other.lines.append(contentsOf: party.deviceIds.map { "\(path)/deviceId: \($0.kind) \($0.value)" })
                geographic.ipEvents += ipEvents
                continue
            }
            users.append(
                ReportedUser(
                    role: role, identifier: identifier, screenName: party.screenName, claimedAge: party.person?.age, ipEvents: ipEvents,
                    deviceIds: party.deviceIds))
        }
        geographic.offenderCountry = source.personOrUserReported?.estimatedCountry.flatMap(country)
        geographic.victimCountry = source.victims.lazy.compactMap { $0.estimatedCountry.flatMap(country) }.first

        var files: [ReportedFile] = []
        for file in submission.files {
            let mapped = reportedFile(file)
            files.append(mapped.file)
            other.lines.append(contentsOf: mapped.otherData)
        }
        other.add("additionalInfo", source.additionalInfo)

        let type: ReportType = source.incidentType == .onlineEnticementOfChildren ? .solicitation : .newMaterial
        let report = Report(
            providerReference: "cybertipline-\(submission.reportId)",
            provider: ReportingProvider(
                name: provider.name, legalRepresentative: provider.legalRepresentative, contact: contact ?? "", establishment: provider.establishment),
            reportedAt: finishedAt.rfc3339, incidentAt: source.incidentDateTime, type: type, incidentType: source.incidentType,
            annotations: source.annotations, files: files, otherData: other.text, geographic: geographic, users: users,
            alsoReportedTo: source.lawEnforcement.map { [OtherReport(recipient: $0.agencyName, reference: $0.caseNumber)] } ?? [],
            removal: provider.removal, urgent: source.escalateToHighPriority != nil, urgencyReason: source.escalateToHighPriority,
            legalBasis: provider.legalBasis ?? "")
        let problems = ReportValidation.problems(report).map { problem in
            var problem = problem
            if let explanation = explanations[problem.field], problem.kind == .missing { problem.message = explanation }
            return problem
        }
        return (report, problems)
    }

    /// One uploaded file as a Vigil ``ReportedFile`` (reference: the file id; hashes: those the
    /// Centre computed of the uploaded bytes; the rest from its `<fileDetails>`:
    /// `originalFileName`, `uploadedToEspTimestamp` → `uploaded_at`, `fileViewedByEsp` →
    /// `viewed_by_provider`, `publiclyAvailable`, `fileAnnotations` → `annotations`,
    /// `originalFileHash` → `original_hashes` (hashType MD5, SHA1, SHA256 in any case, with or
    /// without a hyphen; the value lower-cased), `ipCaptureEvent`, `deviceId`), and the lines for
    /// the report's other data: every detail Vigil has no field for, prefixed with the file id.
    public static func reportedFile(_ file: CyberTiplineSubmission.File) -> (file: ReportedFile, otherData: [String]) {
        var reported = ReportedFile(reference: file.fileId, mediaType: file.mediaType, hashes: file.hashes)
        guard let details = file.details else { return (reported, []) }
        var other = OtherData()
        let path = "file \(file.fileId)"
        reported.originalFileName = details.originalFileName
        reported.uploadedAt = details.uploadedToEspTimestamp
        reported.viewedByProvider = details.fileViewedByEsp
        reported.publiclyAvailable = details.publiclyAvailable
        reported.annotations = details.annotations
        other.lines.append(contentsOf: details.otherAnnotations.map { "\(path): fileDetails/fileAnnotations/\($0)" })
        for hash in details.originalHashes {
            if let algorithm = hashAlgorithm(hash.hashType) {
                reported.originalHashes.append(FileHash(algorithm: algorithm, value: hash.value.lowercased()))
            } else {
                other.lines.append("\(path): fileDetails/originalFileHash@\(hash.hashType): \(hash.value)")
            }
        }
        reported.ipEvents = events(details.ipEvent.map { [$0] } ?? [], path: "\(path): fileDetails", other: &other)
        reported.deviceIds = details.deviceIds
        other.lines.append(contentsOf: details.details.map { "\(path): \($0)" })
        return (reported, other.lines)
    }

    /// Where what NCMEC's XML cannot say must come from, by the field of the problem it causes.
    static let explanations: [String: String] = [
        "legal_basis":
            "NCMEC's XML has no legal basis: the Centre records it once for the provider's CyberTipline credentials "
            + "(CyberTiplineProvider.legalBasis); ask the Centre to set it",
        "removal":
            "NCMEC's XML does not say what was done to the material: the Centre records it once for the provider's CyberTipline "
            + "credentials (CyberTiplineProvider.removal); ask the Centre to set it",
        "provider.contact":
            "give an e-mail address or phone number of report/reporter/contactPerson or report/reporter/reportingPerson",
        "conversation":
            "an Online Enticement report needs the conversation's messages (sender, time, text), which NCMEC's XML carries only as "
            + "free text (chatImIncident/content, kept in other_data) or as files: file it through POST /v1/reports instead",
        "users":
            "give at least one user with an account: espIdentifier or screenName (or an e-mail) of personOrUserReported, "
            + "intendedRecipient or victim",
        "geographic":
            "nothing locates the offence: give estimatedLocation/countryCode of personOrUserReported or a victim, or an "
            + "ipCaptureEvent with its dateTime",
    ]

    /// Vigil's hash algorithm for an `originalFileHash@hashType`.
    static func hashAlgorithm(_ hashType: String) -> FileHash.Algorithm? {
        switch hashType.lowercased().replacingOccurrences(of: "-", with: "") {
        case "md5": .md5
        case "sha1": .sha1
        case "sha256": .sha256
        case "pdq": .pdq
        default: nil
        }
    }

    /// IP events with a time become Vigil's; those without go to other data.
    private static func events(_ events: [CyberTiplineReport.IPEvent], path: String, other: inout OtherData) -> [IPCaptureEvent] {
        var mapped: [IPCaptureEvent] = []
        for event in events {
            guard let at = event.dateTime else {
                other.lines.append("\(path)/ipCaptureEvent: \(event.ipAddress) (no dateTime)")
                continue
            }
            mapped.append(
                IPCaptureEvent(
                    ip: event.ipAddress, port: event.port, at: at, event: event.eventName == "Unknown" ? nil : event.eventName?.lowercased(),
                    possibleProxy: event.possibleProxy))
        }
        return mapped
    }

    /// An ISO 3166-1 alpha-2 code as Vigil writes one (upper case), or nil for anything else.
    private static func country(_ code: String) -> String? {
        let upper = code.uppercased()
        return ReportValidation.isCountryCode(upper) ? upper : nil
    }
}

/// The lines of a report's other data, and the one rule that cuts them to the limit.
private struct OtherData {
    var lines: [String] = []

    mutating func add(_ path: String, _ value: String?) {
        if let value { lines.append("\(path): \(value)") }
    }

    /// A person's name, e-mail addresses, phone numbers, age and other details.
    mutating func add(person: CyberTiplineReport.Person?, path: String) {
        guard let person else { return }
        add(path, person.fullName)
        lines.append(contentsOf: person.emails.map { "\(path)/email: \($0)" })
        lines.append(contentsOf: person.phones.map { "\(path)/phone: \($0)" })
        add("\(path)/age", person.age.map(String.init))
        lines.append(contentsOf: person.details)
    }

    /// The lines joined; nil when there are none; cut at the limit with a marker saying how much was left out.
    var text: String? {
        guard !lines.isEmpty else { return nil }
        let text = lines.joined(separator: "\n")
        let limit = ReportValidation.Limits.otherData
        guard text.count > limit else { return text }
        let marker = "\n[cut: \(text.count) characters; the CyberTipline XML holds the rest]"
        return String(text.prefix(limit - marker.count)) + marker
    }
}
