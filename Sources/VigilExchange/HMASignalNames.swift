public import VigilDomain

/// The one table of HMA's signal type names (python-threatexchange's `SignalType.get_name()`) and
/// Vigil's types, used by the HMA routes and by HMA's CSV format alike.
public enum HMASignalNames {
    /// Vigil's types under their HMA names, in answer order.
    public static let all: [(name: String, type: SignalType)] = [
        ("pdq", .pdq), ("video_md5", .md5), ("video_sha256", .sha256), ("vpdq", .vpdq),
    ]

    /// The Vigil type for an HMA name (`vpdq` is python-threatexchange's vPDQ extension), or nil for
    /// types Vigil does not hold (`raw_text`, `url`,
    /// `url_md5`, `trend_query`, ...). Vigil's own names (`md5`) and python-threatexchange's
    /// `video_sha256` are accepted too, in any case.
    public static func signalType(named name: String) -> SignalType? {
        switch name.lowercased() {
        case "pdq": .pdq
        case "video_md5", "md5": .md5
        case "video_sha256", "sha256": .sha256
        case "vpdq": .vpdq
        default: nil
        }
    }

    /// The HMA name of a Vigil type (what the HMA routes answer and HMA CSV files carry).
    public static func name(of type: SignalType) -> String {
        all.first { $0.type == type }?.name ?? type.rawValue
    }
}
