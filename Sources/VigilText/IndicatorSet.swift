public import Foundation

/// What an indicator set is about.
public enum IndicatorCategory: String, Sendable, Codable, CaseIterable, Hashable {
    /// The solicitation of children (Article 44 of the proposal: indicators per language).
    case grooming
    /// Recruitment into trafficking (job offers abroad with travel paid, passports held…).
    case trafficking
    /// Violent extremist terms and coded symbols.
    case extremism
}

/// The published stages of grooming (O'Connell 2003; Olson et al. 2007) that grooming indicators
/// name, in the order they usually come.
public enum GroomingStage: String, Sendable, Codable, CaseIterable, Hashable, Comparable {
    /// Building rapport and trust (compliments, "you can talk to me").
    case rapport
    /// Probing age and situation (age, school, who is at home, who reads the phone).
    case ageProbing = "age_probing"
    /// Isolation and secrecy ("don't tell your parents", "this is our secret").
    case isolationSecrecy = "isolation_secrecy"
    /// Moving to another app or a private channel.
    case platformMove = "platform_move"
    /// Gifts and favours (game credit, gift cards, money).
    case gifts
    /// Asking for pictures or a camera.
    case imageRequests = "image_requests"
    /// Arranging to meet.
    case meeting

    /// Stages in their usual order.
    public static func < (lhs: GroomingStage, rhs: GroomingStage) -> Bool {
        (allCases.firstIndex(of: lhs) ?? 0) < (allCases.firstIndex(of: rhs) ?? 0)
    }
}

/// Where an indicator set comes from (who wrote it, on what basis, under what licence).
public struct IndicatorProvenance: Sendable, Codable, Hashable {
    /// The organisation that publishes the set.
    public var source: String
    /// What the indicators are based on (published research, case work).
    public var basis: String
    /// The licence the set is shared under.
    public var licence: String?

    /// A provenance record.
    public init(source: String, basis: String, licence: String? = nil) {
        self.source = source
        self.basis = basis
        self.licence = licence
    }
}

/// One indicator: a phrase, with the stage (or theme) it shows, its weight and why it matters.
public struct TextIndicator: Sendable, Codable, Hashable {
    /// Its id, unique in the set.
    public var id: String
    /// For grooming: a ``GroomingStage`` name; for other categories, a theme (`travel_paid`…).
    public var stage: String
    /// The words to find, in order; `...` stands for up to three other words. Normalised as
    /// messages are (``TextNormaliser``), so it is written plainly.
    public var phrase: String
    /// Other phrasings of the same indicator (inflections, word orders, synonyms), written like
    /// `phrase`. Any of them matching is the indicator matching, once per message: it counts once.
    public var alternatives: [String]
    /// How much it says on its own, above 0 and at most 1.
    public var weight: Double
    /// Why it matters, for the person who checks the result.
    public var explanation: String

    /// An indicator.
    public init(id: String, stage: String, phrase: String, alternatives: [String] = [], weight: Double, explanation: String) {
        self.id = id
        self.stage = stage
        self.phrase = phrase
        self.alternatives = alternatives
        self.weight = weight
        self.explanation = explanation
    }

    /// `phrase`, then the alternatives.
    public var phrasings: [String] { [phrase] + alternatives }

    enum CodingKeys: String, CodingKey {
        case id, stage, phrase, alternatives, weight, explanation
    }

    /// Reads an indicator (`alternatives` may be absent: files of the first version have none).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        stage = try c.decode(String.self, forKey: .stage)
        phrase = try c.decode(String.self, forKey: .phrase)
        alternatives = try c.decodeIfPresent([String].self, forKey: .alternatives) ?? []
        weight = try c.decode(Double.self, forKey: .weight)
        explanation = try c.decode(String.self, forKey: .explanation)
    }

    /// Writes the indicator (`alternatives` only when it has some).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(stage, forKey: .stage)
        try c.encode(phrase, forKey: .phrase)
        if !alternatives.isEmpty { try c.encode(alternatives, forKey: .alternatives) }
        try c.encode(weight, forKey: .weight)
        try c.encode(explanation, forKey: .explanation)
    }
}

/// A language-tagged set of text indicators, as the Centre distributes it.
///
/// The file format is one JSON document: `format` (`vigil-text-indicators-v1`), `id`, `language`
/// (ISO 639-1: `en`, `de`, `fr`…), `category`, `version`, `provenance` and `indicators`.
public struct IndicatorSet: Sendable, Codable, Hashable {
    /// The format tag files carry.
    public static let format = "vigil-text-indicators-v1"

