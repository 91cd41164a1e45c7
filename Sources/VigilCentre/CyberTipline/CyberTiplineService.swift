public import Foundation
public import VigilDomain
import VigilHex
public import VigilStore

/// NCMEC's CyberTipline protocol (`/ispws`) over the Centre's store: each step loads the
/// submission in a transaction, applies ``CyberTiplineSubmission``'s rules at the transaction's
/// time, and writes the change with its audit event. A finished submission is filed through the
/// one ``ReportIntake`` (same check, classification and audit as any report), and closed in the
/// same transaction. Uploaded bytes are hashed and sealed at once, as any report's files.
public struct CyberTiplineService: Sendable {
    /// What NCMEC's XML does not carry, the same for every provider of this Centre (the provider's
    /// own name and establishment come from its organisation).
    public struct Settings: Sendable, Hashable {
        /// The legal basis providers filing this way act on.
        public var legalBasis: String?
        /// What providers filing this way do to reported material.
        public var removal: RemovalStatus?
        /// How long an unfinished report lives.
        public var lifetime: CyberTiplineSubmission.Lifetime

        /// Settings.
        public init(legalBasis: String? = nil, removal: RemovalStatus? = nil, lifetime: CyberTiplineSubmission.Lifetime = .init()) {
            self.legalBasis = legalBasis
            self.removal = removal
            self.lifetime = lifetime
        }
    }

    /// The store.
    public let store: any CentreStore
    /// The node's one intake.
    public let intake: ReportIntake
    /// The settings.
    public let settings: Settings
    /// The clock (the time a report is finished at).
    public let clock: any WallClock

    /// The service.
    public init(store: any CentreStore, intake: ReportIntake, settings: Settings, clock: any WallClock) {
        self.store = store
        self.intake = intake
        self.settings = settings
        self.clock = clock
    }

    /// Opens a report from its `<report>` XML (`/submit`); returns its id.
    public func submit(xml: [UInt8], by principal: Principal) async throws -> Int64 {
        _ = try CyberTiplineReport.parse(Data(xml))
        let actor = Actor(principal)
        return try await store.write { tx throws(StoreError) -> Int64 in
            let id = try tx.openSubmission(organisationId: principal.organisationId, reportXML: xml)
            try tx.appendAudit(
                AuditEvent(
                    actor: actor.name, organisation: actor.organisation, action: "cybertipline.submit", object: "submission:\(id)",
                    at: tx.now.rfc3339Text))
            return id
        }
    }

    /// Adds a file to an open report (`/upload`); returns its new id and MD5.
    public func upload(to id: Int64, name: String?, mediaType: String?, bytes: [UInt8], by principal: Principal) async throws -> (
        fileId: String, md5: String
    ) {
        guard let vault = intake.vault else {
            throw CyberTiplineError(.invalidRequest, "this Centre takes no files: it has no master key (content.master-key-file)")
        }
        guard bytes.count <= intake.maxFileBytes else {
            throw CyberTiplineError(.invalidRequest, "the file has \(bytes.count) bytes; the most is \(intake.maxFileBytes)")
        }
        // Refuse at once when the report is not open, before hashing anything.
        _ = try await load(id, by: principal)
        let fileId = Self.newFileId()
        let file = try await ReceivedFiles.seal(bytes, reference: fileId, mediaType: mediaType, vault: vault, images: intake.images)
        let actor = Actor(principal)
        let settings = settings
        try await store.write { tx throws -> Void in
            var (_, submission) = try Self.load(id, in: tx, by: principal, settings: settings)
            try submission.upload(
                fileId: fileId,
                hashes: [FileHash(algorithm: .md5, value: file.hashes.md5), FileHash(algorithm: .sha256, value: file.hashes.sha256)],
                mediaType: mediaType, at: tx.now)
            try tx.addSubmissionFile(submissionId: id, fileId: fileId, uploadName: name, file: file)
            try tx.appendAudit(
                AuditEvent(
                    actor: actor.name, organisation: actor.organisation, action: "cybertipline.upload", object: "submission:\(id)",
                    at: tx.now.rfc3339Text, detail: "file \(fileId), sha256 \(file.hashes.sha256)"))
        }
        return (fileId, file.hashes.md5)
    }

    /// Records a file's details (`/fileinfo`); returns the report's id.
    public func fileInfo(xml: [UInt8], by principal: Principal) async throws -> Int64 {
        let details = try CyberTiplineFileDetails.parse(Data(xml))
        let id = Int64(details.reportId)
        let actor = Actor(principal)
        let settings = settings
        try await store.write { tx throws -> Void in
            var (_, submission) = try Self.load(id, in: tx, by: principal, settings: settings)
            try submission.describe(details, at: tx.now)
            try tx.setSubmissionFileDetails(submissionId: id, fileId: details.fileId, detailsXML: xml)
            try tx.appendAudit(
                AuditEvent(
                    actor: actor.name, organisation: actor.organisation, action: "cybertipline.fileinfo", object: "submission:\(id)",
                    at: tx.now.rfc3339Text, detail: "file \(details.fileId)"))
        }
        return id
    }

