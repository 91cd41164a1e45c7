import HTTPTypes
import Hummingbird
import HummingbirdCore

/// One problem in a request that HMA validates with a pydantic model (its query and body models):
/// answered, with the others, as HMA answers them: 422 and a JSON list of
/// `{"type", "loc", "msg", "input", "url"}`, the shape clients of HMA parse.
struct HMAProblem: Sendable, Equatable {
    /// pydantic's error type (`missing`, `bool_parsing`, `string_type`, `float_parsing`, ...).
    var type: String
    /// The field's name.
    var field: String
    /// pydantic's message for that type.
    var message: String
    /// What was given: the field's value, or the whole input when the field is missing.
    var input: HMAValue

    var value: HMAValue {
        .object([
            "type": .string(type), "loc": .array(field.isEmpty ? [] : [.string(field)]), "msg": .string(message), "input": input,
            "url": .string("https://errors.pydantic.dev/2.14/v/\(type)"),
        ])
    }

    static func missing(_ field: String, input: HMAValue) -> HMAProblem {
        HMAProblem(type: "missing", field: field, message: "Field required", input: input)
    }
}

/// A request HMA would refuse in its validation layer: 422 with the list of problems.
struct HMAValidationError: HTTPResponseError, Sendable {
    var problems: [HMAProblem]

    var status: HTTPResponse.Status { .unprocessableContent }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        try HMAValue.array(problems.map(\.value)).response(status: status)
    }
}

/// HMA's request fields read as its pydantic models read them (one rule for every HMA route).
enum HMAFields {
    /// A boolean as pydantic reads one from a query string: `1`/`0`, `true`/`false`, `t`/`f`,
    /// `yes`/`no`, `y`/`n`, `on`/`off`, in any case; absent is `defaultValue`; anything else is a
    /// problem (`bool_parsing`).
    static func bool(_ text: String?, field: String, default defaultValue: Bool = false) throws(HMAValidationError) -> Bool {
        guard let text else { return defaultValue }
        switch text.lowercased() {
        case "1", "true", "t", "yes", "y", "on": return true
        case "0", "false", "f", "no", "n", "off": return false
        default:
            throw HMAValidationError(problems: [
                HMAProblem(
                    type: "bool_parsing", field: field, message: "Input should be a valid boolean, unable to interpret input",
                    input: .string(text))
            ])
        }
    }

    /// A request's query parameters in order, as text.
    static func pairs(_ query: FlatDictionary<Substring, Substring>) -> [(String, String)] {
        query.map { (String($0.key), String($0.value)) }
    }

    /// The query string as pydantic's input (a JSON object of its parameters), for `missing` problems.
    static func queryInput(_ query: [(String, String)]) -> HMAValue {
        .object(Dictionary(query, uniquingKeysWith: { first, _ in first }).mapValues(HMAValue.string))
    }

    /// The required query parameters `names`: their values, or 422 naming every missing one.
    static func required(_ names: [String], in query: [(String, String)]) throws(HMAValidationError) -> [String] {
        var values: [String] = []
        var problems: [HMAProblem] = []
        for name in names {
            if let value = query.first(where: { $0.0 == name })?.1 {
                values.append(value)
            } else {
                problems.append(.missing(name, input: queryInput(query)))
            }
        }
        guard problems.isEmpty else { throw HMAValidationError(problems: problems) }
        return values
    }

    /// Checks a JSON body's fields against a model's types: `string`, `number` (int or float),
    /// `bool` (JSON true/false, or pydantic's strings and 0/1); `required` names must be present.
    /// JSON null passes for optional fields, as `Optional[...]` does.
    static func checkBody(_ fields: [String: HMAValue], types: [String: FieldType], required: Set<String> = []) throws(HMAValidationError) {
        var problems: [HMAProblem] = []
        for name in required.sorted() where fields[name] == nil {
            problems.append(.missing(name, input: .object(fields)))
        }
        for (name, type) in types.sorted(by: { $0.key < $1.key }) {
            guard let value = fields[name], value != .null || required.contains(name) else { continue }
            if let problem = type.problem(value, field: name) { problems.append(problem) }
        }
        guard problems.isEmpty else { throw HMAValidationError(problems: problems) }
    }

    /// A JSON body that must be an object (HMA's body models): its fields, or 422 `model_type`.
    static func object(_ body: HMAValue, model: String) throws(HMAValidationError) -> [String: HMAValue] {
        guard case .object(let fields) = body else {
            throw HMAValidationError(problems: [
                HMAProblem(type: "model_type", field: "", message: "Input should be a valid dictionary or instance of \(model)", input: .null)
            ])
        }
        return fields
    }

    /// A number field's value (pydantic's float: a number, its text, or a boolean).
    static func number(_ value: HMAValue?) -> Double? {
        switch value {
        case .int(let number): Double(number)
        case .double(let number): number
        case .string(let text): Double(text)
        case .bool(let flag): flag ? 1 : 0
        default: nil
        }
    }

    /// A boolean field's value (checked by ``checkBody(_:types:required:)`` first).
    static func bool(_ value: HMAValue?) -> Bool? {
        switch value {
        case .bool(let flag): flag
        case .int(let number): number != 0
        case .string(let text): try? bool(text, field: "")
        default: nil
        }
    }

    /// A field type of an HMA body model.
    enum FieldType: Sendable {
        case string, number, bool

        func problem(_ value: HMAValue, field: String) -> HMAProblem? {
            switch (self, value) {
            case (.string, .string), (.number, .int), (.number, .double), (.bool, .bool): return nil
            case (.number, .string(let text)) where Double(text) != nil: return nil
            case (.number, .bool): return nil
            case (.bool, .int(let number)) where number == 0 || number == 1: return nil
            case (.bool, .string(let text)) where (try? HMAFields.bool(text, field: field)) != nil: return nil
            case (.string, _): return HMAProblem(type: "string_type", field: field, message: "Input should be a valid string", input: value)
            case (.number, .string):
                return HMAProblem(
                    type: "float_parsing", field: field, message: "Input should be a valid number, unable to parse string as a number", input: value)
            case (.number, _): return HMAProblem(type: "float_type", field: field, message: "Input should be a valid number", input: value)
            case (.bool, .string):
                return HMAProblem(
                    type: "bool_parsing", field: field, message: "Input should be a valid boolean, unable to interpret input", input: value)
            case (.bool, _): return HMAProblem(type: "bool_type", field: field, message: "Input should be a valid boolean", input: value)
            }
        }
    }
}
