public import Foundation

/// How reports are written as JSON: snake_case keys (spelled out in each type's coding keys, so
/// no key conversion runs on the way in or out), and one canonical form that signatures cover.
///
/// Decoding is lenient about what may be missing, so that an incomplete report can be answered
/// with the whole list of what it lacks (``ReportValidation``) instead of the first missing key:
/// absent lists read as empty, absent required text as empty, an absent ``Report/type`` or
/// ``Report/removal`` as nil. Unknown keys are ignored, and are therefore not covered by the
/// signature (the canonical form is re-encoded from the decoded value).
public enum ReportCoding {
    /// The domain tag that starts the bytes a provider signs.
    public static let signatureDomain = "vigil-report-v1"

    /// A decoder for reports (their keys are snake_case already: no key strategy).
    public static func decoder() -> JSONDecoder {
        JSONDecoder()
    }

    /// An encoder for reports: keys sorted, no whitespace, `/` not escaped.
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// The report's canonical JSON: keys sorted, no whitespace, absent optional fields left out,
    /// empty lists written as `[]`, lists in the order given. Every number in a report is an
    /// integer and every key ASCII, so this is the RFC 8785 (JCS) form of the same JSON value.
    /// Written directly (``CanonicalJSONWriter``), not through `JSONEncoder`, whose sorted output
    /// a test holds it equal to.
    public static func canonicalJSON(_ report: Report) -> [UInt8] {
        var writer = CanonicalJSONWriter()
        writer.write(report)
        return writer.bytes
    }

    /// The bytes a provider signs with Ed25519: the ASCII tag `vigil-report-v1`, one zero byte, then
    /// ``canonicalJSON(_:)``.
    public static func signingBytes(_ report: Report) -> [UInt8] {
        signingBytes(canonicalJSON: canonicalJSON(report))
    }

    /// The bytes signed for a report whose canonical JSON is `canonicalJSON` (made once by a caller
    /// that also stores it).
    public static func signingBytes(canonicalJSON: [UInt8]) -> [UInt8] {
        var bytes = Array(signatureDomain.utf8)
        bytes.append(0)
        bytes.append(contentsOf: canonicalJSON)
        return bytes
    }
}

extension KeyedDecodingContainer {
    /// A list that may be absent (read as empty).
    fileprivate func list<T: Decodable>(_ key: Key) throws -> [T] {
        try decodeIfPresent([T].self, forKey: key) ?? []
    }

    /// Text that may be absent (read as empty, which validation reports as missing).
    fileprivate func text(_ key: Key) throws -> String {
        try decodeIfPresent(String.self, forKey: key) ?? ""
    }
}

extension Report {
    enum CodingKeys: String, CodingKey {
        case providerReference = "provider_reference"
        case provider
        case reportedAt = "reported_at"
        case incidentAt = "incident_at"
        case type
        case incidentType = "incident_type"
        case annotations
        case files
        case conversation
        case otherData = "other_data"
        case geographic
        case users
        case alsoReportedTo = "also_reported_to"
        case removal
        case urgent
        case urgencyReason = "urgency_reason"
        case legalBasis = "legal_basis"
    }

    /// Reads a report leniently (see ``ReportCoding``).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        providerReference = try c.text(.providerReference)
        provider = try c.decodeIfPresent(ReportingProvider.self, forKey: .provider) ?? ReportingProvider(name: "", contact: "")
        reportedAt = try c.text(.reportedAt)
        incidentAt = try c.decodeIfPresent(String.self, forKey: .incidentAt)
        type = try c.decodeIfPresent(ReportType.self, forKey: .type)
        incidentType = try c.decodeIfPresent(IncidentType.self, forKey: .incidentType)
        annotations = try c.list(.annotations)
        files = try c.list(.files)
        conversation = try c.list(.conversation)
        otherData = try c.decodeIfPresent(String.self, forKey: .otherData)
        geographic = try c.decodeIfPresent(GeographicInformation.self, forKey: .geographic) ?? GeographicInformation()
        users = try c.list(.users)
        alsoReportedTo = try c.list(.alsoReportedTo)
        removal = try c.decodeIfPresent(RemovalStatus.self, forKey: .removal)
        urgent = try c.decodeIfPresent(Bool.self, forKey: .urgent) ?? false
        urgencyReason = try c.decodeIfPresent(String.self, forKey: .urgencyReason)
        legalBasis = try c.text(.legalBasis)
    }
}