    /// Finishes a report (`/finish`): files it with the Centre and closes it, in one transaction.
    /// Returns the stored report and the file ids.
    public func finish(_ id: Int64, by principal: Principal) async throws -> (report: StoredReport, fileIds: [String]) {
        let (stored, submission) = try await load(id, by: principal)
        let organisation = try await store.organisation(id: principal.organisationId)
        let provider = CyberTiplineProvider(
            name: organisation?.name ?? principal.organisation, establishment: organisation?.memberState?.rawValue, legalBasis: settings.legalBasis,
            removal: settings.removal)
        var finishing = submission
        let report = try finishing.finish(at: clock.now(), provider: provider)
        let files = stored.files.map(\.file)
        let actor = Actor(principal)
        let filed = try await intake.file(unsigned: report, channel: .cyberTipline, files: files, by: principal) { tx, report throws(StoreError) in
            // Closing fails when another request closed it meanwhile: then nothing of this is written.
            try tx.closeSubmission(id: id, state: CyberTiplineSubmission.State.finished.rawValue, reportId: report.id)
            try tx.appendAudit(
                AuditEvent(
                    actor: actor.name, organisation: actor.organisation, action: "cybertipline.finish", object: "submission:\(id)",
                    at: tx.now.rfc3339Text, detail: "report:\(report.id)"))
        }
        return (filed, stored.files.map(\.fileId))
    }

    /// Retracts an open report (`/retract`); its files are deleted.
    public func retract(_ id: Int64, by principal: Principal) async throws {
        let actor = Actor(principal)
        let settings = settings
        try await store.write { tx throws -> Void in
            var (_, submission) = try Self.load(id, in: tx, by: principal, settings: settings)
            try submission.retract(at: tx.now)
            try tx.closeSubmission(id: id, state: CyberTiplineSubmission.State.retracted.rawValue, reportId: nil)
            try tx.appendAudit(
                AuditEvent(
                    actor: actor.name, organisation: actor.organisation, action: "cybertipline.retract", object: "submission:\(id)",
                    at: tx.now.rfc3339Text))
        }
    }

    /// The submission `id` of `principal`'s organisation, checked open at the store's time.
    func load(_ id: Int64, by principal: Principal) async throws -> (StoredSubmission, CyberTiplineSubmission) {
        let settings = settings
        return try await store.write { tx throws -> (StoredSubmission, CyberTiplineSubmission) in
            let loaded = try Self.load(id, in: tx, by: principal, settings: settings)
            try loaded.1.requireOpen(at: tx.now)
            return loaded
        }
    }

    /// The submission `id` as the rules see it; another organisation's is answered as absent.
    static func load(_ id: Int64, in tx: any StoreTransaction, by principal: Principal, settings: Settings) throws -> (
        StoredSubmission, CyberTiplineSubmission
    ) {
        guard let stored = try tx.submission(id: id), stored.organisationId == principal.organisationId,
            let reportId = Int(exactly: stored.id)
        else {
            throw CyberTiplineError(.unknownReport, "report \(id) does not exist for this provider")
        }
        let report = try CyberTiplineReport.parse(Data(stored.reportXML))
        var files: [CyberTiplineSubmission.File] = []
        for file in stored.files {
            let details = try file.detailsXML.map { xml throws(CyberTiplineError) in try CyberTiplineFileDetails.parse(Data(xml)) }
            files.append(
                CyberTiplineSubmission.File(
                    fileId: file.fileId,
                    hashes: [FileHash(algorithm: .md5, value: file.file.hashes.md5), FileHash(algorithm: .sha256, value: file.file.hashes.sha256)],
                    mediaType: file.file.mediaType, uploadedAt: RFC3339.date(from: file.uploadedAt) ?? tx.now, details: details))
        }
        let state = CyberTiplineSubmission.State(rawValue: stored.state) ?? .open
        let submission = CyberTiplineSubmission(
            restoring: reportId, report: report, openedAt: RFC3339.date(from: stored.openedAt) ?? tx.now,
            lastChangedAt: RFC3339.date(from: stored.lastChangedAt) ?? tx.now, state: state, closedAt: stored.closedAt.flatMap(RFC3339.date(from:)),
            files: files, lifetime: settings.lifetime)
        return (stored, submission)
    }

    /// A new file id: 32 random hex digits (16 random bytes), as NCMEC's are.
    static func newFileId() -> String {
        var generator = SystemRandomNumberGenerator()
        return Hex.encode((0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }
}
