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
