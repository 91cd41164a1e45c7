public import Foundation

/// One message of a conversation.
public struct ConversationMessage: Sendable, Codable, Hashable {
    /// Who sent it (an identifier the provider uses).
    public var sender: String
    /// When, RFC 3339 (as given; not interpreted).
    public var at: String?
    /// The text.
    public var text: String

    /// A message.
    public init(sender: String, at: String? = nil, text: String) {
        self.sender = sender
        self.at = at
        self.text = text
    }
}

/// What the provider knows about the conversation besides its text. A hint never makes a score on
/// its own: it raises the score of a conversation in which an indicator fired, by shrinking what is
/// left below 1 (``ConversationAssessor``'s rule: `1 − (1 − score)^e`, `e` the hint's exponent).
public enum ConversationHint: String, Sendable, Codable, CaseIterable, Hashable {
    /// The recipient's account is a minor's (by declared age or age assurance): exponent 2.
    case recipientIsMinor = "recipient_is_minor"
    /// The sender's account is new (days old): exponent 1.5 (a new account is how a groomer who was
    /// blocked comes back, and how many ordinary people start).
    case senderAccountNew = "sender_account_new"
    /// The two accounts had no contact before this conversation: exponent 1.5 (grooming starts with
    /// strangers reaching out; so do ordinary new friendships).
    case firstContact = "first_contact"
}

/// A conversation to assess: its messages, its language (nil: every loaded language) and hints.
public struct Conversation: Sendable, Codable, Hashable {
    /// The messages, oldest first.
    public var messages: [ConversationMessage]
    /// The language (ISO 639-1), if known.
    public var language: String?
    /// What the provider knows about the accounts.
    public var hints: [ConversationHint]

    /// A conversation.
    public init(messages: [ConversationMessage], language: String? = nil, hints: [ConversationHint] = []) {
        self.messages = messages
        self.language = language
        self.hints = hints
    }
}

/// One indicator found in one message.
public struct TextHit: Sendable, Hashable {
    /// The message's index in the conversation.
    public var message: Int
    /// The set and the indicator.
    public var setId: String
    /// The indicator's id.
    public var indicatorId: String
    /// The set's category.
    public var category: IndicatorCategory
    /// The stage (grooming) or theme.
    public var stage: String
    /// The indicator's weight.
    public var weight: Double
    /// The phrasing that matched (the indicator's phrase or one of its alternatives), as its set
    /// writes it (`keep ... secret`).
    public var phrase: String
    /// The message's words that matched, normalised (what the indicator saw).
    public var matched: String
    /// Why it matters.
    public var explanation: String
}

/// How much one stage (or theme) showed.
public struct StageEvidence: Sendable, Hashable {
    /// The stage or theme.
    public var stage: String
    /// The category it belongs to.
    public var category: IndicatorCategory
    /// The strongest weight seen for it.
    public var weight: Double
    /// How many hits showed it.
    public var hits: Int
}

/// The assessment of a conversation: a risk score with its evidence, for a person to check —
/// never a verdict on its own.
public struct TextAssessment: Sendable, Hashable {
    /// Low, medium or high.
    public enum Level: String, Sendable, Codable, Hashable {
        /// Below 0.3.
        case low
        /// From 0.3 to below 0.7.
        case medium
        /// 0.7 and above.
        case high
    }

    /// The score, 0 to 1: `1 − Π(1 − wₛ)` over the stages seen, `wₛ` the strongest weight of stage
    /// `s`; then, when an indicator fired, each hint given raises it: `1 − (1 − score)²` for
    /// `recipient_is_minor`, `1 − (1 − score)^1.5` for `sender_account_new` and for `first_contact`.
    public var score: Double
    /// The score's band.
    public var level: Level
    /// The stages (and themes) seen, strongest first.
    public var stages: [StageEvidence]
    /// Every hit, by message then position.
    public var hits: [TextHit]
    /// The hints that were applied.
    public var hints: [ConversationHint]
    /// The languages whose sets were used.
    public var languages: [String]
}

extension TextAssessment {
    /// The assessment with only the hits `isKept` keeps, scored again by the same rule (a node drops
    /// the hits of list indicators whose list or entry is switched off).
    public func keeping(_ isKept: (TextHit) -> Bool) -> TextAssessment {
        let kept = hits.filter(isKept)
        guard kept.count != hits.count else { return self }
        return ConversationAssessor.score(kept, hints: hints, languages: languages)
    }
}

/// Matches conversations against loaded indicator sets (any number, in any languages) and
/// explains what it found. Built once; reads are thread-safe (immutable).
public struct ConversationAssessor: Sendable {
    /// The most messages assessed at once.
    public static let maxMessages = 10_000
    /// The most characters of one message.
    public static let maxMessageCharacters = 10_000

