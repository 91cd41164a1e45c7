import VigilMatching
import VigilStore

extension MatchedEntry {
    /// The match as HMA answers it: `{"bank_content_id": …, "distance": "…"}`.
    var hmaPayload: HMAValue {
        .object(["bank_content_id": .int(entry.id), "distance": .string(String(distance))])
    }
}
