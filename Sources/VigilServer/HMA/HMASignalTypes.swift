import VigilDomain

/// HMA's signal type names and Vigil's signal types.
enum HMASignalTypes {
    /// Vigil's types under their HMA names, in answer order.
    static let all: [(name: String, type: SignalType)] = [("pdq", .pdq), ("video_md5", .md5), ("sha256", .sha256)]

    /// The Vigil type of an HMA signal type name (`md5` is accepted for `video_md5`).
    static func type(named name: String) -> SignalType? {
        switch name {
        case "pdq": .pdq
        case "video_md5", "md5": .md5
        case "sha256": .sha256
        default: nil
        }
    }

    /// The HMA name of a Vigil type.
    static func name(of type: SignalType) -> String {
        switch type {
        case .pdq: "pdq"
        case .md5: "video_md5"
        case .sha256: "sha256"
        }
    }

    /// Whether a signal type is enabled under HMA's rule: its enabled_ratio (1 unless set) is not negative.
    static func isEnabled(_ name: String, ratios: [String: Double]) -> Bool {
        (ratios[name] ?? 1) >= 0
    }

    /// HMA's content types and the signal types each hashes to.
    static let contentTypes: [(name: String, signals: [String])] = [("photo", ["pdq"]), ("video", ["video_md5"])]
}
