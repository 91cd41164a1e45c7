import Foundation
import Testing

/// End-to-end tests of `vigil index build` and `vigil match`.
@Suite("vigil index and vigil match")
struct IndexCommandTests {
    static func temporary(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("vigil-cli-\(ProcessInfo.processInfo.processIdentifier)-\(name)").path
    }

    let bridge = HashCommandTests.fixture("reference/images/pdq-data/bridge-mods/aaa-orig.jpg")
    let bridgeHash = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"

    /// The bundled images' hashes as list lines (ids 1000+), hashed once for all tests.
    static let listLines: [String] = {
        let hashed = try? HashCommandTests.vigil(["hash", "--json", "--no-digests", HashCommandTests.fixture("reference/images")])
        return (hashed?.lines ?? []).enumerated().compactMap { i, object in (object["pdq"] as? String).map { "\($0)\t\(1000 + i)" } }
    }()

    /// A list with the bundled images' hashes, built into an index.
    func buildIndex(_ name: String, extraLines: [String] = [], strict: Bool = false) throws -> (HashCommandTests.Run, String) {
        let lines = Self.listLines
        #expect(lines.count == 36)
        let list = Self.temporary(name + ".tsv")
        let out = Self.temporary(name + ".vidx")
        try ((lines + extraLines).joined(separator: "\n") + "\n").write(toFile: list, atomically: true, encoding: .utf8)
        let run = try HashCommandTests.vigil(["index", "build", "--hashes", list, "--out", out] + (strict ? ["--strict"] : []))
        return (run, out)
    }

    @Test func buildReportsBadLinesByNumber() throws {
        let (run, out) = try buildIndex("bad-lines", extraLines: ["# a comment", "", "abc", bridgeHash + "\tnot-a-number", bridgeHash + "\t77"])
        defer { try? FileManager.default.removeItem(atPath: out) }
        #expect(run.status == 0)
        #expect(run.stderr.contains("line 39: a hash must be exactly 64 hexadecimal digits, got 3 characters"))
        #expect(run.stderr.contains("line 40: the id \"not-a-number\" is not an unsigned 64-bit integer"))
        #expect(run.stdout.contains("37 entries"))
        #expect(run.stdout.contains("2 bad line(s) skipped"))

        let (strictRun, strictOut) = try buildIndex("bad-lines-strict", extraLines: ["abc"], strict: true)
        #expect(strictRun.status == 1)
        #expect(!FileManager.default.fileExists(atPath: strictOut))
    }

    @Test func matchFindsImagesAndHashesWithProvenanceOfTheVariant() throws {
        let (_, index) = try buildIndex("match")
        defer { try? FileManager.default.removeItem(atPath: index) }
        let blur = HashCommandTests.fixture("reference/images/pdq-data/bridge-mods/blur-a-lot.jpg")
        let run = try HashCommandTests.vigil(["match", "--index", index, "--json", "--dihedral", blur, bridgeHash, "abc"])
        #expect(run.status == 1)
        let lines = run.lines
        try #require(lines.count == 3)
        let imageMatches = try #require(lines[0]["matches"] as? [[String: Any]])
        #expect(imageMatches.first?["distance"] as? Int == 0)
        #expect(imageMatches.first?["variant"] as? String == "orig")
        let distances = imageMatches.compactMap { $0["distance"] as? Int }
        #expect(distances == distances.sorted() && distances.allSatisfy { $0 <= 31 })
        let hashMatches = try #require(lines[1]["matches"] as? [[String: Any]])
        #expect(hashMatches.contains { $0["id"] as? Int == 1021 && $0["distance"] as? Int == 0 })
        #expect((lines[2]["error"] as? [String: Any])?["code"] as? String == "malformed_hash")
    }

    @Test func matchReadsQueriesFromStandardInputAndHonoursTheRadius() throws {
        let (_, index) = try buildIndex("stdin")
        defer { try? FileManager.default.removeItem(atPath: index) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: HashCommandTests.binary)
        process.arguments = ["match", "--index", index, "--json", "--radius", "0"]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Data((bridgeHash + "\n" + String(repeating: "5a", count: 32) + "\n").utf8))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
        try #require(lines.count == 2)
        let exact = try #require(lines[0]["matches"] as? [[String: Any]])
        #expect(exact.allSatisfy { $0["distance"] as? Int == 0 })
        #expect((lines[1]["matches"] as? [Any])?.isEmpty == true)
    }

    @Test func corruptOrForeignIndexFilesAreRefused() throws {
        let foreign = Self.temporary("foreign.vidx")
        try Data("not an index at all, just text".utf8).write(to: URL(fileURLWithPath: foreign))
        defer { try? FileManager.default.removeItem(atPath: foreign) }
        let run = try HashCommandTests.vigil(["match", "--index", foreign, bridgeHash])
        #expect(run.status == 64)
        #expect(run.stderr.contains("not a Vigil index file"))
        let info = try HashCommandTests.vigil(["index", "info", foreign])
        #expect(info.status != 0)
    }
}
