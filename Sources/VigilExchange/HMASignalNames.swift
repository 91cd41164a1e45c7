public import VigilDomain

/// The signal type names python-threatexchange and HMA use (`SignalType.get_name()`: `pdq`,
/// `video_md5`, `video_sha256`, ...) mapped to Vigil's types.
public enum HMASignalNames {
    /// The Vigil type for a python-threatexchange name, or nil for types Vigil does not hold
    /// (`raw_text`, `url`, `url_md5`, `trend_query`, ...). Vigil's own names are accepted too.
    public static func signalType(named name: String) -> SignalType? {
        switch name.lowercased() {
        case "pdq": .pdq
        case "video_md5", "md5": .md5
        case "video_sha256", "sha256": .sha256
        default: nil
        }
    }

    /// The name written on export: Vigil's name, which is also python-threatexchange's for PDQ
    /// (`md5` and `sha256` digests are of any file, not only video, so they keep Vigil's names).
    public static func name(of type: SignalType) -> String { type.rawValue }
}
