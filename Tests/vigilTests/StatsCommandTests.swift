import Foundation
import Testing

/// `vigil stats`, the built binary on a node's database.
@Suite("vigil stats command")
struct StatsCommandTests {
    static func dataDirectory() throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-stats-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder.path
    }

    @Test func tablesAndJSONOfAnEmptyCentre() throws {
        let data = try Self.dataDirectory()
        let tables = try HashCommandTests.vigil(["stats", "--data-directory", data])
        #expect(tables.status == 0, "\(tables.stderr)")
        for heading in ["By provider", "By type", "By state", "Times", "Referrals by recipient", "receipt to decision (by people)"] {
            #expect(tables.stdout.contains(heading), "\(heading)")
        }
        let json = try HashCommandTests.vigil(["stats", "--data-directory", data, "--json", "--from", "2026-01-01T00:00:00Z"])
        #expect(json.status == 0, "\(json.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["scope"] as? String == "all" && object["from"] as? String == "2026-01-01T00:00:00.000Z")
        let reports = try #require(object["reports"] as? [String: Any])
        #expect((reports["total"] as? [String: Any])?["reports"] as? Int == 0)
        #expect((reports["time_to_decision"] as? [String: Any])?["count"] as? Int == 0)
        #expect((reports["by_type"] as? [Any])?.count == 3)
    }

    @Test func aBadWindowIsRefusedWithWhatToSend() throws {
        let run = try HashCommandTests.vigil(["stats", "--data-directory", try Self.dataDirectory(), "--from", "last week"])
        #expect(run.status != 0)
        #expect(run.stderr.contains("RFC 3339"))
    }
}
