import Foundation
import Testing
import VigilText

/// Word stems in phrasings (`schick*`: any word that starts with `schick`), for the word forms of
/// German and French; the evasion tricks still undone on stemmed words; misplaced `*` refused.
@Suite("Indicator sets: word stems")
struct WordStemTests {
    static func assessor(_ language: String, _ phrasings: [String]) throws -> ConversationAssessor {
        let indicator = TextIndicator(
            id: "\(language)-stem", stage: "image_requests", phrase: phrasings[0], alternatives: Array(phrasings.dropFirst()), weight: 0.5,
            explanation: "asks for a picture of the child")
        let set = IndicatorSet(
            id: "stems-\(language)", language: language, category: .grooming, version: "1",
            provenance: IndicatorProvenance(source: "test", basis: "written for the test"), indicators: [indicator])
        return try ConversationAssessor(sets: [set])
    }

    static func hits(_ assessor: ConversationAssessor, _ language: String, _ text: String) throws -> [TextHit] {
        try assessor.assess(Conversation(messages: [ConversationMessage(sender: "a", text: text)], language: language)).hits
    }

    static let german = ["schick* mir ... foto* von dir", "foto* von dir schick*"]
    static let french = ["envoi* moi ... photo* de toi", "menvoy* ... photo* de toi", "menvoi* ... photo* de toi"]

    @Test(arguments: [
        ("de", "schick mir ein foto von dir", "schick mir ein foto von dir"),
        ("de", "schicke mir bitte ein paar fotos von dir", "schicke mir bitte ein paar fotos von dir"),
        ("de", "schickste mir mal fotos von dir", "schickste mir mal fotos von dir"),
        ("de", "kannst du mir ein foto von dir schicken?", "foto von dir schicken"),
        ("fr", "envoie moi une photo de toi", "envoie moi une photo de toi"),
        ("fr", "envoies-moi des photos de toi stp", "envoies moi des photos de toi"),
        ("fr", "tu peux m'envoyer une photo de toi ?", "menvoyer une photo de toi"),
        ("fr", "tu m'envoies tes photos de toi à la plage", "menvoies tes photos de toi"),
    ])
    func aStemMatchesTheWordsThatStartWithIt(_ language: String, _ text: String, _ matched: String) throws {
        let hits = try Self.hits(try Self.assessor(language, language == "de" ? Self.german : Self.french), language, text)
        #expect(hits.count == 1, "\(text): \(hits.map(\.matched))")
        #expect(hits.first?.matched == matched)
        // The hit names the phrasing as written, with its stems.
        #expect(hits.first?.phrase.contains("*") == true)
    }

    @Test(arguments: [
        // Shorter than the stem, the stem inside another word, the next words missing, another word order.
        ("de", "schi mir ein foto von dir"), ("de", "verschick mir ein foto von dir"), ("de", "schick mir ein foto"),
        ("de", "das foto von dir im schulblatt war schön"), ("de", "wann schickst du mir endlich die fotos von dir"),
        ("fr", "env moi une photo de toi"), ("fr", "renvoie moi une photo de toi"), ("fr", "envoie moi une photo"),
    ])
    func aStemDoesNotMatchOtherWords(_ language: String, _ text: String) throws {
        let hits = try Self.hits(try Self.assessor(language, language == "de" ? Self.german : Self.french), language, text)
        #expect(hits.isEmpty, "\(text): \(hits.map(\.matched))")
    }

    /// Each evasion trick in a stemmed word (and the word after it) is undone as in exact words:
    /// leetspeak, spelled-out letters, confusable Cyrillic letters, full-width letters, repeats, a
    /// hidden letter in the stem or in the ending.
    @Test(arguments: [
        ("de", "SCHICK3 MIR EIN F0T0 V0N DIR"), ("de", "s c h i c k e mir ein foto von dir"), ("de", "schіckе mir ein fоtо von dir"),
        ("de", "ｓｃｈｉｃｋｅ mir ein foto von dir"), ("de", "schiiicke mir ein fotooo von dir"), ("de", "sch*cke mir ein foto von dir"),
        ("de", "schick*n mir ein foto von dir"), ("de", "schicke mir ein f*tos von dir"),
        ("fr", "ENV0IE M0I UNE PH0T0 DE T0I"), ("fr", "e n v o i e moi une photo de toi"), ("fr", "еnvоiе moi une photo de toi"),
        ("fr", "ｅｎｖｏｉｅ moi une photo de toi"), ("fr", "envoiiie moi une photooo de toi"), ("fr", "env*ie moi une photo de toi"),
        ("fr", "envoi*s moi une photo de toi"), ("fr", "envoie moi une ph*tos de toi"),
    ])
    func anEvasionTrickIsUndoneOnAStemmedWord(_ language: String, _ text: String) throws {
        let hits = try Self.hits(try Self.assessor(language, language == "de" ? Self.german : Self.french), language, text)
        #expect(hits.map(\.indicatorId) == ["\(language)-stem"], "\(text)")
    }

