import Crypto
import Foundation
import VigilHex
public import VigilStore

/// Why content could not be sealed, opened or its key rewrapped.
public struct ContentKeyError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong and what to do.
    public var message: String

    /// An error.
    public init(_ message: String) {
        self.message = message
    }

    /// The message.
    public var description: String { message }
}

/// A master key: the AES-256 key that wraps the files' own keys. Its ``id`` is stored beside each
/// wrapped key, so that a rotation finds what it has not rewrapped yet; the key itself is never stored.
public struct MasterKey: Sendable {
    /// The key's id: `mk-` and the first 16 hex digits of the SHA-256 of a label and the key.
    public let id: String
    /// The key's bytes (kept as bytes: the key type is not `Sendable`).
    private let bytes: [UInt8]
    /// The key.
    var key: SymmetricKey { SymmetricKey(data: bytes) }

    /// A master key from its 32 bytes.
    public init(bytes: [UInt8]) throws(ContentKeyError) {
        guard bytes.count == 32 else { throw ContentKeyError("a master key is 32 bytes (256 bits); this one has \(bytes.count)") }
        self.init(validated: bytes)
    }

    private init(validated bytes: [UInt8]) {
        self.bytes = bytes
        id = Self.id(of: bytes)
    }

    /// A master key from its base64 text (as `vigil keys generate-master` writes it).
    public init(base64 text: String) throws(ContentKeyError) {
        guard let data = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw ContentKeyError("a master key is 32 bytes in base64; this text is not base64")
        }
        try self.init(bytes: Array(data))
    }

    /// A new random key.
    public static func generate() -> MasterKey {
        MasterKey(validated: SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) })
    }

    /// The key as base64 text, to be written to a file only its owner can read.
    public var base64: String { Data(bytes).base64EncodedString() }

    static func id(of bytes: [UInt8]) -> String {
        "mk-" + Hex.encode(SHA256.hash(data: Array("vigil-master-key-id\u{0}".utf8) + bytes).prefix(8))
    }
}

/// The master keys a node holds: the current one, which wraps every new file key, and older ones
/// it can still unwrap with (until `vigil keys rotate-master` has rewrapped everything).
public struct MasterKeyring: Sendable {
    /// The key new file keys are wrapped with.
    public let current: MasterKey
    /// Older keys, for unwrapping only.
    public let retired: [MasterKey]

    /// A keyring.
    public init(current: MasterKey, retired: [MasterKey] = []) {
        self.current = current
        self.retired = retired.filter { $0.id != current.id }
    }

    /// A keyring from a key file's text: one base64 key per line, the first the current one, the
    /// others retired; empty lines and lines starting with `#` are skipped.
    public init(fileText: String) throws(ContentKeyError) {
        var keys: [MasterKey] = []
        for (number, line) in fileText.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.isEmpty || text.hasPrefix("#") { continue }
            do {
                keys.append(try MasterKey(base64: text))
            } catch {
                throw ContentKeyError("line \(number + 1) of the master key file: \(error.message)")
            }
        }
        guard let first = keys.first else { throw ContentKeyError("the master key file holds no key (one base64 key per line)") }
        self.init(current: first, retired: Array(keys.dropFirst()))
    }

    /// The key with this id, if the ring holds it.
    public func key(id: String) -> MasterKey? {
        current.id == id ? current : retired.first { $0.id == id }
    }
}

/// Seals and opens files' bytes: AES-256-GCM under a fresh key per file, that key wrapped by the
/// current master key (AES key wrap, RFC 3394). The authenticated data binds the ciphertext to the
/// file's SHA-256, so sealed bytes moved to another file's row do not open.
public struct ContentVault: Sendable {
    /// The master keys.
    public let keyring: MasterKeyring

    /// A vault over `keyring`.
    public init(keyring: MasterKeyring) {
        self.keyring = keyring
    }

    /// `bytes` sealed, bound to their SHA-256 (lower-case hex).
    public func seal(_ bytes: [UInt8], sha256: String) throws(ContentKeyError) -> SealedContent {
        try seal(bytes, binding: Self.binding(sha256))
    }

