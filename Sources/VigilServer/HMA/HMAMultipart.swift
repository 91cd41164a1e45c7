import Foundation
import MultipartKit

/// One part of a `multipart/form-data` body.
struct MultipartPart: Sendable {
    var name: String
    var filename: String?
    var body: [UInt8]
}

/// HMA's `multipart/form-data` uploads (RFC 7578), read with multipart-kit's parser, which
/// scans the body once whatever the boundary's length (the hand-written reader it replaces
/// compared the whole boundary at every carriage return: quadratic with a long boundary).
enum MultipartForm {
    /// The boundary of a `multipart/form-data` content type, or nil for other types.
    static func boundary(contentType: String) -> String? {
        let fields = contentType.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard let first = fields.first, first.lowercased() == "multipart/form-data" else { return nil }
        for field in fields.dropFirst() where field.lowercased().hasPrefix("boundary=") {
            var value = String(field.dropFirst("boundary=".count))
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            return value.isEmpty ? nil : value
        }
        return nil
    }

    /// The parts of `body`, or nil when it is not well formed: no delimiter, a part without a
    /// `Content-Disposition` name, a malformed part header, or no closing delimiter.
    static func parse(_ body: [UInt8], boundary: String) -> [MultipartPart]? {
        guard !boundary.isEmpty else { return nil }
        // A form with no parts at all ("--boundary--") is well formed, if useless.
        if body.starts(with: Array("--\(boundary)--".utf8)) { return [] }
        var parts: [MultipartPart] = []
        var headers: [(String, String)] = []
        var content: [UInt8] = []
        var partOpen = false
        var malformed = false
        let parser = MultipartParser(boundary: boundary)
        parser.onHeader = { name, value in
            partOpen = true
            headers.append((name, value))
        }
        parser.onBody = { buffer in
            partOpen = true
            content += buffer.readableBytesView
        }
        parser.onPartComplete = {
            let disposition = headers.first { $0.0.lowercased() == "content-disposition" }?.1
            if let disposition, let name = parameter("name", in: disposition) {
                parts.append(MultipartPart(name: name, filename: parameter("filename", in: disposition), body: content))
            } else {
                malformed = true
            }
            headers = []
            content = []
            partOpen = false
        }
        do {
            try parser.execute(body)
            // Bytes no well-formed continuation accepts: a parser past the closing delimiter
            // ignores them (the epilogue), one still inside a part reports them (as a syntax
            // error, or as more of the part's body), so a form cut short is told apart.
            try parser.execute(Array("\r-".utf8))
        } catch {
            return nil
        }
        guard !malformed, !partOpen, !parts.isEmpty else { return nil }
        return parts
    }

    /// The value of `key` in a header value's `;`-separated parameters (after the first field),
    /// unquoted.
    static func parameter(_ key: String, in value: String) -> String? {
        for field in value.split(separator: ";").dropFirst() {
            let pair = field.trimmingCharacters(in: .whitespaces)
            guard pair.lowercased().hasPrefix(key + "=") else { continue }
            var value = String(pair.dropFirst(key.count + 1))
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            return value
        }
        return nil
    }
}
