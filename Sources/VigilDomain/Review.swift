/// A classifier's score for one label that reached the label's review threshold.
public struct LabelScore: Sendable, Codable, Hashable {
    /// The classifier's label (its own vocabulary).
    public var label: String
    /// The score, in 0...1.
    public var score: Double
    /// The threshold it reached (score >= threshold).
    public var threshold: Double

    /// A label's score and the threshold it reached.
    public init(label: String, score: Double, threshold: Double) {
        self.label = label
        self.score = score
        self.threshold = threshold
    }
}

/// Why a piece of content is in the review queue.
public struct ReviewReason: Sendable, Codable, Hashable {
    /// What put it there.
    public enum Kind: String, Sendable, Codable, CaseIterable, Hashable {
        /// An external classifier scored it at or above a review threshold.
        case classifier
        /// It matched a list whose action policy is `quarantine`.
        case listMatch = "list_match"
    }

    /// What put it there.
    public var kind: Kind
    /// The classifier, as `name/version` (for ``Kind/classifier``).
    public var classifier: String?
    /// The labels at or above their thresholds, by label (for ``Kind/classifier``).
    public var labels: [LabelScore]
    /// The list whose quarantine policy applied (for ``Kind/listMatch``).
    public var list: String?
    /// The list's entries the content matched (for ``Kind/listMatch``).
    public var entryIds: [Int64]

    /// A classifier's reason.
    public static func classifier(_ classifier: String, labels: [LabelScore]) -> ReviewReason {
        ReviewReason(kind: .classifier, classifier: classifier, labels: labels, list: nil, entryIds: [])
    }

    /// A quarantine list's reason.
    public static func listMatch(_ list: String, entryIds: [Int64]) -> ReviewReason {
        ReviewReason(kind: .listMatch, classifier: nil, labels: [], list: list, entryIds: entryIds)
    }

    /// A reason.
    public init(kind: Kind, classifier: String?, labels: [LabelScore], list: String?, entryIds: [Int64]) {
        self.kind = kind
        self.classifier = classifier
        self.labels = labels
        self.list = list
        self.entryIds = entryIds
    }
}

/// Where a review item is.
public enum ReviewState: String, Sendable, Codable, CaseIterable, Hashable {
    /// Waiting for a person.
    case open
    /// A person decided (once; a decision is never replaced).
    case decided
}

/// What a reviewer decided about a piece of content. (The exchanges' per-entry verdicts for
/// feedback to sources are a separate thing.)
public enum ReviewOutcome: String, Sendable, Codable, CaseIterable, Hashable {
    /// The content is what the reason said: act on it (report, add its hashes to a list).
    case confirmed
    /// It is not: the classifier or the list was wrong about it.
    case falsePositive = "false_positive"
    /// Looked at, nothing to do either way.
    case seen
}

/// A reviewer's decision as recorded.
public struct ReviewDecision: Sendable, Codable, Hashable {
    /// The outcome.
    public var outcome: ReviewOutcome
    /// Who decided (the key's label or organisation, as the audit log names actors).
    public var by: String
    /// The decider's organisation, if known.
    public var organisation: String?
    /// When, RFC 3339.
    public var at: String
    /// The reviewer's note (at most 4,096 characters).
    public var note: String?

    /// A decision.
    public init(outcome: ReviewOutcome, by: String, organisation: String?, at: String, note: String?) {
        self.outcome = outcome
        self.by = by
        self.organisation = organisation
        self.at = at
        self.note = note
    }

    /// The longest note, in characters (Unicode scalars, as JSON Schema's `maxLength` counts).
    public static let maxNoteCharacters = 4_096
}

/// A piece of content to queue for review: why, and its hashes (never its bytes).
public struct NewReview: Sendable, Hashable {
    /// Why (at least one reason).
    public var reasons: [ReviewReason]
    /// The content's digests and perceptual hash.
    public var hashes: [FileHash]
    /// The content's media type, when known (`image/jpeg`…).
    public var mediaType: String?

    /// An item to queue.
    public init(reasons: [ReviewReason], hashes: [FileHash], mediaType: String? = nil) {
        self.reasons = reasons
        self.hashes = hashes
        self.mediaType = mediaType
    }
}

/// The review thresholds of a classifier's labels: a label's own, else the default; a label with
/// neither never queues content.
public struct ReviewThresholds: Sendable, Hashable {
    /// The threshold of labels without their own (nil: only the labels named in ``perLabel``).
    public var `default`: Double?
    /// Thresholds by label.
    public var perLabel: [String: Double]

    /// Thresholds.
    public init(default: Double? = nil, perLabel: [String: Double] = [:]) {
        self.default = `default`
        self.perLabel = perLabel
    }

    /// The threshold of `label`, if it has one.
    public func threshold(for label: String) -> Double? { perLabel[label] ?? `default` }

    /// The labels whose score reached their threshold, by label.
    public func crossed(_ scores: [String: Double]) -> [LabelScore] {
        scores.compactMap { label, score in
            guard let threshold = threshold(for: label), score >= threshold else { return nil }
            return LabelScore(label: label, score: score, threshold: threshold)
        }
        .sorted { $0.label < $1.label }
    }
}

/// The one rule of the review queue: when the classifier is asked, and which matches and scores
/// put content in the queue. The match service applies it for every API.
public enum ReviewRule {
    /// The classifier is consulted only when no matched list's policy blocks the content (blocked
    /// content is refused already; a person need not look at it again).
    public static func consultsClassifier(matchedActions: [ListAction]) -> Bool {
        !matchedActions.contains(.block)
    }

    /// The reasons to queue content: one per matched list whose policy is `quarantine` (by list
    /// name), then the classifier's labels that reached their thresholds (none: no classifier reason).
    public static func reasons(
        quarantined: [(list: String, entryIds: [Int64])], classifier: String?, scores: [String: Double], thresholds: ReviewThresholds
    ) -> [ReviewReason] {
        var reasons = quarantined.sorted { $0.list < $1.list }.map { ReviewReason.listMatch($0.list, entryIds: $0.entryIds) }
        if let classifier {
            let crossed = thresholds.crossed(scores)
            if !crossed.isEmpty { reasons.append(.classifier(classifier, labels: crossed)) }
        }
        return reasons
    }
}

/// A classifier's scores of a piece of content with the thresholds they are held to (what the
/// match service's actions read to decide whether the content goes to review).
public struct ScoredContent: Sendable, Hashable {
    /// The classifier, as `name/version`.
    public var classifier: String
    /// Its scores by label.
    public var scores: [String: Double]
    /// The review thresholds.
    public var thresholds: ReviewThresholds

    /// Scores held to `thresholds`.
    public init(classifier: String, scores: [String: Double], thresholds: ReviewThresholds) {
        self.classifier = classifier
        self.scores = scores
        self.thresholds = thresholds
    }
}