    /// The set's id.
    public var id: String
    /// The language of its phrases (ISO 639-1, lower case).
    public var language: String
    /// What it is about.
    public var category: IndicatorCategory
    /// Its version (a date, say).
    public var version: String
    /// Where it comes from.
    public var provenance: IndicatorProvenance
    /// The indicators.
    public var indicators: [TextIndicator]
    /// Chat abbreviations of the language, read as the words they stand for before matching
    /// (`ur` → `your`, `u` → `you`): normalised words to normalised words.
    public var abbreviations: [String: String]

    /// A set.
    public init(
        id: String, language: String, category: IndicatorCategory, version: String, provenance: IndicatorProvenance, indicators: [TextIndicator],
        abbreviations: [String: String] = [:]
    ) {
        self.id = id
        self.language = language
        self.category = category
        self.version = version
        self.provenance = provenance
        self.indicators = indicators
        self.abbreviations = abbreviations
    }

    enum CodingKeys: String, CodingKey {
        case format, id, language, category, version, provenance, indicators, abbreviations
    }

    /// Reads a set, checking its format tag.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let format = try c.decode(String.self, forKey: .format)
        guard format == Self.format else {
            throw DecodingError.dataCorruptedError(forKey: .format, in: c, debugDescription: "format is \(Self.format), not \(format)")
        }
        id = try c.decode(String.self, forKey: .id)
        language = try c.decode(String.self, forKey: .language)
        category = try c.decode(IndicatorCategory.self, forKey: .category)
        version = try c.decode(String.self, forKey: .version)
        provenance = try c.decode(IndicatorProvenance.self, forKey: .provenance)
        indicators = try c.decode([TextIndicator].self, forKey: .indicators)
        abbreviations = try c.decodeIfPresent([String: String].self, forKey: .abbreviations) ?? [:]
    }

    /// Writes the set with its format tag.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(Self.format, forKey: .format)
        try c.encode(id, forKey: .id)
        try c.encode(language, forKey: .language)
        try c.encode(category, forKey: .category)
        try c.encode(version, forKey: .version)
        try c.encode(provenance, forKey: .provenance)
        try c.encode(indicators, forKey: .indicators)
        if !abbreviations.isEmpty { try c.encode(abbreviations, forKey: .abbreviations) }
    }

    /// Reads and checks a set from its JSON.
    ///
    /// - Throws: ``TextError`` `invalid_indicator_set` saying what is wrong (and which indicator).
    public static func read(_ data: Data) throws(TextError) -> IndicatorSet {
        let set: IndicatorSet
        do { set = try JSONDecoder().decode(IndicatorSet.self, from: data) } catch {
            throw TextError(code: .invalidIndicatorSet, message: "not an indicator set (\(Self.format)): \(error)")
        }
        try set.validate()
        return set
    }

    /// Checks the set: a language code, unique ids, weights in (0, 1], phrases with a word, and
    /// grooming stages from ``GroomingStage``.
    public func validate() throws(TextError) {
        try Self.checkLanguage(language)
        guard !id.isEmpty, !indicators.isEmpty else {
            throw TextError(code: .invalidIndicatorSet, message: "a set needs an id and at least one indicator")
        }
        var seen = Set<String>()
        for indicator in indicators {
            guard !indicator.id.isEmpty, seen.insert(indicator.id).inserted else {
                throw TextError(code: .invalidIndicatorSet, message: "indicator id \"\(indicator.id)\" is empty or used twice")
            }
            try indicator.validate(category: category, abbreviations: abbreviations)
        }
        for (short, long) in abbreviations {
            guard TextNormaliser.tokens(short) == [short], !TextNormaliser.tokens(long).isEmpty else {
                throw TextError(
                    code: .invalidIndicatorSet,
                    message: "abbreviation \"\(short)\" → \"\(long)\": the short form must be one normalised word, the long form words")
            }
        }
    }

    /// Checks a language code: ISO 639-1, two lower-case letters.
    ///
    /// - Throws: ``TextError`` `invalid_indicator_set` naming the code.
    public static func checkLanguage(_ language: String) throws(TextError) {
        guard language.count == 2, language.allSatisfy({ $0.isASCII && $0.isLowercase }) else {
            throw TextError(code: .invalidIndicatorSet, message: "language \"\(language)\" is not an ISO 639-1 code such as en, de or fr")
        }
    }
}

