internal import Foundation

/// Any JSON value, decoded without a schema so that a record with unexpected fields or types can be
/// reported as a bad record while text that is not JSON at all is told apart.
enum JSONValue: Sendable, Equatable, Decodable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    /// Parses JSON text; nil when the bytes are not JSON.
    static func parse(_ bytes: [UInt8]) -> JSONValue? {
        try? JSONDecoder().decode(JSONValue.self, from: Data(bytes))
    }

    /// The string, if this is one.
    var string: String? {
        if case .string(let value) = self { value } else { nil }
    }

    /// The members, if this is an object.
    var object: [String: JSONValue]? {
        if case .object(let value) = self { value } else { nil }
    }

    /// The number as a whole number, if this is one.
    var integer: Int64? {
        if case .number(let value) = self, value.rounded() == value, abs(value) < 9e15 { Int64(value) } else { nil }
    }
}
