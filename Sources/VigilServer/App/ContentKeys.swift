import Foundation
public import VigilCentre

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a node's master keys come from: `content.master-key` (base64 keys, comma-separated) when
/// set, else the file `content.master-key-file`, else `master.key` in the data folder, which is made
/// (32 random bytes, base64, mode 0600) when absent. A configured file that is missing is an error:
/// a node must never start with a new key while its files are wrapped by another.
public enum ContentKeys {
    /// The node's keyring, and whether this call made a new key file (to be logged).
    ///
    /// - Throws: ``ContentKeyError`` naming the file or setting that is wrong.
    public static func keyring(for configuration: NodeConfiguration) throws(ContentKeyError) -> (keyring: MasterKeyring, created: String?) {
        if let text = configuration.contentMasterKey {
            let lines = text.split(separator: ",").joined(separator: "\n")
            do {
                return (try MasterKeyring(fileText: lines), nil)
            } catch {
                throw ContentKeyError("content.master-key: \(error.message)")
            }
        }
        let configured = configuration.contentMasterKeyFile
        let path = configured ?? (configuration.dataDirectory as NSString).appendingPathComponent("master.key")
        if !FileManager.default.fileExists(atPath: path) {
            guard configured == nil else {
                throw ContentKeyError("content.master-key-file \(path) does not exist: restore it, or make one with `vigil keys generate-master`")
            }
            try create(path)
            return (try read(path), path)
        }
        return (try read(path), nil)
    }

    static func read(_ path: String) throws(ContentKeyError) -> MasterKeyring {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ContentKeyError("the master key file \(path) cannot be read: \(error.localizedDescription)")
        }
        do {
            return try MasterKeyring(fileText: text)
        } catch {
            throw ContentKeyError("\(path): \(error.message)")
        }
    }

    /// Writes a new key to `path`, readable by its owner only, and flushes it to disk.
    static func create(_ path: String) throws(ContentKeyError) {
        let folder = (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: folder.isEmpty ? "." : folder, withIntermediateDirectories: true)
        } catch {
            throw ContentKeyError("the folder of \(path) cannot be made: \(error.localizedDescription)")
        }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else { throw ContentKeyError("the master key file \(path) cannot be created (errno \(errno))") }
        defer { close(descriptor) }
        let bytes = Array((MasterKey.generate().base64 + "\n").utf8)
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(descriptor) == 0 else {
            throw ContentKeyError("the master key file \(path) could not be written (errno \(errno))")
        }
    }
}
