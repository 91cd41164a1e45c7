import Testing

@testable import VigilText

/// The normaliser's fast paths (ASCII byte by byte; German, French, Cyrillic and Greek letters
/// scalar by scalar) give exactly what the full path (NFKC, case folding, decomposition) gives.
@Suite("Text normalisation: fast paths")
struct NormaliserPathsTests {
    /// A seeded generator (splitmix64).
    struct Seeded {
        var state: UInt64
        mutating func below(_ n: Int) -> Int {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Int((z ^ (z >> 31)) % UInt64(n))
        }
    }

    static func full(_ text: String) -> [String] {
        var words = NormalisedWords()
        TextNormaliser.normaliseScalars(text, into: &words, shortcuts: false)
        return (0..<words.count).map { String(decoding: words.bytes[words.range(of: $0)], as: UTF8.self) }
    }

    static func random(_ alphabet: [Character], _ random: inout Seeded) -> String {
        String((0..<(1 + random.below(40))).map { _ in alphabet[random.below(alphabet.count)] })
    }

    @Test func theASCIIPathAgreesWithTheFullPath() {
        // Letters in both cases, leet digits, masks and symbols, apostrophes, separators; short
        // words and repeats are likely with so few letters.
        let alphabet = Array("aAbeEosStTxX0134579@$*'` .,-!?\t\n")
        var random = Seeded(state: 13)
        for _ in 0..<5_000 {
            let text = Self.random(alphabet, &random)
            #expect(TextNormaliser.tokens(text) == Self.full(text), "\(text.debugDescription)")
        }
    }

    @Test func theLetterTablePathAgreesWithTheFullPath() {
        // Latin-1 letters (ß, accents, Æ), Cyrillic and Greek look-alikes in both cases, the
        // apostrophes that are not ASCII, then (in one text in three) a scalar only the full path
        // folds: a combining accent, a full-width letter, a styled letter, ´, Σ.
        let letters = Array("aeEsS3'ßÄäÉéèêçÇœÆøÿÀàüÜоОеЕаАрсхіїёЁΟοαΑεΕ’ .-")
        let others = Array("\u{0301}ｓ𝐬´Σ\u{00A0}")
        var random = Seeded(state: 44)
        for round in 0..<5_000 {
            var text = Self.random(letters, &random)
            if round % 3 == 0 { text.insert(others[random.below(others.count)], at: text.index(text.startIndex, offsetBy: random.below(text.count))) }
            #expect(TextNormaliser.tokens(text) == Self.full(text), "\(text.debugDescription)")
        }
    }
}
