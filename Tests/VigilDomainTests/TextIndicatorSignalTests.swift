import Testing
import VigilDomain

/// The `text_indicator` signal type's one rule: VigilText's indicator format, canonical JSON; it is
/// not a hash.
@Suite("text_indicator signal values")
struct TextIndicatorSignalTests {
    @Test func valuesAreCanonicalIndicatorJSON() throws {
        let sent =
            #"{ "weight": 0.3, "id": "i1", "language": "FR", "category": "grooming", "stage": "age_probing", "phrase": "tu as quel age", "explanation": "asks the age" }"#
        #expect(
            try SignalType.textIndicator.normalise(sent)
                == #"{"category":"grooming","explanation":"asks the age","id":"i1","language":"fr","phrase":"tu as quel age","stage":"age_probing","weight":0.3}"#
        )
        #expect(SignalType.textIndicator.hexLength == nil && !SignalType.textIndicator.isPerceptual && !SignalType.textIndicator.isHash)
        #expect(SignalType(rawValue: "text_indicator") == .textIndicator)
        #expect([SignalType.pdq, .md5, .sha256, .vpdq].allSatisfy { $0.isHash })
    }

    @Test func aBadValueSaysWhatIsWrongAndWhatAValueIs() {
        do {
            _ = try SignalType.textIndicator.normalise(String(repeating: "ab", count: 32))
            Issue.record("a hex value was accepted as a text indicator")
        } catch {
            #expect(error.description.contains("not a text indicator") && error.description.contains("one JSON object"), "\(error.description)")
        }
    }
}
