import Foundation
import Testing
import VigilCentre
import VigilDomain
import VigilHash
import VigilMatching
import VigilStore
import VigilTestSupport

/// Intake: complete, signed by a key of the filing organisation, stored with its audit event, or
/// refused with nothing stored.
@Suite("Report intake")
struct IntakeTests {
    @Test(arguments: StoreFactory.all)
    func aSignedCompleteReportIsStoredWithItsAuditEvent(_ factory: StoreFactory) async throws {
        let store = try await factory.make(ManualClock())
        let (principal, signer) = try await Samples.provider(store)
        let intake = ReportIntake(store: store, indicators: nil)
        let signed = try signer.sign(Samples.report())
        let stored = try await intake.file(signed, by: principal)
        #expect(stored.state == .queued && !stored.classifiedAutomatically && stored.organisationId == principal.organisationId)
        let read = try #require(try await store.report(id: stored.id))
        #expect(read.report == signed.report && read.signature == signed.signature && read.state == .queued)
        // What was stored still verifies: the police can check the provider's signature later.
        let key = try #require(try await store.signingKey(id: signer.keyId))
        #expect(ReportSignatureCheck.isValid(try #require(read.signature), of: read.report, publicKey: key.publicKey))
        #expect(read.channel == .signed)
        let events = try await store.auditEvents(after: 0, limit: 100)
        #expect(
            events.contains {
                $0.event.action == "report.file" && $0.event.object == "report:\(stored.id)" && $0.event.actor == "key:\(principal.keyId)"
            })
        #expect(try await store.verifyAuditChain().isValid)
    }

    /// A report signed by another implementation of the rule (Python's json and `cryptography`,
    /// Benchmarks/centre/reports.py) verifies: the canonical form is the same in both.
    @Test func aReportSignedByAnIndependentImplementationVerifies() throws {
        let body = try TestPaths.fixtureBytes("centre/python-signed.json")
        let signed = try ReportCoding.decoder().decode(SignedReport.self, from: Data(body))
        let publicText = String(decoding: try TestPaths.fixtureBytes("centre/python-signed.pub"), as: UTF8.self)
        let publicKey = try #require(Data(base64Encoded: publicText.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(ReportValidation.problems(signed.report) == [])
        #expect(signed.signature.keyId == SigningKeyID.make(publicKey: Array(publicKey)))
        #expect(ReportSignatureCheck.isValid(signed.signature, of: signed.report, publicKey: Array(publicKey)))
        var altered = signed.report
        altered.urgent = true
        #expect(!ReportSignatureCheck.isValid(signed.signature, of: altered, publicKey: Array(publicKey)))
    }

    @Test(arguments: StoreFactory.all)
    func refusalsStoreNothing(_ factory: StoreFactory) async throws {
        let store = try await factory.make(ManualClock())
        let (principal, signer) = try await Samples.provider(store)
        let (other, otherSigner) = try await Samples.provider(store, name: "Other Service")
        let intake = ReportIntake(store: store, indicators: nil)

        // Incomplete: every problem listed.
        var incomplete = Samples.report()
        incomplete.legalBasis = ""
        incomplete.users = []
        await #expect {
            _ = try await intake.file(try signer.sign(incomplete), by: principal)
        } throws: { error in
            guard let error = error as? CentreError, error.code == .incompleteReport else { return false }
            return Set(error.problems.map(\.field)) == ["legal_basis", "users"]
        }
        // Tampered after signing.
        var tampered = try signer.sign(Samples.report())
        tampered.report.urgent = true
        tampered.report.urgencyReason = "changed in transit"
        await #expect { _ = try await intake.file(tampered, by: principal) } throws: { ($0 as? CentreError)?.code == .badSignature }
        // Signed with another organisation's key (an unknown provider for this key).
        await #expect { _ = try await intake.file(try otherSigner.sign(Samples.report()), by: principal) } throws: {
            ($0 as? CentreError)?.code == .unknownSigningKey
        }
        // An unregistered key.
        await #expect { _ = try await intake.file(try ReportSigner.generate().sign(Samples.report()), by: principal) } throws: {
            ($0 as? CentreError)?.code == .unknownSigningKey
        }
        // A garbage signature value.
        var garbage = try signer.sign(Samples.report())
        garbage.signature.value = "not base64!"
        await #expect { _ = try await intake.file(garbage, by: principal) } throws: { ($0 as? CentreError)?.code == .badSignature }
        #expect(try await store.reports(ReportQuery()).isEmpty)

        // A revoked key.
        _ = try await intake.file(try otherSigner.sign(Samples.report()), by: other)
        try await store.write { tx throws(StoreError) in try tx.revokeSigningKey(id: otherSigner.keyId) }
        await #expect { _ = try await intake.file(try otherSigner.sign(Samples.report(reference: "case-2")), by: other) } throws: {
            ($0 as? CentreError)?.code == .unknownSigningKey
        }
        #expect(try await store.reports(ReportQuery()).count == 1)
    }

    @Test(arguments: StoreFactory.all)
    func theSameReferenceIsFiledOnce(_ factory: StoreFactory) async throws {
        let store = try await factory.make(ManualClock())
        let (principal, signer) = try await Samples.provider(store)
        let intake = ReportIntake(store: store, indicators: nil)
        let first = try await intake.file(try signer.sign(Samples.report()), by: principal)
        await #expect { _ = try await intake.file(try signer.sign(Samples.report()), by: principal) } throws: { error in
            guard let error = error as? StoreError, error.code == .reportExists else { return false }
            return error.message.contains("report \(first.id)")
        }
        // Another provider may use the same reference.
        let (other, otherSigner) = try await Samples.provider(store, name: "Other Service")
        _ = try await intake.file(try otherSigner.sign(Samples.report()), by: other)
        #expect(try await store.reports(ReportQuery()).count == 2)
    }

    @Test(arguments: StoreFactory.all)
    func manyProvidersFilingAtOnceLoseNothing(_ factory: StoreFactory) async throws {
        let store = try await factory.make(ManualClock())
        let intake = ReportIntake(store: store, indicators: nil)
        var providers: [(Principal, ReportSigner)] = []
        for i in 0..<5 { providers.append(try await Samples.provider(store, name: "provider-\(i)")) }
        let all = providers
        let ids = try await withThrowingTaskGroup(of: Int64.self) { group in
            for (p, (principal, signer)) in all.enumerated() {
                for r in 0..<20 {
                    group.addTask { try await intake.file(try signer.sign(Samples.report(reference: "p\(p)-r\(r)")), by: principal).id }
                }
            }
            var ids: [Int64] = []
            for try await id in group { ids.append(id) }
            return ids
        }
        #expect(Set(ids).count == 100)
        let stored = try await store.reports(ReportQuery(limit: 1_000))
        #expect(Set(stored.map(\.id)) == Set(ids))
        #expect(try await store.verifyAuditChain().isValid)
    }

    @Test(arguments: StoreFactory.all)
    func aReportWhoseEveryFileMatchesAConfirmedIndicatorIsClassifiedKnown(_ factory: StoreFactory) async throws {
        let store = try await factory.make(ManualClock())
        _ = try await store.createList(HashList(name: "confirmed", kind: .knownAbuseMaterial))
        _ = try await store.apply(
            [IndicatorRecord(type: .md5, value: Samples.md5, provenance: Provenance(sourceOrganisation: "Centre"))], toList: "confirmed")
        let engine = try MatchEngine(source: StoreMatchSource(store))
        try await engine.load()
        let intake = ReportIntake(store: store, indicators: MatchIndicatorCheck(matching: MatchService(engine: engine, store: store)))
        let (principal, signer) = try await Samples.provider(store)

        let known = try await intake.file(try signer.sign(Samples.report(reference: "known", type: .knownMaterial)), by: principal)
        #expect(known.state == .forwarded && known.classifiedAutomatically)
        #expect(known.centreMatches["f1"]?.count == 1 && known.centreMatches["f1"]?.first?.hasPrefix("confirmed:") == true)
        #expect(try await store.report(id: known.id)?.centreMatches == known.centreMatches)

        // One file of two unmatched: the report goes to the queue.
        var mixed = Samples.report(reference: "mixed", type: .knownMaterial)
        mixed.files.append(ReportedFile(reference: "f2", hashes: [FileHash(algorithm: .md5, value: String(repeating: "e", count: 32))]))
        let queued = try await intake.file(try signer.sign(mixed), by: principal)
        #expect(queued.state == .queued && !queued.classifiedAutomatically && queued.centreMatches.keys.sorted() == ["f1"])
        let events = try await store.auditEvents(after: 0, limit: 100)
        #expect(events.filter { $0.event.action == "report.classify_known" }.map(\.event.object) == ["report:\(known.id)"])
    }
}
