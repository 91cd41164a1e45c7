import VigilHex

/// A 256-bit PDQ perceptual hash.
///
/// Bit `k` (0...255) is set when DCT coefficient `k = row * 16 + column` of the image's 16x16
/// low-frequency block is above the median. The hexadecimal form is the big-endian 256-bit integer
/// `Σ bit_k · 2^k`, exactly as Meta's reference prints it: the last hex digit holds bits 3...0.
///
/// ```swift
/// let a = try PDQHash(validatingHex: "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6339c4e9c9b22")
/// let b = a.flipping(bits: [0, 1, 2])
/// a.distance(to: b) // 3
/// ```
public struct PDQHash: Hashable, Sendable {
    /// The 256 bits as four little-endian 64-bit words: bit `k` is bit `k & 63` of `words[k >> 6]`.
    public var words: SIMD4<UInt64>

    /// The number of bits in a PDQ hash.
    public static let bitCount = 256

    /// The all-zero hash, which the reference returns for images too small to hash.
    public static let zero = PDQHash(words: .zero)

    /// Creates a hash from its four 64-bit words (`words[0]` holds bits 0...63).
    public init(words: SIMD4<UInt64>) {
        self.words = words
    }

    /// Creates a hash from its bits, where `bits[k]` is bit `k`.
    /// - Precondition: `bits.count == 256`.
    public init(bits: some Sequence<Bool>) {
        var words = SIMD4<UInt64>.zero
        var k = 0
        for bit in bits {
            precondition(k < 256, "a PDQ hash has exactly 256 bits")
            if bit { words[k >> 6] |= 1 << UInt64(k & 63) }
            k += 1
        }
        precondition(k == 256, "a PDQ hash has exactly 256 bits")
        self.words = words
    }

    /// Parses the 64-character hexadecimal form (upper or lower case), or returns `nil`.
    public init?(hex: some StringProtocol) {
        guard let parsed = try? PDQHash(validatingHex: hex) else { return nil }
        self = parsed
    }

    /// Parses the 64-character hexadecimal form (upper or lower case).
    /// - Throws: ``HashParseError`` naming what is wrong with the text.
    public init(validatingHex hex: some StringProtocol) throws(HashParseError) {
        // Native strings lend their bytes without a copy; others are copied once.
        let parsed = hex.utf8.withContiguousStorageIfAvailable(Self.parseHex) ?? Array(hex.utf8).withUnsafeBufferPointer(Self.parseHex)
        switch parsed {
        case .success(let words): self.words = words
        case .failure(let error): throw error
        }
    }

    /// The words of 64 hex digits, or what is wrong with them.
    private static func parseHex(_ utf8: UnsafeBufferPointer<UInt8>) -> Result<SIMD4<UInt64>, HashParseError> {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { bytes in
            do throws(HexError) {
                try Hex.decode(utf8, into: bytes)
            } catch {
                switch error {
                case .invalidCharacter(let offset): return .failure(.invalidCharacter(offset: offset))
                case .wrongLength, .oddLength: return .failure(.wrongLength(expected: 64, actual: utf8.count))
                }
            }
            // Character 0 is the most significant nibble of word 3: bytes 0..<8 are word 3, big-endian.
            let raw = UnsafeRawBufferPointer(bytes)
            var words = SIMD4<UInt64>.zero
            for word in 0..<4 {
                words[3 - word] = UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 8 * word, as: UInt64.self))
            }
            return .success(words)
        }
    }

    /// The 64-character lowercase hexadecimal form, as the reference prints it.
    public var hex: String {
        let words = words
        return Hex.encode(words: (0..<4).lazy.map { words[3 - $0] })
    }

    /// Bit `k` of the hash (0...255).
    public subscript(bit k: Int) -> Bool {
        get { (words[k >> 6] >> UInt64(k & 63)) & 1 == 1 }
        set {
            if newValue {
                words[k >> 6] |= 1 << UInt64(k & 63)
            } else {
                words[k >> 6] &= ~(1 << UInt64(k & 63))
            }
        }
    }

    /// The number of set bits (128 for a typical image; the reference prints it as `norm`).
    public var popCount: Int {
        words[0].nonzeroBitCount + words[1].nonzeroBitCount + words[2].nonzeroBitCount + words[3].nonzeroBitCount
    }

    /// The Hamming distance to `other`: the number of bits that differ (0...256).
    @inlinable
    public func distance(to other: PDQHash) -> Int {
        let x = words ^ other.words
        return x[0].nonzeroBitCount + x[1].nonzeroBitCount + x[2].nonzeroBitCount + x[3].nonzeroBitCount
    }

    /// A copy with the given bits inverted.
    public func flipping(bits: some Sequence<Int>) -> PDQHash {
        var copy = self
        for k in bits { copy[bit: k].toggle() }
        return copy
    }
}

extension PDQHash: CustomStringConvertible, LosslessStringConvertible {
    /// The hexadecimal form.
    public var description: String { hex }

    /// Parses the hexadecimal form; `nil` when it is not exactly 64 hex digits.
    public init?(_ description: String) {
        self.init(hex: description)
    }
}

extension PDQHash: Codable {
    /// Decodes the hash from its hexadecimal string.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            self = try PDQHash(validatingHex: text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    /// Encodes the hash as its hexadecimal string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(hex)
    }
}

/// Why a hash's text form could not be parsed.
///
/// A struct with an open set of codes rather than an enum, so that a later version can add a code
/// without breaking callers: compare ``code`` with the static members of ``Code``.
public struct HashParseError: Error, Sendable, Hashable, CustomStringConvertible {
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

        /// The text has the wrong number of characters.
        public static let wrongLength = Code("wrong_length")
        /// A character is not a hexadecimal digit.
        public static let invalidCharacter = Code("invalid_character")
    }

    /// What kind of failure it is.
    public var code: Code
    /// What is wrong and what to do instead.
    public var message: String

    /// Creates an error; the static functions below make the ones this module throws.
    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    /// What is wrong and what to do instead (the ``message``).
    public var description: String { message }

    /// The text has `actual` characters instead of `expected`.
    public static func wrongLength(expected: Int, actual: Int) -> HashParseError {
        HashParseError(
            code: .wrongLength, message: "a hash must be exactly \(expected) hexadecimal digits, got \(actual) characters")
    }

    /// The character at `offset` (0-based, in UTF-8 bytes) is not a hexadecimal digit.
    public static func invalidCharacter(offset: Int) -> HashParseError {
        HashParseError(code: .invalidCharacter, message: "character \(offset + 1) is not a hexadecimal digit (0-9, a-f)")
    }
}
