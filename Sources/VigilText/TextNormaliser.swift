import Foundation

/// Turns text into the tokens that indicators are matched on, undoing the usual tricks that hide
/// words from filters. Indicator phrases go through the same normaliser, so both sides agree.
///
/// In order:
/// 1. Unicode compatibility normalisation (NFKC: full-width and styled letters become plain ones)
///    and case folding (`ß` becomes `ss`), then diacritics are dropped (`é` → `e`, `ü` → `u`).
/// 2. Confusable letters from other scripts become the Latin letter they imitate (Cyrillic `а`,
///    `е`, `о`, `р`, `с`…, Greek `ο`, `α`…).
/// 3. Words are runs of letters, digits and the characters `@ $ *`; apostrophes inside a word are
///    dropped (`don't` → `dont`); everything else separates words.
/// 4. Leetspeak inside words that have letters: `0→o 1→i 3→e 4→a 5→s 7→t @→a $→s` (`s3cr3t` →
///    `secret`), except in a number with a short suffix (`13yo`, `14f` stay as they are).
/// 5. A run of a letter repeated three or more times becomes one (`sooooo` → `so`).
/// 6. Four or more single letters in a row are one word (`s e c r e t`, `s.e.c.r.e.t` → `secret`).
/// 7. A `*` stands for one hidden letter (`s*cret`); ``IndicatorMatcher`` matches a word with one.
public enum TextNormaliser {
    /// The tokens of `text`.
    public static func tokens(_ text: String) -> [String] {
        var words: [[Unicode.Scalar]] = []
        var current: [Unicode.Scalar] = []
        func flush() {
            if !current.isEmpty { words.append(current) }
            current.removeAll(keepingCapacity: true)
        }
        let prepared = text.unicodeScalars.allSatisfy(\.isASCII) ? text.lowercased() : fold(text)
        var previousWasWordCharacter = false
        let scalars = Array(prepared.unicodeScalars)
        for (index, raw) in scalars.enumerated() {
            let scalar = confusable(raw)
            if isWordCharacter(scalar) {
                current.append(scalar)
                previousWasWordCharacter = true
            } else if isApostrophe(scalar), previousWasWordCharacter, index + 1 < scalars.count,
                isWordCharacter(confusable(scalars[index + 1]))
            {
                continue
            } else {
                flush()
                previousWasWordCharacter = false
            }
        }
        flush()
        var tokens: [String] = []
        tokens.reserveCapacity(words.count)
        for word in words {
            let cleaned = collapseRepeats(deleet(word))
            // A word of only masks or symbols says nothing.
            guard cleaned.contains(where: { $0 != "*" && $0 != "@" && $0 != "$" }) else { continue }
            tokens.append(String(String.UnicodeScalarView(cleaned)))
        }
        return joinSpelledOut(tokens)
    }

    /// NFKC, case folding and diacritics dropped, for text that is not plain ASCII.
    static func fold(_ text: String) -> String {
        var folded = ""
        folded.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        // Canonical decomposition after compatibility composition: base letters then their marks.
        let decomposed = text.precomposedStringWithCompatibilityMapping.lowercased().decomposedStringWithCanonicalMapping
        for scalar in decomposed.unicodeScalars {
            switch scalar.properties.generalCategory {
            case .nonspacingMark, .spacingMark, .enclosingMark: continue
            default: break
            }
            if scalar == "ß" {
                folded.unicodeScalars.append(contentsOf: "ss".unicodeScalars)
            } else {
                folded.unicodeScalars.append(scalar)
            }
        }
        return folded
    }

    /// Letters from other scripts that look like Latin ones, as the Latin letter.
    static func confusable(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        guard !scalar.isASCII else { return scalar }
        switch scalar.value {
        // Cyrillic
        case 0x0430: return "a"
        case 0x0435, 0x0451: return "e"
        case 0x043E: return "o"
        case 0x0440: return "p"
        case 0x0441: return "c"
        case 0x0445: return "x"
        case 0x0443: return "y"
        case 0x0456, 0x0457: return "i"
        case 0x0455: return "s"
        case 0x0458: return "j"
        case 0x043A: return "k"
        case 0x043C: return "m"
        case 0x0442: return "t"
        case 0x043D: return "h"
        case 0x0432: return "b"
        case 0x04CF: return "l"
        // Greek
        case 0x03BF: return "o"
        case 0x03B1: return "a"
        case 0x03B5: return "e"
        case 0x03B9: return "i"
        case 0x03BA: return "k"
        case 0x03BD: return "v"
        case 0x03C1: return "p"
        case 0x03C4: return "t"
        case 0x03C5: return "u"
        case 0x03C7: return "x"
        default: return scalar
        }
    }

    static func isWordCharacter(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII {
            let value = scalar.value
            return (0x61...0x7A).contains(value) || (0x30...0x39).contains(value) || scalar == "@" || scalar == "$" || scalar == "*"
        }
        return scalar.properties.isAlphabetic
    }

    static func isApostrophe(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "'" || scalar == "\u{2019}" || scalar == "`" || scalar == "\u{00B4}"
    }

    static func isLetter(_ scalar: Unicode.Scalar) -> Bool {
        scalar.isASCII ? (0x61...0x7A).contains(scalar.value) : scalar.properties.isAlphabetic
    }

    static func isDigit(_ scalar: Unicode.Scalar) -> Bool { (0x30...0x39).contains(scalar.value) }

    /// Leetspeak undone in a word that has letters, unless it is a number with a short suffix.
    static func deleet(_ word: [Unicode.Scalar]) -> [Unicode.Scalar] {
        guard word.contains(where: isLetter) else { return word }
        // `13yo`, `14f`, `2nd`: digits then at most three letters read as a number.
        if let firstLetter = word.firstIndex(where: isLetter), firstLetter > 0, word[..<firstLetter].allSatisfy(isDigit),
            word.count - firstLetter <= 3, word[firstLetter...].allSatisfy(isLetter)
        {
            return word
        }
        return word.map { scalar in
            switch scalar {
            case "0": "o"
            case "1": "i"
            case "3": "e"
            case "4": "a"
            case "5": "s"
            case "7": "t"
            case "@": "a"
            case "$": "s"
            default: scalar
            }
        }
    }

    /// Runs of three or more of the same letter as one.
    static func collapseRepeats(_ word: [Unicode.Scalar]) -> [Unicode.Scalar] {
        guard word.count >= 3 else { return word }
        var result: [Unicode.Scalar] = []
        result.reserveCapacity(word.count)
        var index = 0
        while index < word.count {
            var end = index + 1
            while end < word.count, word[end] == word[index] { end += 1 }
            let run = end - index
            if run >= 3, isLetter(word[index]) {
                result.append(word[index])
            } else {
                result.append(contentsOf: word[index..<end])
            }
            index = end
        }
        return result
    }

    /// Four or more one-letter words in a row joined into one word.
    static func joinSpelledOut(_ tokens: [String]) -> [String] {
        guard tokens.count >= 4 else { return tokens }
        var result: [String] = []
        result.reserveCapacity(tokens.count)
        var index = 0
        while index < tokens.count {
            var end = index
            while end < tokens.count, tokens[end].unicodeScalars.count == 1, tokens[end].unicodeScalars.first.map(isLetter) == true {
                end += 1
            }
            if end - index >= 4 {
                result.append(tokens[index..<end].joined())
                index = end
            } else {
                result.append(tokens[index])
                index += 1
            }
        }
        return result
    }
}
