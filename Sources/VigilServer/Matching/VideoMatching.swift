import Foundation
import VigilAPI
import VigilDomain
import VigilHash
import VigilMatching
import VigilMedia
import VigilPipeline

// Videos on the node's upload and lookup routes: an uploaded (or fetched) video is hashed with
// vPDQ and matched against vpdq entries and by its digests; the answer has the images' shape, with
// the query % and compared % of frames and an explanation per match.

extension MatchingController {
    /// Hashes a video upload (``MediaHashing/hashVideo(_:)``) and matches its vPDQ against the vpdq
    /// entries, and its MD5 and SHA-256 against the digest entries, of the lists among `names`
    /// (all when nil). The query echoes the video's vPDQ, its frame count and digests.
    func matchVideo(_ bytes: [UInt8], lists names: [String]?, query extra: [String: String]) async throws -> MatchOutcome {
        let hashed = try await hashing.hashVideo(bytes)
        var query = extra
        query["vpdq"] = hashed.result.text
        query["frames_hashed"] = String(hashed.result.features.count)
        query["md5"] = hashed.digests.md5
        query["sha256"] = hashed.digests.sha256
        if let damage = hashed.result.damage { query["damage"] = damage.message }
        let request = MatchRequest(
            vpdq: hashed.result.features, digests: [(.md5, hashed.digests.md5), (.sha256, hashed.digests.sha256)],
            lists: names.map(ListChoice.named) ?? .all)
        return try await serviceCall { try await matching.match(request, query: query) }
    }

    /// The lookup of a vPDQ value given as text (`{"type":"vpdq","value":…}`), already normalised.
    static func videoRequest(_ value: String) throws -> MatchRequest {
        do {
            return MatchRequest(vpdq: try VPDQText.parse(value))
        } catch {
            throw APIError.badRequest("malformed_hash", error.message)
        }
    }
}

/// Why a video matched a vpdq entry, in words, from its two shares of matching frames.
enum VideoMatchExplanation {
    /// For example "92.3 % of the video's distinct frame hashes (quality ≥ 50) are within 31 bits of
    /// one of the entry's, and 50.0 % of the entry's of one of the video's".
    static func text(_ result: VPDQMatchResult) -> String {
        let query = String(format: "%.1f", result.queryMatchPercent)
        let compared = String(format: "%.1f", result.comparedMatchPercent)
        return "\(query) % of the video's distinct frame hashes (quality at least 50) are within 31 bits of one of the entry's, "
            + "and \(compared) % of the entry's are within 31 bits of one of the video's"
    }
}

extension Components.Schemas.Hashes {
    /// A hashed video: its vPDQ, its stream's size and container, and the digests of its bytes.
    init(_ video: HashedVideo) {
        self.init(
            md5: video.digests.md5, sha256: video.digests.sha256, width: video.result.info.width, height: video.result.info.height,
            format: video.result.info.container.rawValue, vpdq: video.result.text, framesHashed: video.result.features.count,
            frameStep: video.result.frameStep, damage: video.result.damage?.message)
    }
}
