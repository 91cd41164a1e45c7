#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One thing wrong with a report: a field that is missing or not valid.
public struct ReportProblem: Sendable, Codable, Hashable, CustomStringConvertible {
    /// Whether the field is missing or present but not valid.
    public enum Kind: String, Sendable, Codable, Hashable {
        /// Required and absent (or empty).
        case missing
        /// Present but not acceptable.
        case invalid
    }

    /// The field's path in the report's JSON (`files[0].hashes`, `users[1].account_country`).
    public var field: String
    /// Missing or invalid.
    public var kind: Kind
    /// What is wrong and what to give instead.
    public var message: String

    /// A problem.
    public init(field: String, kind: Kind, message: String) {
        self.field = field
        self.kind = kind
        self.message = message
    }

    /// `field: message`.
    public var description: String { "\(field): \(message)" }
}

/// The completeness and validity check of a report: the Centre runs it on intake, and a provider
/// runs the same check before filing (`POST /v1/reports/validate`, `vigil reports validate`).
///
/// A report is complete when it has: the provider's reference, name and contact; the time it was
/// made; its type; the content (files with at least one hash each for material; the conversation
/// for solicitation); what was done to the material; the legal basis; a reason when it is urgent;
/// at least one user involved; and something that locates the offence (an estimated country, an IP
/// event, or an account's country), without which no police force can be chosen. Every value
/// present must also be valid (times RFC 3339, hashes lower-case hex of their length, IP addresses,
/// ports, ISO country codes, lengths).
public enum ReportValidation {
    /// Limits on a report's size.
    public enum Limits {
        /// Files per report.
        public static let files = 1_000
        /// Messages per report.
        public static let messages = 10_000
        /// Users per report.
        public static let users = 1_000
        /// IP events or device identifiers per list.
        public static let events = 1_000
        /// Characters of one message.
        public static let messageText = 10_000
        /// Characters of ``Report/otherData``.
        public static let otherData = 20_000
        /// Characters of the urgency reason (NCMEC's `escalateToHighPriority`).
        public static let urgencyReason = 3_000
        /// Characters of a short text (names, contacts, identifiers).
        public static let shortText = 500
    }

