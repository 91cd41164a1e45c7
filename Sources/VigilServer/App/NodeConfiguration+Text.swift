import Configuration
import VigilText

// The conversation route's keys (see NodeConfiguration's table).
extension NodeConfiguration {
    /// Reads `text.indicators-directory`, `text.max-messages`, `text.max-message-bytes`,
    /// `text.max-body-bytes` and `text.review-score`, checking each.
    ///
    /// - Throws: ``ConfigurationError`` naming the key whose value is malformed or out of range.
    mutating func readText(_ reader: ConfigReader) async throws {
        textIndicatorsDirectory = try await Self.value(reader, "text.indicators-directory", default: nil as String?) {
            try await reader.fetchString(forKey: $0)
        }
        if textIndicatorsDirectory?.isEmpty == true {
            throw ConfigurationError(key: "text.indicators-directory", problem: "must not be empty (leave it out for the shipped sets)")
        }
        var text = server.conversations
        text.maxMessages = try await Self.value(reader, "text.max-messages", default: text.maxMessages) { try await reader.fetchInt(forKey: $0) }
        guard (1...ConversationAssessor.maxMessages).contains(text.maxMessages) else {
            throw ConfigurationError(
                key: "text.max-messages", problem: "\(text.maxMessages) is not between 1 and \(ConversationAssessor.maxMessages)")
        }
        // Bytes of UTF-8 are never fewer than characters, so this keeps every text within the assessor's own limit.
        text.maxMessageBytes = try await Self.value(reader, "text.max-message-bytes", default: text.maxMessageBytes) {
            try await reader.fetchInt(forKey: $0)
        }
        guard (1...ConversationAssessor.maxMessageCharacters).contains(text.maxMessageBytes) else {
            throw ConfigurationError(
                key: "text.max-message-bytes", problem: "\(text.maxMessageBytes) is not between 1 and \(ConversationAssessor.maxMessageCharacters)")
        }
        text.maxBodyBytes = try await Self.value(reader, "text.max-body-bytes", default: text.maxBodyBytes) { try await reader.fetchInt(forKey: $0) }
        guard text.maxBodyBytes > 0 else { throw ConfigurationError(key: "text.max-body-bytes", problem: "must be positive") }
        text.reviewScore = try await Self.value(reader, "text.review-score", default: text.reviewScore) { try await reader.fetchDouble(forKey: $0) }
        guard text.reviewScore > 0, text.reviewScore <= 1 else {
            throw ConfigurationError(key: "text.review-score", problem: "\(text.reviewScore) is not more than 0 and at most 1")
        }
        server.conversations = text
    }
}
