public import VigilDomain

/// The entry a verdict is about, as the exchange's service knows it: its signal and the provenance
/// the exchange's page gave it (the upstream id, the member, the descriptor ids).
public struct FeedbackSubject: Sendable, Hashable {
    /// The entry's signal type.
    public var type: SignalType
    /// The entry's value (a hash).
    public var value: String
    /// The entry's provenance, as fetched.
    public var provenance: Provenance

    /// A subject.
    public init(type: SignalType, value: String, provenance: Provenance) {
        self.type = type
        self.value = value
        self.provenance = provenance
    }
}

/// A kind of exchange whose service takes feedback (ThreatExchange reactions, NCMEC feedback,
/// StopNCII `SubmitFeedback`): which verdicts it takes, and sending one with an exchange's settings
/// and credential. The node's feedback worker finds it through the registry (a maker that is not
/// one takes no feedback: `file`, `vigil`, `sample`).
public protocol ExchangeFeedbackMaker: ExchangeClientMaker {
    /// Whether the service has a feedback for `verdict` (NCMEC has no "seen").
    func takesFeedback(_ verdict: ExchangeVerdict) -> Bool

    /// Sends `verdict` on `subject` to the service of an exchange with these settings and
    /// credential. Its errors are the fetch's (``ExchangeError``): `.unavailable` and
    /// `.rateLimited` may pass; `.unauthorized` needs a credential; `.malformed` (the service
    /// refused the request) and `.misconfigured` (an entry without the ids the service needs)
    /// do not pass by trying again.
    func sendFeedback(_ verdict: ExchangeVerdict, on subject: FeedbackSubject, settings: [String: String], credential: String?)
        async throws(ExchangeError)
}
