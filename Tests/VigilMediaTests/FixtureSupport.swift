import Foundation
import Testing
import VigilTestSupport

@testable import VigilMedia

/// Locates fixtures relative to this source file, so tests run from any working directory.
enum Fixtures {
    /// `<package root>/Tests/Fixtures`, found by walking up from this file to the folder holding Package.swift.
    static let root: URL = TestPaths.fixtures

    static func path(_ relative: String) -> String {
        root.appendingPathComponent(relative).path
    }

    static func bytes(_ relative: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: root.appendingPathComponent(relative)))
    }
}

/// 64-bit FNV-1a, as computed by scripts/pillow_pixels.py.
func fnv1a64(_ bytes: [UInt8]) -> UInt64 {
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    bytes.withUnsafeBufferPointer { buffer in
        for byte in buffer {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
    }
    return hash
}

/// One row of Tests/Fixtures/media/pillow-pixels.tsv.
struct PillowExpectation: Sendable, CustomTestStringConvertible {
    var path: String
    var layout: PixelLayout
    var width: Int
    var height: Int
    var byteCount: Int
    var fnv: UInt64

    var testDescription: String { path }

    static let all: [PillowExpectation] = {
        guard let text = try? String(contentsOfFile: Fixtures.path("media/pillow-pixels.tsv"), encoding: .utf8) else {
            return []
        }
        return text.split(separator: "\n").dropFirst().compactMap { line in
            let fields = line.split(separator: "\t").map(String.init)
            guard fields.count >= 6, let width = Int(fields[2]), let height = Int(fields[3]),
                let count = Int(fields[4]), let fnv = UInt64(fields[5], radix: 16)
            else { return nil }
            return PillowExpectation(
                path: fields[0], layout: fields[1] == "grey" ? .grey : .rgb,
                width: width, height: height, byteCount: count, fnv: fnv)
        }
    }()
}
