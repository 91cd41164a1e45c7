/// vPDQ's text form: one line per hashed frame, `frameNumber,quality,pdqHex,timestamp`, the timestamp
/// with three decimals, as Meta's `vpdq-hash-video` writes it:
///
/// ```
/// 0,100,dadb999c25266273529cadac89cb52c22324ad3bce99726c38668d93c799f07c,0.000
/// 30,100,dadb999c25266273529cadac8dcb52c22324ad3bce99726c38660d93c799f07c,1.000
/// ```
public enum VPDQText {
    /// The most characters one line may have when parsing (a valid line has under 100).
    public static let maximumLineLength = 200

    /// One feature as a line, without the line break.
    public static func line(_ feature: VPDQFeature) -> String {
        "\(feature.frameNumber),\(feature.quality),\(feature.hash.hex),\(formatTimestamp(feature.timestamp))"
    }

    /// Every feature as a line, each ended by `\n`.
    public static func format(_ features: [VPDQFeature]) -> String {
        var text = ""
        text.reserveCapacity(features.count * 84)
        for feature in features {
            text += line(feature)
            text += "\n"
        }
        return text
    }

    /// `seconds` with exactly three decimals, rounded as C's `printf("%.3f")` rounds the exact binary
    /// value (ties to even), so that Vigil's lines equal the reference's byte for byte.
    public static func formatTimestamp(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return seconds.isNaN ? "nan" : (seconds < 0 ? "-" : "") + "inf" }
        if seconds == 0 { return "0.000" }
        // seconds = significand * 2^shift exactly; thousandths = seconds * 1000 rounded half to even.
        let significand = UInt128(seconds.significandBitPattern | (seconds.isNormal ? 1 << 52 : 0))
        let shift = Int(seconds.exponent) - 52 + (seconds.isNormal ? 0 : 1)
        let thousandths: UInt128
        if shift >= 0 {
            guard shift < 60 else { return String(seconds) }  // beyond 2^112 s: not a video timestamp
            thousandths = (significand << UInt128(shift)) * 1000
        } else if -shift > 120 {
            thousandths = 0
        } else {
            let scaled = significand * 1000
            let bits = UInt128(-shift)
            var quotient = scaled >> bits
            let remainder = scaled & ((1 << bits) - 1)
            let half = UInt128(1) << (bits - 1)
            if remainder > half || (remainder == half && quotient & 1 == 1) { quotient += 1 }
            thousandths = quotient
        }
        let fraction = Int(thousandths % 1000)
        let padded = fraction < 10 ? "00\(fraction)" : fraction < 100 ? "0\(fraction)" : "\(fraction)"
        return "\(thousandths / 1000).\(padded)"
    }

    /// Parses one line.
    /// - Throws: ``VPDQParseError`` naming the field that is wrong (with `lineNumber` in it).
    public static func parseLine(_ line: some StringProtocol, lineNumber: Int = 1) throws(VPDQParseError) -> VPDQFeature {
        guard line.utf8.count <= maximumLineLength else {
            throw .init(code: .lineTooLong, line: lineNumber, message: "is over \(maximumLineLength) characters long")
        }
        let fields = line.split(separator: ",", omittingEmptySubsequences: false)
        guard fields.count == 4 else {
            throw .init(
                code: .wrongFieldCount, line: lineNumber,
                message: "has \(fields.count) comma-separated fields; expected 4: frameNumber,quality,pdqHex,timestamp")
        }
        guard let frameNumber = Int(fields[0]), frameNumber >= 0, fields[0].allSatisfy(\.isASCIIDigit) else {
            throw .init(code: .invalidFrameNumber, line: lineNumber, message: "has frame number \"\(fields[0])\"; expected a whole number ≥ 0")
        }
        guard let quality = Int(fields[1]), (0...100).contains(quality), fields[1].allSatisfy(\.isASCIIDigit) else {
            throw .init(code: .invalidQuality, line: lineNumber, message: "has quality \"\(fields[1])\"; expected a whole number 0...100")
        }
        let hash: PDQHash
        do {
            hash = try PDQHash(validatingHex: fields[2])
        } catch {
            throw .init(code: .invalidHash, line: lineNumber, message: "has an invalid PDQ hash: \(error.message)")
        }
        let text = fields[3]
        guard isPlainDecimal(text), let timestamp = Double(text), timestamp.isFinite else {
            throw .init(
                code: .invalidTimestamp, line: lineNumber, message: "has timestamp \"\(text)\"; expected seconds ≥ 0 such as 1.033")
        }
        return VPDQFeature(frameNumber: frameNumber, hash: hash, quality: quality, timestamp: timestamp)
    }

    /// Parses a whole file: one feature per line; `\r\n` line ends and a final line break are
    /// accepted, empty lines skipped. Frame numbers must increase strictly, as vPDQ writes them.
    /// - Throws: ``VPDQParseError`` for the first bad line, or `.empty` when there is no line at all.
    public static func parse(_ text: some StringProtocol) throws(VPDQParseError) -> [VPDQFeature] {
        var features: [VPDQFeature] = []
        var lineNumber = 0
        // "\r\n" is one Character in Swift, so it is a separator of its own.
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            lineNumber += 1
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine[...]
            if line.isEmpty { continue }
            let feature = try parseLine(line, lineNumber: lineNumber)
            if let previous = features.last, feature.frameNumber <= previous.frameNumber {
                throw .init(
                    code: .framesOutOfOrder, line: lineNumber,
                    message: "has frame \(feature.frameNumber) after frame \(previous.frameNumber); frame numbers must increase")
            }
            features.append(feature)
        }
        guard !features.isEmpty else {
            throw .init(code: .empty, line: 0, message: "holds no vPDQ line; a video hash has at least one frame")
        }
        return features
    }

    /// Digits with at most one decimal point and at least one digit: what `%.3f` writes (no sign,
    /// exponent, `inf` or `nan`, which `Double(_:)` would also accept).
    private static func isPlainDecimal(_ text: some StringProtocol) -> Bool {
        var digits = 0
        var points = 0
        for character in text {
            if character.isASCIIDigit {
                digits += 1
            } else if character == "." {
                points += 1
            } else {
                return false
            }
        }
        return digits > 0 && points <= 1
    }
}

