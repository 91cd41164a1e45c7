import Configuration
import VigilCentre
import VigilDomain

// A provider node's filing keys (see NodeConfiguration's table).
extension NodeConfiguration {
    /// Reads `filing.*`: nothing when `filing.centre-url` is absent; otherwise every required key,
    /// each checked.
    ///
    /// - Throws: ``ConfigurationError`` naming the key that is missing, malformed or out of range.
    mutating func readFiling(_ reader: ConfigReader) async throws {
        func text(_ key: String, secret: Bool = false) async throws -> String? {
            let value = try await Self.value(reader, key, default: nil as String?) { try await reader.fetchString(forKey: $0, isSecret: secret) }
            return value.flatMap { $0.isEmpty ? nil : $0 }
        }
        func required(_ key: String, secret: Bool = false) async throws -> String {
            guard let value = try await text(key, secret: secret) else {
                throw ConfigurationError(key: key, problem: "is required when filing.centre-url is set (reports cannot be filed without it)")
            }
            return value
        }
        guard let url = try await text("filing.centre-url") else { return }
        let lower = url.lowercased()
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://"), !url.contains(" ") else {
            throw ConfigurationError(key: "filing.centre-url", problem: "\"\(url)\" is not an http:// or https:// URL")
        }
        let apiKey = try await required("filing.api-key", secret: true)
        let keyFile = try await required("filing.signing-key-file")
        let signer: ReportSigner
        do { signer = try ReportSigner(keyFile: keyFile) } catch {
            throw ConfigurationError(key: "filing.signing-key-file", problem: error.description)
        }
        let establishment = try await text("filing.establishment")
        if let establishment, MemberState(rawValue: establishment) == nil {
            throw ConfigurationError(key: "filing.establishment", problem: "\"\(establishment)\" is not a Member State's ISO code (e.g. DE)")
        }
        let provider = ReportingProvider(
            name: try await required("filing.provider-name"), legalRepresentative: try await text("filing.legal-representative"),
            contact: try await required("filing.provider-contact"), establishment: establishment)
        var filing = FilingSettings(
            centreURL: url, apiKey: apiKey, signer: signer,
            profile: FilingProfile(provider: provider, legalBasis: try await required("filing.legal-basis")))
        filing.intervalSeconds = try await Self.value(reader, "filing.interval-seconds", default: filing.intervalSeconds) {
            try await reader.fetchDouble(forKey: $0)
        }
        guard filing.intervalSeconds >= 0.1, filing.intervalSeconds <= 3_600 else {
            throw ConfigurationError(key: "filing.interval-seconds", problem: "must be between 0.1 and 3,600 seconds")
        }
        filing.statusIntervalSeconds = try await Self.value(reader, "filing.status-interval-seconds", default: filing.statusIntervalSeconds) {
            try await reader.fetchDouble(forKey: $0)
        }
        guard filing.statusIntervalSeconds >= 1, filing.statusIntervalSeconds <= 86_400 else {
            throw ConfigurationError(key: "filing.status-interval-seconds", problem: "must be between 1 and 86,400 seconds")
        }
        server.filing = filing
    }
}
