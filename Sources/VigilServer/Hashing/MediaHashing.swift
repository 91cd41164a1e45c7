import HTTPTypes
public import VigilMedia
import VigilPipeline

/// Decodes and hashes uploaded content under the node's decoder limits, on the node's hashing
/// pool: the one place every API (`/v1`, HMA) hashes a file. Lookups and reads never wait behind
/// it (they do not run on the pool), and a full pool refuses at once.
public struct MediaHashing: Sendable {
    /// The decoder limits.
    public let limits: DecodeLimits
    /// The most pixels an image may declare per byte of its file (see ``DecompressionBombCheck``).
    public let maxPixelsPerInputByte: Int
    /// Where decoding and hashing run.
    public let pool: HashingPool
    /// How videos are hashed (see `MediaHashing+Video.swift`).
    public let video: VideoSettings
    /// The video hasher `video` describes, made once: with `video.decoder = framer` it keeps its
    /// `vigil-framer` processes running between uploads.
    let videoHasher: VideoHasher

    /// Hashing under `limits` on `pool`, videos under `video`.
    public init(limits: DecodeLimits, maxPixelsPerInputByte: Int = 100_000, pool: HashingPool, video: VideoSettings = VideoSettings()) {
        self.limits = limits
        self.maxPixelsPerInputByte = maxPixelsPerInputByte
        self.pool = pool
        self.video = video
        self.videoHasher = video.hasher
    }

    /// Hashes a file's bytes (PDQ, optionally its dihedral variants, MD5 and SHA-256) on the pool;
    /// formats the node cannot decode are a 415, broken or oversized images and decompression
    /// bombs a 422, a full pool a 503 with `Retry-After`.
    func hash(_ bytes: [UInt8], dihedral: Bool, digests: Bool = true) async throws -> MediaHashResult {
        try DecompressionBombCheck(maxPixelsPerByte: maxPixelsPerInputByte).check(bytes)
        let options = HashOptions(dihedral: dihedral, digests: digests, limits: limits)
        let outcome: Result<MediaHashResult, HashingError>
        do {
            outcome = try await pool.run { Result { () throws(HashingError) in try MediaHasher(options: options).hash(bytes: bytes) } }
        } catch let busy as HashingPool.Busy {
            throw APIError(.serviceUnavailable, code: "hashing_busy", busy.description, headers: [.retryAfter: "1"])
        }
        switch outcome {
        case .success(let result):
            return result
        case .failure(let error):
            let unsupported = error.media?.code == .unrecognisedFormat || error.media?.code == .unsupported
            throw APIError(unsupported ? .unsupportedMediaType : .unprocessableContent, code: error.code.rawValue, error.description)
        }
    }
}
