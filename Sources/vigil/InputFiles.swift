import Foundation

/// One file to process, and whether the user named it (rather than it being found in a folder).
struct InputFile: Sendable {
    let path: String
    let named: Bool
}

/// Why the command line's paths could not be expanded.
struct InputPathError: Error, CustomStringConvertible {
    let path: String
    var description: String { "\(path): no such file or folder; check the path" }
}

enum InputFiles {
    /// Expands files and folders (recursively, sorted, hidden entries skipped) into a list of
    /// files, in command-line order.
    static func expand(_ paths: [String]) throws -> [InputFile] {
        let manager = FileManager.default
        var files: [InputFile] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw InputPathError(path: path)
            }
            guard isDirectory.boolValue else {
                files.append(InputFile(path: path, named: true))
                continue
            }
            let root = URL(fileURLWithPath: path)
            guard
                let enumerator = manager.enumerator(
                    at: root, includingPropertiesForKeys: [.isRegularFileKey], options: [.skipsHiddenFiles])
            else { throw InputPathError(path: path) }
            var found: [String] = []
            for case let url as URL in enumerator {
                if (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
                    found.append(joined(path, relative: url.path, root: root.path))
                }
            }
            files += found.sorted().map { InputFile(path: $0, named: false) }
        }
        return files
    }

    /// Keeps the user's spelling of the folder and appends the part below it.
    private static func joined(_ folder: String, relative absolute: String, root: String) -> String {
        guard absolute.hasPrefix(root) else { return absolute }
        var rest = String(absolute.dropFirst(root.count))
        if rest.hasPrefix("/") { rest.removeFirst() }
        return folder.hasSuffix("/") ? folder + rest : folder + "/" + rest
    }
}
