public import VigilDomain
public import VigilStore

/// Reads of a report's stored files: who may read is decided before (an analyst of the Centre, or
/// the police and Europol a report was referred to); every read is an audit event, written
/// durably before a byte is returned.
public struct ContentService: Sendable {
    /// The store.
    public let store: any CentreStore
    /// What opens the sealed bytes (nil when the node holds no master key).
    public let vault: ContentVault?

    /// The service over `store`, opening with `vault`.
    public init(store: any CentreStore, vault: ContentVault?) {
        self.store = store
        self.vault = vault
    }

    /// The stored files of report `reportId` (their descriptions, not their bytes).
    public func files(of reportId: Int64) async throws(StoreError) -> [ReportFileInfo] {
        try await store.reportFiles(reportId: reportId)
    }

    /// The bytes of file `reference` of report `reportId`, read by `actor` (through `via`, e.g.
    /// `referral:7`, recorded on the audit event).
    ///
    /// - Throws: ``StoreError`` `report_not_found` when the report has no stored file of that
    ///   reference; ``CentreError`` `content_unreadable` when it cannot be opened.
    public func read(reportId: Int64, reference: String, by actor: Actor, via: String? = nil) async throws -> (info: ReportFileInfo, bytes: [UInt8]) {
        guard let stored = try await store.reportFile(reportId: reportId, reference: reference) else {
            throw StoreError(code: .reportNotFound, message: "report \(reportId) has no stored file \"\(reference)\"")
        }
        guard let vault else {
            throw CentreError(code: .contentUnreadable, message: "this node holds no master key: set content.master-key-file to read stored files")
        }
        try await store.write { tx throws(StoreError) -> Void in
            try tx.appendAudit(
                AuditEvent(
                    actor: actor.name, organisation: actor.organisation, action: "report.content_read",
                    object: "report:\(reportId)/file:\(stored.info.id)", at: tx.now.rfc3339Text,
                    detail: "sha256 \(stored.info.hashes.sha256)" + (via.map { ", via \($0)" } ?? "")))
        }
        do {
            return (stored.info, try vault.open(stored.sealed, sha256: stored.info.hashes.sha256))
        } catch {
            throw CentreError(code: .contentUnreadable, message: error.message)
        }
    }
}

/// Rewraps every stored file key with the current master key, in batches (each one transaction
/// with its audit event), without touching the files' bytes. Run after putting the new key first in
/// the master key file and keeping the old one after it; when it is done, the old key can go.
public struct MasterKeyRotation: Sendable {
    /// The store.
    public let store: any CentreStore
    /// The vault holding the new key (current) and the old ones (retired).
    public let vault: ContentVault
    /// File keys per transaction.
    public let batchSize: Int

    /// A rotation over `store` with `vault`.
    public init(store: any CentreStore, vault: ContentVault, batchSize: Int = 500) {
        self.store = store
        self.vault = vault
        self.batchSize = max(1, batchSize)
    }

    /// Rewraps every key not yet wrapped by the current master key; returns how many it rewrapped.
    ///
    /// - Throws: ``ContentKeyError`` when a key is wrapped by a master key the ring lacks (nothing
    ///   of that batch is written; the batches before it stay done, and a rerun goes on from there).
    public func run(by actor: Actor = .system) async throws -> Int {
        let target = vault.keyring.current.id
        var done = 0
        var after: Int64 = 0
        while true {
            let vault = self.vault
            let limit = batchSize
            let start = after
            let rewrapped = try await store.write { tx throws -> [WrappedFileKey] in
                let keys = try tx.fileKeys(notWrappedBy: target, afterId: start, limit: limit)
                guard !keys.isEmpty else { return [] }
                var rewrapped: [WrappedFileKey] = []
                rewrapped.reserveCapacity(keys.count)
                for key in keys { rewrapped.append(try vault.rewrap(key)) }
                try tx.rewrapFileKeys(rewrapped)
                let from = Set(keys.map(\.masterKeyId)).sorted().joined(separator: " ")
                try tx.appendAudit(
                    AuditEvent(
                        actor: actor.name, organisation: actor.organisation, action: "content.rewrap", object: "master_key:\(target)",
                        at: tx.now.rfc3339Text, detail: "\(keys.count) file key(s) from \(from)"))
                return rewrapped
            }
            guard let last = rewrapped.last else { return done }
            done += rewrapped.count
            after = last.fileId
        }
    }
}
