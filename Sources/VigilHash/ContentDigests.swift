import Crypto
import VigilHex

/// Exact digests of a file's bytes: MD5 (still what NCMEC and many lists share) and SHA-256.
public struct ContentDigests: Sendable, Hashable, Codable {
    /// The MD5 digest, 32 lowercase hex digits.
    public var md5: String
    /// The SHA-256 digest, 64 lowercase hex digits.
    public var sha256: String

    /// Creates digests from their hex forms.
    public init(md5: String, sha256: String) {
        self.md5 = md5
        self.sha256 = sha256
    }

    /// The digests of `bytes` in one call.
    public init(of bytes: some Sequence<UInt8>) {
        var digester = ContentDigester()
        digester.update(Array(bytes))
        self = digester.finalize()
    }
}

/// Computes MD5 and SHA-256 together over data that arrives in pieces, so a large file never has
/// to be in memory at once. A digester is a mutable accumulator: keep it within one task.
///
/// ```swift
/// var digester = ContentDigester()
/// for chunk in chunks { digester.update(chunk) }
/// let digests = digester.finalize()
/// ```
public struct ContentDigester {
    private var md5 = Insecure.MD5()
    private var sha256 = SHA256()

    /// The number of bytes fed so far.
    public private(set) var byteCount = 0

    /// Creates a digester with no input yet.
    public init() {}

    /// Feeds the next piece of the content.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        md5.update(bufferPointer: bytes)
        sha256.update(bufferPointer: bytes)
        byteCount += bytes.count
    }

    /// Feeds the next piece of the content.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// The digests of everything fed so far.
    public func finalize() -> ContentDigests {
        ContentDigests(md5: md5.finalize().withUnsafeBytes(Hex.encode), sha256: sha256.finalize().withUnsafeBytes(Hex.encode))
    }
}
