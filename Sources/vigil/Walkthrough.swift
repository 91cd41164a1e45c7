import ArgumentParser
import Crypto
import Foundation
import VigilCentre
import VigilDomain
import VigilHex
import VigilStore

/// `vigil serve --role all --sample FOLDER` (what `make run` starts): besides the sample list, the
/// Centre's sample cast (a provider with a signing key, the Centre's analyst and supervisor, the
/// police of Germany and France, Europol), a report of one sample image ready to file, and a
/// walkthrough a newcomer can follow with curl and `vigil`.
struct Walkthrough {
    /// The organisations, their kinds, Member States and the scopes of their demo keys.
    static let cast: [(label: String, name: String, kind: OrganisationKind, state: String?, scopes: Set<Scope>)] = [
        ("provider", "Example Hosting", .provider, nil, [.report]),
        ("analyst", "Centre", .centre, nil, [.assess]),
        ("supervisor", "Centre", .centre, nil, [.supervise]),
        ("police-de", "Polizei DE", .police, "DE", [.referrals]),
        ("police-fr", "Police FR", .police, "FR", [.referrals]),
        ("europol", "Europol", .europol, nil, [.referrals]),
    ]

    let store: any NodeStore
    let dataDirectory: String
    let base: String
    /// The node's clock (the report's times).
    let clock: any WallClock

    /// Makes the cast (organisations once; fresh keys each start), writes the provider's signing key
    /// and a report of `image`, and returns the walkthrough's text.
    func prepare(image: String) async throws -> String {
        var keys: [String: String] = [:]
        var providerId: Int64 = 0
        for member in Self.cast {
            let existing = try await store.organisation(named: member.name)
            let organisation: Organisation
            if let existing {
                organisation = existing
            } else {
                organisation = try await store.createOrganisation(
                    NewOrganisation(name: member.name, kind: member.kind, memberState: member.state.flatMap(MemberState.init(rawValue:))))
            }
            if member.label == "provider" { providerId = organisation.id }
            keys[member.label] = try await store.createKey(organisationId: organisation.id, scopes: member.scopes, label: "walkthrough").secret
        }
        let folder = (dataDirectory as NSString).appendingPathComponent("walkthrough")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let keyPath = (folder as NSString).appendingPathComponent("provider.key")
        let signer: ReportSigner
        if FileManager.default.fileExists(atPath: keyPath) {
            signer = try ReportsCommand.readSigner(keyPath)
        } else {
            signer = ReportSigner.generate()
            let text = Data(signer.privateKeyBytes).base64EncodedString() + "\n"
            guard FileManager.default.createFile(atPath: keyPath, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
                throw ValidationError("cannot write \(keyPath)")
            }
            _ = try await SigningKeys.register(
                publicKey: signer.publicKey, organisationId: providerId, by: Actor(name: "vigil serve --sample", organisation: nil), in: store)
        }
        let bytes = try Data(contentsOf: URL(fileURLWithPath: image))
        let reportPath = (folder as NSString).appendingPathComponent("report.json")
        let report = Self.report(image: image, bytes: Array(bytes), at: clock.now())
        try ReportCoding.encoder().encode(report).write(to: URL(fileURLWithPath: reportPath))

        func key(_ label: String) -> String { keys[label] ?? "" }
        let vigil = CommandLine.arguments.first ?? "vigil"
        return """

            Walkthrough: this node is also the Centre (--role all). The organisations and their demo keys:
              provider Example Hosting (report):   \(key("provider"))
              Centre analyst (assess):             \(key("analyst"))
              Centre supervisor (supervise):       \(key("supervisor"))
              Polizei DE (referrals):              \(key("police-de"))
              Police FR (referrals):               \(key("police-fr"))
              Europol (referrals):                 \(key("europol"))
            1. The provider files a signed report of the sample image it matched (the suspect's account is in Germany):
                 VIGIL_CENTRE_KEY=\(key("provider")) \(vigil) reports file --centre \(base) --key \(keyPath) \(reportPath)
            2. The analyst sees it in the queue and decides to forward it (use the id step 1 printed):
                 curl -s -H 'Authorization: Bearer \(key("analyst"))' \(base)/v1/assessment/queue
                 curl -s -H 'Authorization: Bearer \(key("analyst"))' -d '{"decision":"forward"}' \(base)/v1/reports/ID/decision
            3. A supervisor (another person) approves; the report is referred to Germany, Ireland (the provider's establishment) and Europol:
                 curl -s -H 'Authorization: Bearer \(key("supervisor"))' -d '{"approve":true}' \(base)/v1/reports/ID/review
            4. The German police see the referral; the French police see none:
                 curl -s -H 'Authorization: Bearer \(key("police-de"))' \(base)/v1/referrals
                 curl -s -H 'Authorization: Bearer \(key("police-fr"))' \(base)/v1/referrals
            5. The provider follows its report (state, referrals, outcomes, holds, when it may inform its user):
                 curl -s -H 'Authorization: Bearer \(key("provider"))' \(base)/v1/reports/ID
            Every step is on the audit chain: \(vigil) audit tail --data-directory \(dataDirectory)

            """
    }

    /// A complete report of the sample image, as a provider would file it after a match.
    /// A new reference per start (the time in milliseconds), so that each start's report can be filed.
    static func report(image: String, bytes: [UInt8], at now: Date) -> Report {
        Report(
            providerReference: "walkthrough-\(Int64(now.timeIntervalSince1970 * 1_000))",
            provider: ReportingProvider(name: "Example Hosting", contact: "abuse@example.com", establishment: "IE"),
            reportedAt: now.rfc3339, type: .knownMaterial,
            files: [
                ReportedFile(
                    reference: "f1", originalFileName: (image as NSString).lastPathComponent, mediaType: "image/jpeg",
                    hashes: [
                        FileHash(algorithm: .md5, value: Hex.encode(Insecure.MD5.hash(data: bytes))),
                        FileHash(algorithm: .sha256, value: Hex.encode(SHA256.hash(data: bytes))),
                    ], matchedIndicators: ["sample"],
                    ipEvents: [IPCaptureEvent(ip: "192.0.2.10", port: 51_234, at: now.rfc3339, event: "upload")])
            ],
            users: [ReportedUser(role: .suspect, identifier: "user-42", accountCountry: "DE")], removal: .removed,
            legalBasis: "Regulation (EU) 2021/1232")
    }
}