    /// Every problem of `report`; empty when it is complete and valid.
    public static func problems(_ report: Report) -> [ReportProblem] {
        var check = Checker()
        check.reference(report.providerReference, "provider_reference")
        check.required(report.provider.name, "provider.name", limit: Limits.shortText)
        check.required(report.provider.contact, "provider.contact", limit: Limits.shortText)
        check.optional(report.provider.legalRepresentative, "provider.legal_representative", limit: Limits.shortText)
        if let establishment = report.provider.establishment,
            MemberState(rawValue: establishment) == nil || establishment != establishment.uppercased()
        {
            check.invalid("provider.establishment", "a Member State's ISO 3166-1 alpha-2 code (e.g. DE), upper case")
        }
        check.time(report.reportedAt, "reported_at", required: true)
        check.time(report.incidentAt, "incident_at", required: false)
        if report.type == nil { check.missing("type", "one of \(ReportType.allCases.map(\.rawValue).joined(separator: ", "))") }
        if report.removal == nil { check.missing("removal", "one of \(RemovalStatus.allCases.map(\.rawValue).joined(separator: ", "))") }
        check.required(report.legalBasis, "legal_basis", limit: Limits.shortText)
        if report.urgent {
            check.required(report.urgencyReason ?? "", "urgency_reason", limit: Limits.urgencyReason)
        } else {
            check.optional(report.urgencyReason, "urgency_reason", limit: Limits.urgencyReason)
        }
        check.optional(report.otherData, "other_data", limit: Limits.otherData)

        // Content.
        switch report.type {
        case .knownMaterial, .newMaterial:
            if report.files.isEmpty { check.missing("files", "a report of material needs at least one file (with its hashes)") }
        case .solicitation:
            if report.conversation.isEmpty { check.missing("conversation", "a report of solicitation needs the conversation's messages") }
        case nil:
            break
        }
        if report.files.count > Limits.files { check.invalid("files", "at most \(Limits.files) files per report") }
        var references = Set<String>()
        for (i, file) in report.files.prefix(Limits.files).enumerated() {
            let path = "files[\(i)]"
            check.reference(file.reference, "\(path).reference")
            if !file.reference.isEmpty, !references.insert(file.reference).inserted {
                check.invalid("\(path).reference", "another file of the report has the reference \"\(file.reference)\"")
            }
            if file.hashes.isEmpty { check.missing("\(path).hashes", "at least one of md5, sha1, sha256, pdq") }
            check.hashes(file.hashes, "\(path).hashes")
            check.hashes(file.originalHashes, "\(path).original_hashes")
            check.optional(file.originalFileName, "\(path).original_file_name", limit: Limits.shortText)
            check.optional(file.mediaType, "\(path).media_type", limit: 255)
            check.time(file.uploadedAt, "\(path).uploaded_at", required: false)
            if file.matchedIndicators.count > Limits.events { check.invalid("\(path).matched_indicators", "at most \(Limits.events)") }
            for (j, indicator) in file.matchedIndicators.prefix(Limits.events).enumerated() {
                check.required(indicator, "\(path).matched_indicators[\(j)]", limit: Limits.shortText)
            }
            check.events(file.ipEvents, "\(path).ip_events")
            check.devices(file.deviceIds, "\(path).device_ids")
        }

        if report.conversation.count > Limits.messages { check.invalid("conversation", "at most \(Limits.messages) messages per report") }
        for (i, message) in report.conversation.prefix(Limits.messages).enumerated() {
            let path = "conversation[\(i)]"
            check.required(message.sender, "\(path).sender", limit: Limits.shortText)
            check.time(message.at, "\(path).at", required: true)
            check.required(message.text, "\(path).text", limit: Limits.messageText)
        }

        // Who and where.
        if report.users.isEmpty { check.missing("users", "at least one user involved (the suspected offender's account, if known)") }
        if report.users.count > Limits.users { check.invalid("users", "at most \(Limits.users) users per report") }
        for (i, user) in report.users.prefix(Limits.users).enumerated() {
            let path = "users[\(i)]"
            check.required(user.identifier, "\(path).identifier", limit: Limits.shortText)
            check.optional(user.screenName, "\(path).screen_name", limit: Limits.shortText)
            if let age = user.claimedAge, !(0...150).contains(age) { check.invalid("\(path).claimed_age", "an age in years, 0 to 150") }
            check.country(user.accountCountry, "\(path).account_country")
            check.events(user.ipEvents, "\(path).ip_events")
            check.devices(user.deviceIds, "\(path).device_ids")
        }
        check.country(report.geographic.offenderCountry, "geographic.offender_country")
        check.country(report.geographic.victimCountry, "geographic.victim_country")
        check.events(report.geographic.ipEvents, "geographic.ip_events")
        if !locatable(report) {
            check.missing(
                "geographic",
                "nothing locates the offence: give an estimated country (offender_country or victim_country), an IP event, or a user's account_country"
            )
        }
        for (i, other) in report.alsoReportedTo.prefix(Limits.events).enumerated() {
            check.required(other.recipient, "also_reported_to[\(i)].recipient", limit: Limits.shortText)
            check.optional(other.reference, "also_reported_to[\(i)].reference", limit: Limits.shortText)
        }
        if report.alsoReportedTo.count > Limits.events { check.invalid("also_reported_to", "at most \(Limits.events)") }
        return check.problems
    }

    /// Whether something in the report locates the offence (see ``ReportValidation``).
    static func locatable(_ report: Report) -> Bool {
        report.geographic.offenderCountry != nil || report.geographic.victimCountry != nil || !report.geographic.ipEvents.isEmpty
            || report.users.contains(where: { $0.accountCountry != nil || !$0.ipEvents.isEmpty })
            || report.files.contains(where: { !$0.ipEvents.isEmpty })
    }

    /// Whether `text` is an IPv4 or IPv6 address.
    public static func isIPAddress(_ text: String) -> Bool {
        guard !text.isEmpty, text.utf8.count <= 45 else { return false }
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return true }
        var v6 = in6_addr()
        return inet_pton(AF_INET6, text, &v6) == 1
    }

    /// Whether `text` is an ISO 3166-1 alpha-2 shape (two upper-case ASCII letters).
    public static func isCountryCode(_ text: String) -> Bool {
        text.utf8.count == 2 && text.utf8.allSatisfy { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) }
    }
}

