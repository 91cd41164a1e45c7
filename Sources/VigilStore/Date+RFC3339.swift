import Foundation

extension Date {
    /// RFC 3339 text with milliseconds, in UTC.
    var rfc3339: String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: self)
    }
}
