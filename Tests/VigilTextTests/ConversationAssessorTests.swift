import Foundation
import Synchronization
import Testing
import VigilTestSupport
import VigilText

/// Conversations written for the purpose (non-explicit: secrecy requests, age questions, moves to
/// another app, gift offers, meeting plans) in English, German and French, and ordinary chats,
/// against the sets shipped in `data/text-indicators`.
@Suite("Conversation assessment")
struct ConversationAssessorTests {
    static func shippedSets() throws -> [IndicatorSet] {
        try ["en", "de", "fr"].map { language in
            let url = TestPaths.packageRoot.appendingPathComponent("data/text-indicators/grooming-\(language).json")
            return try IndicatorSet.read(try Data(contentsOf: url))
        }
    }

    static func conversation(_ language: String, _ texts: [String], hints: [ConversationHint] = []) -> Conversation {
        Conversation(
            messages: texts.enumerated().map { ConversationMessage(sender: $0.offset % 2 == 0 ? "a" : "b", text: $0.element) }, language: language,
            hints: hints)
    }

    @Test func theShippedSetsLoadWithProvenanceInThreeLanguages() throws {
        let sets = try Self.shippedSets()
        #expect(sets.map(\.language) == ["en", "de", "fr"])
        for set in sets {
            #expect(set.category == .grooming)
            #expect(!set.provenance.source.isEmpty && !set.provenance.basis.isEmpty)
            // Every stage is covered in every language.
            #expect(Set(set.indicators.compactMap { GroomingStage(rawValue: $0.stage) }) == Set(GroomingStage.allCases))
        }
    }

    @Test(arguments: [
        ("en", ["hey how was school", "how old are you?", "dont tell ur parents ok", "add me on snapchat", "lets meet up after school"]),
        ("de", ["hi wie war die schule", "wie alt bist du", "sag es nicht deinen eltern", "schreib mir auf snapchat", "lass uns treffen"]),
        ("fr", ["salut ça va", "quel âge as-tu", "ne dis rien à tes parents", "ajoute moi sur snapchat", "on se voit samedi"]),
    ])
    func aGroomingPatternScoresHighWithItsStagesAndReasons(_ language: String, _ texts: [String]) throws {
        let assessor = try ConversationAssessor(sets: Self.shippedSets())
        let result = try assessor.assess(Self.conversation(language, texts))
        #expect(result.level == .high, "\(result.score)")
        let stages = Set(result.stages.map(\.stage))
        #expect(stages.isSuperset(of: ["age_probing", "isolation_secrecy", "platform_move", "meeting"]), "\(stages)")
        // Each hit says which message, which words and why.
        let secrecy = try #require(result.hits.first { $0.stage == "isolation_secrecy" })
        #expect(secrecy.message == 2)
        #expect(!secrecy.explanation.isEmpty && !secrecy.matched.isEmpty)
        #expect(result.languages == [language])
    }

    @Test(arguments: [
        ("en", ["are you coming to practice tomorrow?", "yes, my mum is driving me", "cool, bring the ball", "see you at 5"]),
        ("de", ["kommst du morgen zum training?", "ja, meine mutter fährt mich", "super, bring den ball mit", "bis um 5"]),
        ("fr", ["tu viens à l'entraînement demain ?", "oui, ma mère m'emmène", "cool, apporte le ballon", "à 17h"]),
    ])
    func anOrdinaryChatScoresLow(_ language: String, _ texts: [String]) throws {
        let result = try ConversationAssessor(sets: Self.shippedSets()).assess(Self.conversation(language, texts))
        #expect(result.level == .low)
        #expect(result.hits.isEmpty, "\(result.hits.map(\.indicatorId))")
    }

