import VigilHash
import VigilText

/// The kinds of signal an indicator list can hold.
public enum SignalType: String, Sendable, Codable, CaseIterable, Hashable {
    /// A PDQ perceptual hash of an image: 64 hex digits, matched within a Hamming radius.
    case pdq
    /// An MD5 digest of a file's bytes: 32 hex digits, matched exactly.
    case md5
    /// A SHA-256 digest of a file's bytes: 64 hex digits, matched exactly.
    case sha256
    /// A vPDQ hash of a whole video: one `frameNumber,quality,pdqHex,timestamp` line per hashed
    /// frame (``VPDQText``), matched by the share of frames two videos have in common.
    case vpdq
    /// One text indicator (``VigilText/ListedTextIndicator``): its language, category, stage,
    /// phrase and alternatives, weight, explanation and id as one JSON object. Never looked up as a
    /// hash: conversations are scored against it (`POST /v1/match/conversation`).
    case textIndicator = "text_indicator"

    /// How a value of this type is written: the one rule ``normalise(_:)`` applies.
    public var valueFormat: SignalValueFormat {
        switch self {
        case .pdq, .sha256: .hex(digits: 64)
        case .md5: .hex(digits: 32)
        case .vpdq: .vpdqLines(maxFrames: SignalValueFormat.vpdqMaxFrames, maxBytes: SignalValueFormat.vpdqMaxBytes)
        case .textIndicator: .textIndicator(maxBytes: ListedTextIndicator.maxBytes)
        }
    }

    /// The number of hex digits a value of this type has; `nil` for a vPDQ value (lines of text).
    public var hexLength: Int? {
        switch valueFormat {
        case .hex(let digits): digits
        case .vpdqLines, .textIndicator: nil
        }
    }

    /// Whether values are compared by similarity (Hamming distance, or vPDQ's frame shares) rather
    /// than exactly (a text indicator is not compared with other values at all).
    public var isPerceptual: Bool {
        switch self {
        case .pdq, .vpdq: true
        case .md5, .sha256, .textIndicator: false
        }
    }

    /// Whether content is looked up by a value of this type (`/v1/match/hash`, HMA's lookups, the
    /// in-memory hash indexes); a text indicator is not a hash: conversations are scored against it.
    public var isHash: Bool {
        switch self {
        case .pdq, .md5, .sha256, .vpdq: true
        case .textIndicator: false
        }
    }

    /// Checks and normalises a value: lowercase hex of the right length, or for `vpdq` the
    /// canonical vPDQ text (each frame's line as ``VPDQText`` writes it, hex in lowercase, ended by
    /// `\n`; `\r\n` and empty lines accepted), within the frame and byte limits; for
    /// `text_indicator` the indicator's canonical JSON (``VigilText/ListedTextIndicator``, which
    /// owns the format and checks it).
    public func normalise(_ value: some StringProtocol) throws(SignalValueError) -> String {
        switch valueFormat {
        case .hex(let digits): try normaliseHex(value, digits: digits)
        case .vpdqLines(let maxFrames, let maxBytes): try normaliseVPDQ(value, maxFrames: maxFrames, maxBytes: maxBytes)
        case .textIndicator: try normaliseTextIndicator(value)
        }
    }

    private func normaliseTextIndicator(_ value: some StringProtocol) throws(SignalValueError) -> String {
        do {
            return try ListedTextIndicator.read(value).canonical
        } catch {
            throw .invalidTextIndicator(error.message)
        }
    }

    private func normaliseHex(_ value: some StringProtocol, digits hexLength: Int) throws(SignalValueError) -> String {
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

    private func normaliseVPDQ(_ value: some StringProtocol, maxFrames: Int, maxBytes: Int) throws(SignalValueError) -> String {
        guard value.utf8.count <= maxBytes else { throw .tooLarge(type: self, limit: "\(maxBytes) bytes", actual: value.utf8.count) }
        let features: [VPDQFeature]
        do {
            features = try VPDQText.parse(value)
        } catch {
            throw .invalidVideoHash(error.message)
        }
        guard features.count <= maxFrames else { throw .tooLarge(type: self, limit: "\(maxFrames) frames", actual: features.count) }
        return VPDQText.format(features)
    }
}

/// How the values of a ``SignalType`` are written.
public enum SignalValueFormat: Sendable, Hashable {
    /// This many hex digits (any case in, lowercase stored).
    case hex(digits: Int)
    /// vPDQ lines (``VPDQText``): at most `maxFrames` lines and `maxBytes` bytes of text.
    case vpdqLines(maxFrames: Int, maxBytes: Int)
    /// One text indicator's JSON (``VigilText/ListedTextIndicator``), at most `maxBytes` bytes.
    case textIndicator(maxBytes: Int)

    /// The most frame lines one `vpdq` value may have: an hour of video at vPDQ's default of one
    /// hashed frame per second.
    public static let vpdqMaxFrames = 3_600
    /// The most bytes one `vpdq` value may have as sent (a line is under 100 bytes; 3,600 lines
    /// with room for longer frame numbers and timestamps).
    public static let vpdqMaxBytes = 400_000
}

/// Why a signal value was refused.
public enum SignalValueError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The value has the wrong number of hex digits for its type.
    case wrongLength(type: SignalType, expected: Int, actual: Int)
    /// A character is not a hex digit.
    case invalidCharacter(type: SignalType, offset: Int)
    /// A vPDQ value is not vPDQ text (the message names the line and the field).
    case invalidVideoHash(String)
    /// A value is over its type's limit (`limit` says which, e.g. "3600 frames").
    case tooLarge(type: SignalType, limit: String, actual: Int)
    /// A text indicator value is not one (the message says what is wrong).
    case invalidTextIndicator(String)

    /// What is wrong and what a valid value looks like.
    public var description: String {
        switch self {
        case .wrongLength(let type, let expected, let actual):
            "a \(type.rawValue) value is \(expected) hex digits, got \(actual)"
        case .invalidCharacter(let type, let offset):
            "character \(offset + 1) of the \(type.rawValue) value is not a hex digit (0-9, a-f)"
        case .invalidVideoHash(let message):
            "\(message) (a vpdq value is vPDQ's lines, frameNumber,quality,pdqHex,timestamp)"
        case .tooLarge(let type, let limit, let actual):
            "a \(type.rawValue) value is at most \(limit), got \(actual)"
        case .invalidTextIndicator(let message):
            "\(message) (a text_indicator value is one JSON object: id, language, category, stage, phrase, optional alternatives, weight, explanation)"
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
