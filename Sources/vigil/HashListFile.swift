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

    /// Parses one line from its bytes (no String is made unless the line is bad).
    static func parse(_ raw: UnsafeBufferPointer<UInt8>, line: Int, into parsed: inout Parsed) {
        let space = UInt8(ascii: " ")
        var start = raw.startIndex
        var end = raw.endIndex
        while start < end && raw[start] == space { start += 1 }
        while end > start && (raw[end - 1] == UInt8(ascii: "\r") || raw[end - 1] == space) { end -= 1 }
        if start == end || raw[start] == UInt8(ascii: "#") { return }
        var tab = start
        while tab < end && raw[tab] != UInt8(ascii: "\t") { tab += 1 }
        var hexEnd = tab
        while hexEnd > start && raw[hexEnd - 1] == space { hexEnd -= 1 }

        var words = SIMD4<UInt64>.zero
        var valid = hexEnd - start == 64
        if valid {
            for offset in 0..<64 {
                guard let nibble = hexNibble(raw[start + offset]) else {
                    valid = false
                    break
                }
                let word = 3 - offset / 16
                words[word] = (words[word] << 4) | UInt64(nibble)
            }
        }
        guard valid else {
            let text = String(decoding: UnsafeBufferPointer(rebasing: raw[start..<hexEnd]), as: UTF8.self)
            let reason: String
            do {
                _ = try PDQHash(validatingHex: text)
                reason = "not a PDQ hash"
            } catch {
                reason = error.description
            }
            parsed.bad.append(BadLine(line: line, reason: reason))
            return
        }

        var id = UInt64(line)
        if tab < end {
            var digitsStart = tab + 1
            while digitsStart < end && raw[digitsStart] == space { digitsStart += 1 }
            var value: UInt64 = 0
            var ok = digitsStart < end
            for index in digitsStart..<end {
                let byte = raw[index]
                guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else {
                    ok = false
                    break
                }
                let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
                let (sum, overflow2) = times10.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
                guard !overflow1 && !overflow2 else {
                    ok = false
                    break
                }
                value = sum
            }
            guard ok else {
                let text = String(decoding: UnsafeBufferPointer(rebasing: raw[digitsStart..<end]), as: UTF8.self)
                parsed.bad.append(BadLine(line: line, reason: "the id \"\(text.prefix(40))\" is not an unsigned 64-bit integer"))
                return
            }
            id = value
        }
        parsed.hashes.append(words)
        parsed.ids.append(id)
    }

    @inline(__always)
    static func hexNibble(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// An error whose text is shown to the user as is.
struct ValidationErrorMessage: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
