import Foundation
import Synchronization
import VigilDomain

/// The `file` exchange: a folder of files in Vigil's import formats, read in name order, a page at
/// a time. Another process drops files into the folder (written elsewhere and renamed in, so that
/// a file is whole when it appears); each is read once.
///
/// The checkpoint names the file and how many of its records (indicators, then item tombstones)
/// are applied, so a fetch that stopped (a crash, an error) resumes at the next record. A file
/// that does not parse fails the fetch with its name and the problem, before anything of it is
/// applied; a file that disappears before it was finished is passed over.
public struct FileExchangeMaker: ExchangeClientMaker {
    /// `file`.
    public let kind = "file"

    /// The settings: `folder` (required), `format`, `type`, `source`, `page_size`.
    public let settingNames: [String: String] = [
        "folder": "the folder to read (required)",
        "format": "the files' format: \(ImportFormat.allCases.map(\.rawValue).joined(separator: ", ")) (default tsv)",
        "type": "the signal type of TSV files (default pdq)",
        "source": "the organisation named in provenance for records that name none (default folder:<folder's name>)",
        "page_size": "records per page, 1 to 100000 (default 10000)",
    ]

    /// Files read once per node (a page after the first of a file does not read it again).
    let cache = FileExchangeCache()

    /// A maker.
    public init() {}

    /// A folder needs no credential.
    public var takesCredential: Bool { false }

