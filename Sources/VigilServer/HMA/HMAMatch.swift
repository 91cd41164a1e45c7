import VigilDomain
import VigilMatching
import VigilStore

extension MatchedEntry {
    /// The match as HMA answers it: `{"bank_content_id": …, "distance": "…"}`, the content's id
    /// (one for all its signals) and the distance as python-threatexchange prints it for the type:
    /// PDQ's Hamming distance, "-" for the exact digests.
    var hmaPayload: HMAValue {
        .object(["bank_content_id": .int(entry.content), "distance": .string(entry.type == .pdq ? String(distance) : "-")])
    }
}
