import VigilDomain
import VigilMatching
import VigilStore

extension MatchedEntry {
    /// The match as HMA answers it: `{"bank_content_id": …, "distance": "…"}`, the content's id
    /// (one for all its signals) and the distance as python-threatexchange prints it for the type:
    /// PDQ's Hamming distance, vPDQ's `query%[compared%]` (`"100%[50%]"`), "-" for the exact digests.
    var hmaPayload: HMAValue {
        let shown: String =
            switch entry.type {
            case .pdq: String(distance)
            case .vpdq: video.map(HMASignalTypes.vpdqDistance) ?? "-"
            // A text indicator is never an HMA match (no HMA route looks one up); "-" if one were.
            case .md5, .sha256, .textIndicator: "-"
            }
        return .object(["bank_content_id": .int(entry.content), "distance": .string(shown)])
    }
}