    /// The bytes of `sealed`, checked against their SHA-256.
    public func open(_ sealed: SealedContent, sha256: String) throws(ContentKeyError) -> [UInt8] {
        try open(sealed, binding: Self.binding(sha256), failure: "the stored file does not decrypt: it was altered, or belongs to another file")
    }

    /// A secret (an exchange's credential) sealed by the same rule as files, bound to `context`
    /// (e.g. `exchange:NAME`) so that it opens only for what it was sealed for.
    public func sealSecret(_ secret: String, context: String) throws(ContentKeyError) -> SealedContent {
        try seal(Array(secret.utf8), binding: Self.secretBinding(context))
    }

    /// The secret of `sealed`, sealed for `context`.
    public func openSecret(_ sealed: SealedContent, context: String) throws(ContentKeyError) -> String {
        let bytes = try open(
            sealed, binding: Self.secretBinding(context),
            failure: "the stored credential does not decrypt for \(context): it was altered, or sealed for something else; set it again")
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `bytes` under a fresh key (AES-256-GCM, authenticating `binding`), that key wrapped by the current master key.
    func seal(_ bytes: [UInt8], binding: [UInt8]) throws(ContentKeyError) -> SealedContent {
        let fileKey = SymmetricKey(size: .bits256)
        do {
            let box = try AES.GCM.seal(bytes, using: fileKey, authenticating: binding)
            guard let combined = box.combined else { throw ContentKeyError("AES-GCM gave no combined form") }
            let wrapped = try AES.KeyWrap.wrap(fileKey, using: keyring.current.key)
            return SealedContent(masterKeyId: keyring.current.id, wrappedKey: Array(wrapped), ciphertext: Array(combined))
        } catch let error as ContentKeyError {
            throw error
        } catch {
            throw ContentKeyError("the bytes could not be encrypted: \(error)")
        }
    }

    /// The bytes of `sealed`, authenticated with `binding`; `failure` when they do not decrypt.
    func open(_ sealed: SealedContent, binding: [UInt8], failure: String) throws(ContentKeyError) -> [UInt8] {
        let fileKey = try unwrap(sealed.wrappedKey, masterKeyId: sealed.masterKeyId)
        do {
            let box = try AES.GCM.SealedBox(combined: sealed.ciphertext)
            return Array(try AES.GCM.open(box, using: fileKey, authenticating: binding))
        } catch {
            throw ContentKeyError(failure)
        }
    }

    /// `key` rewrapped by the current master key (the file's bytes are not touched).
    public func rewrap(_ key: WrappedFileKey) throws(ContentKeyError) -> WrappedFileKey {
        let fileKey = try unwrap(key.wrappedKey, masterKeyId: key.masterKeyId)
        do {
            let wrapped = try AES.KeyWrap.wrap(fileKey, using: keyring.current.key)
            return WrappedFileKey(fileId: key.fileId, masterKeyId: keyring.current.id, wrappedKey: Array(wrapped))
        } catch {
            throw ContentKeyError("a file key could not be rewrapped: \(error)")
        }
    }

    private func unwrap(_ wrapped: [UInt8], masterKeyId: String) throws(ContentKeyError) -> SymmetricKey {
        guard let master = keyring.key(id: masterKeyId) else {
            throw ContentKeyError(
                "the file's key is wrapped by master key \(masterKeyId), which this node does not hold: add it to the master key file (after the current key)"
            )
        }
        do {
            return try AES.KeyWrap.unwrap(wrapped, using: master.key)
        } catch {
            throw ContentKeyError("the file's key does not unwrap with master key \(masterKeyId): the stored key was altered")
        }
    }

    static func binding(_ sha256: String) -> [UInt8] {
        Array("vigil-content-v1\u{0}".utf8) + Array(sha256.utf8)
    }

    static func secretBinding(_ context: String) -> [UInt8] {
        Array("vigil-secret-v1\u{0}".utf8) + Array(context.utf8)
    }
}
