/// The canonical JSON of a report, written directly: keys sorted (byte order, which is UTF-16
/// order for these ASCII keys), no whitespace, absent optional fields left out, lists as given,
/// integers in decimal, strings with `"` and `\` escaped, control characters as `\b \f \n \r \t`
/// or `\u00xx` (lower-case hex), and everything else (`/` and non-ASCII included) as its UTF-8 bytes:
/// RFC 8785 for a report's values. It is the form Ed25519 signatures cover
/// (``ReportCoding/signingBytes(_:)``); a test holds it equal to `JSONEncoder`'s sorted output.
struct CanonicalJSONWriter {
    private(set) var bytes: [UInt8] = []
    /// Whether the current object or array has had a member yet.
    private var needsComma = false

    init(capacity: Int = 1_024) {
        bytes.reserveCapacity(capacity)
    }

    mutating func object(_ body: (inout CanonicalJSONWriter) -> Void) {
        separate()
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
        body(&self)
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    mutating func array<T>(_ values: [T], _ element: (inout CanonicalJSONWriter, T) -> Void) {
        separate()
        bytes.append(UInt8(ascii: "["))
        needsComma = false
        for value in values { element(&self, value) }
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
    }

    /// A member's key; the value follows.
    mutating func key(_ name: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    mutating func string(_ value: String) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x08: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x0C: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x00..<0x20:
                let digits = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                bytes.append(digits[Int(byte >> 4)])
                bytes.append(digits[Int(byte & 0xF)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
        needsComma = true
    }

    mutating func integer(_ value: Int) {
        separate()
        bytes.append(contentsOf: String(value).utf8)
        needsComma = true
    }

    mutating func bool(_ value: Bool) {
        separate()
        bytes.append(contentsOf: value ? Array("true".utf8) : Array("false".utf8))
        needsComma = true
    }

    private mutating func separate() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
    }

    // MARK: Members that may be absent

    mutating func member(_ name: StaticString, _ value: String?) {
        guard let value else { return }
        key(name)
        string(value)
    }

    mutating func member(_ name: StaticString, _ value: Int?) {
        guard let value else { return }
        key(name)
        integer(value)
    }

    mutating func member(_ name: StaticString, _ value: Bool?) {
        guard let value else { return }
        key(name)
        bool(value)
    }

    mutating func member<T: RawRepresentable>(_ name: StaticString, _ value: T?) where T.RawValue == String {
        guard let value else { return }
        key(name)
        string(value.rawValue)
    }

    mutating func member<T>(_ name: StaticString, _ values: [T], _ element: (inout CanonicalJSONWriter, T) -> Void) {
        key(name)
        array(values, element)
    }
}

extension CanonicalJSONWriter {
    /// Writes a report, its members in key order.
    mutating func write(_ r: Report) {
        object { w in
            w.member("also_reported_to", r.alsoReportedTo) { w, other in
                w.object { w in
                    w.member("recipient", other.recipient)
                    w.member("reference", other.reference)
                }
            }
            w.member("annotations", r.annotations) { w, a in w.string(a.rawValue) }
            w.member("conversation", r.conversation) { w, m in
                w.object { w in
                    w.member("at", m.at)
                    w.member("sender", m.sender)
                    w.member("text", m.text)
                }
            }
            w.member("files", r.files) { w, f in w.write(f) }
            w.key("geographic")
            w.object { w in
                w.member("ip_events", r.geographic.ipEvents) { w, e in w.write(e) }
                w.member("offender_country", r.geographic.offenderCountry)
                w.member("victim_country", r.geographic.victimCountry)
            }
            w.member("incident_at", r.incidentAt)
            w.member("incident_type", r.incidentType)
            w.member("legal_basis", r.legalBasis)
            w.member("other_data", r.otherData)
            w.key("provider")
            w.object { w in
                w.member("contact", r.provider.contact)
                w.member("establishment", r.provider.establishment)
                w.member("legal_representative", r.provider.legalRepresentative)
                w.member("name", r.provider.name)
            }
            w.member("provider_reference", r.providerReference)
            w.member("removal", r.removal)
            w.member("reported_at", r.reportedAt)
            w.member("type", r.type)
            w.member("urgency_reason", r.urgencyReason)
            w.member("urgent", r.urgent)
            w.member("users", r.users) { w, u in
                w.object { w in
                    w.member("account_country", u.accountCountry)
                    w.member("claimed_age", u.claimedAge)
                    w.member("device_ids", u.deviceIds) { w, d in w.write(d) }
                    w.member("identifier", u.identifier)
                    w.member("ip_events", u.ipEvents) { w, e in w.write(e) }
                    w.member("role", u.role)
                    w.member("screen_name", u.screenName)
                }
            }
        }
    }

    mutating func write(_ f: ReportedFile) {
        object { w in
            w.member("annotations", f.annotations) { w, a in w.string(a.rawValue) }
            w.member("device_ids", f.deviceIds) { w, d in w.write(d) }
            w.member("hashes", f.hashes) { w, h in w.write(h) }
            w.member("ip_events", f.ipEvents) { w, e in w.write(e) }
            w.member("matched_indicators", f.matchedIndicators) { w, m in w.string(m) }
            w.member("media_type", f.mediaType)
            w.member("original_file_name", f.originalFileName)
            w.member("original_hashes", f.originalHashes) { w, h in w.write(h) }
            w.member("publicly_available", f.publiclyAvailable)
            w.member("reference", f.reference)
            w.member("uploaded_at", f.uploadedAt)
            w.member("viewed_by_provider", f.viewedByProvider)
        }
    }

    mutating func write(_ h: FileHash) {
        object { w in
            w.member("algorithm", h.algorithm)
            w.member("value", h.value)
        }
    }

    mutating func write(_ e: IPCaptureEvent) {
        object { w in
            w.member("at", e.at)
            w.member("event", e.event)
            w.member("ip", e.ip)
            w.member("port", e.port)
            w.member("possible_proxy", e.possibleProxy)
        }
    }

    mutating func write(_ d: DeviceIdentifier) {
        object { w in
            w.member("kind", d.kind)
            w.member("value", d.value)
        }
    }
}
