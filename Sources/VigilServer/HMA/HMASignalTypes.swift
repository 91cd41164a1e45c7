import VigilDomain
import VigilExchange

/// HMA's signal type names and Vigil's signal types.
enum HMASignalTypes {
    /// Vigil's types under their HMA names, in answer order (the one table, ``HMASignalNames``).
    static var all: [(name: String, type: SignalType)] { HMASignalNames.all }

    /// The Vigil type of an HMA signal type name.
    static func type(named name: String) -> SignalType? { HMASignalNames.signalType(named: name) }

    /// The HMA name of a Vigil type.
    static func name(of type: SignalType) -> String { HMASignalNames.name(of: type) }

    /// Whether a signal type is enabled under HMA's rule: its enabled_ratio (1 unless set) is not negative.
    static func isEnabled(_ name: String, ratios: [String: Double]) -> Bool {
        (ratios[name] ?? 1) >= 0
    }

    /// HMA's content types and the signal types each hashes to.
    static let contentTypes: [(name: String, signals: [String])] = [("photo", ["pdq"]), ("video", ["video_md5"])]
}
