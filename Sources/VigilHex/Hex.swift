/// Vigil's one hexadecimal codec: lowercase output, either case accepted on input, and an error
/// that says where the text went wrong.
///
/// Hashes, digests and keys all travel as hex, so this is on hot paths (every match request
/// parses one); the loops work on UTF-8 bytes with arithmetic instead of tables or `Character`s,
/// and are `@inlinable` so that callers in other modules compile them in place.
///
/// ```swift
/// Hex.encode([0xDE, 0xAD])                 // "dead"
/// try Hex.decode("DEAD")                    // [0xDE, 0xAD]
/// try Hex.decode("dead", byteCount: 16)     // throws .wrongLength(expected: 32, actual: 4)
/// ```
public enum Hex {
    /// The lowercase ASCII digit of a nibble (`nibble` must be 0...15).
    @inlinable @inline(__always)
    public static func digit(_ nibble: UInt8) -> UInt8 {
        // 0...9 -> "0"...; 10...15 -> "a"... ("a" is "0" + 10 + 39); `9 - nibble` wraps above 9.
        nibble &+ 48 &+ ((9 &- nibble) >> 7) &* 39
    }

    /// The value of an ASCII hex digit (`0-9`, `a-f`, `A-F`), or `nil` for any other byte.
    @inlinable @inline(__always)
    public static func value(of ascii: UInt8) -> UInt8? {
        let decimal = ascii &- 48
        if decimal < 10 { return decimal }
        let letter = (ascii | 0x20) &- 97
        if letter < 6 { return letter &+ 10 }
        return nil
    }

    /// Whether the byte is an ASCII hex digit (either case).
    @inlinable @inline(__always)
    public static func isDigit(_ ascii: UInt8) -> Bool {
        value(of: ascii) != nil
    }