    @Test func aWordCanBeAStemAndAWordOfOtherPhrasesAtOnce() throws {
        // "foto" is a word of one indicator and the stem "foto*" of another: a message's "foto"
        // matches both, "fotos" only the stem.
        let exact = TextIndicator(id: "exact", stage: "image_requests", phrase: "ein foto bitte", weight: 0.2, explanation: "e")
        let stemmed = TextIndicator(id: "stemmed", stage: "image_requests", phrase: "foto* bitte", weight: 0.3, explanation: "e")
        let longer = TextIndicator(id: "longer", stage: "image_requests", phrase: "fotos* bitte", weight: 0.4, explanation: "e")
        let set = IndicatorSet(
            id: "s", language: "de", category: .grooming, version: "1", provenance: IndicatorProvenance(source: "t", basis: "t"),
            indicators: [exact, stemmed, longer])
        let assessor = try ConversationAssessor(sets: [set])
        #expect(try Self.hits(assessor, "de", "ein foto bitte").map(\.indicatorId).sorted() == ["exact", "stemmed"])
        #expect(try Self.hits(assessor, "de", "ein fotos bitte").map(\.indicatorId).sorted() == ["longer", "stemmed"])
        #expect(try Self.hits(assessor, "de", "ein fotoalbum bitte").map(\.indicatorId) == ["stemmed"])
    }

    @Test func anAbbreviationsLongFormIsMatchedAgainstStems() throws {
        let indicator = TextIndicator(id: "stemmed", stage: "image_requests", phrase: "schick* mir ... bild*", weight: 0.3, explanation: "e")
        let set = IndicatorSet(
            id: "s", language: "de", category: .grooming, version: "1", provenance: IndicatorProvenance(source: "t", basis: "t"),
            indicators: [indicator], abbreviations: ["bldr": "bilder"])
        let assessor = try ConversationAssessor(sets: [set])
        let hits = try Self.hits(assessor, "de", "schickst mir noch bldr")
        #expect(hits.map(\.matched) == ["schickst mir noch bilder"])
    }

    @Test(arguments: [
        ("schick mir ein foto*von dir", "foto*von"), ("sch*ck mir ein foto", "sch*ck"), ("sch* mir", "sch*"), ("*foto von dir", "*foto"),
        ("foto** von dir", "foto**"), ("bild* von dir ich* bitte", "ich*"),
    ])
    func aMisplacedStarIsRefusedSayingWhereItGoes(_ phrasing: String, _ named: String) throws {
        let indicator = TextIndicator(
            id: "bad", stage: "image_requests", phrase: "schick mir ein foto", alternatives: [phrasing], weight: 0.5, explanation: "e")
        #expect {
            try indicator.validate(category: .grooming, abbreviations: [:])
        } throws: { error in
            "\(error)".contains("indicator bad: \"\(phrasing)\" has \"\(named)\"") && "\(error)".contains("at least 4 letters")
        }
        // The same rule for a list's entry.
        let value =
            #"{"id":"bad","language":"de","category":"grooming","stage":"image_requests","phrase":"\#(phrasing)","weight":0.5,"explanation":"e"}"#
        #expect(throws: TextError.self) { try ListedTextIndicator.read(value) }
        // A stem of four letters or more is fine, also with letters that fold (`über*` is `uber`).
        let good = TextIndicator(
            id: "good", stage: "image_requests", phrase: "schick* mir ... foto*", alternatives: ["über* dich"], weight: 0.5, explanation: "e")
        try good.validate(category: .grooming, abbreviations: [:])
    }
}
