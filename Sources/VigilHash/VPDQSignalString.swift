#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// python-threatexchange's vPDQ signal string, the form HMA 2.0 stores, answers and compares: a JSON
/// list with one `"pdqHex,quality,timestamp"` string per hashed frame (its `vpdq_to_json`):
///
/// ```
/// ["dadb999c25266273529cadac89cb52c22324ad3bce99726c38668d93c799f07c,100,0.0", "dadb…f07c,100,1.0"]
/// ```
///
/// The timestamp is written as Python's `format(t, ".3")` writes it, with three significant digits
/// (`0.0`, `1.03`, `12.5`, `1e+02`, `1.23e+02`). The form has no frame numbers: ``parse(_:)`` numbers
/// the frames 0, 1, 2, … in the order given (matching uses only the hashes and qualities), and a
/// timestamp keeps what three significant digits keep.
public enum VPDQSignalString {
    /// The most items ``parse(_:)`` reads before refusing the text (callers check their own, lower
    /// limits on the result; this only bounds the work).
    public static let maximumItems = 100_000

    /// The features as python-threatexchange's `json.dumps` writes the list: `["…", "…"]`, items
    /// separated by `", "`.
    public static func format(_ features: [VPDQFeature]) -> String {
        var text = "["
        text.reserveCapacity(features.count * 84 + 2)
        for (index, feature) in features.enumerated() {
            if index > 0 { text += ", " }
            text += "\""
            text += item(feature)
            text += "\""
        }
        return text + "]"
    }

    /// One feature as python-threatexchange's `VpdqCompactFeature.__str__`: `pdqHex,quality,timestamp`.
    public static func item(_ feature: VPDQFeature) -> String {
        "\(feature.hash.hex),\(feature.quality),\(formatTimestamp(feature.timestamp))"
    }

    /// `seconds` as Python's `format(seconds, ".3")`: three significant digits, correctly rounded
    /// (ties to even on the exact binary value), trailing zeros dropped; fixed notation with at
    /// least one decimal when the decimal point falls within the digits (`0.0333`, `10.0`), else
    /// scientific with a two-digit exponent (`1e+02`, `1.23e+02`, `1e-05`).
    public static func formatTimestamp(_ seconds: Double) -> String {
        guard seconds.isFinite else { return seconds.isNaN ? "nan" : (seconds < 0 ? "-inf" : "inf") }
        if seconds == 0 { return seconds.sign == .minus ? "-0.0" : "0.0" }
        // printf's %.2e is correctly rounded: d.dde±XX.
        var buffer = [CChar](repeating: 0, count: 40)
        let written = withVaList([seconds.magnitude]) { arguments in
            buffer.withUnsafeMutableBufferPointer { vsnprintf($0.baseAddress, 40, "%.2e", arguments) }
        }
        let scientific = String(decoding: buffer.prefix(max(0, Int(written))).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let parts = scientific.split(separator: "e")
        guard parts.count == 2, let exponent = Int(parts[1]) else { return String(seconds) }
        var digits = String(parts[0].filter { $0 != "." })
        while digits.count > 1 && digits.hasSuffix("0") { digits.removeLast() }
        let sign = seconds < 0 ? "-" : ""
        // CPython's format_float_short: the decimal point after `decimalPoint` digits; exponent
        // notation when it is at or below -4, or past precision - 1 (the ".0" it would need).
        let decimalPoint = exponent + 1
        if decimalPoint <= -4 || decimalPoint > 2 {
            let mantissa = digits.count > 1 ? "\(digits.prefix(1)).\(digits.dropFirst())" : digits
            let magnitude = abs(exponent)
            return "\(sign)\(mantissa)e\(exponent < 0 ? "-" : "+")\(magnitude < 10 ? "0" : "")\(magnitude)"
        }
        if decimalPoint <= 0 {
            return sign + "0." + String(repeating: "0", count: -decimalPoint) + digits
        }
        if digits.count > decimalPoint {
            return sign + String(digits.prefix(decimalPoint)) + "." + String(digits.dropFirst(decimalPoint))
        }
        return sign + digits + String(repeating: "0", count: decimalPoint - digits.count) + ".0"
    }

    /// Parses a signal string: a JSON list of `"pdqHex,quality,timestamp"` strings, as
    /// python-threatexchange's `json_to_vpdq` reads it (hex of 64 digits in any case, quality
    /// 0...100, a timestamp ≥ 0 in decimal or exponent notation). Frames are numbered by position.
    ///
    /// - Throws: ``VPDQParseError`` naming the item that is wrong; `.empty` for an empty list (a
    ///   video hash has at least one frame); `.notAList` when the text is not a JSON list of strings.
    public static func parse(_ text: some StringProtocol) throws(VPDQParseError) -> [VPDQFeature] {
        let items = try strings(inList: Array(text.utf8))
        guard !items.isEmpty else {
            throw VPDQParseError(code: .empty, line: 0, message: "is an empty list; a video hash has at least one frame")
        }
        var features: [VPDQFeature] = []
        features.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            features.append(try parseItem(item, number: index))
        }
        return features
    }

