/// A provider's Ed25519 public key, registered with its organisation at the Centre: reports signed
/// with the matching private key are accepted from that organisation's API keys only.
public struct SigningKey: Sendable, Codable, Hashable {
    /// The key's id: the first 16 hex digits of the SHA-256 of the public key.
    public var keyId: String
    /// The organisation it belongs to.
    public var organisationId: Int64
    /// The 32-byte Ed25519 public key.
    public var publicKey: [UInt8]
    /// When it was registered, RFC 3339.
    public var createdAt: String
    /// When it was revoked, if it was: reports signed with it are refused from then on.
    public var revokedAt: String?

    /// A key.
    public init(keyId: String, organisationId: Int64, publicKey: [UInt8], createdAt: String, revokedAt: String? = nil) {
        self.keyId = keyId
        self.organisationId = organisationId
        self.publicKey = publicKey
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }
}

/// A report with the provider's signature, as it is filed.
public struct SignedReport: Sendable, Codable, Hashable {
    /// The signature over ``ReportCoding/signingBytes(_:)`` of ``report``.
    public struct Signature: Sendable, Codable, Hashable {
        /// The signing key's id (``SigningKey/keyId``).
        public var keyId: String
        /// Always `ed25519`.
        public var algorithm: String
        /// The 64-byte signature, base64.
        public var value: String

        enum CodingKeys: String, CodingKey {
            case keyId = "key_id"
            case algorithm
            case value
        }

        /// A signature.
        public init(keyId: String, algorithm: String = "ed25519", value: String) {
            self.keyId = keyId
            self.algorithm = algorithm
            self.value = value
        }
    }

    /// The report.
    public var report: Report
    /// Its signature.
    public var signature: Signature

    /// A signed report.
    public init(report: Report, signature: Signature) {
        self.report = report
        self.signature = signature
    }
}

/// How a report reached the Centre, and so what vouches for it.
public enum ReportChannel: String, Sendable, Codable, CaseIterable, Hashable {
    /// Vigil's own API: JSON signed by the provider's registered Ed25519 key.
    case signed
    /// NCMEC's CyberTipline protocol (`/ispws`): XML over HTTP Basic with the provider's
    /// credentials; no signature exists (NCMEC's protocol has none).
    case cyberTipline = "cybertipline"
}
