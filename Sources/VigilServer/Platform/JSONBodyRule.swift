import Foundation
import HTTPTypes
import VigilAPI
import Yams

/// What every JSON request body must be, checked in one place for the generated routes
/// (``OperationGuard``) and the direct match path: declared as `application/json` and encoded
/// as UTF-8 (RFC 8259 §8.1; Foundation's decoder would also take UTF-16 and UTF-32).
enum JSONBodyRule {
    /// The answer to a JSON body sent without a content type.
    static let missingContentType = APIError(
        .unsupportedMediaType, code: "unsupported_media_type", "send the JSON body with Content-Type: application/json")

    /// The answer to a JSON body that is not UTF-8.
    static let notUTF8 = APIError(.badRequest, code: "invalid_json", "JSON bodies must be UTF-8 (without a byte order mark)")

    /// Whether `bytes` start as UTF-8 JSON can: no byte order mark, and no NUL among the first
    /// four bytes (which is how UTF-16 and UTF-32 JSON starts).
    static func isUTF8(_ bytes: some Collection<UInt8>) -> Bool {
        let head = Array(bytes.prefix(4))
        if head.starts(with: [0xEF, 0xBB, 0xBF]) || head.starts(with: [0xFE, 0xFF]) || head.starts(with: [0xFF, 0xFE]) { return false }
        return !head.contains(0)
    }

    /// The JSON field names of the document's request bodies (the keys of their schemas'
    /// `properties`, through `$ref`s), and those of them whose schema allows `null`
    /// (`type: [string, "null"]`) wherever the name appears in a request, read once from the bytes
    /// the node serves.
    /// The document is part of the binary, so a document that does not parse is a broken build, not
    /// a condition to serve on: it stops the process with the parser's message (a test reads it).
    static let documentedFields: (names: Set<String>, nullable: Set<String>) = {
        let root: [String: Any]
        do {
            guard let loaded = try Yams.load(yaml: String(decoding: OpenAPIDocument.bytes, as: UTF8.self)) as? [String: Any] else {
                fatalError("the bundled OpenAPI document is not a YAML mapping")
            }
            root = loaded
        } catch {
            fatalError("the bundled OpenAPI document does not parse: \(error)")
        }
        let schemas = (root["components"] as? [String: Any])?["schemas"] as? [String: Any] ?? [:]
        var names = Set<String>()
        var nullable = Set<String>()
        var notNullable = Set<String>()
        var followed = Set<String>()
        func walk(_ node: Any) {
            if let object = node as? [String: Any] {
                if let reference = object["$ref"] as? String, reference.hasPrefix("#/components/schemas/"), followed.insert(reference).inserted {
                    walk(schemas[String(reference.dropFirst("#/components/schemas/".count))] ?? [:])
                }
                for (name, schema) in object["properties"] as? [String: Any] ?? [:] {
                    names.insert(name)
                    if ((schema as? [String: Any])?["type"] as? [String])?.contains("null") == true {
                        nullable.insert(name)
                    } else {
                        notNullable.insert(name)
                    }
                }
                object.values.forEach(walk)
            } else if let array = node as? [Any] {
                array.forEach(walk)
            }
        }
        for item in (root["paths"] as? [String: Any] ?? [:]).values {
            for operation in (item as? [String: Any] ?? [:]).values { walk((operation as? [String: Any])?["requestBody"] ?? [:]) }
        }
        walk((root["components"] as? [String: Any])?["requestBodies"] ?? [:])
        return (names, nullable.subtracting(notNullable))
    }()

    /// Where a JSON body holds `null` as the value of a documented field whose schema does not
    /// allow it (``documentedFields``): `enabled`, `subject.other_data`… at most `limit` of them.
    /// The decoders would read such a null as an absent field. Unknown fields are ignored with
    /// whatever they hold, as the decoders ignore them; a body that is not JSON has none here (the
    /// decoder explains it).
    ///
    /// A body without the bytes `null` anywhere cannot hold one, so it is not parsed a second time
    /// (the match path's bodies are hashes and list names).
    static func nullMembers(in bytes: [UInt8], limit: Int = 5) -> [String] {
        guard mayHoldNull(bytes) else { return [] }
        guard let root = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]) else { return [] }
        let fields = documentedFields
        var found: [String] = []
        func walk(_ value: Any, _ path: String, field: String?) {
            guard found.count < limit else { return }
            if value is NSNull {
                if field.map({ !fields.nullable.contains($0) }) ?? true { found.append(path.isEmpty ? "the body" : path) }
            } else if let object = value as? [String: Any] {
                for key in object.keys.sorted() where fields.names.contains(key) {
                    if let member = object[key] { walk(member, path.isEmpty ? key : path + "." + key, field: key) }
                }
            } else if let array = value as? [Any] {
                for (index, element) in array.enumerated() { walk(element, "\(path)[\(index)]", field: nil) }
            }
        }
        walk(root, "", field: nil)
        return found
    }

    /// Whether the four bytes `null` occur in `bytes` (anywhere, strings included: a cheap, conservative
    /// test before a full parse).
    static func mayHoldNull(_ bytes: [UInt8]) -> Bool {
        guard bytes.count >= 4 else { return false }
        return bytes.withUnsafeBufferPointer { buffer in
            var index = 0
            let end = buffer.count - 3
            while index < end {
                if buffer[index] == UInt8(ascii: "n"), buffer[index + 1] == UInt8(ascii: "u"), buffer[index + 2] == UInt8(ascii: "l"),
                    buffer[index + 3] == UInt8(ascii: "l")
                {
                    return true
                }
                index += 1
            }
            return false
        }
    }

    /// The answer to a body holding `null` where the document allows none.
    static func nullNotAllowed(_ paths: [String]) -> APIError {
        APIError(
            .badRequest, code: "invalid_json",
            "null is not a value of \(paths.joined(separator: ", ")): leave an optional field out instead of sending null")
    }

    /// The top-level keys of a JSON object body that are missing from `required` (all of them when
    /// the body is not an object; the generated decoder then explains it).
    static func missingKeys(_ required: [String], in bytes: [UInt8]) -> [String] {
        guard !required.isEmpty else { return [] }
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else { return [] }
        return required.filter { object[$0] == nil }
    }
}