extension ReportingProvider {
    enum CodingKeys: String, CodingKey {
        case name
        case legalRepresentative = "legal_representative"
        case contact
        case establishment
    }

    /// Reads a provider leniently (see ``ReportCoding``).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.text(.name)
        legalRepresentative = try c.decodeIfPresent(String.self, forKey: .legalRepresentative)
        contact = try c.text(.contact)
        establishment = try c.decodeIfPresent(String.self, forKey: .establishment)
    }
}

extension ReportedFile {
    enum CodingKeys: String, CodingKey {
        case reference
        case originalFileName = "original_file_name"
        case mediaType = "media_type"
        case hashes
        case originalHashes = "original_hashes"
        case uploadedAt = "uploaded_at"
        case viewedByProvider = "viewed_by_provider"
        case publiclyAvailable = "publicly_available"
        case annotations
        case matchedIndicators = "matched_indicators"
        case ipEvents = "ip_events"
        case deviceIds = "device_ids"
    }

    /// Reads a file leniently (see ``ReportCoding``).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        reference = try c.text(.reference)
        originalFileName = try c.decodeIfPresent(String.self, forKey: .originalFileName)
        mediaType = try c.decodeIfPresent(String.self, forKey: .mediaType)
        hashes = try c.list(.hashes)
        originalHashes = try c.list(.originalHashes)
        uploadedAt = try c.decodeIfPresent(String.self, forKey: .uploadedAt)
        viewedByProvider = try c.decodeIfPresent(Bool.self, forKey: .viewedByProvider)
        publiclyAvailable = try c.decodeIfPresent(Bool.self, forKey: .publiclyAvailable)
        annotations = try c.list(.annotations)
        matchedIndicators = try c.list(.matchedIndicators)
        ipEvents = try c.list(.ipEvents)
        deviceIds = try c.list(.deviceIds)
    }
}

extension ReportedUser {
    enum CodingKeys: String, CodingKey {
        case role
        case identifier
        case screenName = "screen_name"
        case claimedAge = "claimed_age"
        case accountCountry = "account_country"
        case ipEvents = "ip_events"
        case deviceIds = "device_ids"
    }

    /// Reads a user leniently (see ``ReportCoding``); the role defaults to `suspect`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        role = try c.decodeIfPresent(Role.self, forKey: .role) ?? .suspect
        identifier = try c.text(.identifier)
        screenName = try c.decodeIfPresent(String.self, forKey: .screenName)
        claimedAge = try c.decodeIfPresent(Int.self, forKey: .claimedAge)
        accountCountry = try c.decodeIfPresent(String.self, forKey: .accountCountry)
        ipEvents = try c.list(.ipEvents)
        deviceIds = try c.list(.deviceIds)
    }
}

extension GeographicInformation {
    enum CodingKeys: String, CodingKey {
        case offenderCountry = "offender_country"
        case victimCountry = "victim_country"
        case ipEvents = "ip_events"
    }

    /// Reads geographic information leniently (see ``ReportCoding``).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        offenderCountry = try c.decodeIfPresent(String.self, forKey: .offenderCountry)
        victimCountry = try c.decodeIfPresent(String.self, forKey: .victimCountry)
        ipEvents = try c.list(.ipEvents)
    }
}

extension IPCaptureEvent {
    enum CodingKeys: String, CodingKey {
        case ip
        case port
        case at
        case event
        case possibleProxy = "possible_proxy"
    }

    /// Reads an IP event leniently (see ``ReportCoding``).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        ip = try c.text(.ip)
        port = try c.decodeIfPresent(Int.self, forKey: .port)
        at = try c.text(.at)
        event = try c.decodeIfPresent(String.self, forKey: .event)
        possibleProxy = try c.decodeIfPresent(Bool.self, forKey: .possibleProxy)
    }
}

extension ConversationMessage {
    enum CodingKeys: String, CodingKey {
        case sender
        case at
        case text
    }

    /// Reads a message leniently (see ``ReportCoding``).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        sender = try c.text(.sender)
        at = try c.text(.at)
        text = try c.text(.text)
    }
}

extension DeviceIdentifier {
    enum CodingKeys: String, CodingKey {
        case kind
        case value
    }

    /// Reads a device identifier leniently (see ``ReportCoding``).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        kind = try c.text(.kind)
        value = try c.text(.value)
    }
}
