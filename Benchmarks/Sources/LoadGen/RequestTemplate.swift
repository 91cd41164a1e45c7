import NIOCore

/// Where a request's body comes from.
enum RequestBody: Sendable {
    /// No body (and no Content-Length).
    case none
    /// The same bytes every time (e.g. a JPEG for POST /v1/match/file).
    case fixed([UInt8])
    /// One body per line of a file, each line put in `template` in place of `{line}` (JSON-escaped),
    /// or, without a template, the line itself as the body; requests rotate through the lines in order.
    case lines([String], template: String?)
    /// One body per record, in turn, the bytes as they are (e.g. prepared multipart/form-data bodies).
    case records([[UInt8]])
}

/// One request shape; ``encode(host:port:)`` turns it into the exact bytes that go on the wire.
struct RequestTemplate: Sendable {
    /// The placeholder in a body template.
    static let linePlaceholder = "{line}"

    var method: String
    var path: String
    /// Extra header lines, `Name: value` (Host and Content-Length are added).
    var headers: [(name: String, value: String)]
    var body: RequestBody

    /// The encoded requests, one per distinct body, each a complete HTTP/1.1 request. The buffers share
    /// nothing mutable, so writing one many times copies nothing.
    func encode(host: String, port: Int) -> [ByteBuffer] {
        let bodies: [[UInt8]?]
        switch body {
        case .none:
            bodies = [nil]
        case .fixed(let bytes):
            bodies = [bytes]
        case .lines(let lines, let template):
            bodies = lines.map { line in
                guard let template else { return Array(line.utf8) }
                return Array(template.replacing(Self.linePlaceholder, with: Self.jsonEscaped(line)).utf8)
            }
        case .records(let records):
            bodies = records
        }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\n"
        for header in headers { head += "\(header.name): \(header.value)\r\n" }
        return bodies.map { body in
            var buffer = ByteBuffer()
            buffer.reserveCapacity(head.utf8.count + 32 + (body?.count ?? 0))
            buffer.writeString(head)
            if let body {
                buffer.writeString("Content-Length: \(body.count)\r\n\r\n")
                buffer.writeBytes(body)
            } else {
                buffer.writeString("\r\n")
            }
            return buffer
        }
    }

    /// `text` as the inside of a JSON string.
    static func jsonEscaped(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
