import Crypto
public import VigilDomain
import VigilHex
public import VigilStore

/// A file's bytes as they came with a report (a multipart part named after the file's reference).
public struct ReceivedFile: Sendable {
    /// The file's reference in the report (``ReportedFile/reference``).
    public var reference: String
    /// The bytes.
    public var bytes: [UInt8]

    /// A received file.
    public init(reference: String, bytes: [UInt8]) {
        self.reference = reference
        self.bytes = bytes
    }
}

/// Computes an image's PDQ hash for the Centre (the node's decoder limits and hashing pool).
public protocol ImageHashing: Sendable {
    /// The PDQ hash (lower-case hex) and quality of `bytes`, or nil when they are not an image the
    /// node decodes (another format, a broken or oversized image: the file is still stored, by its
    /// digests). Throws when the node is too busy to hash now (the report is refused, to be retried).
    func pdq(of bytes: [UInt8]) async throws -> (hash: String, quality: Int)?
}

/// The files of one report, received: checked against the report, hashed, sealed.
///
/// Every part must name a file of the report, at most once; a file of the report may come without
/// its bytes (hashes only). The bytes must agree with every MD5, SHA-1 and SHA-256 the signed
/// report declares for the file (a PDQ the report declares is kept beside the Centre's own: two
/// decoders may differ by a few bits).
public struct ReceivedFiles: Sendable {
    /// The files, in the report's order, with their hashes and sealed bytes.
    public let files: [NewReportFile]

    /// Checks, hashes and seals `received` for `report`.
    ///
    /// - Throws: ``CentreError`` `file_mismatch` (a part for no file of the report, a repeated part, or
    ///   bytes whose digest differs from the report's), `file_too_large`, `content_not_accepted` when
    ///   the node has no master key; or what `images` throws when it is busy.
    public init(
        _ received: [ReceivedFile], for report: Report, vault: ContentVault?, images: (any ImageHashing)?, maxFileBytes: Int
    ) async throws {
        guard !received.isEmpty else {
            files = []
            return
        }
        guard let vault else {
            throw CentreError(
                code: .contentNotAccepted,
                message: "this Centre does not accept files: it has no master key (set content.master-key-file); file the report without them")
        }
        var byReference: [String: ReportedFile] = [:]
        for file in report.files { byReference[file.reference] = file }
        var seen: Set<String> = []
        var files: [NewReportFile] = []
        for part in received {
            guard let declared = byReference[part.reference] else {
                throw CentreError(
                    code: .fileMismatch, message: "a file part is named \"\(part.reference)\", which is no file reference of the report")
            }
            guard seen.insert(part.reference).inserted else {
                throw CentreError(code: .fileMismatch, message: "file \"\(part.reference)\" came twice; send each file's bytes once")
            }
            guard part.bytes.count <= maxFileBytes else {
                throw CentreError(
                    code: .fileTooLarge, message: "file \"\(part.reference)\" has \(part.bytes.count) bytes; the most is \(maxFileBytes)")
            }
            let digests = ContentHashes(md5: Hex.encode(Insecure.MD5.hash(data: part.bytes)), sha256: Hex.encode(SHA256.hash(data: part.bytes)))
            try Self.check(declared, .md5, digests.md5)
            try Self.check(declared, .sha256, digests.sha256)
            if declared.hash(.sha1) != nil { try Self.check(declared, .sha1, Hex.encode(Insecure.SHA1.hash(data: part.bytes))) }
            files.append(
                try await Self.seal(
                    part.bytes, reference: part.reference, mediaType: declared.mediaType, digests: digests, vault: vault, images: images))
        }
        // The report's order, whatever the parts' order.
        let order = Dictionary(uniqueKeysWithValues: report.files.enumerated().map { ($0.element.reference, $0.offset) })
        self.files = files.sorted { order[$0.reference, default: 0] < order[$1.reference, default: 0] }
    }

    /// A file's bytes hashed (the digests given, or computed; PDQ when `images` decodes them) and
    /// sealed: the one step every channel's files go through.
    public static func seal(
        _ bytes: [UInt8], reference: String, mediaType: String?, digests: ContentHashes? = nil, vault: ContentVault, images: (any ImageHashing)?
    ) async throws -> NewReportFile {
        var hashes = digests ?? ContentHashes(md5: Hex.encode(Insecure.MD5.hash(data: bytes)), sha256: Hex.encode(SHA256.hash(data: bytes)))
        if let images, let pdq = try await images.pdq(of: bytes) {
            hashes.pdq = pdq.hash
            hashes.pdqQuality = pdq.quality
        }
        let sealed: SealedContent
        do {
            sealed = try vault.seal(bytes, sha256: hashes.sha256)
        } catch {
            throw CentreError(code: .contentNotAccepted, message: error.message)
        }
        return NewReportFile(reference: reference, mediaType: mediaType, size: bytes.count, hashes: hashes, sealed: sealed)
    }

    private static func check(_ file: ReportedFile, _ algorithm: FileHash.Algorithm, _ computed: String) throws {
        guard let declared = file.hash(algorithm), declared.lowercased() != computed else { return }
        throw CentreError(
            code: .fileMismatch,
            message: "file \"\(file.reference)\": the bytes' \(algorithm.rawValue) is \(computed), the signed report declares \(declared)")
    }

    /// `file` with the hashes computed from its bytes added to those it declares (for matching).
    public static func withComputedHashes(_ file: ReportedFile, _ stored: NewReportFile?) -> ReportedFile {
        guard let stored else { return file }
        var merged = file
        func add(_ algorithm: FileHash.Algorithm, _ value: String?) {
            guard let value, !merged.hashes.contains(where: { $0.algorithm == algorithm && $0.value.lowercased() == value }) else { return }
            merged.hashes.append(FileHash(algorithm: algorithm, value: value))
        }
        add(.md5, stored.hashes.md5)
        add(.sha256, stored.hashes.sha256)
        add(.pdq, stored.hashes.pdq)
        return merged
    }
}
