import Crypto
import Foundation
import Testing
import VigilCentre
import VigilDomain
import VigilHash
import VigilMatching
import VigilPipeline
import VigilStore
import VigilTestSupport

/// The real hasher (VigilPipeline's decoder and PDQ), as the node runs it, minus the pool.
struct PipelineImageHashing: ImageHashing {
    func pdq(of bytes: [UInt8]) async throws -> (hash: String, quality: Int)? {
        guard let result = try? MediaHasher(options: HashOptions(digests: false)).hash(bytes: bytes) else { return nil }
        return (result.pdq.hash.hex, result.pdq.quality)
    }
}

/// A benign generated image (shapes) and a report declaring its digests.
enum ContentSamples {
    static func image() throws -> [UInt8] { try TestPaths.fixtureBytes("generated/000-jpeg-q30-420-640x480-shapes.jpg") }

    static func hex(_ digest: some Sequence<UInt8>) -> String { digest.map { String(format: "%02x", $0) }.joined() }

    /// A report whose file `f1` declares the MD5 and SHA-256 of `bytes`.
    static func report(for bytes: [UInt8], reference: String = "case-1") -> Report {
        var report = Samples.report(reference: reference)
        report.files[0].hashes = [
            FileHash(algorithm: .md5, value: hex(Insecure.MD5.hash(data: bytes))), FileHash(algorithm: .sha256, value: hex(SHA256.hash(data: bytes))),
        ]
        report.files[0].mediaType = "image/jpeg"
        return report
    }
}

@Suite("Content at rest")
struct ContentTests {
    @Test func sealedBytesOpenOnlyAsTheFileTheyWereSealedFor() throws {
        let vault = ContentVault(keyring: MasterKeyring(current: .generate()))
        let bytes = Array("benign test bytes".utf8)
        let sha = ContentSamples.hex(SHA256.hash(data: bytes))
        let sealed = try vault.seal(bytes, sha256: sha)
        #expect(try vault.open(sealed, sha256: sha) == bytes)
        // Not the plain bytes, and a fresh key and nonce each time.
        #expect(!sealed.ciphertext.starts(with: bytes) && sealed.ciphertext.count == bytes.count + 28)
        #expect(try vault.seal(bytes, sha256: sha).ciphertext != sealed.ciphertext)
        // Bound to the file's SHA-256: bytes moved to another file's row do not open.
        #expect(throws: ContentKeyError.self) { _ = try vault.open(sealed, sha256: String(repeating: "0", count: 64)) }
        var altered = sealed
        altered.ciphertext[20] ^= 1
        #expect(throws: ContentKeyError.self) { _ = try vault.open(altered, sha256: sha) }
        var badKey = sealed
        badKey.wrappedKey[3] ^= 1
        #expect(throws: ContentKeyError.self) { _ = try vault.open(badKey, sha256: sha) }
        // Another node's master key cannot open it, and says which key it needs.
        let other = ContentVault(keyring: MasterKeyring(current: .generate()))
        let error = try #require(throws: ContentKeyError.self) { _ = try other.open(sealed, sha256: sha) }
        #expect(error.message.contains(sealed.masterKeyId))
    }

    @Test func keyFilesAreReadLineByLineWithTheCurrentKeyFirst() throws {
        let new = MasterKey.generate()
        let old = MasterKey.generate()
        let ring = try MasterKeyring(fileText: "# rotated 2026-11-30\n\(new.base64)\n\n\(old.base64)\n")
        #expect(ring.current.id == new.id && ring.retired.map(\.id) == [old.id])
        #expect(ring.key(id: old.id) != nil && ring.key(id: "mk-0000000000000000") == nil)
        #expect(try MasterKey(base64: new.base64).id == new.id)
        let error = try #require(throws: ContentKeyError.self) { _ = try MasterKeyring(fileText: "\(new.base64)\nnot-a-key\n") }
        #expect(error.message.contains("line 2"))
        #expect(throws: ContentKeyError.self) { _ = try MasterKeyring(fileText: "# only a comment\n") }
        #expect(throws: ContentKeyError.self) { _ = try MasterKey(bytes: Array(repeating: 1, count: 16)) }
    }

