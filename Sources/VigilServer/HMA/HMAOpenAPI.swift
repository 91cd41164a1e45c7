import Foundation
import VigilAPI
import Yams

/// HMA's OpenAPI document (`GET /openapi/openapi.json`, open as in HMA), taken from the one
/// document the node serves (`openapi.yaml`): its paths whose operations are tagged `hma`, the
/// components they refer to, and HMA's title, "Open Media Match API". One description of the HMA
/// routes, in two formats.
enum HMAOpenAPI {
    /// The document, or nil when the embedded YAML cannot be read (a test pins that it can).
    static func document(from bytes: [UInt8] = OpenAPIDocument.bytes) -> HMAValue? {
        guard let loaded = try? Yams.load(yaml: String(decoding: bytes, as: UTF8.self)), case .object(let root) = value(loaded),
            case .object(let paths)? = root["paths"]
        else { return nil }
        let hmaPaths = paths.filter { _, item in
            guard case .object(let operations) = item else { return false }
            return operations.values.contains { operation in
                guard case .object(let fields) = operation, case .array(let tags)? = fields["tags"] else { return false }
                return tags.contains(.string("hma"))
            }
        }
        var components: [String: [String: HMAValue]] = [:]
        var pending = references(in: .object(hmaPaths))
        var seen: Set<String> = []
        while let reference = pending.popLast() {
            guard seen.insert(reference).inserted else { continue }
            // "#/components/<kind>/<name>"
            let parts = reference.split(separator: "/").map(String.init)
            guard parts.count == 4, parts[0] == "#", parts[1] == "components", case .object(let all)? = root["components"],
                case .object(let kind)? = all[parts[2]], let found = kind[parts[3]]
            else { continue }
            components[parts[2], default: [:]][parts[3]] = found
            pending += references(in: found)
        }
        if case .object(let all)? = root["components"], let schemes = all["securitySchemes"] {
            components["securitySchemes"] = schemes.objectFields
        }
        return .object([
            "openapi": root["openapi"] ?? .string("3.1.0"),
            "info": .object([
                "title": .string("Open Media Match API"), "version": .string("2.0"),
                "description": .string(
                    "The HMA 2.0 (OpenMediaMatch) compatible routes of a Vigil node. Every route but /status, /status/live and this document needs a Vigil API key (Authorization: Bearer vk_…)."
                ),
            ]),
            "paths": .object(hmaPaths),
            "components": .object(components.mapValues(HMAValue.object)),
        ])
    }

    /// Every `$ref` under `value`.
    static func references(in value: HMAValue) -> [String] {
        switch value {
        case .object(let fields):
            return fields.flatMap { key, field in key == "$ref" ? (field.string.map { [$0] } ?? []) : references(in: field) }
        case .array(let items): return items.flatMap(references(in:))
        default: return []
        }
    }

    /// A Yams value as JSON.
    static func value(_ any: Any) -> HMAValue {
        switch any {
        case let dictionary as [String: Any]: .object(dictionary.mapValues(value))
        case let dictionary as [AnyHashable: Any]: .object(Dictionary(dictionary.map { ("\($0.key)", value($0.value)) }) { a, _ in a })
        case let array as [Any]: .array(array.map(value))
        case let flag as Bool: .bool(flag)
        case let number as Int: .int(Int64(number))
        case let number as Double: .double(number)
        case let text as String: .string(text)
        default: .null
        }
    }
}

extension HMAValue {
    /// An object's fields (empty for anything else).
    var objectFields: [String: HMAValue] {
        if case .object(let fields) = self { return fields }
        return [:]
    }
}
