import Foundation

/// The processor's feature flags as Linux lists them (the `flags` line of `/proc/cpuinfo`: `avx2`,
/// `popcnt`, …), for tests that check the C kernels pick their variant by the processor.
public enum ProcessorFlags {
    /// The flags of the first processor; empty where `/proc/cpuinfo` has no `flags` line (not
    /// Linux, or not x86).
    public static func linux() throws -> Set<String> {
        let cpuinfo = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        guard let line = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return [] }
        return Set(line.split(separator: " ").map(String.init))
    }
}
