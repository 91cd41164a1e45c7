/// The kinds of signal an indicator list can hold.
public enum SignalType: String, Sendable, Codable, CaseIterable, Hashable {
    /// A PDQ perceptual hash of an image: 64 hex digits, matched within a Hamming radius.
    case pdq
    /// An MD5 digest of a file's bytes: 32 hex digits, matched exactly.
    case md5
    /// A SHA-256 digest of a file's bytes: 64 hex digits, matched exactly.
    case sha256

    /// The number of hex digits a value of this type has.
    public var hexLength: Int {
        switch self {
        case .pdq, .sha256: 64
        case .md5: 32
        }
    }

    /// Whether values are compared by Hamming distance (else exactly).
    public var isPerceptual: Bool { self == .pdq }

    /// Checks and normalises a value (lowercase hex of the right length).
    public func normalise(_ value: some StringProtocol) throws(SignalValueError) -> String {
        let trimmed = value.utf8.count == hexLength ? String(value) : value.trimmingSpaces()
        guard trimmed.utf8.count == hexLength else {
            throw .wrongLength(type: self, expected: hexLength, actual: trimmed.utf8.count)
        }
        var out = [UInt8]()
        out.reserveCapacity(hexLength)
        for (offset, byte) in trimmed.utf8.enumerated() {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"): out.append(byte)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): out.append(byte + 32)
            default: throw .invalidCharacter(type: self, offset: offset)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Why a signal value was refused.
public enum SignalValueError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The value has the wrong number of hex digits for its type.
    case wrongLength(type: SignalType, expected: Int, actual: Int)
    /// A character is not a hex digit.
    case invalidCharacter(type: SignalType, offset: Int)

    /// What is wrong and what a valid value looks like.
    public var description: String {
        switch self {
        case .wrongLength(let type, let expected, let actual):
            "a \(type.rawValue) value is \(expected) hex digits, got \(actual)"
        case .invalidCharacter(let type, let offset):
            "character \(offset + 1) of the \(type.rawValue) value is not a hex digit (0-9, a-f)"
        }
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces, tabs, carriage returns and newlines.
    func trimmingSpaces() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
