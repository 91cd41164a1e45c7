import HTTPTypes
public import VigilMedia
import VigilPipeline

/// Decodes and hashes uploaded content under the node's decoder limits: the one place every API
/// (`/v1`, HMA) hashes a file.
public struct MediaHashing: Sendable {
    /// The decoder limits.
    public let limits: DecodeLimits

    /// Hashing under `limits`.
    public init(limits: DecodeLimits) {
        self.limits = limits
    }

    /// Hashes a file's bytes (PDQ, optionally its dihedral variants, MD5 and SHA-256); formats the
    /// node cannot decode are a 415, broken or oversized images a 422.
    func hash(_ bytes: [UInt8], dihedral: Bool) throws -> MediaHashResult {
        do {
            return try MediaHasher(options: HashOptions(dihedral: dihedral, limits: limits)).hash(bytes: bytes)
        } catch {
            let unsupported = error.media?.code == .unrecognisedFormat || error.media?.code == .unsupported
            throw APIError(unsupported ? .unsupportedMediaType : .unprocessableContent, code: error.code.rawValue, error.description)
        }
    }
}
