import VigilDomain
public import VigilExchange

// The three services' feedback, through the clients' own methods, with an exchange's settings and
// credential (the node's feedback worker calls these; see docs/exchanges.md, "Feedback").

extension ThreatExchangeClientMaker: ExchangeFeedbackMaker {
    /// Every verdict: true positive → `HELPFUL`, false positive → `DISAGREE_WITH_TAGS`, seen → `SAW_THIS_TOO`.
    public func takesFeedback(_ verdict: ExchangeVerdict) -> Bool { true }

    /// A reaction on each of the entry's descriptors (its `decisionReference`, the descriptor ids the
    /// threat update carried). A reaction is a state on ThreatExchange, so sending one again changes nothing.
    public func sendFeedback(_ verdict: ExchangeVerdict, on subject: FeedbackSubject, settings: [String: String], credential: String?)
        async throws(ExchangeError)
    {
        let descriptors = (subject.provenance.decisionReference ?? "").split(separator: " ").map(String.init)
        guard !descriptors.isEmpty else {
            throw .misconfigured("the entry has no ThreatExchange descriptor id (its decision reference is empty): nothing to react on")
        }
        guard let client = try makeClient(settings: settings, credential: credential) as? ThreatExchangeClient else {
            throw .misconfigured("the fb_threatexchange maker made another kind of client")
        }
        for descriptor in descriptors { try await client.sendFeedback(descriptorId: descriptor, verdict: verdict) }
    }
}

extension NCMECClientMaker: ExchangeFeedbackMaker {
    /// True positive (`<affirmative/>`) and false positive (`<negative>` with a reason); NCMEC has no "seen".
    public func takesFeedback(_ verdict: ExchangeVerdict) -> Bool { verdict != .seen }

    /// Feedback on the entry's fingerprint: the member from its `submittedBy` (`member <id> (<name>)`),
    /// the entry id its upstream id; a false positive's reason is the `negative_feedback_reason`
    /// setting, or NCMEC's only reason for the fingerprint type.
    public func sendFeedback(_ verdict: ExchangeVerdict, on subject: FeedbackSubject, settings: [String: String], credential: String?)
        async throws(ExchangeError)
    {
        let words = (subject.provenance.submittedBy ?? "").split(separator: " ")
        guard words.count >= 2, words[0] == "member", let entryId = subject.provenance.sourceItemId else {
            throw .misconfigured("the entry has no NCMEC member and entry id (submitted_by \"member <id> (<name>)\", source_item_id)")
        }
        guard let client = try makeClient(settings: settings, credential: credential) as? NCMECClient else {
            throw .misconfigured("the ncmec maker made another kind of client")
        }
        try await client.sendFeedback(
            memberId: String(words[1]), entryId: entryId, type: subject.type, verdict: verdict, reasonGuid: settings["negative_feedback_reason"])
    }
}

extension StopNCIIClientMaker: ExchangeFeedbackMaker {
    /// Every verdict: true positive → `Blocked`, false positive → `NotBlocked`, seen → `PendingReview`.
    public func takesFeedback(_ verdict: ExchangeVerdict) -> Bool { true }

    /// `SubmitFeedback` on the entry's hash; needs the credential's third part (the SubmitFeedback function key).
    public func sendFeedback(_ verdict: ExchangeVerdict, on subject: FeedbackSubject, settings: [String: String], credential: String?)
        async throws(ExchangeError)
    {
        guard let client = try makeClient(settings: settings, credential: credential) as? StopNCIIClient else {
            throw .misconfigured("the stopncii maker made another kind of client")
        }
        try await client.sendFeedback(hash: subject.value, verdict: verdict)
    }
}
