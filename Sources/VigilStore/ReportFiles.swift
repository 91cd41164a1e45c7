public import VigilDomain

// The files of the Centre's reports: their hashes as computed on arrival, and their bytes sealed
// (encrypted with a key of their own, that key wrapped by a master key). The store never sees a
// plain byte of content nor a plain file key.

/// The hashes the Centre computed from a file's bytes on arrival.
public struct ContentHashes: Sendable, Hashable, Codable {
    /// MD5 of the bytes, lower-case hex.
    public var md5: String
    /// SHA-256 of the bytes, lower-case hex.
    public var sha256: String
    /// PDQ of the decoded image, lower-case hex, when the file is an image the Centre decodes.
    public var pdq: String?
    /// PDQ's quality (0–100), with ``pdq``.
    public var pdqQuality: Int?

    /// Hashes.
    public init(md5: String, sha256: String, pdq: String? = nil, pdqQuality: Int? = nil) {
        self.md5 = md5
        self.sha256 = sha256
        self.pdq = pdq
        self.pdqQuality = pdqQuality
    }
}

/// A file's bytes as stored: encrypted under a key of its own, which is stored wrapped by a master key.
public struct SealedContent: Sendable, Hashable {
    /// The master key that wraps ``wrappedKey`` (its id, never the key).
    public var masterKeyId: String
    /// The file's own key, wrapped (AES key wrap, RFC 3394).
    public var wrappedKey: [UInt8]
    /// The bytes, AES-256-GCM: nonce, ciphertext and tag.
    public var ciphertext: [UInt8]

    /// Sealed bytes.
    public init(masterKeyId: String, wrappedKey: [UInt8], ciphertext: [UInt8]) {
        self.masterKeyId = masterKeyId
        self.wrappedKey = wrappedKey
        self.ciphertext = ciphertext
    }
}

/// A file of a report to store with it.
public struct NewReportFile: Sendable, Hashable {
    /// The file's reference in the report (``ReportedFile/reference``).
    public var reference: String
    /// Its media type, as the report gives it.
    public var mediaType: String?
    /// Its size in bytes (before encryption).
    public var size: Int
    /// Its hashes, computed on arrival.
    public var hashes: ContentHashes
    /// Its bytes, sealed.
    public var sealed: SealedContent

    /// A file to store.
    public init(reference: String, mediaType: String?, size: Int, hashes: ContentHashes, sealed: SealedContent) {
        self.reference = reference
        self.mediaType = mediaType
        self.size = size
        self.hashes = hashes
        self.sealed = sealed
    }
}

/// What is known of a stored file without its bytes.
public struct ReportFileInfo: Sendable, Hashable {
    /// The file's id at the Centre.
    public var id: Int64
    /// The report it came with.
    public var reportId: Int64
    /// Its reference in the report.
    public var reference: String
    /// Its media type, as the report gives it.
    public var mediaType: String?
    /// Its size in bytes.
    public var size: Int
    /// Its hashes, computed on arrival.
    public var hashes: ContentHashes
    /// The master key that wraps its key now.
    public var masterKeyId: String
    /// When it arrived, RFC 3339.
    public var receivedAt: String

    /// A file's description.
    public init(
        id: Int64, reportId: Int64, reference: String, mediaType: String?, size: Int, hashes: ContentHashes, masterKeyId: String, receivedAt: String
    ) {
        self.id = id
        self.reportId = reportId
        self.reference = reference
        self.mediaType = mediaType
        self.size = size
        self.hashes = hashes
        self.masterKeyId = masterKeyId
        self.receivedAt = receivedAt
    }
}

/// A stored file with its sealed bytes.
public struct StoredReportFile: Sendable, Hashable {
    /// The description.
    public var info: ReportFileInfo
    /// The sealed bytes.
    public var sealed: SealedContent

    /// A stored file.
    public init(info: ReportFileInfo, sealed: SealedContent) {
        self.info = info
        self.sealed = sealed
    }
}

/// A file's wrapped key, as a master-key rotation reads and rewrites it.
public struct WrappedFileKey: Sendable, Hashable {
    /// The file's id.
    public var fileId: Int64
    /// The master key that wraps it.
    public var masterKeyId: String
    /// The wrapped key.
    public var wrappedKey: [UInt8]

    /// A wrapped key.
    public init(fileId: Int64, masterKeyId: String, wrappedKey: [UInt8]) {
        self.fileId = fileId
        self.masterKeyId = masterKeyId
        self.wrappedKey = wrappedKey
    }
}

/// The files of the Centre's reports. They are written with their report
/// (``NewReport/files``, in ``StoreTransaction/fileReport(_:)``) and rewrapped through
/// ``StoreTransaction/rewrapFileKeys(_:)``.
public protocol ReportFileStore: Sendable {
    /// The files of report `reportId`, in the order they were stored (without their bytes).
    func reportFiles(reportId: Int64) async throws(StoreError) -> [ReportFileInfo]
    /// The file `reference` of report `reportId` with its sealed bytes, or nil.
    func reportFile(reportId: Int64, reference: String) async throws(StoreError) -> StoredReportFile?
    /// How many stored files have their key wrapped by each master key.
    func fileKeyCounts() async throws(StoreError) -> [String: Int]
}
