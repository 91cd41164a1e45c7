import Foundation
import Testing
import VigilTestSupport
import VigilText

/// The indicator format's alternatives (several phrasings of one indicator), and the trafficking
/// and extremism sets shipped beside the grooming ones.
@Suite("Indicator sets: alternatives, trafficking and extremism")
struct IndicatorFormatTests {
    static func set(_ indicators: [TextIndicator]) -> IndicatorSet {
        IndicatorSet(
            id: "test", language: "en", category: .grooming, version: "1",
            provenance: IndicatorProvenance(source: "test", basis: "written for the test"),
            indicators: indicators)
    }

    static func shipped(_ name: String) throws -> IndicatorSet {
        try IndicatorSet.read(Data(contentsOf: TestPaths.packageRoot.appendingPathComponent("data/text-indicators/\(name).json")))
    }

    static func assess(_ assessor: ConversationAssessor, _ language: String, _ texts: [String]) throws -> TextAssessment {
        try assessor.assess(Conversation(messages: texts.map { ConversationMessage(sender: "a", text: $0) }, language: language))
    }

    @Test func anAlternativeMatchesAsItsIndicatorOncePerMessage() throws {
        let indicator = TextIndicator(
            id: "secret", stage: "isolation_secrecy", phrase: "this is our secret", alternatives: ["our little secret", "just between us"],
            weight: 0.5,
            explanation: "asks for secrecy")
        let assessor = try ConversationAssessor(sets: [Self.set([indicator])])
        let one = try Self.assess(assessor, "en", ["ok so it's our little secret"])
        #expect(one.hits.map(\.phrase) == ["our little secret"] && one.hits.map(\.matched) == ["our little secret"])
        #expect(one.hits.map(\.indicatorId) == ["secret"])
        // Two phrasings in one message: the indicator counts once (the first found).
        let both = try Self.assess(assessor, "en", ["just between us, this is our secret"])
        #expect(both.hits.map(\.phrase) == ["just between us"])
        // In two messages: once in each.
        let two = try Self.assess(assessor, "en", ["just between us", "this is our secret"])
        #expect(two.hits.map(\.message) == [0, 1] && abs(two.score - 0.5) < 1e-9)
    }

    @Test func theFirstVersionOfTheFormatStillReadsAndAlternativesRoundTrip() throws {
        // A file written before alternatives existed.
        let old = Data(
            #"{"format": "vigil-text-indicators-v1", "id": "old", "language": "en", "category": "grooming", "version": "1", "provenance": {"source": "s", "basis": "b"}, "indicators": [{"id": "a", "stage": "meeting", "phrase": "let's meet up", "weight": 0.5, "explanation": "e"}]}"#
                .utf8)
        let set = try IndicatorSet.read(old)
        #expect(set.indicators.first?.alternatives == [])
        let encoded = String(decoding: try JSONEncoder().encode(set), as: UTF8.self)
        #expect(!encoded.contains("alternatives"))
        var changed = set
        changed.indicators[0].alternatives = ["we should meet"]
        let again = try IndicatorSet.read(try JSONEncoder().encode(changed))
        #expect(again.indicators.first?.alternatives == ["we should meet"] && again == changed)
        // An alternative with no word is refused, naming it.
        changed.indicators[0].alternatives = ["we should meet", "..."]
        #expect { try changed.validate() } throws: { "\($0)".contains("alternative \"...\" has no word") }
        // A phrasing with an abbreviation's short form would never match: refused, saying what to write.
        changed.indicators[0].alternatives = ["can u meet"]
        changed.abbreviations = ["u": "you"]
        #expect { try changed.validate() } throws: { "\($0)".contains("\"can u meet\" uses the abbreviation \"u\"") && "\($0)".contains("\"you\"") }
    }

    @Test(arguments: ["en", "de", "fr"])
    func theTraffickingAndExtremismSetsLoadWithProvenance(_ language: String) throws {
        for (name, category) in [("trafficking", IndicatorCategory.trafficking), ("extremism", .extremism)] {
            let set = try Self.shipped("\(name)-\(language)")
            #expect(set.category == category && set.language == language && set.id == "vigil-\(name)-\(language)")
            #expect(set.provenance.source.contains("not an official list"))
            #expect(set.indicators.count >= 4)
        }
    }

    @Test(arguments: [
        ("en", ["great job abroad, no experience", "we pay for your ticket", "when you arrive we keep your passport", "you work off the debt"]),
        ("de", ["super job im ausland", "wir bezahlen den flug", "dein pass bleibt bei uns", "du musst das ticket zurückzahlen"]),
        ("fr", ["super travail à l'étranger", "le voyage est payé", "on garde ton passeport", "tu dois rembourser le billet"]),
    ])
    func aRecruitmentPatternShowsItsThemes(_ language: String, _ texts: [String]) throws {
        let assessor = try ConversationAssessor(sets: [try Self.shipped("trafficking-\(language)"), try Self.shipped("extremism-\(language)")])
        let result = try Self.assess(assessor, language, texts)
        #expect(result.level == .high, "\(result.score)")
        #expect(Set(result.stages.map(\.stage)) == ["job_offer_abroad", "travel_paid", "documents_held", "debt_bondage"])
        #expect(result.stages.allSatisfy { $0.category == .trafficking })
        #expect(result.hits.allSatisfy { !$0.explanation.isEmpty && $0.setId == "vigil-trafficking-\(language)" })
    }

    @Test(arguments: [("en", "RAHOWA"), ("de", "s1eg h e i l"), ("fr", "1488")])
    func anExtremistCodedTermIsFoundDisguised(_ language: String, _ text: String) throws {
        let assessor = try ConversationAssessor(sets: [try Self.shipped("extremism-\(language)")])
        let result = try Self.assess(assessor, language, [text])
        #expect(result.hits.count == 1 && result.hits.first?.category == .extremism, "\(result.hits.map(\.matched))")
    }

    /// Ordinary chats (the same ones the grooming tests use, and benign look-alikes with a weak
    /// signal or two) stay low with every shipped set of their language loaded.
    @Test(arguments: [
        ("en", ["are you coming to practice tomorrow?", "yes, my mum is driving me", "cool, bring the ball", "see you at 5"]),
        ("en", ["did you see the match yesterday", "yes it was great", "send me a pic of your new shoes", "lets hang out saturday"]),
        ("de", ["kommst du morgen zum training?", "ja, meine mutter fährt mich", "super, bring den ball mit", "bis um 5"]),
        ("de", ["hast du das spiel gesehen", "ja war super", "schick mir ein bild von den neuen schuhen", "lass uns am samstag abhängen"]),
        ("fr", ["tu viens à l'entraînement demain ?", "oui, ma mère m'emmène", "cool, apporte le ballon", "à 17h"]),
        ("fr", ["t'as vu le match hier", "oui c'était génial", "envoie-moi une photo de tes nouvelles chaussures", "on se voit samedi"]),
    ])
    func anOrdinaryChatStaysLowWithEverySet(_ language: String, _ texts: [String]) throws {
        let sets = try ["grooming", "trafficking", "extremism"].map { try Self.shipped("\($0)-\(language)") }
        let result = try Self.assess(try ConversationAssessor(sets: sets), language, texts)
        #expect(result.level == .low, "\(result.score): \(result.hits.map(\.indicatorId))")
    }
}
