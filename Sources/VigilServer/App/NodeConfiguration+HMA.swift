import Configuration
import Foundation
import VigilDomain
import VigilExchange

// The key of HMA's skin (see NodeConfiguration's table).
extension NodeConfiguration {
    /// Reads `hma.signal-types`: python-threatexchange's names (`pdq`, `video_md5`, `video_sha256`,
    /// `vpdq`), at least one, none twice.
    ///
    /// - Throws: ``ConfigurationError`` naming an unknown or repeated type, or an empty list.
    mutating func readHMA(_ reader: ConfigReader) async throws {
        let names = try await Self.value(reader, "hma.signal-types", default: HMASignalNames.all.map(\.name)) {
            try await reader.fetchStringArray(forKey: $0)
        }
        .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        var types: [SignalType] = []
        for name in names {
            guard let type = HMASignalNames.signalType(named: name) else {
                throw ConfigurationError(
                    key: "hma.signal-types",
                    problem: "\"\(name)\" is not a signal type; types: \(HMASignalNames.all.map(\.name).joined(separator: ", "))")
            }
            guard !types.contains(type) else { throw ConfigurationError(key: "hma.signal-types", problem: "\"\(name)\" is given twice") }
            types.append(type)
        }
        guard !types.isEmpty else { throw ConfigurationError(key: "hma.signal-types", problem: "must name at least one signal type") }
        server.hmaSignalTypes = HMASignalNames.all.map(\.type).filter(types.contains)
    }
}
