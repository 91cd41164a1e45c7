import Foundation
import HTTPTypes

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

    /// The top-level keys of a JSON object body that are missing from `required` (all of them when
    /// the body is not an object; the generated decoder then explains it).
    static func missingKeys(_ required: [String], in bytes: [UInt8]) -> [String] {
        guard !required.isEmpty else { return [] }
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else { return [] }
        return required.filter { object[$0] == nil }
    }
}
