import ArgumentParser
import Foundation
import VigilIndex

/// `vigil index`: build and inspect snapshot files of hash lists.
struct IndexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Build and inspect exact Hamming-radius index files.",
        subcommands: [Build.self, Info.self]
    )

    struct Build: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Build an index file from a list of PDQ hashes.",
            discussion: """
                FILE has one hash per line: 64 hex digits, optionally a tab and an unsigned 64-bit \
                id (default: the line number). Blank lines and lines starting with # are skipped. \
                Bad lines are reported with their line numbers and left out, unless --strict.
                """
        )

        @Option(help: "The hash list (HEX[<TAB>ID] per line).")
        var hashes: String

        @Option(help: "Where to write the index file.")
        var out: String

        @Flag(help: "Refuse to build if any line is bad.")
        var strict = false

        func run() throws {
            let started = ContinuousClock.now
            let parsed: HashListFile.Parsed
            do {
                parsed = try HashListFile.read(path: hashes)
            } catch {
                throw ValidationError(String(describing: error))
            }
            for bad in parsed.bad.prefix(50) {
                FileHandle.standardError.write(Data("vigil index build: \(hashes): \(bad)\n".utf8))
            }
            if parsed.bad.count > 50 {
                FileHandle.standardError.write(Data("vigil index build: … and \(parsed.bad.count - 50) more bad lines\n".utf8))
            }
            if strict && !parsed.bad.isEmpty {
                FileHandle.standardError.write(Data("vigil index build: \(parsed.bad.count) bad line(s); nothing written (--strict)\n".utf8))
                throw ExitCode(1)
            }
            let index = try HammingIndex(hashes: parsed.hashes, ids: parsed.ids)
            try index.write(toFile: out)
            let seconds = (ContinuousClock.now - started).seconds
            print(
                String(
                    format: "built %@: %d entries, %d substrings, %.1f bytes per entry, %d bad line(s) skipped, %.2f s",
                    out, index.count, index.substringCount, Double(index.memoryFootprint) / Double(max(index.count, 1)),
                    parsed.bad.count, seconds))
        }
    }

    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check an index file and print its shape.")

        @Argument(help: "The index file.")
        var path: String

        func run() throws {
            let started = ContinuousClock.now
            let index = try HammingIndex.load(fromFile: path)
            print(
                String(
                    format: "%@: %d entries, %d substrings, %d bytes (%.1f per entry), list tags: %@, verified and loaded in %.2f s",
                    path, index.count, index.substringCount, index.memoryFootprint,
                    Double(index.memoryFootprint) / Double(max(index.count, 1)), index.hasLists ? "yes" : "no",
                    (ContinuousClock.now - started).seconds))
        }
    }
}

extension Duration {
    /// The duration in seconds, as a floating-point number.
    var seconds: Double {
        let (whole, fraction) = components
        return Double(whole) + Double(fraction) / 1e18
    }
}