/// Collects problems field by field.
private struct Checker {
    var problems: [ReportProblem] = []

    mutating func missing(_ field: String, _ message: String) {
        problems.append(ReportProblem(field: field, kind: .missing, message: message))
    }

    mutating func invalid(_ field: String, _ message: String) {
        problems.append(ReportProblem(field: field, kind: .invalid, message: message))
    }

    mutating func required(_ text: String, _ field: String, limit: Int) {
        if text.trimmingWhitespace.isEmpty {
            missing(field, "required")
        } else if text.count > limit {
            invalid(field, "at most \(limit) characters")
        }
    }

    mutating func optional(_ text: String?, _ field: String, limit: Int) {
        if let text, text.count > limit { invalid(field, "at most \(limit) characters") }
    }

    /// A reference: 1 to 128 of `A-Z a-z 0-9 . _ : -`.
    mutating func reference(_ text: String, _ field: String) {
        if text.isEmpty {
            missing(field, "required: 1 to 128 of A-Z a-z 0-9 . _ : -")
        } else if text.utf8.count > 128
            || !text.utf8.allSatisfy({ byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_")
                    || byte == UInt8(ascii: ":") || byte == UInt8(ascii: "-")
            })
        {
            invalid(field, "1 to 128 of A-Z a-z 0-9 . _ : -")
        }
    }

    mutating func time(_ text: String?, _ field: String, required: Bool) {
        guard let text, !text.isEmpty else {
            if required { missing(field, "required: an RFC 3339 time, e.g. 2026-01-01T12:00:00Z") }
            return
        }
        if !RFC3339.isValid(text) { invalid(field, "an RFC 3339 time, e.g. 2026-01-01T12:00:00Z") }
    }

    mutating func country(_ text: String?, _ field: String) {
        if let text, !ReportValidation.isCountryCode(text) { invalid(field, "an ISO 3166-1 alpha-2 country code, upper case (e.g. FR)") }
    }

    mutating func hashes(_ hashes: [FileHash], _ field: String) {
        if hashes.count > 8 { invalid(field, "at most 8 hashes") }
        for (i, hash) in hashes.prefix(8).enumerated() {
            let digits = FileHash.hexDigits(hash.algorithm)
            let lowerHex = hash.value.utf8.allSatisfy {
                (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0)
            }
            if hash.value.utf8.count != digits || !lowerHex {
                invalid("\(field)[\(i)].value", "\(digits) lower-case hex digits for \(hash.algorithm.rawValue)")
            }
        }
    }

    mutating func events(_ events: [IPCaptureEvent], _ field: String) {
        if events.count > ReportValidation.Limits.events { invalid(field, "at most \(ReportValidation.Limits.events)") }
        for (i, event) in events.prefix(ReportValidation.Limits.events).enumerated() {
            if event.ip.isEmpty {
                missing("\(field)[\(i)].ip", "required")
            } else if !ReportValidation.isIPAddress(event.ip) {
                invalid("\(field)[\(i)].ip", "an IPv4 or IPv6 address")
            }
            if let port = event.port, !(0...65_535).contains(port) { invalid("\(field)[\(i)].port", "a port, 0 to 65535") }
            time(event.at, "\(field)[\(i)].at", required: true)
            optional(event.event, "\(field)[\(i)].event", limit: 64)
        }
    }

    mutating func devices(_ devices: [DeviceIdentifier], _ field: String) {
        if devices.count > ReportValidation.Limits.events { invalid(field, "at most \(ReportValidation.Limits.events)") }
        for (i, device) in devices.prefix(ReportValidation.Limits.events).enumerated() {
            required(device.kind, "\(field)[\(i)].kind", limit: 64)
            required(device.value, "\(field)[\(i)].value", limit: 256)
        }
    }
}

extension String {
    /// The text without leading and trailing spaces, tabs and line breaks.
    fileprivate var trimmingWhitespace: Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let start = firstIndex(where: { !isSpace($0) }), let end = lastIndex(where: { !isSpace($0) }) else { return "" }
        return self[start...end]
    }
}
