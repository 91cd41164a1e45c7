import ArgumentParser
import Foundation
import VigilHash
import VigilIndex
import VigilPipeline

/// `vigil match`: look hashes or images up in an index file.
struct MatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "match",
        abstract: "Find every index entry within a Hamming radius of each query.",
        discussion: """
            A query is a 64-hex PDQ hash or an image path (hashed with the full convention). With \
            no queries, they are read from standard input, one per line. --dihedral also searches \
            the 7 rotations and flips of image queries (a bare hash has no pixels to transform, so \
            it is searched as given) and reports which variant matched.
            """
    )

    @Option(help: "The index file (from `vigil index build`).")
    var index: String

    @Option(help: "Match radius in bits, 0...256 (PDQ's usual threshold is 31).")
    var radius = HammingIndex.defaultRadius

    @Flag(help: "Also search the rotated and flipped variants of image queries.")
    var dihedral = false

    @Flag(help: "Print JSON Lines instead of a table.")
    var json = false

    @Argument(help: "Hashes or image paths; standard input when none.")
    var queries: [String] = []

    func validate() throws {
        guard (0...256).contains(radius) else { throw ValidationError("--radius must be 0...256") }
    }

    func run() throws {
        let loaded: HammingIndex
        do {
            loaded = try HammingIndex.load(fromFile: index)
        } catch {
            throw ValidationError(error.description)
        }
        let hasher = MediaHasher(options: HashOptions(dihedral: dihedral, digests: false))
        let workspace = MediaWorkspace()
        var failures = 0
        var output = ""
        func flush(force: Bool) {
            if force || output.utf8.count > 1 << 16 {
                FileHandle.standardOutput.write(Data(output.utf8))
                output = ""
            }
        }
        func handle(_ query: String) {
            do {
                let variants = try Self.variants(of: query, hasher: hasher, workspace: workspace)
                let found = try loaded.search(variants: variants, radius: radius)
                output += render(query: query, found: found)
            } catch let error as QueryFailure {
                failures += 1
                output += renderError(query: query, code: error.code, message: error.message)
            } catch {
                failures += 1
                output += renderError(query: query, code: "error", message: String(describing: error))
            }
            flush(force: false)
        }
        if queries.isEmpty {
            while let line = readLine() {
                let query = line.trimmingCharacters(in: .whitespaces)
                if !query.isEmpty { handle(query) }
            }
        } else {
            queries.forEach(handle)
        }
        flush(force: true)
        if failures > 0 {
            FileHandle.standardError.write(Data("vigil match: \(failures) query(ies) failed\n".utf8))
            throw ExitCode(1)
        }
    }

    struct QueryFailure: Error {
        let code: String
        let message: String
    }

    /// The hashes to search for one query: the hash itself, or an image's (8 with --dihedral).
    static func variants(of query: String, hasher: MediaHasher, workspace: MediaWorkspace) throws -> [SIMD4<UInt64>] {
        let looksLikeHash = query.utf8.count == 64 && query.utf8.allSatisfy { hexDigit($0) }
        if looksLikeHash, let hash = PDQHash(hex: query) {
            return [hash.words]
        }
        guard FileManager.default.fileExists(atPath: query) else {
            if query.utf8.allSatisfy({ hexDigit($0) }) {
                throw QueryFailure(code: "malformed_hash", message: "a PDQ hash is 64 hex digits; this has \(query.utf8.count)")
            }
            throw QueryFailure(code: "not_found", message: "not a 64-hex hash and no such file")
        }
        do {
            let result = try hasher.hash(fileAt: query, workspace: workspace)
            return (result.dihedral ?? [result.pdq.hash]).map(\.words)
        } catch {
            throw QueryFailure(code: error.code.rawValue, message: error.description)
        }
    }

    static func hexDigit(_ byte: UInt8) -> Bool {
        HashListFile.hexNibble(byte) != nil
    }

    func render(query: String, found: [(match: IndexMatch, variant: Int)]) -> String {
        if json {
            var line = JSONLine()
            line.add("query", query)
            line.add(
                "matches",
                objects: found.map { item in
                    var match = JSONLine()
                    match.addUnsigned("id", item.match.id)
                    match.add("distance", item.match.distance)
                    match.add("variant", PDQDihedral(rawValue: item.variant)?.name ?? "orig")
                    return match
                })
            return line.rendered + "\n"
        }
        if found.isEmpty { return "\(query)\t-\t-\t-\n" }
        return found.map { "\(query)\t\($0.match.id)\t\($0.match.distance)\t\(PDQDihedral(rawValue: $0.variant)?.name ?? "orig")\n" }.joined()
    }

    func renderError(query: String, code: String, message: String) -> String {
        if json {
            var detail = JSONLine()
            detail.add("code", code)
            detail.add("message", message)
            var line = JSONLine()
            line.add("query", query)
            line.add("error", object: detail)
            return line.rendered + "\n"
        }
        FileHandle.standardError.write(Data("vigil match: \(query): \(code): \(message)\n".utf8))
        return ""
    }
}
