import Foundation
import VigilTestSupport

/// Where the test fixtures live, found from this file's path so tests run from any directory.
enum Fixtures {
    /// The package root (the folder holding Package.swift).
    static let packageRoot: URL = TestPaths.packageRoot

    /// `Tests/Fixtures` in the package.
    static let root = packageRoot.appendingPathComponent("Tests/Fixtures")

    /// The full reference set (`../shared/reference/pdq` beside the checkout), when present.
    static let sharedReference: URL? = {
        let candidates = [
            ProcessInfo.processInfo.environment["VIGIL_SHARED_REFERENCE"].map { URL(fileURLWithPath: $0) },
            packageRoot.deletingLastPathComponent().appendingPathComponent("shared/reference/pdq"),
        ]
        for case let url? in candidates
        where FileManager.default.fileExists(atPath: url.appendingPathComponent("pdq-expected.tsv").path) {
            return url
        }
        return nil
    }()

    /// Reads a tab-separated file with a header row into dictionaries keyed by column name.
    static func readTSV(_ url: URL) -> [[String: String]] {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true).map {
            $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        }
        guard !lines.isEmpty else { return [] }
        let header = lines.removeFirst()
        return lines.map { fields in
            var row: [String: String] = [:]
            for (index, name) in header.enumerated() where index < fields.count { row[name] = fields[index] }
            return row
        }
    }
}
