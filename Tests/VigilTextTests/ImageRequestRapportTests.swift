import Foundation
import Testing
import VigilTestSupport
import VigilText

/// The image-request and rapport phrasings of the shipped grooming sets (session 14: German first,
/// then French and English), on messages written for the test from the stage descriptions
/// (non-explicit), and ordinary chats about photos and cameras that must not flag.
@Suite("Shipped sets: image requests and rapport")
struct ImageRequestRapportTests {
    static let assessor: ConversationAssessor? = {
        let sets = try? ["en", "de", "fr"].flatMap { language in
            try ["grooming", "trafficking", "extremism"].map { name in
                try IndicatorSet.read(
                    Data(contentsOf: TestPaths.packageRoot.appendingPathComponent("data/text-indicators/\(name)-\(language).json")))
            }
        }
        return sets.flatMap { try? ConversationAssessor(sets: $0) }
    }()

    static func assess(_ language: String, _ texts: [String]) throws -> TextAssessment {
        let assessor = try #require(Self.assessor, "the shipped sets load")
        return try assessor.assess(
            Conversation(
                messages: texts.enumerated().map { ConversationMessage(sender: $0.offset % 2 == 0 ? "a" : "b", text: $0.element) },
                language: language))
    }

    @Test(arguments: [
        ("de", "schick mir mal ein foto von dir"), ("de", "kannst du mir ein bild von dir schicken?"),
        ("de", "hast du ein aktuelles foto von dir"), ("de", "schickst du mir ein selfie"), ("de", "mach mal kurz die kamera an"),
        ("de", "wie siehst du eigentlich aus"), ("de", "ein selfie nur für mich"), ("de", "ich zeig es keinem, versprochen"),
        ("de", "schicke mir ein paar bilder von dir"), ("de", "machst du die cam an?"), ("de", "lass uns videochatten"),
        ("de", "Schickst du mir noch ein F0T0 von dir?"), ("de", "hast du eine webcam?"), ("de", "ein paar fotos von dir wären schön"),
        ("en", "can you send me a pic of you"), ("en", "send me a quick selfie"), ("en", "do you have any pics of yourself"),
        ("en", "hop on cam"), ("en", "turn on the camera for a sec"), ("en", "what do you actually look like"),
        ("en", "a selfie just for me"), ("en", "nobody else will see it"), ("en", "is your cam on?"),
        ("fr", "tu peux m'envoyer une photo de toi"), ("fr", "envoie-moi vite un selfie"), ("fr", "t'as une photo de toi ?"),
        ("fr", "allume ta webcam"), ("fr", "t'es comment physiquement"), ("fr", "un selfie rien que pour moi"),
        ("fr", "personne d'autre la verra"), ("fr", "on passe en vidéo ?"), ("fr", "envoies-moi des photos de toi"),
        ("fr", "tu m'envoies une photo de toi ?"), ("fr", "t'as une webcam ?"),
    ])
    func anImageRequestIsFound(_ language: String, _ text: String) throws {
        let result = try Self.assess(language, [text])
        #expect(result.hits.contains { $0.stage == "image_requests" }, "\(text): \(result.hits.map { "\($0.indicatorId) \($0.matched)" })")
    }

