/// The limits and the review threshold of `POST /v1/match/conversation` (the `text.*` settings).
public struct ConversationSettings: Sendable, Hashable {
    /// The most messages in one request (`text.max-messages`, at most ``ConversationAssessor/maxMessages``).
    public var maxMessages = 1_000
    /// The most bytes of UTF-8 in one message's text (`text.max-message-bytes`, at most
    /// ``ConversationAssessor/maxMessageCharacters``).
    public var maxMessageBytes = 4_096
    /// The largest request body, in bytes (`text.max-body-bytes`; the node's `http.max-body-bytes`
    /// still applies above it). The default fits a conversation at both limits above.
    public var maxBodyBytes = 8 << 20
    /// The score from which an answer says `review_required` (`text.review-score`): 0.3, where
    /// `medium` starts, so that medium and high conversations go to a person.
    public var reviewScore = 0.3

    /// The defaults: 1,000 messages of 4,096 bytes, 8 MiB bodies, review from 0.3.
    public init() {}
}
