/// Builds one JSON object on one line, keeping keys in the order they are added
/// (`JSONEncoder` does not promise an order; JSON Lines readers and diffs like a stable one).
struct JSONLine {
    private var text = "{"
    private var first = true

    mutating func add(_ key: String, _ value: String) {
        appendKey(key)
        JSONLine.appendString(value, to: &text)
    }

    mutating func add(_ key: String, _ value: Int) {
        appendKey(key)
        text += String(value)
    }

    mutating func addUnsigned(_ key: String, _ value: UInt64) {
        appendKey(key)
        text += String(value)
    }

    mutating func add(_ key: String, objects: [JSONLine]) {
        appendKey(key)
        text += "[" + objects.map(\.rendered).joined(separator: ",") + "]"
    }

    mutating func add(_ key: String, strings: [String]) {
        appendKey(key)
        text += "["
        for (index, value) in strings.enumerated() {
            if index > 0 { text += "," }
            JSONLine.appendString(value, to: &text)
        }
        text += "]"
    }

    mutating func add(_ key: String, object: JSONLine) {
        appendKey(key)
        text += object.rendered
    }

    /// The finished object.
    var rendered: String { text + "}" }

    private mutating func appendKey(_ key: String) {
        if !first { text += "," }
        first = false
        JSONLine.appendString(key, to: &text)
        text += ":"
    }

    /// Appends `value` as a JSON string literal, escaping quotes, backslashes and control characters.
    static func appendString(_ value: String, to text: inout String) {
        text += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case let c where c.value < 0x20:
                let hex = String(c.value, radix: 16)
                text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: text.unicodeScalars.append(scalar)
            }
        }
        text += "\""
    }
}
