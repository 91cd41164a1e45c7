/// HMA's content types and its rule for enabled signal types (the names themselves are
/// `VigilExchange.HMASignalNames`, the one table).
enum HMASignalTypes {
    /// Whether a signal type is enabled under HMA's rule: its enabled_ratio (1 unless set) is not negative.
    static func isEnabled(_ name: String, ratios: [String: Double]) -> Bool {
        (ratios[name] ?? 1) >= 0
    }

    /// HMA's content types and the signal types each hashes to.
    static let contentTypes: [(name: String, signals: [String])] = [("photo", ["pdq"]), ("video", ["video_md5"])]
}
