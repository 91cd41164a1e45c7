import Foundation
import Testing
import VigilText

/// One text indicator as a list entry's value: read and checked in one place, stored canonical.
@Suite("Listed text indicators (text_indicator values)")
struct ListedTextIndicatorTests {
    static let value =
        #"{"id": "x-meeting-1", "language": "EN", "category": "grooming", "stage": "meeting", "phrase": " come to the park alone ", "alternatives": ["meet me at the park alone"], "weight": 0.55, "explanation": "proposes to meet alone"}"#

    @Test func aValueIsReadCheckedAndStoredCanonical() throws {
        let listed = try ListedTextIndicator.read(Self.value)
        #expect(listed.language == "en" && listed.category == .grooming && listed.indicator.stage == "meeting")
        #expect(listed.indicator.phrase == "come to the park alone" && listed.indicator.alternatives == ["meet me at the park alone"])
        #expect(listed.indicator.weight == 0.55 && listed.indicator.id == "x-meeting-1")
        let canonical = listed.canonical
        #expect(
            canonical
                == #"{"alternatives":["meet me at the park alone"],"category":"grooming","explanation":"proposes to meet alone","id":"x-meeting-1","language":"en","phrase":"come to the park alone","stage":"meeting","weight":0.55}"#
        )
        // The canonical form reads back to itself, and another key order is the same value.
        #expect(try ListedTextIndicator.read(canonical).canonical == canonical)
        let reordered =
            #"{"weight":0.55,"stage":"meeting","phrase":"come to the park alone","language":"en","id":"x-meeting-1","explanation":"proposes to meet alone","category":"grooming","alternatives":["meet me at the park alone"]}"#
        #expect(try ListedTextIndicator.read(reordered).canonical == canonical)
        // Without alternatives the field is left out.
        let plain = try ListedTextIndicator.read(
            #"{"id":"t1","language":"de","category":"trafficking","stage":"passport_held","phrase":"wir behalten deinen pass","weight":0.5,"explanation":"e"}"#
        )
        #expect(!plain.canonical.contains("alternatives") && plain.indicator.alternatives.isEmpty)
    }

    @Test(arguments: [
        (#"[1,2]"#, "not a JSON object"),
        (
            #"{"id":"a","language":"en","category":"grooming","stage":"meeting","phrase":"x y","weight":0.5,"explanation":"e","phrases":[]}"#,
            "\"phrases\" is not a field"
        ),
        (#"{"id":"a","language":"eng","category":"grooming","stage":"meeting","phrase":"x y","weight":0.5,"explanation":"e"}"#, "ISO 639-1"),
        (#"{"id":"a","language":"en","category":"spam","stage":"meeting","phrase":"x y","weight":0.5,"explanation":"e"}"#, "category \"spam\""),
        (#"{"id":"a","language":"en","category":"grooming","stage":"chatting","phrase":"x y","weight":0.5,"explanation":"e"}"#, "stage \"chatting\""),
        (#"{"id":"a","language":"en","category":"grooming","stage":"meeting","phrase":"x y","weight":1.5,"explanation":"e"}"#, "weight 1.5"),
        (#"{"id":"a","language":"en","category":"grooming","stage":"meeting","phrase":"x y","weight":true,"explanation":"e"}"#, "weight"),
        (#"{"id":"a","language":"en","category":"grooming","stage":"meeting","phrase":"...","weight":0.5,"explanation":"e"}"#, "has no word"),
        (
            #"{"id":"a","language":"en","category":"grooming","stage":"meeting","phrase":"x y","weight":0.5,"explanation":"  "}"#,
            "explanation is required"
        ),
        (#"{"id":"a","language":"en","category":"grooming","stage":"meeting","weight":0.5,"explanation":"e"}"#, "phrase is missing"),
        (#"{"id":" ","language":"en","category":"grooming","stage":"meeting","phrase":"x","weight":0.5,"explanation":"e"}"#, "must not be empty"),
    ])
    func badValuesAreRefusedSayingWhy(value: String, reason: String) {
        do {
            _ = try ListedTextIndicator.read(value)
            Issue.record("accepted \(value)")
        } catch {
            #expect(error.code == .invalidIndicatorSet && error.message.contains(reason), "\(error.message)")
        }
    }

    @Test func limitsHold() {
        let long = String(repeating: "word ", count: 60)
        #expect(throws: TextError.self) {
            try ListedTextIndicator.read(
                #"{"id":"a","language":"en","category":"grooming","stage":"meeting","phrase":"\#(long)","weight":0.5,"explanation":"e"}"#)
        }
        let many = (0..<ListedTextIndicator.maxPhrasings).map { "\"phrase \($0)\"" }.joined(separator: ",")
        do {
            _ = try ListedTextIndicator.read(
                #"{"id":"a","language":"en","category":"grooming","stage":"meeting","phrase":"x","alternatives":[\#(many)],"weight":0.5,"explanation":"e"}"#
            )
            Issue.record("accepted \(ListedTextIndicator.maxPhrasings + 1) phrasings")
        } catch {
            #expect(error.message.contains("phrasings"), "\(error.message)")
        }
        let huge = String(repeating: " ", count: ListedTextIndicator.maxBytes + 1)
        #expect(throws: TextError.self) { try ListedTextIndicator.read("{}" + huge) }
    }

    @Test func aRescoredAssessmentKeepsTheRuleOfTheFullOne() throws {
        let set = IndicatorSet(
            id: "t", language: "en", category: .grooming, version: "1", provenance: IndicatorProvenance(source: "test", basis: "test"),
            indicators: [
                TextIndicator(id: "a", stage: "meeting", phrase: "meet me at the park", weight: 0.5, explanation: "e"),
                TextIndicator(id: "b", stage: "gifts", phrase: "i will buy you", weight: 0.4, explanation: "e"),
            ])
        let assessor = try ConversationAssessor(sets: [set])
        #expect(assessor.sets == [set])
        let full = try assessor.assess(
            Conversation(
                messages: [
                    ConversationMessage(sender: "a", text: "meet me at the park"), ConversationMessage(sender: "a", text: "i will buy you a game"),
                ],
                language: "en", hints: [.recipientIsMinor]))
        #expect(full.hits.count == 2)
        let kept = full.keeping { $0.indicatorId == "a" }
        let alone = try assessor.assess(
            Conversation(messages: [ConversationMessage(sender: "a", text: "meet me at the park")], language: "en", hints: [.recipientIsMinor]))
        #expect(kept.score == alone.score && kept.stages == alone.stages && kept.hints == [.recipientIsMinor])
        let none = full.keeping { _ in false }
        #expect(none.score == 0 && none.level == .low && none.hints.isEmpty)
    }
}
