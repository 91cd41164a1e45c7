import Configuration
import Foundation
import VigilClassifier
import VigilDomain

// The classifier's keys (see NodeConfiguration's table and docs/classifier.md).
extension NodeConfiguration {
    /// Reads `classifier.*`: nothing is configured without `classifier.url`, and then every other
    /// key is checked.
    ///
    /// - Throws: ``ConfigurationError`` naming the key whose value is malformed or out of range.
    mutating func readClassifier(_ reader: ConfigReader) async throws {
        let url = try await Self.value(reader, "classifier.url", default: nil as String?) { try await reader.fetchString(forKey: $0) }
        guard let url = url?.trimmingCharacters(in: .whitespaces), !url.isEmpty else {
            server.classifier = nil
            return
        }
        if let problem = Self.classifierURLProblem(url) { throw ConfigurationError(key: "classifier.url", problem: problem) }
        var settings = ClassifierSettings(url: url)
        let timeout = try await Self.value(reader, "classifier.timeout", default: 5.0) { try await reader.fetchDouble(forKey: $0) }
        guard timeout > 0, timeout <= 300 else {
            throw ConfigurationError(key: "classifier.timeout", problem: "\(timeout) seconds is not more than 0 and at most 300")
        }
        settings.timeout = .milliseconds(Int64((timeout * 1000).rounded(.up)))
        settings.maxConcurrent = try await Self.value(reader, "classifier.max-concurrent", default: settings.maxConcurrent) {
            try await reader.fetchInt(forKey: $0)
        }
        guard (1...10_000).contains(settings.maxConcurrent) else {
            throw ConfigurationError(key: "classifier.max-concurrent", problem: "\(settings.maxConcurrent) is not between 1 and 10,000")
        }
        settings.failureThreshold = try await Self.value(reader, "classifier.failure-threshold", default: settings.failureThreshold) {
            try await reader.fetchInt(forKey: $0)
        }
        guard (1...10_000).contains(settings.failureThreshold) else {
            throw ConfigurationError(key: "classifier.failure-threshold", problem: "\(settings.failureThreshold) is not between 1 and 10,000")
        }
        settings.coolDown = try await Self.value(reader, "classifier.cool-down", default: settings.coolDown) {
            try await reader.fetchDouble(forKey: $0)
        }
        guard settings.coolDown > 0, settings.coolDown <= 86_400 else {
            throw ConfigurationError(key: "classifier.cool-down", problem: "\(settings.coolDown) seconds is not more than 0 and at most 86,400")
        }
        settings.maxInputBytes = try await Self.value(reader, "classifier.max-input-bytes", default: settings.maxInputBytes) {
            try await reader.fetchInt(forKey: $0)
        }
        guard (1...(1 << 30)).contains(settings.maxInputBytes) else {
            throw ConfigurationError(key: "classifier.max-input-bytes", problem: "\(settings.maxInputBytes) is not between 1 and 1 GiB")
        }
        let thresholds = try await Self.value(reader, "classifier.review-threshold", default: "0.9") { try await reader.fetchString(forKey: $0) }
        settings.reviewThresholds = try Self.reviewThresholds(thresholds)
        server.classifier = settings
    }

    /// What is wrong with a classifier URL (nil: nothing): http(s), a host, no credentials.
    static func classifierURLProblem(_ url: String) -> String? {
        do {
            _ = try OutboundURL(url)
            return nil
        } catch {
            return "\(error)"
        }
    }

    static func thresholdError(_ problem: String) -> ConfigurationError {
        ConfigurationError(key: "classifier.review-threshold", problem: problem)
    }

    /// Reads `0.9`, `nudity=0.8,violence=0.95` or `0.9,nudity=0.8`: an optional default first, then
    /// per-label thresholds, each a number in (0, 1].
    static func reviewThresholds(_ text: String) throws(ConfigurationError) -> ReviewThresholds {
        var thresholds = ReviewThresholds()
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        func number(_ text: String, for what: String) throws(ConfigurationError) -> Double {
            guard let value = Double(text), value.isFinite, value > 0, value <= 1 else {
                throw Self.thresholdError("the threshold of \(what), \"\(text.prefix(40))\", is not a number more than 0 and at most 1")
            }
            return value
        }
        for (index, part) in parts.enumerated() {
            guard !part.isEmpty else { throw Self.thresholdError("an empty item (write 0.9, label=0.8, …)") }
            if let equals = part.firstIndex(of: "=") {
                let label = String(part[..<equals]).trimmingCharacters(in: .whitespaces)
                guard ClassifierWire.isLabel(label) else {
                    throw Self.thresholdError("\"\(label.prefix(40))\" is not a label (1 to 128 of A-Z a-z 0-9 . _ : -)")
                }
                guard thresholds.perLabel[label] == nil else { throw Self.thresholdError("\(label) is given twice") }
                thresholds.perLabel[label] = try number(String(part[part.index(after: equals)...]).trimmingCharacters(in: .whitespaces), for: label)
            } else {
                guard index == 0 else { throw Self.thresholdError("the default threshold comes first (0.9,label=0.8)") }
                thresholds.default = try number(part, for: "every label")
            }
        }
        return thresholds
    }
}
