import HTTPTypes
import VigilCentre
import VigilHash
import VigilMedia
import VigilPipeline

/// The Centre's PDQ of a reported file, on the node's hashing pool under its decoder limits (the
/// one place every route hashes). A file that is not an image the node decodes (another format, a
/// broken or oversized image, a decompression bomb) has no PDQ and is stored by its digests; a full
/// pool refuses the report with 503 `hashing_busy`, for the provider to retry.
struct ReportImageHashing: ImageHashing {
    let hashing: MediaHashing

    func pdq(of bytes: [UInt8]) async throws -> (hash: String, quality: Int)? {
        guard ImageFormat.sniff(bytes) != nil else { return nil }
        do {
            let result = try await hashing.hash(bytes, dihedral: false, digests: false)
            return (result.pdq.hash.hex, result.pdq.quality)
        } catch let error as APIError where error.status == .serviceUnavailable {
            throw error
        } catch {
            // Not hashable as an image: the file is kept by its exact digests alone.
            return nil
        }
    }
}
