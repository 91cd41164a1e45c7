import Foundation
import NIOCore
import VigilAPI

/// The most common answer, "no match", written without running the JSON encoder: the bytes the
/// encoder produced at start-up for a no-match answer with marker values, split around them.
/// Only queries whose type and value need no JSON escaping (letters and digits; every normalised
/// hash qualifies) are rendered this way; anything else goes through the encoder. Tests pin the
/// rendered bytes to the encoder's.
struct EmptyAnswerTemplate: Sendable {
    let prefix: [UInt8]
    let middle: [UInt8]
    let suffix: [UInt8]

    /// Splits the encoder's no-match answer around two markers (nil if the encoder's output does
    /// not have them in the expected order, so the encoder is always used).
    init?(encoder: JSONEncoder) {
        let typeMarker = "Tq7typemarker"
        let valueMarker = "Vq7valuemarker"
        let sample = Components.Schemas.MatchAnswer(
            query: .init(additionalProperties: ["type": typeMarker, "value": valueMarker]), matches: [], actions: [])
        guard let encoded = try? encoder.encode(sample) else { return nil }
        let text = String(decoding: encoded, as: UTF8.self)
        let first = text.components(separatedBy: typeMarker)
        guard first.count == 2 else { return nil }
        let second = first[1].components(separatedBy: valueMarker)
        guard second.count == 2 else { return nil }
        prefix = Array(first[0].utf8)
        middle = Array(second[0].utf8)
        suffix = Array(second[1].utf8)
    }

    /// The answer's bytes, or nil when it is not a plain no-match answer (then use the encoder).
    func render(_ answer: Components.Schemas.MatchAnswer) -> ByteBuffer? {
        let query = answer.query.additionalProperties
        guard answer.matches.isEmpty, answer.actions.isEmpty, query.count == 2, let type = query["type"], let value = query["value"],
            Self.isPlain(type), Self.isPlain(value)
        else { return nil }
        var buffer = ByteBuffer()
        buffer.reserveCapacity(prefix.count + middle.count + suffix.count + type.utf8.count + value.utf8.count)
        buffer.writeBytes(prefix)
        buffer.writeString(type)
        buffer.writeBytes(middle)
        buffer.writeString(value)
        buffer.writeBytes(suffix)
        return buffer
    }

    /// Whether JSON writes `text` as it is (ASCII letters and digits only).
    static func isPlain(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy(isPlainByte)
    }

    /// An ASCII letter or digit.
    @inline(__always)
    static func isPlainByte(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
    }
}
