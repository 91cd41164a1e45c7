import Foundation
import VigilHash

/// A line of a hash list that could not be used.
struct BadLine: Error, CustomStringConvertible {
    let line: Int
    let reason: String
    var description: String { "line \(line): \(reason)" }
}

/// Reads `HEX[<TAB>ID]` lines (ids default to the line number), streaming the file in large
/// chunks so lists of tens of millions of lines parse in seconds. Blank lines and lines starting
/// with `#` are skipped.
enum HashListFile {
    struct Parsed {
        var hashes: [SIMD4<UInt64>] = []
        var ids: [UInt64] = []
        var bad: [BadLine] = []
    }

    static func read(path: String) throws -> Parsed {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ValidationErrorMessage("cannot open \(path); check the path")
        }
        defer { try? handle.close() }
        var parsed = Parsed()
        var carry: [UInt8] = []
        var lineNumber = 0
        while true {
            let chunk = handle.readData(ofLength: 8 << 20)
            if chunk.isEmpty { break }
            carry.append(contentsOf: chunk)
            var start = 0
            carry.withUnsafeBufferPointer { buffer in
                while let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
                    lineNumber += 1
                    parse(UnsafeBufferPointer(rebasing: buffer[start..<newline]), line: lineNumber, into: &parsed)
                    start = newline + 1
                }
            }
            carry.removeFirst(start)
        }
        if !carry.isEmpty {
            lineNumber += 1
            carry.withUnsafeBufferPointer { parse($0, line: lineNumber, into: &parsed) }
        }
        return parsed
    }

    static func parse(_ raw: UnsafeBufferPointer<UInt8>, line: Int, into parsed: inout Parsed) {
        var bytes = Substring(decoding: raw, as: UTF8.self)
        if bytes.hasSuffix("\r") { bytes.removeLast() }
        let trimmed = bytes.drop { $0 == " " }
        if trimmed.isEmpty || trimmed.hasPrefix("#") { return }
        let fields = trimmed.split(separator: "\t", maxSplits: 2, omittingEmptySubsequences: false)
        let hash: PDQHash
        do {
            hash = try PDQHash(validatingHex: fields[0].trimmingCharacters(in: .whitespaces))
        } catch {
            parsed.bad.append(BadLine(line: line, reason: error.description))
            return
        }
        var id = UInt64(line)
        if fields.count > 1 {
            let text = fields[1].trimmingCharacters(in: .whitespaces)
            guard let value = UInt64(text) else {
                parsed.bad.append(BadLine(line: line, reason: "the id \"\(text.prefix(40))\" is not an unsigned 64-bit integer"))
                return
            }
            id = value
        }
        parsed.hashes.append(hash.words)
        parsed.ids.append(id)
    }
}

/// An error whose text is shown to the user as is.
struct ValidationErrorMessage: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
