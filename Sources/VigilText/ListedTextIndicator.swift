public import Foundation

/// One text indicator as the value of a list entry (signal type `text_indicator`): what a set file
/// says once for all its indicators (language, category) travels with each indicator, so a Centre
/// can add, delete and distribute indicators one at a time through lists and their change feed.
///
/// The value is one JSON object:
///
/// ```json
/// {"id": "en-meeting-90", "language": "en", "category": "grooming", "stage": "meeting",
///  "phrase": "come to the park alone", "alternatives": ["meet me at the park alone"],
///  "weight": 0.55, "explanation": "proposes to meet alone in a public place"}
/// ```
///
/// ``read(_:)`` is the one place such a value is checked (the indicator by the same rule as a set
/// file's, ``TextIndicator/validate(category:abbreviations:)``, plus the limits below) and
/// ``canonical`` the one form it is stored in: keys sorted, no spaces, `alternatives` only when it
/// has some, so two ways of writing one indicator are one value (deleting by value finds it).
public struct ListedTextIndicator: Sendable, Hashable {
    /// The most bytes of UTF-8 one value may have, as sent and as stored.
    public static let maxBytes = 8_192
    /// The most phrasings (the phrase and its alternatives) one indicator may have.
    public static let maxPhrasings = 64
    /// The most characters of an id, a stage or a phrasing.
    public static let maxFieldCharacters = 256
    /// The most characters of an explanation.
    public static let maxExplanationCharacters = 2_048

    /// The language of its phrases (ISO 639-1, lower case).
    public var language: String
    /// What it is about.
    public var category: IndicatorCategory
    /// The indicator (id, stage, phrase, alternatives, weight, explanation).
    public var indicator: TextIndicator

    /// An indicator of `category` in `language`.
    public init(language: String, category: IndicatorCategory, indicator: TextIndicator) {
        self.language = language
        self.category = category
        self.indicator = indicator
    }

    /// The fields a value has; any other is refused (a misspelt `alternative` would otherwise be
    /// dropped without a word).
    static let fields = ["id", "language", "category", "stage", "phrase", "alternatives", "weight", "explanation"]

    /// Reads and checks a value: one JSON object with exactly the fields above (`alternatives`
    /// optional), the language in any case (kept in lower case), strings trimmed of surrounding
    /// spaces, within the limits.
    ///
    /// - Throws: ``TextError`` `invalid_indicator_set` saying what is wrong and what to send.
    public static func read(_ text: some StringProtocol) throws(TextError) -> ListedTextIndicator {
        let bytes = Array(text.utf8)
        guard bytes.count <= maxBytes else { throw invalid("it is \(bytes.count) bytes of UTF-8: at most \(maxBytes)") }
        let wire: Wire
        do {
            wire = try JSONDecoder().decode(Wire.self, from: Data(bytes))
        } catch let error as TextError {
            throw error
        } catch let DecodingError.keyNotFound(key, _) {
            throw invalid("\(key.stringValue) is missing")
        } catch let DecodingError.typeMismatch(_, context) where context.codingPath.isEmpty {
            throw invalid("it is not a JSON object (of the fields \(fields.joined(separator: ", ")))")
        } catch let DecodingError.typeMismatch(_, context) {
            throw invalid("\(context.codingPath.map(\.stringValue).joined(separator: ".")) has the wrong type (\(context.debugDescription))")
        } catch {
            throw invalid("it is not a JSON object of the fields \(fields.joined(separator: ", "))")
        }
        let language = trimmed(wire.language).lowercased()
        try IndicatorSet.checkLanguage(language)
        let categoryName = trimmed(wire.category)
        guard let category = IndicatorCategory(rawValue: categoryName) else {
            throw invalid(
                "category \"\(categoryName)\" is not one of \(IndicatorCategory.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var alternatives: [String] = []
        for (offset, alternative) in (wire.alternatives ?? []).enumerated() {
            alternatives.append(try bounded(trimmed(alternative), "alternatives[\(offset)]", maxFieldCharacters))
        }
        let indicator = TextIndicator(
            id: try bounded(trimmed(wire.id), "id", maxFieldCharacters), stage: try bounded(trimmed(wire.stage), "stage", maxFieldCharacters),
            phrase: try bounded(trimmed(wire.phrase), "phrase", maxFieldCharacters), alternatives: alternatives, weight: wire.weight,
            explanation: try bounded(trimmed(wire.explanation), "explanation", maxExplanationCharacters))
        guard !indicator.id.isEmpty, !indicator.stage.isEmpty else { throw invalid("id and stage must not be empty") }
        guard indicator.phrasings.count <= maxPhrasings else {
            throw invalid("\(indicator.phrasings.count) phrasings: at most \(maxPhrasings) (the phrase and its alternatives)")
        }
        try indicator.validate(category: category, abbreviations: [:])
        let listed = ListedTextIndicator(language: language, category: category, indicator: indicator)
        let stored = listed.canonical
        guard stored.utf8.count <= maxBytes else { throw invalid("it is \(stored.utf8.count) bytes stored: at most \(maxBytes)") }
        return listed
    }

    /// A value as sent: the fields, and no other.
    struct Wire: Decodable {
        var id: String
        var language: String
        var category: String
        var stage: String
        var phrase: String
        var alternatives: [String]?
        var weight: Double
        var explanation: String

        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: Key.self)
            if let unknown = c.allKeys.map(\.stringValue).sorted().first(where: { !ListedTextIndicator.fields.contains($0) }) {
                throw ListedTextIndicator.invalid(
                    "\"\(unknown)\" is not a field; the fields are \(ListedTextIndicator.fields.joined(separator: ", "))")
            }
            func key(_ name: String) -> Key { Key(stringValue: name) }
            id = try c.decode(String.self, forKey: key("id"))
            language = try c.decode(String.self, forKey: key("language"))
            category = try c.decode(String.self, forKey: key("category"))
            stage = try c.decode(String.self, forKey: key("stage"))
            phrase = try c.decode(String.self, forKey: key("phrase"))
            alternatives = try c.decodeIfPresent([String].self, forKey: key("alternatives"))
            weight = try c.decode(Double.self, forKey: key("weight"))
            explanation = try c.decode(String.self, forKey: key("explanation"))
        }
    }

    /// The value as stored: JSON with its keys sorted and no spaces, `alternatives` only when there
    /// are some.
    public var canonical: String {
        let value = Canonical(
            alternatives: indicator.alternatives.isEmpty ? nil : indicator.alternatives, category: category.rawValue,
            explanation: indicator.explanation, id: indicator.id, language: language, phrase: indicator.phrase, stage: indicator.stage,
            weight: indicator.weight)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding strings and a finite number cannot fail.
        guard let data = try? encoder.encode(value) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    /// The stored form's fields.
    struct Canonical: Encodable {
        var alternatives: [String]?
        var category: String
        var explanation: String
        var id: String
        var language: String
        var phrase: String
        var stage: String
        var weight: Double
    }

    static func invalid(_ problem: String) -> TextError {
        TextError(code: .invalidIndicatorSet, message: "not a text indicator: \(problem)")
    }

    static func trimmed(_ value: String) -> String { value.trimmingCharacters(in: .whitespacesAndNewlines) }

    static func bounded(_ value: String, _ name: String, _ limit: Int) throws(TextError) -> String {
        guard value.count <= limit else { throw invalid("\(name) is \(value.count) characters: at most \(limit)") }
        return value
    }
}
