import VigilHex

/// Writes JSON strings (RFC 8259 escaping) for the JSON Lines writer.
enum JSONText {
    /// Appends `text` as a quoted JSON string.
    static func appendString(_ text: String, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): output += [92, UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): output += [92, 92]
            case 10: output += [92, UInt8(ascii: "n")]
            case 13: output += [92, UInt8(ascii: "r")]
            case 9: output += [92, UInt8(ascii: "t")]
            case 0..<0x20:
                output += [92, UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), Hex.digit(byte >> 4), Hex.digit(byte & 15)]
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }
}
