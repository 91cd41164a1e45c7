public import Crypto
import Foundation
public import VigilDomain
import VigilHex

/// Signs reports with a provider's Ed25519 private key (the provider side of ``ReportIntake``'s
/// check): the signature covers ``ReportCoding/signingBytes(_:)``.
public struct ReportSigner: Sendable {
    /// The raw 32-byte private key (kept as bytes: the key type is not `Sendable`).
    private let rawPrivateKey: [UInt8]
    /// The public key's raw 32 bytes (registered with the organisation at the Centre).
    public let publicKey: [UInt8]

    /// A signer with `privateKey`.
    public init(privateKey: Curve25519.Signing.PrivateKey) {
        rawPrivateKey = Array(privateKey.rawRepresentation)
        publicKey = Array(privateKey.publicKey.rawRepresentation)
    }

    /// A signer with the 32-byte raw private key (as `vigil reports keygen` writes it, base64).
    public init(rawPrivateKey: [UInt8]) throws {
        self.init(privateKey: try Curve25519.Signing.PrivateKey(rawRepresentation: rawPrivateKey))
    }

    /// A signer with the key in the file at `path`, as `vigil reports keygen` writes it (the raw
    /// private key in base64, one line).
    ///
    /// - Throws: ``CentreError`` `invalid_signing_key_file`, saying which file and what is wrong.
    public init(keyFile path: String) throws(CentreError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CentreError(code: .invalidSigningKeyFile, message: "cannot read the signing key file \(path)")
        }
        guard let raw = Data(base64Encoded: String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)),
            let signer = try? ReportSigner(rawPrivateKey: Array(raw))
        else {
            throw CentreError(
                code: .invalidSigningKeyFile,
                message: "\(path) does not hold an Ed25519 private key in base64 (as `vigil reports keygen` writes it)")
        }
        self = signer
    }

    /// A signer with a new random key.
    public static func generate() -> ReportSigner {
        ReportSigner(privateKey: Curve25519.Signing.PrivateKey())
    }

    /// The raw private key, to be written to a file only its owner can read.
    public var privateKeyBytes: [UInt8] { rawPrivateKey }

    /// The key's id (``SigningKeyID/make(publicKey:)``).
    public var keyId: String { SigningKeyID.make(publicKey: publicKey) }

    /// `report` with its signature.
    public func sign(_ report: Report) throws -> SignedReport {
        let privateKey = try Curve25519.Signing.PrivateKey(rawRepresentation: rawPrivateKey)
        let signature = try privateKey.signature(for: ReportCoding.signingBytes(report))
        return SignedReport(report: report, signature: SignedReport.Signature(keyId: keyId, value: Data(signature).base64EncodedString()))
    }
}

/// A signing key's id: the first 16 hex digits of the SHA-256 of its raw public key.
public enum SigningKeyID {
    /// The id of `publicKey`.
    public static func make(publicKey: [UInt8]) -> String {
        Hex.encode(SHA256.hash(data: publicKey).prefix(8))
    }
}

/// Verifies a report's signature with a registered key.
public enum ReportSignatureCheck {
    /// Whether `signature` is a valid Ed25519 signature by `publicKey` over `report`'s signing bytes.
    public static func isValid(_ signature: SignedReport.Signature, of report: Report, publicKey: [UInt8]) -> Bool {
        isValid(signature, canonicalJSON: ReportCoding.canonicalJSON(report), publicKey: publicKey)
    }

    /// Whether `signature` is valid over a report whose canonical JSON is `canonicalJSON`.
    public static func isValid(_ signature: SignedReport.Signature, canonicalJSON: [UInt8], publicKey: [UInt8]) -> Bool {
        guard signature.algorithm == "ed25519", let bytes = Data(base64Encoded: signature.value), bytes.count == 64,
            let key = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey)
        else { return false }
        return key.isValidSignature(bytes, for: ReportCoding.signingBytes(canonicalJSON: canonicalJSON))
    }
}