extension Character {
    /// Whether this is one of `0`...`9`.
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}

/// Why vPDQ text could not be parsed: which line, and what is wrong with it.
///
/// A struct with an open set of codes rather than an enum, so that a later version can add a code
/// without breaking callers: compare ``code`` with the static members of ``Code``.
public struct VPDQParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure it is; ``rawValue`` is a stable snake_case identifier.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The stable snake_case identifier.
        public let rawValue: String

        init(_ rawValue: String) {
            self.rawValue = rawValue
        }

        /// The snake_case identifier.
        public var description: String { rawValue }

        /// The text holds no line.
        public static let empty = Code("empty")
        /// A line is far longer than any valid line.
        public static let lineTooLong = Code("line_too_long")
        /// A line does not have exactly four comma-separated fields.
        public static let wrongFieldCount = Code("wrong_field_count")
        /// The frame number is not a whole number ≥ 0.
        public static let invalidFrameNumber = Code("invalid_frame_number")
        /// The quality is not a whole number 0...100.
        public static let invalidQuality = Code("invalid_quality")
        /// The hash is not 64 hexadecimal digits.
        public static let invalidHash = Code("invalid_hash")
        /// The timestamp is not a plain decimal number ≥ 0.
        public static let invalidTimestamp = Code("invalid_timestamp")
        /// A frame number is not greater than the one before it.
        public static let framesOutOfOrder = Code("frames_out_of_order")
        /// The text is not a JSON list of strings (python-threatexchange's signal string, ``VPDQSignalString``).
        public static let notAList = Code("not_a_list")
    }

    /// What kind of failure it is.
    public var code: Code
    /// The 1-based line number (0 when the failure concerns the whole text).
    public var line: Int
    /// What is wrong and what was expected.
    public var message: String

    /// Creates an error; `message` completes the sentence "Line N …".
    public init(code: Code, line: Int, message: String) {
        self.code = code
        self.line = line
        self.message = line > 0 ? "vPDQ line \(line) \(message)" : "The vPDQ text \(message)"
    }

    /// What is wrong and what was expected (the ``message``).
    public var description: String { message }
}
