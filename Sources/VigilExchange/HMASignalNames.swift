public import VigilDomain
import VigilHash

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

    /// Vigil's stored value for a signal as an HMA client sends it. A `vpdq` signal is
    /// python-threatexchange's JSON list of `"pdqHex,quality,timestamp"` strings
    /// (``VPDQSignalString``; its frames are numbered 0, 1, 2, … by position), or Vigil's own vPDQ
    /// lines; either is checked against the vpdq limits and stored as lines. Others are hex. The HMA
    /// routes and the `hma-csv` reader both read signals through this.
    public static func storedValue(_ type: SignalType, _ signal: String) throws(SignalValueError) -> String {
        guard type == .vpdq, signal.utf8.first(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D }) == UInt8(ascii: "[")
        else { return try type.normalise(signal) }
        guard signal.utf8.count <= SignalValueFormat.vpdqMaxBytes else {
            throw .tooLarge(type: type, limit: "\(SignalValueFormat.vpdqMaxBytes) bytes", actual: signal.utf8.count)
        }
        let features: [VPDQFeature]
        do {
            features = try VPDQSignalString.parse(signal)
        } catch {
            throw .invalidVideoHash(error.message + " (HMA's vpdq signal is a JSON list of \"pdqHex,quality,timestamp\" strings)")
        }
        return try type.normalise(VPDQText.format(features))
    }

    /// A stored value as HMA answers it: a vpdq entry's lines as python-threatexchange's signal
    /// string, anything else as stored. The HMA routes and the `hma-csv` writer both write this.
    public static func hmaValue(_ type: SignalType, _ stored: String) -> String {
        // Stored vpdq values were checked when they were written; one that no longer parses is
        // answered as it is rather than hidden.
        guard type == .vpdq, let features = try? VPDQText.parse(stored) else { return stored }
        return VPDQSignalString.format(features)
    }
}