    /// Each evasion trick, in each language: the disguised secrecy request is still found.
    @Test(arguments: [
        ("en", "D0N'T T3LL Y0UR P4R3NTS"), ("en", "don't tell your p a r e n t s"), ("en", "dоn't tеll yоur pаrеnts"),
        ("en", "don't tell your par*nts"), ("en", "dooon't tell your parentsss"),
        ("de", "SAG ES NICHT DEINEN 3LT3RN"), ("de", "sag es nicht deinen e l t e r n"), ("de", "sаg еs nicht dеinеn Eltеrn"),
        ("de", "sag es nicht deinen elt*rn"),
        ("fr", "NE DIS RIEN À TES P4R3NTS"), ("fr", "ne dis rien a tes p.a.r.e.n.t.s"), ("fr", "nе dіs rіеn à tеs pаrеnts"),
        ("fr", "ne dis rien à tes par*nts"),
        // Full-width and styled letters, repeated letters, the language's chat abbreviations,
        // typographic apostrophes.
        ("en", "ｄｏｎ'ｔ ｔｅｌｌ ｙｏｕｒ ｐａｒｅｎｔｓ"), ("en", "𝐝𝐨𝐧'𝐭 𝐭𝐞𝐥𝐥 𝐲𝐨𝐮𝐫 𝐩𝐚𝐫𝐞𝐧𝐭𝐬"), ("en", "dont tell ur parents"),
        ("de", "saaag es nicht deinen elternnn"), ("de", "ｓａｇ ｅｓ ｎｉｃｈｔ ｄｅｉｎｅｎ ｅｌｔｅｒｎ"), ("de", "sag deinen eltern nix"),
        ("fr", "ne diiis rien à tes parentsss"), ("fr", "ｎｅ ｄｉｓ ｒｉｅｎ à ｔｅｓ ｐａｒｅｎｔｓ"), ("fr", "n’en parle pas à tes parents"),
    ])
    func anEvasionTrickIsUndone(_ language: String, _ text: String) throws {
        let result = try ConversationAssessor(sets: Self.shippedSets()).assess(Self.conversation(language, [text]))
        #expect(result.hits.map(\.stage) == ["isolation_secrecy"], "\(text): \(result.hits.map(\.matched))")
    }

    @Test func aGapLetsOtherWordsIn() throws {
        let result = try ConversationAssessor(sets: Self.shippedSets()).assess(Self.conversation("en", ["please keep this little thing secret"]))
        #expect(result.hits.map(\.indicatorId) == ["en-isolation_secrecy-10"])
        let tooFar = try ConversationAssessor(sets: Self.shippedSets()).assess(
            Self.conversation("en", ["keep the door open and the window shut, no secret"]))
        #expect(tooFar.hits.isEmpty)
    }

    @Test func theScoreFollowsItsRule() throws {
        let assessor = try ConversationAssessor(sets: Self.shippedSets())
        let one = try assessor.assess(Self.conversation("en", ["how old are you"]))
        #expect(abs(one.score - 0.25) < 1e-9 && one.level == .low)
        let two = try assessor.assess(Self.conversation("en", ["how old are you", "i have a gift card for you"]))
        #expect(abs(two.score - (1 - 0.75 * 0.7)) < 1e-9 && two.level == .medium)
        // The same stage twice counts once, at its strongest.
        let again = try assessor.assess(Self.conversation("en", ["how old are you", "how old are you"]))
        #expect(abs(again.score - 0.25) < 1e-9 && again.stages.first?.hits == 2)
        let minor = try assessor.assess(Self.conversation("en", ["how old are you"], hints: [.recipientIsMinor]))
        #expect(abs(minor.score - (1 - 0.75 * 0.75)) < 1e-9 && minor.hints == [.recipientIsMinor])
    }

