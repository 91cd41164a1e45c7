public import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes one line per log event to standard error, in swift-log's `StreamLogHandler` format:
/// `2026-11-29T11:24:59+0000 info vigil: key=value [source] message`.
///
/// Unlike `StreamLogHandler`, which renders its metadata again each time a key is set, this
/// handler renders metadata only when a line is written. Hummingbird sets a request id on every
/// request's logger, and most requests log nothing at the usual levels, so the node pays for
/// that rendering only when it actually logs.
public struct LineLogHandler: LogHandler {
    /// The logger's label, printed after the level.
    public let label: String
    /// The minimum level written.
    public var logLevel: Logger.Level
    /// Metadata set on this logger, rendered sorted by key.
    public var metadata: Logger.Metadata
    /// Adds metadata at log time (task-local values, for example).
    public var metadataProvider: Logger.MetadataProvider?

    /// A handler for `label`, writing events at `logLevel` or above.
    public init(label: String, logLevel: Logger.Level = .info, metadataProvider: Logger.MetadataProvider? = nil) {
        self.label = label
        self.logLevel = logLevel
        self.metadata = [:]
        self.metadataProvider = metadataProvider
    }

    /// Reads or sets one metadata value (nothing is rendered until a line is written).
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Writes the event as one line (one `write` call, so lines from different threads do not
    /// interleave).
    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        if let error = event.error { merged["error"] = "\(error)" }
        var line = Self.timestamp() + " \(event.level)" + (label.isEmpty ? "" : " ") + label + ":"
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
            line += " \(key)=\(value)"
        }
        line += " [\(event.source)] \(event.message)\n"
        var bytes = Array(line.utf8)
        bytes.withUnsafeMutableBytes { buffer in
            var offset = 0
            while offset < buffer.count, let base = buffer.baseAddress {
                let written = write(2, base + offset, buffer.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0 && errno == EINTR {
                    continue
                } else {
                    return  // standard error is gone; nothing better to do with a log line
                }
            }
        }
    }

    /// Local time as `YYYY-MM-DDThh:mm:ss±hhmm`.
    static func timestamp() -> String {
        var now = time(nil)
        var local = tm()
        guard localtime_r(&now, &local) != nil else { return "<unknown>" }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buffer in
            guard let base = buffer.baseAddress else { return "<unknown>" }
            let count = strftime(base, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &local)
            return String(decoding: UnsafeRawBufferPointer(start: base, count: count), as: UTF8.self)
        }
    }
}
