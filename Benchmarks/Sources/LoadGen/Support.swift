#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes `text` to a file descriptor with POSIX `write` (the C `stdout` global is not
/// concurrency-safe in Swift 6, and rows should appear as soon as each rate finishes).
func writeAll(_ text: String, to descriptor: Int32) {
    var text = text
    text.withUTF8 { bytes in
        var offset = 0
        while offset < bytes.count {
            let written = write(descriptor, bytes.baseAddress.map { $0 + offset }, bytes.count - offset)
            if written <= 0 { return }
            offset += written
        }
    }
}

/// Writes a line to standard error.
func log(_ message: String) {
    writeAll("[LoadGen] \(message)\n", to: 2)
}

/// The whole of a file's bytes.
func readFile(_ path: String) throws -> [UInt8] {
    let descriptor = open(path, O_RDONLY)
    guard descriptor >= 0 else { throw LoadGenError("cannot open \(path)") }
    defer { close(descriptor) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        if count < 0 { throw LoadGenError("cannot read \(path)") }
        if count == 0 { return bytes }
        bytes.append(contentsOf: chunk[0..<count])
    }
}

/// Writes `text` to a new file (replacing one there).
func writeFile(_ path: String, _ text: String) throws {
    let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard descriptor >= 0 else { throw LoadGenError("cannot create \(path)") }
    defer { close(descriptor) }
    writeAll(text, to: descriptor)
}

/// The value of an environment variable, if set.
func environment(_ name: String) -> String? {
    getenv(name).map { String(cString: $0) }
}

/// User plus system CPU seconds of a process (`nil`: this one) from /proc; nil where /proc is absent.
func processCPUSeconds(pid: Int32?) -> Double? {
    let path = pid.map { "/proc/\($0)/stat" } ?? "/proc/self/stat"
    guard let bytes = try? readFile(path), let text = String(validating: bytes, as: UTF8.self),
        let afterName = text.lastIndex(of: ")")
    else { return nil }
    // Fields after "pid (comm)": state is field 3; utime and stime are fields 14 and 15.
    let fields = text[text.index(after: afterName)...].split(separator: " ")
    guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
    let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
    return ticks > 0 ? (user + system) / ticks : nil
}

/// A message for the command line.
struct LoadGenError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// `value` with `digits` decimals (no Foundation).
func fixed(_ value: Double, _ digits: Int) -> String {
    guard value.isFinite else { return value.isNaN ? "nan" : (value > 0 ? "inf" : "-inf") }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let scaled = (abs(value) * scale).rounded()
    guard scaled < 9e18 else { return String(value) }
    let whole = Int(scaled)
    let integer = whole / Int(scale)
    let fraction = whole % Int(scale)
    var text = (value < 0 && whole != 0 ? "-" : "") + String(integer)
    if digits > 0 {
        let fractionText = String(fraction)
        text += "." + String(repeating: "0", count: digits - fractionText.count) + fractionText
    }
    return text
}
