public import Foundation

/// The one RFC 3339 format of the system: UTC with milliseconds (`2026-01-01T00:00:00.000Z`) when
/// written; read with or without fractional seconds and with any offset.
///
/// `Date.ISO8601FormatStyle` is a value type (`Sendable`, no locks, nothing to cache per thread),
/// so one static value serves every caller; unlike `ISO8601DateFormatter`, no formatter object is
/// built per call.
public enum RFC3339 {
    /// Writes and reads timestamps with fractional seconds.
    static let fractional = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
    /// Reads timestamps without fractional seconds.
    static let whole = Date.ISO8601FormatStyle()

    /// Whether `text` is an RFC 3339 date-time (`2026-01-01T12:00:00Z`, with optional fractional
    /// seconds and a `Z` or `±hh:mm` offset; `T`/`Z` in either case), checked field by field
    /// (months, days of the month with leap years, hours, minutes, seconds up to a leap second 60)
    /// without building a date: the validity check of every time in a report, on intake's hot path.
    public static func isValid(_ text: String) -> Bool {
        var copy = text
        return copy.withUTF8 { isValid(utf8: $0) }
    }

    static func isValid(utf8 b: UnsafeBufferPointer<UInt8>) -> Bool {
        func digits(_ at: Int, _ count: Int) -> Int? {
            guard at + count <= b.count else { return nil }
            var value = 0
            for i in at..<(at + count) {
                let c = b[i]
                guard c >= 0x30, c <= 0x39 else { return nil }
                value = value * 10 + Int(c - 0x30)
            }
            return value
        }
        func byte(_ at: Int, _ expected: UInt8...) -> Bool { at < b.count && expected.contains(b[at]) }
        guard b.count >= 20, b.count <= 64, let year = digits(0, 4), byte(4, UInt8(ascii: "-")), let month = digits(5, 2),
            byte(7, UInt8(ascii: "-")), let day = digits(8, 2), byte(10, UInt8(ascii: "T"), UInt8(ascii: "t")), let hour = digits(11, 2),
            byte(13, UInt8(ascii: ":")), let minute = digits(14, 2), byte(16, UInt8(ascii: ":")), let second = digits(17, 2)
        else { return false }
        guard (1...12).contains(month), hour <= 23, minute <= 59, second <= 60 else { return false }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        guard (1...days).contains(day) else { return false }
        var i = 19
        if byte(i, UInt8(ascii: ".")) {
            i += 1
            let start = i
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 { i += 1 }
            guard i > start else { return false }
        }
        if byte(i, UInt8(ascii: "Z"), UInt8(ascii: "z")) { return i + 1 == b.count }
        guard byte(i, UInt8(ascii: "+"), UInt8(ascii: "-")), let offsetHours = digits(i + 1, 2), byte(i + 3, UInt8(ascii: ":")),
            let offsetMinutes = digits(i + 4, 2), i + 6 == b.count
        else { return false }
        return offsetHours <= 23 && offsetMinutes <= 59
    }

    /// Reads RFC 3339 text with or without fractional seconds; nil when it is not a timestamp.
    public static func date(from text: String) -> Date? {
        if let date = try? fractional.parse(text) { return date }
        return try? whole.parse(text)
    }
}

extension Date {
    /// RFC 3339 text with milliseconds, in UTC.
    public var rfc3339: String { RFC3339.fractional.format(self) }
}