    /// Parses one `pdqHex,quality,timestamp` item; `number` is its 0-based position (the frame
    /// number given to it).
    static func parseItem(_ item: String, number: Int) throws(VPDQParseError) -> VPDQFeature {
        func failure(_ code: VPDQParseError.Code, _ problem: String) -> VPDQParseError {
            VPDQParseError(code: code, line: 0, message: "has item \(number + 1) \"\(item.prefix(90))\" \(problem)")
        }
        guard item.utf8.count <= VPDQText.maximumLineLength else { throw failure(.lineTooLong, "over \(VPDQText.maximumLineLength) characters") }
        let fields = item.split(separator: ",", omittingEmptySubsequences: false)
        guard fields.count == 3 else {
            throw failure(.wrongFieldCount, "with \(fields.count) comma-separated fields; expected 3: pdqHex,quality,timestamp")
        }
        let hash: PDQHash
        do {
            hash = try PDQHash(validatingHex: fields[0])
        } catch {
            throw failure(.invalidHash, "with an invalid PDQ hash: \(error.message)")
        }
        guard !fields[1].isEmpty, fields[1].utf8.allSatisfy({ (48...57).contains($0) }), let quality = Int(fields[1]), (0...100).contains(quality)
        else {
            throw failure(.invalidQuality, "with quality \"\(fields[1])\"; expected a whole number 0...100")
        }
        let text = fields[2]
        let plain = text.utf8.allSatisfy {
            (48...57).contains($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") || $0 == UInt8(ascii: "+")
                || $0 == UInt8(ascii: "-")
        }
        guard plain, let timestamp = Double(text), timestamp.isFinite, timestamp >= 0 else {
            throw failure(.invalidTimestamp, "with timestamp \"\(text)\"; expected seconds ≥ 0 such as 1.03 or 1.23e+02")
        }
        return VPDQFeature(frameNumber: number, hash: hash, quality: quality, timestamp: timestamp)
    }

    /// The strings of a JSON list of strings (whitespace allowed between tokens). Escapes are
    /// decoded for `\"`, `\\`, `\/` and `\uXXXX` of ASCII; a valid item needs none of them.
    private static func strings(inList bytes: [UInt8]) throws(VPDQParseError) -> [String] {
        func notAList(_ problem: String) -> VPDQParseError {
            VPDQParseError(code: .notAList, line: 0, message: "is not a JSON list of \"pdqHex,quality,timestamp\" strings: \(problem)")
        }
        var index = 0
        func skipSpace() {
            while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        }
        skipSpace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "[") else { throw notAList("it does not start with [") }
        index += 1
        var items: [String] = []
        skipSpace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
        } else {
            while true {
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw notAList("item \(items.count + 1) is not a string") }
                index += 1
                // An item longer than any valid one is read to its end but kept only in part (it then
                // fails as too long).
                var item: [UInt8] = []
                func keep(_ byte: UInt8) {
                    if item.count <= VPDQText.maximumLineLength { item.append(byte) }
                }
                while true {
                    guard index < bytes.count else { throw notAList("item \(items.count + 1) is not closed") }
                    let byte = bytes[index]
                    index += 1
                    if byte == UInt8(ascii: "\"") { break }
                    guard byte >= 0x20 else { throw notAList("item \(items.count + 1) holds a control character") }
                    if byte == UInt8(ascii: "\\") {
                        guard index < bytes.count else { throw notAList("item \(items.count + 1) is not closed") }
                        let escaped = bytes[index]
                        index += 1
                        switch escaped {
                        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): keep(escaped)
                        case UInt8(ascii: "u"):
                            guard index + 4 <= bytes.count, let code = UInt32(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16),
                                code < 0x80
                            else { throw notAList("item \(items.count + 1) holds an escape that no valid item has") }
                            keep(UInt8(code))
                            index += 4
                        default: throw notAList("item \(items.count + 1) holds an escape that no valid item has")
                        }
                    } else {
                        keep(byte)
                    }
                }
                items.append(String(decoding: item, as: UTF8.self))
                guard items.count <= maximumItems else { throw notAList("it has over \(maximumItems) items") }
                skipSpace()
                guard index < bytes.count else { throw notAList("the list is not closed") }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                guard bytes[index] == UInt8(ascii: "]") else { throw notAList("expected , or ] after item \(items.count)") }
                index += 1
                break
            }
        }
        skipSpace()
        guard index == bytes.count else { throw notAList("text follows the closing ]") }
        return items
    }
}
