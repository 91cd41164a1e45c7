import VigilHex

/// Exact-digest lookup: which entries have exactly this MD5 or SHA-256. O(1) per lookup.
///
/// Digests are kept as fixed-size integers (16 or 32 bytes) rather than strings, so a million
/// SHA-256 entries take about 56 MB rather than several hundred.
public struct DigestSet: Sendable {
    /// The digest algorithm of a set.
    public enum Algorithm: String, Sendable, CaseIterable {
        /// MD5, 16 bytes (still what NCMEC and many older lists share).
        case md5
        /// SHA-256, 32 bytes.
        case sha256

        /// The digest's length in bytes.
        public var byteCount: Int { self == .md5 ? 16 : 32 }
    }

    /// The algorithm of every digest in this set.
    public let algorithm: Algorithm
    private var table: [SIMD4<UInt64>: [UInt64]] = [:]

    /// An empty set for `algorithm`.
    public init(algorithm: Algorithm) {
        self.algorithm = algorithm
    }

    /// The number of distinct digests.
    public var count: Int { table.count }

    /// Adds `id` under `digest` (raw bytes of the algorithm's length).
    public mutating func insert(digest: some Collection<UInt8>, id: UInt64) throws(DigestError) {
        let key = try key(digest)
        table[key, default: []].append(id)
    }

    /// Adds `id` under a hex digest.
    public mutating func insert(hex: some StringProtocol, id: UInt64) throws(DigestError) {
        try insert(digest: try Self.bytes(hex: hex, algorithm: algorithm), id: id)
    }

    /// Removes every id under `digest`, or just `id` when given.
    public mutating func remove(digest: some Collection<UInt8>, id: UInt64? = nil) throws(DigestError) {
        let key = try key(digest)
        guard let id else {
            table[key] = nil
            return
        }
        table[key]?.removeAll { $0 == id }
        if table[key]?.isEmpty == true { table[key] = nil }
    }

    /// The ids stored under `digest` (empty when none).
    public func ids(for digest: some Collection<UInt8>) throws(DigestError) -> [UInt64] {
        table[try key(digest)] ?? []
    }

    /// The ids stored under a hex digest (empty when none).
    public func ids(forHex hex: some StringProtocol) throws(DigestError) -> [UInt64] {
        try ids(for: try Self.bytes(hex: hex, algorithm: algorithm))
    }

    private func key(_ digest: some Collection<UInt8>) throws(DigestError) -> SIMD4<UInt64> {
        guard digest.count == algorithm.byteCount else {
            throw .wrongLength(algorithm: algorithm.rawValue, expected: algorithm.byteCount, actual: digest.count)
        }
        var key = SIMD4<UInt64>.zero
        for (offset, byte) in digest.enumerated() {
            key[offset >> 3] |= UInt64(byte) << UInt64((offset & 7) * 8)
        }
        return key
    }

    /// Parses a hex digest of the algorithm's length.
    public static func bytes(hex: some StringProtocol, algorithm: Algorithm) throws(DigestError) -> [UInt8] {
        do throws(HexError) {
            return try Hex.decode(hex, byteCount: algorithm.byteCount)
        } catch {
            switch error {
            case .invalidCharacter(let offset): throw .invalidCharacter(offset: offset)
            case .wrongLength(let expected, let actual): throw .wrongLength(algorithm: algorithm.rawValue, expected: expected, actual: actual)
            case .oddLength(let actual): throw .wrongLength(algorithm: algorithm.rawValue, expected: algorithm.byteCount * 2, actual: actual)
            }
        }
    }
}

/// Why a digest was refused.
///
/// A struct with an open set of codes rather than an enum, so that a later version can add a code
/// without breaking callers: compare ``code`` with the static members of ``Code``.
public struct DigestError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure it is. ``rawValue`` is a stable snake_case identifier for logs and
    /// machine-readable output; more codes may be added in later versions.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The stable snake_case identifier.
        public let rawValue: String

        init(_ rawValue: String) {
            self.rawValue = rawValue
        }

        /// The snake_case identifier.
        public var description: String { rawValue }

        /// The digest (bytes, or hex characters) has the wrong length for its algorithm.
        public static let wrongLength = Code("wrong_length")
        /// A character is not a hex digit.
        public static let invalidCharacter = Code("invalid_character")
    }

    /// What kind of failure it is.
    public var code: Code
    /// What is wrong and what a valid digest looks like.
    public var message: String

    /// Creates an error; the static functions below make the ones ``DigestSet`` throws.
    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    /// What is wrong and what a valid digest looks like (the ``message``).
    public var description: String { message }

    /// The digest (bytes, or hex characters) has the wrong length for its algorithm.
    public static func wrongLength(algorithm: String, expected: Int, actual: Int) -> DigestError {
        DigestError(code: .wrongLength, message: "an \(algorithm) digest is \(expected) long here, got \(actual)")
    }

    /// The character at `offset` (0-based) is not a hex digit.
    public static func invalidCharacter(offset: Int) -> DigestError {
        DigestError(
            code: .invalidCharacter, message: "character \(offset + 1) of the digest is not a hexadecimal digit (0-9, a-f)")
    }
}