    /// The loaded sets' ids, by language.
    public let languages: [String: [String]]
    /// The sets it was built from, as given (an assessor over more sets starts from them).
    public let sets: [IndicatorSet]
    let matchers: [String: IndicatorMatcher]

    /// An assessor over `sets` (each checked first).
    ///
    /// - Throws: ``TextError`` `invalid_indicator_set` for a set that does not validate, or when two
    ///   sets share an id.
    public init(sets: [IndicatorSet]) throws(TextError) {
        var byLanguage: [String: [IndicatorSet]] = [:]
        var ids = Set<String>()
        for set in sets {
            try set.validate()
            guard ids.insert(set.id).inserted else { throw TextError(code: .invalidIndicatorSet, message: "two sets have the id \(set.id)") }
            byLanguage[set.language, default: []].append(set)
        }
        matchers = byLanguage.mapValues(IndicatorMatcher.init)
        languages = byLanguage.mapValues { $0.map(\.id) }
        self.sets = sets
    }

    /// Assesses `conversation`.
    ///
    /// - Throws: ``TextError`` `unknown_language` when its language has no set loaded,
    ///   `invalid_conversation` when it is too large.
    public func assess(_ conversation: Conversation) throws(TextError) -> TextAssessment {
        guard conversation.messages.count <= Self.maxMessages else {
            throw TextError(code: .invalidConversation, message: "at most \(Self.maxMessages) messages are assessed at once; split the conversation")
        }
        // A text has at least as many UTF-8 bytes as characters: count characters only past the limit.
        if let index = conversation.messages.firstIndex(where: {
            $0.text.utf8.count > Self.maxMessageCharacters && $0.text.count > Self.maxMessageCharacters
        }) {
            throw TextError(code: .invalidConversation, message: "message \(index) is over \(Self.maxMessageCharacters) characters")
        }
        let chosen: [(String, IndicatorMatcher)]
        if let language = conversation.language {
            guard let matcher = matchers[language] else {
                throw TextError(
                    code: .unknownLanguage,
                    message: "no indicator set is loaded for language \"\(language)\"; loaded: \(matchers.keys.sorted().joined(separator: ", "))")
            }
            chosen = [(language, matcher)]
        } else {
            chosen = matchers.sorted { $0.key < $1.key }
        }
        var hits: [TextHit] = []
        var scratch = MatcherTables.Scratch()
        for (index, message) in conversation.messages.enumerated() {
            TextNormaliser.normalise(message.text, into: &scratch.words)
            for (_, matcher) in chosen { matcher.tables.collectHits(message: index, into: &hits, scratch: &scratch) }
        }
        return Self.score(hits, hints: conversation.hints, languages: chosen.map(\.0))
    }

    /// The hints that raise a score with exponent 1.5, in the order they are applied.
    static let milderHints: [ConversationHint] = [.senderAccountNew, .firstContact]

    /// The assessment of `hits` (the scoring rule, in one place).
    static func score(_ hits: [TextHit], hints: [ConversationHint], languages: [String]) -> TextAssessment {
        var evidence: [String: StageEvidence] = [:]
        for hit in hits {
            let key = hit.category.rawValue + "/" + hit.stage
            var stage = evidence[key] ?? StageEvidence(stage: hit.stage, category: hit.category, weight: 0, hits: 0)
            stage.weight = max(stage.weight, hit.weight)
            stage.hits += 1
            evidence[key] = stage
        }
        // In one fixed order (a dictionary's order differs from instance to instance, and so would the
        // product's last bits, and the answer's bytes).
        let stages = evidence.values.sorted {
            ($0.weight, $1.stage, $1.category.rawValue) > ($1.weight, $0.stage, $0.category.rawValue)
        }
        var score = 1 - stages.reduce(1.0) { $0 * (1 - $1.weight) }
        var applied: [ConversationHint] = []
        if hints.contains(.recipientIsMinor), score > 0 {
            score = 1 - (1 - score) * (1 - score)
            applied.append(.recipientIsMinor)
        }
        // Exponent 1.5 each, as (1 − s)·√(1 − s): square roots are correctly rounded, so the score stays
        // the same to the last bit on every machine. In this fixed order.
        if !hints.isEmpty {
            for hint in Self.milderHints where hints.contains(hint) && score > 0 {
                let rest = 1 - score
                score = 1 - rest * rest.squareRoot()
                applied.append(hint)
            }
        }
        let level: TextAssessment.Level = score >= 0.7 ? .high : score >= 0.3 ? .medium : .low
        return TextAssessment(score: score, level: level, stages: stages, hits: hits, hints: applied, languages: languages)
    }
}