    /// Each hint raises the score of a conversation in which an indicator fired by its exponent
    /// (minor 2, new account 1.5, first contact 1.5, in that order), and never scores one without.
    @Test func eachHintRaisesTheScoreByItsRuleAndNeverMakesOne() throws {
        let assessor = try ConversationAssessor(sets: Self.shippedSets())
        func score(_ hints: [ConversationHint], _ texts: [String] = ["how old are you"]) throws -> TextAssessment {
            try assessor.assess(Self.conversation("en", texts, hints: hints))
        }
        let first = try score([.firstContact])
        #expect(abs(first.score - (1 - pow(0.75, 1.5))) < 1e-12 && first.hints == [.firstContact] && first.level == .medium)
        let new = try score([.senderAccountNew])
        #expect(new.score == first.score && new.hints == [.senderAccountNew])
        let both = try score([.firstContact, .senderAccountNew])
        #expect(abs(both.score - (1 - pow(0.75, 2.25))) < 1e-12 && both.hints == [.senderAccountNew, .firstContact])
        let all = try score([.firstContact, .recipientIsMinor, .senderAccountNew])
        #expect(abs(all.score - (1 - pow(0.75, 4.5))) < 1e-12 && all.hints == [.recipientIsMinor, .senderAccountNew, .firstContact])
        let minor = try score([.recipientIsMinor])
        #expect(all.level == .high && both.score > minor.score)
        // The order the provider sends them in does not change a bit of the score.
        #expect(try score([.senderAccountNew, .recipientIsMinor, .firstContact]).score == all.score)
        // An ordinary chat stays at 0 whatever the hints say.
        let ordinary = try score(ConversationHint.allCases, ["are you coming to practice tomorrow?", "see you at 5"])
        #expect(ordinary.score == 0 && ordinary.hints.isEmpty && ordinary.level == .low)
    }

    /// The same conversation gets the same score to the last bit from every assessment, also when
    /// many run at once (the stages are combined in a fixed order, not a dictionary's, whose order
    /// depends on where its storage lies), so the node's answers are the same bytes.
    @Test func theScoreIsTheSameToTheLastBitEveryTime() throws {
        let assessor = try ConversationAssessor(sets: Self.shippedSets())
        let conversations = [
            Self.conversation("en", ["hey how was school", "how old are you?", "dont tell ur parents ok", "add me on snapchat", "lets meet up"]),
            Self.conversation(
                "de", ["hi wie war die schule", "wie alt bist du", "sag es nicht deinen eltern", "schreib mir auf snapchat", "lass uns treffen"]),
            Self.conversation("fr", ["salut ça va", "quel âge as-tu", "ne dis rien à tes parents", "ajoute moi sur snapchat", "on se voit samedi"]),
        ]
        let seen = Mutex<[Int: Set<UInt64>]>([:])
        DispatchQueue.concurrentPerform(iterations: 600) { round in
            let score = (try? assessor.assess(conversations[round % 3]).score.bitPattern) ?? 0
            seen.withLock { $0[round % 3, default: []].insert(score) }
        }
        seen.withLock { seen in
            #expect(seen.count == 3 && seen.values.allSatisfy { $0.count == 1 && !$0.contains(0) }, "\(seen)")
        }
    }

    @Test func badInputIsRefusedClearly() throws {
        let assessor = try ConversationAssessor(sets: Self.shippedSets())
        #expect(throws: TextError(code: .unknownLanguage, message: "no indicator set is loaded for language \"xx\"; loaded: de, en, fr")) {
            try assessor.assess(Self.conversation("xx", ["hello"]))
        }
        let long = String(repeating: "a", count: ConversationAssessor.maxMessageCharacters + 1)
        #expect { try assessor.assess(Self.conversation("en", [long])) } throws: { ($0 as? TextError)?.code == .invalidConversation }
        // Sets: wrong format, bad language, duplicate ids, a weight out of range, an unknown stage.
        var set = try #require(try Self.shippedSets().first)
        for (change, words) in [
            ({ (s: inout IndicatorSet) in s.language = "english" }, "ISO 639-1"),
            ({ (s: inout IndicatorSet) in s.indicators[1].id = s.indicators[0].id }, "used twice"),
            ({ (s: inout IndicatorSet) in s.indicators[0].weight = 1.5 }, "weight"),
            ({ (s: inout IndicatorSet) in s.indicators[0].stage = "flirting" }, "stage"),
            ({ (s: inout IndicatorSet) in s.indicators[0].phrase = "..." }, "no word"),
        ] as [((inout IndicatorSet) -> Void, String)] {
            var bad = set
            change(&bad)
            #expect { try bad.validate() } throws: { "\($0)".contains(words) }
        }
        #expect { try IndicatorSet.read(Data(#"{"format": "other"}"#.utf8)) } throws: { ($0 as? TextError)?.code == .invalidIndicatorSet }
        set.id = "copy"
        #expect { try ConversationAssessor(sets: [set, set]) } throws: { "\($0)".contains("two sets") }
    }
}