    /// The bytes as lowercase hex, two digits per byte.
    @inlinable
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        if let string = bytes.withContiguousStorageIfAvailable({ encode(UnsafeRawBufferPointer($0)) }) { return string }
        return Array(bytes).withUnsafeBytes { encode($0) }
    }

    /// The bytes as lowercase hex, two digits per byte.
    @inlinable
    public static func encode(_ bytes: UnsafeRawBufferPointer) -> String {
        String(unsafeUninitializedCapacity: 2 * bytes.count) { out in
            guard let base = out.baseAddress else { return 0 }
            write(bytes, to: base)
            return 2 * bytes.count
        }
    }

    /// The words, each as 16 digits with its most significant nibble first, in the given order.
    /// (A PDQ hash prints its words 3, 2, 1, 0 this way.)
    @inlinable
    public static func encode(words: some Collection<UInt64>) -> String {
        String(unsafeUninitializedCapacity: 16 * words.count) { out in
            guard let base = out.baseAddress else { return 0 }
            var position = 0
            for word in words {
                for shift in stride(from: 60, through: 0, by: -4) {
                    base[position] = digit(UInt8(truncatingIfNeeded: word >> UInt64(shift)) & 0xF)
                    position += 1
                }
            }
            return position
        }
    }

    /// Writes `2 * bytes.count` lowercase digits from `out` on.
    @inlinable @inline(__always)
    public static func write(_ bytes: UnsafeRawBufferPointer, to out: UnsafeMutablePointer<UInt8>) {
        for index in 0..<bytes.count {
            let byte = bytes[index]
            out[2 * index] = digit(byte >> 4)
            out[2 * index + 1] = digit(byte & 0xF)
        }
    }

    /// The bytes of an even number of hex digits (either case).
    /// - Throws: ``HexError/oddLength(_:)`` or ``HexError/invalidCharacter(offset:)``.
    @inlinable
    public static func decode(_ text: some StringProtocol) throws(HexError) -> [UInt8] {
        let count = text.utf8.count
        guard count % 2 == 0 else { throw .oddLength(count) }
        return try decodeBytes(text, count: count / 2)
    }

    /// The bytes of exactly `2 * byteCount` hex digits (either case).
    /// - Throws: ``HexError/wrongLength(expected:actual:)`` (in digits) or ``HexError/invalidCharacter(offset:)``.
    @inlinable
    public static func decode(_ text: some StringProtocol, byteCount: Int) throws(HexError) -> [UInt8] {
        let count = text.utf8.count
        guard count == 2 * byteCount else { throw .wrongLength(expected: 2 * byteCount, actual: count) }
        return try decodeBytes(text, count: byteCount)
    }

    @inlinable
    static func decodeBytes(_ text: some StringProtocol, count: Int) throws(HexError) -> [UInt8] {
        var failure: HexError?
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { out, initialized in
            do throws(HexError) {
                try withUTF8(of: text) { (utf8) throws(HexError) in try decode(utf8, into: out) }
                initialized = count
            } catch {
                failure = error
                initialized = 0
            }
        }
        if let failure { throw failure }
        return bytes
    }

    /// Decodes `utf8` (exactly `2 * out.count` digits, either case) into `out`.
    /// - Throws: ``HexError/wrongLength(expected:actual:)`` or ``HexError/invalidCharacter(offset:)``
    ///   (the offset of the first byte that is not a hex digit).
    @inlinable
    public static func decode(_ utf8: UnsafeBufferPointer<UInt8>, into out: UnsafeMutableBufferPointer<UInt8>) throws(HexError) {
        guard utf8.count == 2 * out.count else { throw .wrongLength(expected: 2 * out.count, actual: utf8.count) }
        for index in 0..<out.count {
            guard let high = value(of: utf8[2 * index]) else { throw .invalidCharacter(offset: 2 * index) }
            guard let low = value(of: utf8[2 * index + 1]) else { throw .invalidCharacter(offset: 2 * index + 1) }
            out[index] = high << 4 | low
        }
    }

    /// The text checked and lowercased: exactly `digits` hex digits (either case).
    /// - Throws: ``HexError/wrongLength(expected:actual:)`` or ``HexError/invalidCharacter(offset:)``.
    @inlinable
    public static func normalised(_ text: some StringProtocol, digits: Int) throws(HexError) -> String {
        let count = text.utf8.count
        guard count == digits else { throw .wrongLength(expected: digits, actual: count) }
        var failure: HexError?
        let string = String(unsafeUninitializedCapacity: count) { out in
            do throws(HexError) {
                try withUTF8(of: text) { (utf8) throws(HexError) in
                    for index in 0..<count {
                        guard let nibble = value(of: utf8[index]) else { throw .invalidCharacter(offset: index) }
                        out[index] = digit(nibble)
                    }
                }
                return count
            } catch {
                failure = error
                return 0
            }
        }
        if let failure { throw failure }
        return string
    }

    /// Calls `body` with the text's UTF-8 bytes: native strings lend theirs, others are copied once.
    @inlinable
    static func withUTF8<Result>(
        of text: some StringProtocol, _ body: (UnsafeBufferPointer<UInt8>) throws(HexError) -> Result
    ) throws(HexError) -> Result {
        var failure: HexError?
        let lent: Result?? = text.utf8.withContiguousStorageIfAvailable { utf8 in
            do throws(HexError) { return try body(utf8) } catch {
                failure = error
                return nil
            }
        }
        if let failure { throw failure }
        if let lent, let result = lent { return result }
        return try Array(text.utf8).withUnsafeBufferPointer { (utf8) throws(HexError) in try body(utf8) }
    }
}

/// Why text is not the hex expected.
public enum HexError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The text has `actual` digits where `expected` were wanted.
    case wrongLength(expected: Int, actual: Int)
    /// Bytes come in pairs of digits, and the text has an odd number of characters.
    case oddLength(Int)
    /// The byte at `offset` (0-based, in UTF-8 bytes) is not a hex digit.
    case invalidCharacter(offset: Int)

    /// What is wrong and what valid text looks like.
    public var description: String {
        switch self {
        case .wrongLength(let expected, let actual): "expected \(expected) hexadecimal digits, got \(actual) characters"
        case .oddLength(let count): "hexadecimal text has two digits per byte, got an odd \(count) characters"
        case .invalidCharacter(let offset): "character \(offset + 1) is not a hexadecimal digit (0-9, a-f)"
        }
    }
}