    @Test(arguments: [
        ("de", "du bist echt hübsch"), ("de", "für dein alter bist du echt reif"), ("de", "ich bin für dich da"),
        ("de", "ich versteh dich total"), ("de", "ich hab dich echt gern"), ("de", "ich vermisse dich"),
        ("de", "hast du stress mit deinen eltern?"), ("de", "du bist was ganz besonderes"), ("de", "wir ticken gleich"),
        ("de", "ich meine es nur gut mit dir"), ("de", "ich finde dich echt süß"), ("de", "du hast so schöne augen"),
        ("en", "you're so smart"), ("en", "i'm here for you"), ("en", "i know how you feel"), ("en", "i missed you"),
        ("en", "they're just jealous"), ("en", "i think you're really cute"), ("en", "we're the same, you and me"), ("en", "i'm not like the others"),
        ("fr", "t'es trop gentille"), ("fr", "je suis là pour toi"), ("fr", "je te comprends"), ("fr", "tu me manques"),
        ("fr", "ils sont juste jaloux"), ("fr", "je te trouve trop belle"), ("fr", "on est pareils toi et moi"), ("fr", "je te veux que du bien"),
    ])
    func rapportIsFound(_ language: String, _ text: String) throws {
        let result = try Self.assess(language, [text])
        #expect(Set(result.hits.map(\.stage)) == ["rapport"], "\(text): \(result.hits.map { "\($0.indicatorId) \($0.matched)" })")
        // Alone it is a weak signal: the strongest (flattery about maturity) scores 0.35.
        #expect(result.score <= 0.35, "\(text): \(result.score)")
    }

    /// A conversation of rapport, then image requests: flagged, with both stages shown.
    @Test(arguments: [
        ("de", ["hey, du bist echt was ganz besonderes", "danke", "schick mir mal ein foto von dir", "warum?", "nur für mich, ich zeig es keinem"]),
        ("en", ["you're so smart for your age", "thanks", "can you send me a pic of you", "why?", "a selfie just for me, nobody else will see it"]),
        (
            "fr",
            [
                "t'es vraiment spéciale tu sais", "merci", "tu peux m'envoyer une photo de toi", "pourquoi ?",
                "rien que pour moi, personne d'autre la verra",
            ]
        ),
    ])
    func rapportThenImageRequestsFlag(_ language: String, _ texts: [String]) throws {
        let result = try Self.assess(language, texts)
        #expect(result.level != .low, "\(result.score)")
        #expect(Set(result.stages.map(\.stage)).isSuperset(of: ["rapport", "image_requests"]), "\(result.stages.map(\.stage))")
    }

    /// Ordinary chats about holiday photos and a school camera club: low.
    @Test(arguments: [
        (
            "de",
            [
                "wie war der urlaub?", "mega schön, wir waren am meer", "schick mir mal die fotos vom strand",
                "klar, ich schick dir heute abend alle bilder", "das foto von dir mit dem eis ist so lustig",
            ]
        ),
        (
            "de",
            [
                "gehst du heute zur foto-ag?", "ja, wir lernen mit der neuen kamera zu fotografieren", "bring deine kamera mit",
                "der lehrer macht am ende ein gruppenfoto", "ich schick dir die bilder vom ausflug",
            ]
        ),
        (
            "en",
            [
                "how was your holiday?", "amazing, we went to the beach", "send me the pics from the beach",
                "sure, i'll send you all the photos tonight", "the photo of you with the ice cream is so funny",
            ]
        ),
        (
            "en",
            [
                "are you going to photography club after school?", "yes we're learning to use the new camera", "bring your camera tomorrow",
                "mr lee takes a group photo at the end", "i'll send you the pictures from the trip",
            ]
        ),
        (
            "fr",
            [
                "c'était comment tes vacances ?", "trop bien, on était à la mer", "envoie-moi les photos de la plage",
                "ok je t'envoie toutes les photos ce soir", "la photo de toi avec la glace est trop drôle",
            ]
        ),
        (
            "fr",
            [
                "tu vas au club photo après les cours ?", "oui on apprend à utiliser le nouvel appareil photo", "apporte ton appareil demain",
                "le prof fait une photo de groupe à la fin", "je t'envoie les photos de la sortie",
            ]
        ),
    ])
    func anOrdinaryChatAboutPhotosStaysLow(_ language: String, _ texts: [String]) throws {
        let result = try Self.assess(language, texts)
        #expect(result.level == .low, "\(result.score): \(result.hits.map { "\($0.indicatorId) \($0.matched)" })")
        #expect(!result.hits.contains { $0.weight >= 0.3 }, "\(result.hits.map { "\($0.indicatorId) \($0.matched)" })")
    }
}
