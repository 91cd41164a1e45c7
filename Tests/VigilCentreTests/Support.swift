import Foundation
import VigilCentre
import VigilDomain
import VigilStore

/// A fresh SQLite store in a temporary folder.
func temporaryStore(clock: any WallClock = ManualClock()) throws -> SQLiteStore {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-centre-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return try SQLiteStore(path: folder.appendingPathComponent("vigil.sqlite").path, clock: clock)
}

/// Benign sample reports: generated hashes, made-up accounts, documentation IP addresses (RFC 5737 / 3849).
enum Samples {
    static let md5 = "0123456789abcdef0123456789abcdef"
    static let sha256 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

    /// A complete report of one file.
    static func report(reference: String = "case-1", type: ReportType = .newMaterial, urgent: Bool = false, md5: String = md5) -> Report {
        Report(
            providerReference: reference,
            provider: ReportingProvider(
                name: "Example Hosting", legalRepresentative: "Example EU Rep, Brussels", contact: "abuse@example.com", establishment: "IE"),
            reportedAt: "2026-01-01T10:00:00Z", incidentAt: "2025-12-31T22:15:00Z", type: type, incidentType: .childSexualAbuseMaterial,
            files: [
                ReportedFile(
                    reference: "f1", originalFileName: "pattern.png", mediaType: "image/png",
                    hashes: [FileHash(algorithm: .md5, value: md5), FileHash(algorithm: .sha256, value: sha256)], uploadedAt: "2025-12-31T22:15:00Z",
                    viewedByProvider: false, annotations: [.viral],
                    ipEvents: [IPCaptureEvent(ip: "192.0.2.10", port: 51_234, at: "2025-12-31T22:15:00Z", event: "upload")])
            ],
            geographic: GeographicInformation(offenderCountry: "DE"),
            users: [ReportedUser(role: .suspect, identifier: "user-42", screenName: "sample", accountCountry: "DE")],
            alsoReportedTo: [OtherReport(recipient: "NCMEC")], removal: .removed, urgent: urgent,
            urgencyReason: urgent ? "a meeting is arranged for tomorrow" : nil,
            legalBasis: "Regulation (EU) 2021/1232")
    }

    /// A provider organisation with a registered signing key, and a principal for its API key.
    static func provider(_ store: any NodeStore, name: String = "Example Hosting") async throws -> (principal: Principal, signer: ReportSigner) {
        let organisation = try await store.createOrganisation(NewOrganisation(name: name, kind: .provider))
        let signer = ReportSigner.generate()
        _ = try await store.write { tx throws(StoreError) in
            try tx.registerSigningKey(SigningKey(keyId: signer.keyId, organisationId: organisation.id, publicKey: signer.publicKey, createdAt: ""))
        }
        let (secret, _) = try await store.createKey(organisationId: organisation.id, scopes: [.report], label: "")
        guard let principal = try await store.verify(secret: secret) else { throw StoreError.internal("the new key does not verify") }
        return (principal, signer)
    }

    static func analyst(_ store: any NodeStore, name: String) async throws -> Actor {
        if try await store.organisation(named: "Centre") == nil {
            _ = try await store.createOrganisation(NewOrganisation(name: "Centre", kind: .centre))
        }
        return Actor(name: name, organisation: "Centre")
    }
}