extension TextIndicator {
    /// Checks one indicator of a set of `category` whose messages are read with `abbreviations`
    /// expanded: a weight in (0, 1], a phrase and alternatives with a word each, no phrasing with an
    /// abbreviation's short form, a grooming stage from ``GroomingStage``, an explanation. The one
    /// rule for an indicator, whether it comes in a set file or as a list entry
    /// (``ListedTextIndicator``).
    ///
    /// - Throws: ``TextError`` `invalid_indicator_set` naming the indicator and what is wrong.
    public func validate(category: IndicatorCategory, abbreviations: [String: String]) throws(TextError) {
        guard weight > 0, weight <= 1 else {
            throw TextError(code: .invalidIndicatorSet, message: "indicator \(id): weight \(weight) is not above 0 and at most 1")
        }
        guard PhrasePattern(phrase).words > 0 else {
            throw TextError(code: .invalidIndicatorSet, message: "indicator \(id): the phrase has no word")
        }
        if let empty = alternatives.first(where: { PhrasePattern($0).words == 0 }) {
            throw TextError(code: .invalidIndicatorSet, message: "indicator \(id): the alternative \"\(empty)\" has no word")
        }
        for phrasing in phrasings {
            if let misplaced = PhrasePattern(phrasing).misplacedStar {
                throw TextError(
                    code: .invalidIndicatorSet,
                    message:
                        "indicator \(id): \"\(phrasing)\" has \"\(misplaced)\": a `*` marks a word stem and goes at the end of a word of at least \(PhrasePattern.minimumStemLetters) letters (\"schick*\" matches schicke, schickst, schicken)"
                )
            }
        }
        // Messages are read with abbreviations expanded, so a phrasing with a short form never matches.
        for phrasing in phrasings where !abbreviations.isEmpty {
            if let short = PhrasePattern(phrasing).parts.lazy.compactMap({ part -> String? in
                if case .word(let word) = part, abbreviations[word] != nil { return word }
                return nil
            }).first {
                throw TextError(
                    code: .invalidIndicatorSet,
                    message:
                        "indicator \(id): \"\(phrasing)\" uses the abbreviation \"\(short)\", which messages are read as \"\(abbreviations[short] ?? "")\"; write that instead"
                )
            }
        }
        if category == .grooming, GroomingStage(rawValue: stage) == nil {
            throw TextError(
                code: .invalidIndicatorSet,
                message: "indicator \(id): stage \"\(stage)\" is not one of \(GroomingStage.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        guard !explanation.isEmpty else {
            throw TextError(code: .invalidIndicatorSet, message: "indicator \(id): an explanation is required (a person reads it)")
        }
    }
}

/// A phrase as matched: words, word stems (`schick*`) and gaps of up to three other words (`...`).
struct PhrasePattern: Hashable {
    enum Part: Hashable {
        case word(String)
        /// A word stem (written `schick*`, held without its `*`): any word that starts with it.
        case stem(String)
        case gap
    }

    /// The most words a gap skips.
    static let gapWords = 3

    /// The fewest letters a stem has (shorter ones would match too many words).
    static let minimumStemLetters = 4

    let parts: [Part]

    /// The first word with a `*` that does not mark a stem (inside a word, or after fewer than
    /// ``minimumStemLetters`` letters), as normalised; nil when there is none.
    let misplacedStar: String?

    init(_ phrase: String) {
        var parts: [Part] = []
        var misplaced: String?
        for piece in phrase.split(separator: "...", omittingEmptySubsequences: false).enumerated() {
            if piece.offset > 0, !parts.isEmpty, parts.last != .gap { parts.append(.gap) }
            for token in TextNormaliser.tokens(String(piece.element)) {
                guard token.contains("*") else {
                    parts.append(.word(token))
                    continue
                }
                let stem = token.dropLast()
                if token.hasSuffix("*"), !stem.contains("*"), stem.unicodeScalars.count >= Self.minimumStemLetters {
                    parts.append(.stem(String(stem)))
                } else {
                    // Kept as a plain word so that the pattern keeps its shape; `validate` refuses it.
                    parts.append(.word(token))
                    misplaced = misplaced ?? token
                }
            }
        }
        while parts.last == .gap { parts.removeLast() }
        self.parts = parts
        misplacedStar = misplaced
    }

    /// How many words (and stems) it has.
    var words: Int { parts.filter { $0 != .gap }.count }
}

/// Why text could not be assessed: a stable code and a message that says what to do.
public struct TextError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        /// The code's snake_case name.
        public let name: String
        /// An indicator set that cannot be used.
        public static let invalidIndicatorSet = Code(name: "invalid_indicator_set")
        /// A language no loaded set covers.
        public static let unknownLanguage = Code(name: "unknown_language")
        /// A conversation that cannot be assessed (too many messages, a message too long).
        public static let invalidConversation = Code(name: "invalid_conversation")
        /// The name.
        public var description: String { name }
    }

    /// The code.
    public var code: Code
    /// What is wrong and what to do.
    public var message: String

    /// An error.
    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    /// The message.
    public var description: String { message }
}
