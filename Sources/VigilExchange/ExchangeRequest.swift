import Foundation

/// One HTTP request an exchange client is to make, as its protocol planned it: a path under the
/// exchange's base URL and the query, in order. Pure data, so the planning can be tested without I/O.
public struct ExchangeRequest: Sendable, Hashable {
    /// The path after the base URL, starting with `/` (e.g. `/v2/entries`).
    public var path: String
    /// The query parameters, in the order they are sent, not yet percent-encoded.
    public var query: [QueryItem]

    /// One query parameter.
    public struct QueryItem: Sendable, Hashable {
        /// The parameter's name.
        public var name: String
        /// Its value.
        public var value: String

        /// Creates a parameter.
        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    /// Creates a request.
    public init(path: String, query: [QueryItem] = []) {
        self.path = path
        self.query = query
    }

    /// The full URL: `base` (without a trailing `/`) + path + the percent-encoded query.
    public func url(base: String) -> String {
        var url = base.hasSuffix("/") ? String(base.dropLast()) : base
        url += path
        if !query.isEmpty {
            url += "?" + query.map { Self.encode($0.name) + "=" + Self.encode($0.value) }.joined(separator: "&")
        }
        return url
    }

    /// Percent-encodes everything but RFC 3986's unreserved characters.
    public static func encode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let digits = Array("0123456789ABCDEF".unicodeScalars)
                out += "%"
                out.unicodeScalars.append(digits[Int(byte >> 4)])
                out.unicodeScalars.append(digits[Int(byte & 15)])
            }
        }
        return out
    }

    /// Splits a query string (`a=1&b=x%20y`) into its parameters, decoding `%XX` and `+`; nil when
    /// an escape is broken or the text is not UTF-8.
    public static func parseQuery(_ query: some StringProtocol) -> [QueryItem]? {
        var items: [QueryItem] = []
        for part in query.split(separator: "&", omittingEmptySubsequences: true) {
            let pieces = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = decode(pieces[0]) else { return nil }
            guard let value = pieces.count > 1 ? decode(pieces[1]) : "" else { return nil }
            items.append(QueryItem(name, value))
        }
        return items
    }

    private static func decode(_ text: some StringProtocol) -> String? {
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"): bytes.append(32)
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else { return nil }
                bytes.append(high << 4 | low)
            default: bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// Reads and writes an exchange client's resume state (``ExchangeCheckpoint/state``) as JSON.
public enum ExchangeCursorCoding {
    /// The state as compact JSON with sorted keys.
    public static func encode(_ cursor: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Encoding plain structs of strings and integers cannot fail.
        guard let data = try? encoder.encode(cursor) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    /// The cursor stored in `checkpoint`, nil when there is none; a state that is not this kind's
    /// cursor is `.misconfigured` (the checkpoint belongs to another kind, or was edited).
    public static func decode<Cursor: Decodable>(_ type: Cursor.Type, from checkpoint: ExchangeCheckpoint?, kind: String)
        throws(ExchangeError) -> Cursor?
    {
        guard let checkpoint else { return nil }
        do {
            return try JSONDecoder().decode(Cursor.self, from: Data(checkpoint.state.utf8))
        } catch {
            throw .misconfigured(
                "the stored checkpoint is not a \(kind) checkpoint (\(checkpoint.state.prefix(80))): reset the exchange's checkpoint to fetch from the start"
            )
        }
    }
}