    @Test(arguments: StoreFactory.all)
    func aFileIsHashedCheckedSealedAndStoredWithItsReport(_ factory: StoreFactory) async throws {
        let store = try await factory.make(ManualClock())
        let (principal, signer) = try await Samples.provider(store)
        let vault = ContentVault(keyring: MasterKeyring(current: .generate()))
        let intake = ReportIntake(store: store, indicators: nil, vault: vault, images: PipelineImageHashing())
        let bytes = try ContentSamples.image()
        let report = ContentSamples.report(for: bytes)
        let stored = try await intake.file(try signer.sign(report), files: [ReceivedFile(reference: "f1", bytes: bytes)], by: principal)

        let files = try await store.reportFiles(reportId: stored.id)
        let file = try #require(files.first)
        #expect(files.count == 1 && file.reference == "f1" && file.size == bytes.count && file.mediaType == "image/jpeg")
        #expect(file.hashes.sha256 == report.files[0].hash(.sha256) && file.hashes.md5 == report.files[0].hash(.md5))
        let expectedPDQ = try MediaHasher(options: HashOptions(digests: false)).hash(bytes: bytes).pdq
        #expect(file.hashes.pdq == expectedPDQ.hash.hex && file.hashes.pdqQuality == expectedPDQ.quality)
        #expect(file.masterKeyId == vault.keyring.current.id)

        // On disk the bytes are sealed: the raw row does not hold them.
        let ciphertext = Data(try #require(try await store.reportFile(reportId: stored.id, reference: "f1")).sealed.ciphertext)
        #expect(ciphertext.count == bytes.count + 28 && ciphertext.range(of: Data(bytes.prefix(64))) == nil)

        // A read returns the bytes and is on the audit chain first.
        let content = ContentService(store: store, vault: vault)
        let analyst = Actor(name: "analyst-1", organisation: "Centre")
        let read = try await content.read(reportId: stored.id, reference: "f1", by: analyst)
        #expect(read.bytes == bytes)
        let events = try await store.auditEvents(after: 0, limit: 100)
        #expect(
            events.contains {
                $0.event.action == "report.content_read" && $0.event.actor == "analyst-1" && $0.event.object.hasPrefix("report:\(stored.id)/file:")
            })
        #expect(events.contains { $0.event.action == "report.file" && ($0.event.detail ?? "").contains("1 with content") })
        #expect(try await store.verifyAuditChain().isValid)

        // An absent file is a not-found, and no audit event.
        let before = try await store.auditEvents(after: 0, limit: 1_000).count
        await #expect(throws: StoreError.self) { _ = try await content.read(reportId: stored.id, reference: "f2", by: analyst) }
        #expect(try await store.auditEvents(after: 0, limit: 1_000).count == before)
    }

    @Test(arguments: StoreFactory.all)
    func filesThatDoNotBelongToTheReportAreRefusedAndNothingIsStored(_ factory: StoreFactory) async throws {
        let store = try await factory.make(ManualClock())
        let (principal, signer) = try await Samples.provider(store)
        let vault = ContentVault(keyring: MasterKeyring(current: .generate()))
        let intake = ReportIntake(store: store, indicators: nil, vault: vault, images: PipelineImageHashing(), maxFileBytes: 20_000)
        let bytes = try ContentSamples.image()
        let signed = try signer.sign(ContentSamples.report(for: bytes))

        func refusal(_ files: [ReceivedFile], using intake: ReportIntake) async -> CentreError? {
            do {
                _ = try await intake.file(signed, files: files, by: principal)
                return nil
            } catch {
                return error as? CentreError
            }
        }
        var other = bytes
        other[other.count - 3] ^= 0xff
        #expect(await refusal([ReceivedFile(reference: "f1", bytes: other)], using: intake)?.code == .fileMismatch)
        #expect(await refusal([ReceivedFile(reference: "f9", bytes: bytes)], using: intake)?.code == .fileMismatch)
        #expect(
            await refusal([ReceivedFile(reference: "f1", bytes: bytes), ReceivedFile(reference: "f1", bytes: bytes)], using: intake)?.code
                == .fileMismatch)
        let small = ReportIntake(store: store, indicators: nil, vault: vault, maxFileBytes: 1_000)
        #expect(await refusal([ReceivedFile(reference: "f1", bytes: bytes)], using: small)?.code == .fileTooLarge)
        let noKey = ReportIntake(store: store, indicators: nil)
        #expect(await refusal([ReceivedFile(reference: "f1", bytes: bytes)], using: noKey)?.code == .contentNotAccepted)
        #expect(try await store.reports(ReportQuery()).isEmpty)
        #expect(try await store.fileKeyCounts().isEmpty)