    public func makeClient(settings: [String: String], credential: String?) throws(ExchangeError) -> any ExchangeClient {
        guard let folder = settings["folder"], !folder.isEmpty else { throw .misconfigured("a file exchange needs the setting folder") }
        let format = try settings["format"].map { (name: String) throws(ExchangeError) -> ImportFormat in
            guard let format = ImportFormat(rawValue: name) else {
                throw .misconfigured("format \"\(name)\" is unknown; formats: \(ImportFormat.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return format
        }
        let type = try settings["type"].map { (name: String) throws(ExchangeError) -> SignalType in
            guard let type = SignalType(rawValue: name) else {
                throw .misconfigured("type \"\(name)\" is unknown; types: \(SignalType.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return type
        }
        var pageSize = 10_000
        if let text = settings["page_size"] {
            guard let size = Int(text), (1...100_000).contains(size) else { throw .misconfigured("page_size must be 1 to 100000 (got \"\(text)\")") }
            pageSize = size
        }
        let source = settings["source"] ?? "folder:\((folder as NSString).lastPathComponent)"
        return FileExchangeClient(
            folder: folder, format: format ?? .tsv, signalType: type ?? .pdq, source: source, pageSize: pageSize, cache: cache)
    }
}

/// Where a file exchange stands: the file, how many of its records are applied, and whether it is done.
struct FileCheckpoint: Codable, Equatable {
    var file: String
    var record: Int
    var done: Bool
}

/// One record of a file, in the order pages take them.
enum FileUnit: Sendable {
    case record(IndicatorRecord)
    case deletion(ItemDeletion)

    /// The upstream id the unit belongs to, to keep an item's values in one page.
    var item: [String?] {
        switch self {
        case .record(let record): [record.provenance.sourceOrganisation, record.provenance.sourceItemId]
        case .deletion(let deletion): [deletion.sourceOrganisation, deletion.sourceItemId]
        }
    }
}

/// A file read whole.
struct ParsedFile: Sendable {
    var path: String
    var size: UInt64
    var modified: Date
    var units: [FileUnit]
    var issues: [ImportIssue]
    var ignored: [String: Int]
}

/// The last file a maker's clients read (a page at a time takes one file's records in turn).
final class FileExchangeCache: Sendable {
    private let last = Mutex<ParsedFile?>(nil)

    func file(path: String, size: UInt64, modified: Date) -> ParsedFile? {
        last.withLock { file in
            guard let file, file.path == path, file.size == size, file.modified == modified else { return nil }
            return file
        }
    }

    func keep(_ file: ParsedFile) {
        last.withLock { $0 = file }
    }
}

/// A client of one folder (see ``FileExchangeMaker``).
public struct FileExchangeClient: ExchangeClient {
    public var kind: String { "file" }
    let folder: String
    let format: ImportFormat
    let signalType: SignalType
    let source: String
    let pageSize: Int
    let cache: FileExchangeCache

    public func fetchPage(after checkpoint: ExchangeCheckpoint?) async throws(ExchangeError) -> ExchangePage {
        let names = try fileNames()
        var position: FileCheckpoint?
        if let checkpoint, !checkpoint.state.isEmpty {
            do {
                position = try JSONDecoder().decode(FileCheckpoint.self, from: Data(checkpoint.state.utf8))
            } catch {
                throw .malformed("the stored checkpoint is not a file exchange's (\(checkpoint.state.prefix(200)))")
            }
        }
        // The file to read now, and from which record.
        var name: String
        var offset = 0
        if let position, !position.done, names.contains(position.file) {
            name = position.file
            offset = position.record
        } else if let next = names.first(where: { $0 > (position?.file ?? "") }) {
            name = next
        } else {
            // Nothing new: the checkpoint stays.
            return ExchangePage(batch: ImportBatch(), checkpoint: checkpoint ?? ExchangeCheckpoint(state: ""), hasMore: false)
        }
        let file = try read(name)
        var end = min(file.units.count, offset + pageSize)
        // An item's values stay in one page: the next page would replace them by their upstream id.
        if end > offset, end < file.units.count {
            let item = file.units[end - 1].item
            if item[1] != nil {
                while end < file.units.count, file.units[end].item == item { end += 1 }
            }
        }
        var batch = ImportBatch()
        if offset == 0 {
            batch.issues = file.issues
            batch.ignored = file.ignored
        }
        for unit in file.units[min(offset, file.units.count)..<end] {
            switch unit {
            case .record(let record): batch.records.append(record)
            case .deletion(let deletion): batch.itemDeletions.append(deletion)
            }
        }
        let done = end >= file.units.count
        let state = FileCheckpoint(file: name, record: end, done: done)
        let text = ExchangeCursorCoding.encode(state)
        let hasMore = !done || names.contains(where: { $0 > name })
        return ExchangePage(
            batch: batch, checkpoint: ExchangeCheckpoint(state: text, timestamp: Int64(file.modified.timeIntervalSince1970)), hasMore: hasMore)
    }

    /// The folder's files (not hidden ones, not folders), by name.
    func fileNames() throws(ExchangeError) -> [String] {
        let manager = FileManager.default
        var isFolder: ObjCBool = false
        guard manager.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw .misconfigured("the folder \(folder) does not exist or is not a folder")
        }
        let names: [String]
        do {
            names = try manager.contentsOfDirectory(atPath: folder)
        } catch {
            throw .unavailable("the folder \(folder) cannot be read: \(error.localizedDescription)")
        }
        return names.filter { name in
            guard !name.hasPrefix(".") else { return false }
            var isFolder: ObjCBool = false
            return manager.fileExists(atPath: (folder as NSString).appendingPathComponent(name), isDirectory: &isFolder) && !isFolder.boolValue
        }.sorted()
    }

    /// File `name` parsed whole (from the cache when it has not changed).
    func read(_ name: String) throws(ExchangeError) -> ParsedFile {
        let path = (folder as NSString).appendingPathComponent(name)
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: path)
        } catch {
            throw .unavailable("\(name) cannot be read: \(error.localizedDescription)")
        }
        let size = (attributes[.size] as? NSNumber)?.uint64Value ?? 0
        let modified = attributes[.modificationDate] as? Date ?? Date(timeIntervalSince1970: 0)
        if let cached = cache.file(path: path, size: size, modified: modified) { return cached }
        guard let data = FileManager.default.contents(atPath: path) else { throw .unavailable("\(name) cannot be read") }
        var reader = format.makeReader(signalType: signalType, provenance: Provenance(sourceOrganisation: source))
        let batch: ImportBatch
        do {
            batch = try reader.readAll(data)
        } catch {
            throw .malformed("\(name): \(error.description)")
        }
        let units = batch.records.map(FileUnit.record) + batch.itemDeletions.map(FileUnit.deletion)
        let file = ParsedFile(path: path, size: size, modified: modified, units: units, issues: batch.issues, ignored: batch.ignored)
        cache.keep(file)
        return file
    }
}
