import Foundation
import Testing
import VigilHash
import VigilPipeline

/// A generated benign image with the hashes PyPI pdqhash (and the numpy model of the C++ CLI)
/// give for it.
struct GeneratedRow: Sendable, CustomTestStringConvertible {
    let url: URL
    let file: String
    let fullHash: String
    let fullQuality: Int
    let fullDihedral: [String]
    let refcliHash: String
    let refcliQuality: Int
    let refcliDihedral: [String]

    var testDescription: String { file }
}

/// The corpus under test: generated afresh by `scripts/pdq_reference.py` with the reference
/// implementations when the Python environment is there (`make test` installs it), otherwise the
/// committed copy in `Tests/Fixtures/generated`.
enum GeneratedCorpus {
    struct Loaded: Sendable {
        let rows: [GeneratedRow]
        let live: Bool
        let problem: String?
    }

    static let loaded: Loaded = {
        let committed = Fixtures.root.appendingPathComponent("generated")
        if let python = pythonWithReference() {
            let seed = ProcessInfo.processInfo.environment["VIGIL_CONFORMANCE_SEED"] ?? "1"
            let folder = FileManager.default.temporaryDirectory
                .appendingPathComponent("vigil-pdq-corpus-\(seed)-\(ProcessInfo.processInfo.processIdentifier)")
            try? FileManager.default.removeItem(at: folder)
            let script = Fixtures.packageRoot.appendingPathComponent("scripts/pdq_reference.py").path
            let status = run(python, [script, "generate", "--out", folder.path, "--seed", seed, "--quiet"])
            if status == 0 {
                return Loaded(rows: rows(in: folder), live: true, problem: nil)
            }
            return Loaded(rows: rows(in: committed), live: false, problem: "pdq_reference.py generate exited \(status)")
        }
        let required = ProcessInfo.processInfo.environment["CI"] == "true"
        return Loaded(
            rows: rows(in: committed), live: false,
            problem: required ? "CI must run the live comparison: run scripts/setup-python.sh (make test does)" : nil)
    }()

    static func rows(in folder: URL) -> [GeneratedRow] {
        Fixtures.readTSV(folder.appendingPathComponent("expected.tsv")).compactMap { row in
            guard let file = row["file"] else { return nil }
            return GeneratedRow(
                url: folder.appendingPathComponent(file), file: file,
                fullHash: row["full_hash"] ?? "", fullQuality: Int(row["full_quality"] ?? "") ?? -1,
                fullDihedral: (row["full_dihedral"] ?? "").split(separator: ",").map(String.init),
                refcliHash: row["refcli_hash"] ?? "", refcliQuality: Int(row["refcli_quality"] ?? "") ?? -1,
                refcliDihedral: (row["refcli_dihedral"] ?? "").split(separator: ",").map(String.init))
        }
    }

    /// The virtual environment's Python, if it has pdqhash and Pillow.
    static func pythonWithReference() -> String? {
        let candidates: [String?] = [
            ProcessInfo.processInfo.environment["VIGIL_PYTHON"],
            Fixtures.packageRoot.appendingPathComponent(".venv/bin/python").path,
        ]
        for case let python? in candidates where FileManager.default.isExecutableFile(atPath: python) {
            if run(python, ["-c", "import pdqhash, PIL, numpy"]) == 0 { return python }
        }
        return nil
    }

    static func run(_ executable: String, _ arguments: [String]) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            return -1
        }
        process.waitUntilExit()
        return process.terminationStatus
    }
}

@Suite("Conformance with PyPI pdqhash on a generated corpus")
struct GeneratedCorpusConformanceTests {
    @Test func corpusIsAvailable() {
        #expect(GeneratedCorpus.loaded.problem == nil, "\(GeneratedCorpus.loaded.problem ?? "")")
        // The committed fallback has 66 images; a live corpus has 82.
        #expect(GeneratedCorpus.loaded.rows.count >= 60)
    }

    /// `full` equals pdqhash (hash, quality and the 8 dihedral hashes) on Pillow-decoded pixels.
    @Test(arguments: GeneratedCorpus.loaded.rows)
    func fullConvention(row: GeneratedRow) throws {
        let result = try MediaHasher(options: HashOptions(convention: .full, dihedral: true)).hash(fileAt: row.url.path)
        #expect(result.pdq.hash.hex == row.fullHash)
        #expect(result.pdq.quality == row.fullQuality)
        #expect(result.dihedral?.map(\.hex) == row.fullDihedral)
    }

    /// `reference-cli` equals the C++ CLI's convention (squash, low byte, float32 luma).
    @Test(arguments: GeneratedCorpus.loaded.rows)
    func referenceCLIConvention(row: GeneratedRow) throws {
        let options = HashOptions(convention: .referenceCLI, dihedral: true)
        let result = try MediaHasher(options: options).hash(fileAt: row.url.path)
        #expect(result.pdq.hash.hex == row.refcliHash)
        #expect(result.pdq.quality == row.refcliQuality)
        #expect(result.dihedral?.map(\.hex) == row.refcliDihedral)
    }
}
