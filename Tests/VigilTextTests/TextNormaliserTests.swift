import Testing
import VigilText

/// Each evasion trick the normaliser undoes, alone.
@Suite("Text normalisation")
struct TextNormaliserTests {
    @Test(arguments: [
        // Case, NFKC (full-width, styled letters), diacritics, ß.
        ("SECRET", ["secret"]),
        ("ｓｅｃｒｅｔ", ["secret"]),
        ("𝐬𝐞𝐜𝐫𝐞𝐭", ["secret"]),
        ("Geheimnis für Straße", ["geheimnis", "fur", "strasse"]),
        ("téléphone", ["telephone"]),
        // Confusable letters from Cyrillic and Greek.
        ("sеcrеt", ["secret"]),
        ("ѕесrеt", ["secret"]),
        ("sοcial", ["social"]),
        // Apostrophes inside a word; punctuation between words.
        ("don't", ["dont"]),
        ("don’t tell", ["dont", "tell"]),
        ("c'est", ["cest"]),
        ("quel âge as-tu?", ["quel", "age", "as", "tu"]),
        // Leetspeak, but not in numbers.
        ("s3cr3t", ["secret"]),
        ("sn@pch@t", ["snapchat"]),
        ("$ecret", ["secret"]),
        ("t3l3gr4m", ["telegram"]),
        ("13yo", ["13yo"]),
        ("i am 14", ["i", "am", "14"]),
        // Repeated letters.
        ("seeeecret", ["secret"]),
        ("soooo cool", ["so", "cool"]),
        // Spelled out with spaces or punctuation.
        ("s e c r e t", ["secret"]),
        ("s.e.c.r.e.t", ["secret"]),
        ("s-n-a-p", ["snap"]),
        ("r u ok", ["r", "u", "ok"]),
        // Masks stay for the matcher.
        ("s*cret", ["s*cret"]),
        ("***", []),
    ])
    func undoesTheTrick(_ input: String, _ expected: [String]) {
        #expect(TextNormaliser.tokens(input) == expected)
    }
}