        // The same report then files, with its bytes.
        let stored = try await intake.file(signed, files: [ReceivedFile(reference: "f1", bytes: bytes)], by: principal)
        #expect(try await store.reportFiles(reportId: stored.id).count == 1)
    }

    /// The stored (sealed) bytes of each report's file `f1`, in the order of `reports`.
    static func ciphertexts(in store: any NodeStore, reports: [Int64]) async throws -> [[UInt8]] {
        var found: [[UInt8]] = []
        for id in reports { found.append(try #require(try await store.reportFile(reportId: id, reference: "f1")).sealed.ciphertext) }
        return found
    }

    @Test(arguments: StoreFactory.all)
    func rotationRewrapsEveryKeyWithoutTouchingTheBytes(_ factory: StoreFactory) async throws {
        let store = try await factory.make(ManualClock())
        let (principal, signer) = try await Samples.provider(store)
        let old = MasterKey.generate()
        let new = MasterKey.generate()
        let oldVault = ContentVault(keyring: MasterKeyring(current: old))
        let intake = ReportIntake(store: store, indicators: nil, vault: oldVault)
        var payloads: [Int64: [UInt8]] = [:]
        for number in 0..<7 {
            let bytes = Array("benign payload \(number)".utf8)
            let stored = try await intake.file(
                try signer.sign(ContentSamples.report(for: bytes, reference: "r\(number)")), files: [ReceivedFile(reference: "f1", bytes: bytes)],
                by: principal)
            payloads[stored.id] = bytes
        }
        let before = try await Self.ciphertexts(in: store, reports: payloads.keys.sorted())

        // A ring without the old key cannot rotate, and says so; nothing changes.
        let stranger = MasterKeyRotation(store: store, vault: ContentVault(keyring: MasterKeyring(current: new)), batchSize: 3)
        await #expect(throws: ContentKeyError.self) { _ = try await stranger.run() }
        #expect(try await store.fileKeyCounts() == [old.id: 7])

        let rotation = MasterKeyRotation(store: store, vault: ContentVault(keyring: MasterKeyring(current: new, retired: [old])), batchSize: 3)
        #expect(try await rotation.run() == 7)
        #expect(try await store.fileKeyCounts() == [new.id: 7])
        #expect(try await rotation.run() == 0)
        let after = try await Self.ciphertexts(in: store, reports: payloads.keys.sorted())
        #expect(after == before)

        // The new key alone opens everything; the old key alone opens nothing.
        let newOnly = ContentService(store: store, vault: ContentVault(keyring: MasterKeyring(current: new)))
        let oldOnly = ContentService(store: store, vault: oldVault)
        let actor = Actor(name: "analyst-1", organisation: "Centre")
        for (id, bytes) in payloads {
            #expect(try await newOnly.read(reportId: id, reference: "f1", by: actor).bytes == bytes)
            await #expect(throws: CentreError.self) { _ = try await oldOnly.read(reportId: id, reference: "f1", by: actor) }
        }
        let events = try await store.auditEvents(after: 0, limit: 1_000)
        #expect(events.filter { $0.event.action == "content.rewrap" }.count == 3)
    }

    /// A file whose report declares only its digests matches a confirmed indicator by the PDQ the
    /// Centre computed from its bytes (a near-duplicate: one bit of the hash flipped).
    @Test(arguments: StoreFactory.all)
    func theCentresOwnPDQOfTheBytesClassifiesKnownMaterial(_ factory: StoreFactory) async throws {
        let store = try await factory.make(ManualClock())
        let bytes = try ContentSamples.image()
        var words = try MediaHasher(options: HashOptions(digests: false)).hash(bytes: bytes).pdq.hash.words
        words[0] ^= 1
        _ = try await store.createList(HashList(name: "confirmed", kind: .knownAbuseMaterial))
        _ = try await store.apply(
            [IndicatorRecord(type: .pdq, value: PDQHash(words: words).hex, provenance: Provenance(sourceOrganisation: "Centre"))], toList: "confirmed"
        )
        let engine = try MatchEngine(source: StoreMatchSource(store))
        try await engine.load()
        let intake = ReportIntake(
            store: store, indicators: MatchIndicatorCheck(matching: MatchService(engine: engine, store: store)),
            vault: ContentVault(keyring: MasterKeyring(current: .generate())), images: PipelineImageHashing())
        let (principal, signer) = try await Samples.provider(store)
        var report = ContentSamples.report(for: bytes)
        report.type = .knownMaterial
        let signed = try signer.sign(report)

        // By its declared digests alone the file matches nothing; with its bytes it matches.
        let withoutBytes = try await intake.file(signed, by: principal)
        #expect(withoutBytes.state == .queued && withoutBytes.centreMatches.isEmpty)
        report.providerReference = "case-2"
        let withBytes = try await intake.file(try signer.sign(report), files: [ReceivedFile(reference: "f1", bytes: bytes)], by: principal)
        #expect(withBytes.state == .forwarded && withBytes.classifiedAutomatically)
        #expect(withBytes.centreMatches["f1"]?.first?.hasPrefix("confirmed:") == true)
    }
}
