import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import VigilCentre
import VigilDomain
import VigilServer
import VigilStore
import VigilTestSupport

/// Files filed with their bytes: hashed and checked on arrival, stored sealed, read by the
/// Centre's analysts and by the police a report was referred to, by no one else, each read audited.
@Suite("The Centre's stored files over HTTP")
struct CentreContentAPITests {
    static let boundary = "vigil-test-boundary-7f3a"

    static func hex(_ digest: some Sequence<UInt8>) -> String { digest.map { String(format: "%02x", $0) }.joined() }

    /// A `multipart/form-data` filing: the signed report, then each file.
    static func multipart(_ signed: SignedReport, files: [(reference: String, bytes: [UInt8])]) throws -> ByteBuffer {
        var body: [UInt8] = []
        func add(_ text: String) { body += Array(text.utf8) }
        add("--\(boundary)\r\nContent-Disposition: form-data; name=\"report\"\r\nContent-Type: application/json\r\n\r\n")
        body += try ReportCoding.encoder().encode(signed)
        for file in files {
            add("\r\n--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(file.reference)\"\r\n")
            add("Content-Type: application/octet-stream\r\n\r\n")
            body += file.bytes
        }
        add("\r\n--\(boundary)--\r\n")
        return ByteBuffer(bytes: body)
    }

    static func headers(_ cast: CentreAPITests.Cast, _ who: String) -> HTTPFields {
        var fields = cast.headers(who)
        fields[.contentType] = "multipart/form-data; boundary=\(boundary)"
        return fields
    }

    @Test func aFileIsStoredSealedAndReadOnlyByTheCentreAndTheRightPolice() async throws {
        let cast = try await CentreAPITests.cast()
        let store = cast.node.store
        let providerId = try #require(cast.organisations["provider"]).id
        _ = try await store.write { tx throws(StoreError) in
            try tx.registerSigningKey(
                SigningKey(keyId: cast.signer.keyId, organisationId: providerId, publicKey: cast.signer.publicKey, createdAt: ""))
        }
        let bytes = try TestPaths.fixtureBytes("generated/000-jpeg-q30-420-640x480-shapes.jpg")
        var draft = CentreAPITests.report()
        draft.files[0].hashes = [
            FileHash(algorithm: .md5, value: Self.hex(Insecure.MD5.hash(data: bytes))),
            FileHash(algorithm: .sha256, value: Self.hex(SHA256.hash(data: bytes))),
        ]
        let report = draft
        let signed = try cast.signer.sign(report)

        try await cast.node.application.test(.router) { client in
            // Bytes that are not the declared file, a part naming no file, a malformed body: refused, nothing stored.
            var other = bytes
            other[100] ^= 0xff
            try await client.execute(
                uri: "/v1/reports", method: .post, headers: Self.headers(cast, "provider"),
                body: try Self.multipart(signed, files: [("f1", other)])
            ) {
                #expect($0.status == .unprocessableContent)
                #expect(($0.json["error"] as? [String: Any])?["code"] as? String == "file_mismatch")
            }
            try await client.execute(
                uri: "/v1/reports", method: .post, headers: Self.headers(cast, "provider"), body: try Self.multipart(signed, files: [("f7", bytes)])
            ) {
                #expect($0.status == .unprocessableContent)
            }
            try await client.execute(
                uri: "/v1/reports", method: .post, headers: Self.headers(cast, "provider"), body: ByteBuffer(string: "--\(Self.boundary)\r\nbroken")
            ) {
                #expect($0.status == .badRequest)
                #expect(($0.json["error"] as? [String: Any])?["code"] as? String == "invalid_multipart")
            }
            #expect(try await store.reports(ReportQuery()).isEmpty)

            // Filed with its bytes.
            var reportId = 0
            try await client.execute(
                uri: "/v1/reports", method: .post, headers: Self.headers(cast, "provider"), body: try Self.multipart(signed, files: [("f1", bytes)])
            ) {
                #expect($0.status == .created)
                #expect($0.json["stored_files"] as? Int == 1)
                reportId = $0.json["id"] as? Int ?? 0
            }
            #expect(reportId > 0)

            // The provider sees what the Centre computed; another provider does not; neither reads the bytes.
            try await client.execute(uri: "/v1/reports/\(reportId)/files", method: .get, headers: cast.headers("provider")) {
                #expect($0.status == .ok)
                let files = $0.json["files"] as? [[String: Any]] ?? []
                #expect(files.count == 1)
                #expect(files.first?["sha256"] as? String == report.files[0].hash(.sha256))
                #expect((files.first?["pdq"] as? String)?.count == 64)
            }
            try await client.execute(uri: "/v1/reports/\(reportId)/files", method: .get, headers: cast.headers("other-provider")) {
                #expect($0.status == .notFound)
            }
            for who in ["provider", "other-provider", "police-de"] {
                try await client.execute(uri: "/v1/reports/\(reportId)/files/f1", method: .get, headers: cast.headers(who)) {
                    #expect($0.status == .forbidden, "\(who) may not read bytes through the Centre's route")
                }
            }

            // The analyst reads them (audited first).
            try await client.execute(uri: "/v1/reports/\(reportId)/files/f1", method: .get, headers: cast.headers("analyst")) {
                #expect($0.status == .ok)
                #expect(Array($0.body.readableBytesView) == bytes)
                #expect($0.headers[.contentType] == "application/octet-stream")
                #expect($0.headers[HTTPField.Name("X-Content-SHA256")!] == report.files[0].hash(.sha256))
            }
            try await client.execute(uri: "/v1/reports/\(reportId)/files/f2", method: .get, headers: cast.headers("analyst")) {
                #expect($0.status == .notFound)
            }

            // Forwarded: the German police read the file through their referral; the French police cannot.
            try await client.execute(
                uri: "/v1/reports/\(reportId)/decision", method: .post, headers: cast.headers("analyst"),
                body: try CentreAPITests.body(["decision": "forward"])
            ) { #expect($0.status == .ok) }
            try await client.execute(
                uri: "/v1/reports/\(reportId)/review", method: .post, headers: cast.headers("supervisor"),
                body: try CentreAPITests.body(["approve": true])
            ) { #expect($0.status == .ok) }
            let referrals = try await store.referrals(reportId: Int64(reportId))
            let germany = try #require(MemberState(rawValue: "DE"))
            let german = try #require(referrals.first { $0.recipient == .police(germany) })
            try await client.execute(uri: "/v1/referrals/\(german.id)/files/f1", method: .get, headers: cast.headers("police-de")) {
                #expect($0.status == .ok)
                #expect(Array($0.body.readableBytesView) == bytes)
            }
            try await client.execute(uri: "/v1/referrals/\(german.id)/files/f1", method: .get, headers: cast.headers("police-fr")) {
                #expect($0.status == .notFound)
            }
        }
        let reads = try await store.auditEvents(after: 0, limit: 1_000).filter { $0.event.action == "report.content_read" }
        #expect(reads.count == 2)
        #expect(reads.last?.event.detail?.contains("via referral:") == true)
        #expect(try await store.verifyAuditChain().isValid)
    }
}
