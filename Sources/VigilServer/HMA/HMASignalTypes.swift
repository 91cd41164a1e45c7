import VigilDomain
import VigilHash

/// HMA's content types and its rule for enabled signal types (the names themselves are
/// `VigilExchange.HMASignalNames`, the one table).
enum HMASignalTypes {
    /// Whether a signal type is enabled under HMA's rule: its enabled_ratio (1 unless set) is not negative.
    static func isEnabled(_ name: String, ratios: [String: Double]) -> Bool {
        (ratios[name] ?? 1) >= 0
    }

    /// HMA's content types and the signal types each hashes to (python-threatexchange's
    /// `VideoContent` signals: `video_md5` and the `vpdq` extension).
    static let contentTypes: [(name: String, signals: [String])] = [("photo", ["pdq"]), ("video", ["video_md5", "vpdq"])]

    /// python-threatexchange's message for a value that is not a valid signal of `type` (clients
    /// match on it): PDQ's "invalid PDQ hash", the digests' "'…' is not a valid MD5 hash"; for
    /// vPDQ, what is wrong with it.
    static func invalidMessage(_ type: SignalType, _ value: String, _ error: SignalValueError? = nil) -> String {
        switch type {
        case .pdq: "invalid PDQ hash"
        case .md5: "'\(value)' is not a valid MD5 hash"
        case .sha256: "'\(value)' is not a valid SHA256 hash"
        case .vpdq: "'\(value.prefix(80))' is not a valid vPDQ hash" + (error.map { ": \($0.description)" } ?? "")
        // Not an HMA signal type (HMASignalNames has no name for it): no HMA route reaches this.
        case .textIndicator: "'\(value.prefix(80))' is not a signal HMA looks up"
        }
    }

    /// python-threatexchange's `VPDQSimilarityInfo.pretty_str()`: `"{query:.0f}%[{compared:.0f}%]"`.
    static func vpdqDistance(_ result: VPDQMatchResult) -> String {
        func percent(_ value: Double) -> String {
            let rounded = value.rounded(.toNearestOrEven)
            return rounded.isFinite ? String(Int(rounded)) : String(value)
        }
        return "\(percent(result.queryMatchPercent))%[\(percent(result.comparedMatchPercent))%]"
    }
}
