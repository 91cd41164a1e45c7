/// Why an analyst found a report manifestly unfounded (sent back to the provider with the text).
public enum UnfoundedReason: String, Sendable, Codable, CaseIterable, Hashable {
    /// The material is not child sexual abuse material, or the conversation not solicitation.
    case notAbuse = "not_abuse"
    /// Too little in the report to act on, even after asking.
    case insufficientInformation = "insufficient_information"
    /// The same incident was already reported and assessed.
    case duplicate
    /// Outside the Regulation's scope (no link to the Union).
    case outOfScope = "out_of_scope"
    /// A test or a mistake of the provider.
    case providerError = "provider_error"
}

/// What an analyst decides about a report.
public enum AssessmentDecision: Sendable, Hashable {
    /// Refer it to the competent police and Europol.
    case forward
    /// Manifestly unfounded: tell the provider why.
    case unfounded(UnfoundedReason, explanation: String)
    /// Ask the provider for more information before deciding.
    case requestInformation(question: String)
}

/// Where a report is in the Centre's work.
///
/// ```
/// intake ─► queued ─► (analyst decides forward/unfounded) ─► awaiting_review ─► (supervisor approves) ─► forwarded | unfounded
///   │         │  ▲                                               │
///   │         │  └───────────── (supervisor returns it) ◄────────┘
///   │         └─► (analyst asks) ─► information_requested ─► (provider answers) ─► queued
///   └─► forwarded   (every file matched a confirmed indicator: known material, classified automatically)
/// ```
public enum ReportState: String, Sendable, Codable, CaseIterable, Hashable {
    /// Waiting for an analyst (ordered by urgency, then age).
    case queued
    /// The analyst asked the provider for more information.
    case informationRequested = "information_requested"
    /// An analyst decided; a supervisor must approve before it takes effect.
    case awaitingReview = "awaiting_review"
    /// Referred to the competent police and Europol.
    case forwarded
    /// Manifestly unfounded; the provider was told why.
    case unfounded

    /// Whether nothing more happens to the report at the Centre (its referrals go on).
    public var isFinal: Bool { self == .forwarded || self == .unfounded }

    /// The state a report starts in: forwarded when it was classified automatically (every file
    /// matched a confirmed indicator), queued otherwise.
    public static func initial(classifiedAutomatically: Bool) -> ReportState {
        classifiedAutomatically ? .forwarded : .queued
    }
}

/// Something that moves a report from one state to another.
public enum ReportEvent: Sendable, Hashable {
    /// An analyst's decision.
    case decide(AssessmentDecision)
    /// A supervisor approves the pending decision (`forward` or `unfounded`).
    case approve(pending: AssessmentDecision)
    /// A supervisor sends the pending decision back to the queue.
    case returnToQueue
    /// The provider answered a request for information.
    case informationSupplied

    /// The event's name, as the audit trail and errors write it.
    public var name: String {
        switch self {
        case .decide(.forward): "decide.forward"
        case .decide(.unfounded): "decide.unfounded"
        case .decide(.requestInformation): "decide.request_information"
        case .approve: "approve"
        case .returnToQueue: "return"
        case .informationSupplied: "information_supplied"
        }
    }
}

/// A transition the state machine refuses.
public struct ReportTransitionError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The report's state.
    public var state: ReportState
    /// The refused event's name.
    public var event: String

    /// A refusal.
    public init(state: ReportState, event: String) {
        self.state = state
        self.event = event
    }

    /// What is wrong.
    public var description: String { "a report that is \(state.rawValue) cannot take \"\(event)\"" }
}

extension ReportState {
    /// The state after `event`, or the refusal.
    public func applying(_ event: ReportEvent) throws(ReportTransitionError) -> ReportState {
        switch (self, event) {
        case (.queued, .decide(.forward)), (.queued, .decide(.unfounded)):
            return .awaitingReview
        case (.queued, .decide(.requestInformation)):
            return .informationRequested
        case (.awaitingReview, .approve(pending: .forward)):
            return .forwarded
        case (.awaitingReview, .approve(pending: .unfounded)):
            return .unfounded
        case (.awaitingReview, .returnToQueue):
            return .queued
        case (.informationRequested, .informationSupplied):
            return .queued
        default:
            throw ReportTransitionError(state: self, event: event.name)
        }
    }
}

extension AssessmentDecision: Codable {
    private enum CodingKeys: String, CodingKey {
        case decision, reason, explanation, question
    }

    /// The decision's name: `forward`, `unfounded` or `request_information`.
    public var name: String {
        switch self {
        case .forward: "forward"
        case .unfounded: "unfounded"
        case .requestInformation: "request_information"
        }
    }

    /// Reads `{"decision": "forward"}`, `{"decision": "unfounded", "reason": …, "explanation": …}`
    /// or `{"decision": "request_information", "question": …}`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let name = try c.decode(String.self, forKey: .decision)
        switch name {
        case "forward":
            self = .forward
        case "unfounded":
            self = .unfounded(
                try c.decode(UnfoundedReason.self, forKey: .reason), explanation: try c.decodeIfPresent(String.self, forKey: .explanation) ?? "")
        case "request_information":
            self = .requestInformation(question: try c.decodeIfPresent(String.self, forKey: .question) ?? "")
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .decision, in: c, debugDescription: "decision is one of forward, unfounded, request_information")
        }
    }

    /// Writes the form ``init(from:)`` reads.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .decision)
        switch self {
        case .forward:
            break
        case .unfounded(let reason, let explanation):
            try c.encode(reason, forKey: .reason)
            try c.encode(explanation, forKey: .explanation)
        case .requestInformation(let question):
            try c.encode(question, forKey: .question)
        }
    }

    /// Why the decision cannot be taken as given (an empty explanation or question), if it cannot.
    public var problem: String? {
        switch self {
        case .forward: nil
        case .unfounded(_, let explanation):
            explanation.isEmpty || explanation.count > 2_000
                ? "an unfounded decision needs an explanation for the provider (1 to 2,000 characters)" : nil
        case .requestInformation(let question):
            question.isEmpty || question.count > 2_000 ? "a request for information needs the question (1 to 2,000 characters)" : nil
        }
    }
}
