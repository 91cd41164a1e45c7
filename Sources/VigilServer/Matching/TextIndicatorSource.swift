public import Foundation
public import VigilText

/// Where a node's text indicator sets come from. Today a folder of set files
/// (``TextIndicatorDirectory``); a store-backed source with its change feed can replace it without
/// touching the route, which only sees the ``ConversationAssessor`` built from the sets.
public protocol TextIndicatorSource: Sendable, CustomStringConvertible {
    /// Every set of the source, each read and checked.
    ///
    /// - Throws: ``TextIndicatorLoadError`` naming the file (or entry) and what is wrong with it.
    func indicatorSets() async throws(TextIndicatorLoadError) -> [IndicatorSet]
}

extension TextIndicatorSource {
    /// One assessor over every set of the source.
    ///
    /// - Throws: ``TextIndicatorLoadError`` when a set cannot be read or the sets do not fit together.
    public func assessor() async throws(TextIndicatorLoadError) -> ConversationAssessor {
        let sets = try await indicatorSets()
        do {
            return try ConversationAssessor(sets: sets)
        } catch {
            throw TextIndicatorLoadError(location: description, problem: error.message)
        }
    }
}

/// A text indicator set that cannot be loaded: the node does not start with it.
public struct TextIndicatorLoadError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file (or the source) that is wrong.
    public var location: String
    /// What is wrong with it.
    public var problem: String

    /// An error about `location`.
    public init(location: String, problem: String) {
        self.location = location
        self.problem = problem
    }

    /// What is wrong, where, and what to do.
    public var description: String {
        "text indicator set \(location): \(problem); fix or remove the file, or point text.indicators-directory "
            + "(VIGIL_TEXT_INDICATORS_DIRECTORY) at another folder"
    }
}

/// A folder of indicator set files (`vigil-text-indicators-v1` JSON, one set per `*.json` file,
/// read in name order; other files are ignored). The shipped sets are `data/text-indicators`.
public struct TextIndicatorDirectory: TextIndicatorSource {
    /// The folder.
    public var path: String

    /// The folder at `path`.
    public init(path: String) {
        self.path = path
    }

    /// The folder's path.
    public var description: String { path }

    /// The folder a node loads its sets from: the configured one (`text.indicators-directory`)
    /// when set, else the shipped `data/text-indicators` next to the binary (`executable`'s folder)
    /// or, failing that, in the working directory (a checkout); nil when none is configured and
    /// neither exists.
    public static func forNode(
        configured: String?, executable: URL? = Bundle.main.executableURL, workingDirectory: String = FileManager.default.currentDirectoryPath
    ) -> TextIndicatorDirectory? {
        if let configured { return TextIndicatorDirectory(path: configured) }
        var candidates: [URL] = []
        if let executable {
            candidates.append(executable.resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("data/text-indicators"))
        }
        candidates.append(URL(fileURLWithPath: workingDirectory).appendingPathComponent("data/text-indicators"))
        for candidate in candidates {
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isFolder), isFolder.boolValue {
                return TextIndicatorDirectory(path: candidate.path)
            }
        }
        return nil
    }

    /// Every `*.json` file of the folder as a checked set.
    ///
    /// - Throws: ``TextIndicatorLoadError`` for a folder that cannot be read or holds no set, a file
    ///   that is not a valid set (naming it and the problem), or two files with the same set id.
    public func indicatorSets() throws(TextIndicatorLoadError) -> [IndicatorSet] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: path)
        } catch {
            throw TextIndicatorLoadError(location: path, problem: "the folder cannot be read (\(error.localizedDescription))")
        }
        let files = names.filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.sorted()
        guard !files.isEmpty else {
            throw TextIndicatorLoadError(location: path, problem: "the folder holds no indicator set (*.json)")
        }
        var sets: [IndicatorSet] = []
        var seen: [String: String] = [:]
        for name in files {
            let file = URL(fileURLWithPath: path).appendingPathComponent(name).path
            let data: Data
            do {
                data = try Data(contentsOf: URL(fileURLWithPath: file))
            } catch {
                throw TextIndicatorLoadError(location: file, problem: "cannot be read (\(error.localizedDescription))")
            }
            let set: IndicatorSet
            do {
                set = try IndicatorSet.read(data)
            } catch {
                throw TextIndicatorLoadError(location: file, problem: error.message)
            }
            if let other = seen[set.id] {
                throw TextIndicatorLoadError(location: file, problem: "its id \"\(set.id)\" is also the id of \(other)")
            }
            seen[set.id] = file
            sets.append(set)
        }
        return sets
    }
}
