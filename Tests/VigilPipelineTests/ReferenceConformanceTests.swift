import Foundation
import Testing
import VigilHash
import VigilPipeline

/// One row of Meta's reference vectors (`pdq-expected.tsv` joined with `pdq-dihedral.tsv`).
struct ReferenceRow: Sendable, CustomTestStringConvertible {
    let file: String
    let url: URL
    let pillowMode: String
    let refHash: String
    let refQuality: Int
    let fullresHash: String
    let fullresQuality: Int
    let dihedral: [String]

    var testDescription: String { file }

    /// Every row whose image is available: all 74 with `../shared` present, the bundled subset otherwise.
    static let all: [ReferenceRow] = {
        let tables = Fixtures.sharedReference ?? Fixtures.root.appendingPathComponent("reference")
        let dihedral = Dictionary(
            Fixtures.readTSV(tables.appendingPathComponent("pdq-dihedral.tsv")).map { ($0["file"] ?? "", $0) },
            uniquingKeysWith: { first, _ in first })
        let order = ["orig", "rot90", "rot180", "rot270", "flipx", "flipy", "flipplus1", "flipminus1"]
        return Fixtures.readTSV(tables.appendingPathComponent("pdq-expected.tsv")).compactMap { row in
            guard let file = row["file"], let variants = dihedral[file] else { return nil }
            let url = tables.appendingPathComponent(file)
            guard FileManager.default.fileExists(atPath: url.path) else { return nil }
            return ReferenceRow(
                file: file, url: url, pillowMode: row["pillow_mode"] ?? "",
                refHash: row["ref_hash"] ?? "", refQuality: Int(row["ref_quality"] ?? "") ?? -1,
                fullresHash: row["fullres_hash"] ?? "", fullresQuality: Int(row["fullres_quality"] ?? "") ?? -1,
                dihedral: order.map { variants[$0] ?? "" })
        }
    }()
}

@Suite("Conformance with Meta's reference vectors")
struct ReferenceConformanceTests {
    @Test func theVectorsAreThere() {
        // The bundled subset has 36 images; the full set in ../shared has 74.
        #expect(ReferenceRow.all.count >= 36)
        if Fixtures.sharedReference != nil { #expect(ReferenceRow.all.count == 74) }
    }

    /// `reference-cli` must equal the C++ CLI's hash, quality and all eight dihedral hashes.
    @Test(arguments: ReferenceRow.all)
    func referenceCLIConvention(row: ReferenceRow) throws {
        let hasher = MediaHasher(options: HashOptions(convention: .referenceCLI, dihedral: true))
        let result = try hasher.hash(fileAt: row.url.path)
        #expect(result.pdq.hash.hex == row.refHash)
        #expect(result.pdq.quality == row.refQuality)
        #expect(result.dihedral?.map(\.hex) == row.dihedral)
    }

    /// `full` must equal python-threatexchange's full-resolution hash, except where that column is
    /// known to be wrong: it hashes palette indices (P), reads CMY as RGB (CMYK), clips 16-bit
    /// samples (I;16), and reads 1-bit images as 0/1 (same hash, quality 0). Those rows are checked
    /// against pdqhash on properly converted pixels by the generated-corpus test instead.
    @Test(arguments: ReferenceRow.all)
    func fullConvention(row: ReferenceRow) throws {
        let hasher = MediaHasher(options: HashOptions(convention: .full))
        let result = try hasher.hash(fileAt: row.url.path)
        switch row.pillowMode {
        case "P", "CMYK", "I;16":
            #expect(result.pdq.hash.hex != row.fullresHash, "this row's reference column is known to be wrong")
        case "1":
            #expect(result.pdq.hash.hex == row.fullresHash)
            #expect(result.pdq.quality == 100)
        default:
            #expect(result.pdq.hash.hex == row.fullresHash)
            #expect(result.pdq.quality == row.fullresQuality)
        }
    }
}
