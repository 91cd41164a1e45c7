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
        var words = NormalisedWords()
        normalise(text, into: &words)
        return (0..<words.count).map { String(decoding: words.bytes[words.range(of: $0)], as: UTF8.self) }
    }

    /// Normalises `text` into `words` (emptied first; its buffers are reused, so a matcher that
    /// reads many messages allocates nothing per word). The same rules as ``tokens(_:)``.
    static func normalise(_ text: String, into words: inout NormalisedWords) {
        let done = text.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            guard !bytes.contains(where: { $0 >= 0x80 }) else { return false }
            normaliseASCII(bytes, into: &words)
            return true
        }
        if done != true { normaliseScalars(text, into: &words) }
    }

    /// The fast path for ASCII text (most chat): the same rules, byte by byte, in place in
    /// `words`'s buffers (ASCII text never gets longer when normalised).
    static func normaliseASCII(_ text: UnsafeBufferPointer<UInt8>, into words: inout NormalisedWords) {
        words.removeAll()
        let length = text.count
        guard length > 0 else { return }
        words.bytes.append(contentsOf: repeatElement(0, count: length))
        words.ends.append(contentsOf: repeatElement(0, count: length / 2 + 1))
        words.singleLetter.append(contentsOf: repeatElement(false, count: length / 2 + 1))
        var count = 0
        var written = 0
        words.bytes.withUnsafeMutableBufferPointer { out in
            words.ends.withUnsafeMutableBufferPointer { ends in
                words.singleLetter.withUnsafeMutableBufferPointer { singleLetter in
                    @inline(__always) func lower(_ byte: UInt8) -> UInt8 { byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte }
                    @inline(__always) func finish(_ start: Int) {
                        let end = finishASCIIWord(out, start: start, end: written)
                        if end > start {
                            ends[count] = end
                            singleLetter[count] = end - start == 1 && isLetter(UInt32(out[start]))
                            count += 1
                        }
                        written = end
                    }
                    var wordStart = 0
                    var previousWasWordCharacter = false
                    for index in 0..<length {
                        let byte = lower(text[index])
                        if isWordCharacter(UInt32(byte)) {
                            out[written] = byte
                            written += 1
                            previousWasWordCharacter = true
                        } else if byte == 0x27 || byte == 0x60, previousWasWordCharacter, index + 1 < length,
                            isWordCharacter(UInt32(lower(text[index + 1])))
                        {
                            // an apostrophe inside a word: dropped
                        } else {
                            if written > wordStart { finish(wordStart) }
                            wordStart = written
                            previousWasWordCharacter = false
                        }
                    }
                    if written > wordStart { finish(wordStart) }
                }
            }
        }
        words.bytes.removeLast(length - written)
        words.ends.removeLast(words.ends.count - count)
        words.singleLetter.removeLast(words.singleLetter.count - count)
        joinSpelledOut(&words)
    }

    /// Steps 4-5 on the ASCII word in `out[start..<end]`, in place; its new end, or `start` when
    /// the word is only masks and symbols.
    static func finishASCIIWord(_ out: UnsafeMutableBufferPointer<UInt8>, start: Int, end: Int) -> Int {
        @inline(__always) func letter(_ byte: UInt8) -> Bool { byte >= 0x61 && byte <= 0x7A }
        @inline(__always) func digit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
        // Leetspeak, unless a number with a short suffix (`13yo`).
        var firstLetter = start
        while firstLetter < end, !letter(out[firstLetter]) { firstLetter += 1 }
        if firstLetter < end {
            var number = firstLetter > start && end - firstLetter <= 3
            if number {
                for index in start..<firstLetter where !digit(out[index]) { number = false }
                for index in firstLetter..<end where !letter(out[index]) { number = false }
            }
            if !number {
                for index in start..<end {
                    switch out[index] {
                    case 0x30: out[index] = 0x6F  // 0 → o
                    case 0x31: out[index] = 0x69  // 1 → i
                    case 0x33: out[index] = 0x65  // 3 → e
                    case 0x34: out[index] = 0x61  // 4 → a
                    case 0x35: out[index] = 0x73  // 5 → s
                    case 0x37: out[index] = 0x74  // 7 → t
                    case 0x40: out[index] = 0x61  // @ → a
                    case 0x24: out[index] = 0x73  // $ → s
                    default: break
                    }
                }
            }
        }
        // Runs of three or more of a letter as one.
        var write = start
        var index = start
        while index < end {
            let byte = out[index]
            var runEnd = index + 1
            while runEnd < end, out[runEnd] == byte { runEnd += 1 }
            if runEnd - index >= 3, letter(byte) {
                out[write] = byte
                write += 1
            } else {
                for _ in index..<runEnd {
                    out[write] = byte
                    write += 1
                }
            }
            index = runEnd
        }
        // Only masks and symbols: nothing.
        for index in start..<write where out[index] != 0x2A && out[index] != 0x40 && out[index] != 0x24 { return write }
        return start
    }

    /// The general path: any text, scalar by scalar.
    /// `shortcuts: false` folds every text in full (the reference the fast paths are tested against).
    static func normaliseScalars(_ text: String, into words: inout NormalisedWords, shortcuts: Bool = true) {
        words.removeAll()
        // 1-2. Lower case (ASCII) or NFKC, folding and diacritics; confusables read as Latin.
        var ascii = true
        for byte in text.utf8 where byte >= 0x80 {
            ascii = false
            break
        }
        if ascii && shortcuts {
            for byte in text.utf8 { words.scalars.append(UInt32(byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte)) }
        } else if !shortcuts || !simpleFold(text, into: &words.scalars) {
            words.scalars.removeAll(keepingCapacity: true)
            for scalar in fold(text).unicodeScalars { words.scalars.append(confusable(scalar).value) }
        }
        // 3. Words, apostrophes inside them dropped.
        var previousWasWordCharacter = false
        let count = words.scalars.count
        var index = 0
        while index < count {
            let scalar = words.scalars[index]
            if isWordCharacter(scalar) {
                words.word.append(scalar)
                previousWasWordCharacter = true
            } else if isApostrophe(scalar), previousWasWordCharacter, index + 1 < count, isWordCharacter(words.scalars[index + 1]) {
                // dropped
            } else {
                finishWord(&words)
                previousWasWordCharacter = false
            }
            index += 1
        }
        finishWord(&words)
        joinSpelledOut(&words)
    }

    /// 4-5. The word being read, leetspeak undone and repeats collapsed, appended as a token
    /// unless it is only masks and symbols (which say nothing).
    static func finishWord(_ words: inout NormalisedWords) {
        guard !words.word.isEmpty else { return }
        deleet(&words.word)
        collapseRepeats(&words.word)
        if words.word.contains(where: { $0 != 0x2A && $0 != 0x40 && $0 != 0x24 }) {
            for scalar in words.word {
                if scalar < 0x80 {
                    words.bytes.append(UInt8(truncatingIfNeeded: scalar))
                } else if let unicode = Unicode.Scalar(scalar) {
                    words.bytes.append(contentsOf: unicode.utf8)
                }
            }
            words.ends.append(words.bytes.count)
            words.singleLetter.append(words.word.count == 1 && isLetter(words.word[0]))
        }
        words.word.removeAll(keepingCapacity: true)
    }

    /// Steps 1-2 scalar by scalar, for text whose scalars are all ASCII or in ``simpleFolds``
    /// (German and French letters, Cyrillic and Greek ones): false, with `scalars` half written,
    /// for any other scalar (a combining mark, a styled letter…), which needs ``fold(_:)``.
    static func simpleFold(_ text: String, into scalars: inout [UInt32]) -> Bool {
        for scalar in text.unicodeScalars {
            let value = scalar.value
            if value < 0x80 {
                scalars.append(value >= 0x41 && value <= 0x5A ? value | 0x20 : value)
            } else if let folded = simpleFolds[value] {
                scalars.append(contentsOf: folded)
            } else {
                return false
            }
        }
        return true
    }

    /// What ``fold(_:)`` then ``confusable(_:)`` make of each letter of Latin-1 (`À`-`ÿ`), basic
    /// Cyrillic and Greek (but `Σ`, whose lower case depends on its place in the word): none of them
    /// combines with its neighbours under NFKC or lower-cases by context, so folding it alone is
    /// folding it in its text.
    static let simpleFolds: [UInt32: [UInt32]] = {
        var table: [UInt32: [UInt32]] = [:]
        let ranges: [ClosedRange<UInt32>] = [0xC0...0xFF, 0x0391...0x03A1, 0x03A4...0x03C9, 0x0400...0x045F]
        for value in ranges.joined() {
            guard let scalar = Unicode.Scalar(value) else { continue }
            table[value] = fold(String(Character(scalar))).unicodeScalars.map { confusable($0).value }
        }
        return table
    }()

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

    static func isWordCharacter(_ scalar: UInt32) -> Bool {
        if scalar < 0x80 {
            return (0x61...0x7A).contains(scalar) || (0x30...0x39).contains(scalar) || scalar == 0x40 || scalar == 0x24 || scalar == 0x2A
        }
        return Unicode.Scalar(scalar)?.properties.isAlphabetic ?? false
    }

    static func isApostrophe(_ scalar: UInt32) -> Bool {
        scalar == 0x27 || scalar == 0x2019 || scalar == 0x60 || scalar == 0xB4
    }

    static func isLetter(_ scalar: UInt32) -> Bool {
        scalar < 0x80 ? (0x61...0x7A).contains(scalar) : (Unicode.Scalar(scalar)?.properties.isAlphabetic ?? false)
    }

    static func isDigit(_ scalar: UInt32) -> Bool { (0x30...0x39).contains(scalar) }

    /// Leetspeak undone in a word that has letters, unless it is a number with a short suffix.
    static func deleet(_ word: inout [UInt32]) {
        guard let firstLetter = word.firstIndex(where: isLetter) else { return }
        // `13yo`, `14f`, `2nd`: digits then at most three letters read as a number.
        if firstLetter > 0, word[..<firstLetter].allSatisfy(isDigit), word.count - firstLetter <= 3, word[firstLetter...].allSatisfy(isLetter) {
            return
        }
        for index in word.indices {
            switch word[index] {
            case 0x30: word[index] = 0x6F  // 0 → o
            case 0x31: word[index] = 0x69  // 1 → i
            case 0x33: word[index] = 0x65  // 3 → e
            case 0x34: word[index] = 0x61  // 4 → a
            case 0x35: word[index] = 0x73  // 5 → s
            case 0x37: word[index] = 0x74  // 7 → t
            case 0x40: word[index] = 0x61  // @ → a
            case 0x24: word[index] = 0x73  // $ → s
            default: break
            }
        }
    }

    /// Runs of three or more of the same letter as one.
    static func collapseRepeats(_ word: inout [UInt32]) {
        let count = word.count
        guard count >= 3 else { return }
        var write = 0
        var index = 0
        while index < count {
            let scalar = word[index]
            var end = index + 1
            while end < count, word[end] == scalar { end += 1 }
            if end - index >= 3, isLetter(scalar) {
                word[write] = scalar
                write += 1
            } else {
                for _ in index..<end {
                    word[write] = scalar
                    write += 1
                }
            }
            index = end
        }
        word.removeLast(count - write)
    }

    /// 6. Four or more one-letter words in a row joined into one word (they lie back to back in
    /// the buffer, so joining them is dropping the ends between them).
    static func joinSpelledOut(_ words: inout NormalisedWords) {
        let count = words.ends.count
        guard count >= 4 else { return }
        var write = 0
        var index = 0
        while index < count {
            var end = index
            while end < count, words.singleLetter[end] { end += 1 }
            if end - index >= 4 {
                words.ends[write] = words.ends[end - 1]
                words.singleLetter[write] = false
                write += 1
                index = end
            } else {
                words.ends[write] = words.ends[index]
                words.singleLetter[write] = words.singleLetter[index]
                write += 1
                index += 1
            }
        }
        words.ends.removeLast(count - write)
        words.singleLetter.removeLast(count - write)
    }
}

/// A message's words after normalisation: their UTF-8 bytes back to back, and where each ends.
/// Its buffers are kept from message to message.
struct NormalisedWords {
    /// The words' UTF-8, back to back.
    var bytes: [UInt8] = []
    /// Where each word ends in `bytes`.
    var ends: [Int] = []
    /// Whether each word is one letter (for joining spelled-out words).
    var singleLetter: [Bool] = []
    /// The prepared text's scalars (folded, confusables read as Latin).
    var scalars: [UInt32] = []
    /// The word being read.
    var word: [UInt32] = []

    /// How many words.
    var count: Int { ends.count }

    /// Where word `index` lies in `bytes`.
    func range(of index: Int) -> Range<Int> { (index == 0 ? 0 : ends[index - 1])..<ends[index] }

    /// Empties it, keeping the buffers.
    mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
        singleLetter.removeAll(keepingCapacity: true)
        scalars.removeAll(keepingCapacity: true)
        word.removeAll(keepingCapacity: true)
    }
}
