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
        let utf8 = Array(hex.utf8)
        guard utf8.count == algorithm.byteCount * 2 else {
            throw .wrongLength(algorithm: algorithm.rawValue, expected: algorithm.byteCount * 2, actual: utf8.count)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(algorithm.byteCount)
        var index = 0
        while index < utf8.count {
            guard let high = hexDigit(utf8[index]), let low = hexDigit(utf8[index + 1]) else {
                throw .invalidCharacter(offset: hexDigit(utf8[index]) == nil ? index : index + 1)
            }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func hexDigit(_ char: UInt8) -> UInt8? {
        switch char {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): char - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): char - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): char - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// Why a digest was refused.
public enum DigestError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The digest (bytes, or hex characters) has the wrong length for its algorithm.
    case wrongLength(algorithm: String, expected: Int, actual: Int)
    /// A character is not a hex digit.
    case invalidCharacter(offset: Int)

    /// What is wrong and what a valid digest looks like.
    public var description: String {
        switch self {
        case .wrongLength(let algorithm, let expected, let actual):
            "an \(algorithm) digest is \(expected) long here, got \(actual)"
        case .invalidCharacter(let offset):
            "character \(offset + 1) of the digest is not a hexadecimal digit (0-9, a-f)"
        }
    }
}
