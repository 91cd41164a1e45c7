/// One language's compiled sets, shared by reference (an assessment reads it, never copies it).
final class IndicatorMatcher: Sendable {
    let tables: MatcherTables

    init(_ sets: [IndicatorSet]) { tables = MatcherTables(sets) }
}

/// The phrases of one language's sets as a word trie (with gaps), over word ids. Words are looked
/// up by their normalised UTF-8 bytes straight from the message's buffer (``NormalisedWords``).
struct MatcherTables: Sendable {
    /// One phrasing of an indicator.
    struct Entry: Sendable {
        let setId: String
        let category: IndicatorCategory
        let indicator: TextIndicator
        /// The indicator's number in the matcher (its phrasings share it: it matches once).
        let number: Int32
        /// The phrasing, as the set writes it.
        let phrase: String
    }

    /// One word of an abbreviation's long form: its id and where its bytes lie in `expansionBytes`.
    struct ExpandedWord: Sendable {
        let id: Int32
        let start: Int32
        let end: Int32
    }

    /// A message's word as matched: its id (-1: no phrase has it) and its bytes, in the message's
    /// buffer or (for an abbreviation's long form) in `expansionBytes`.
    struct Position {
        let id: Int32
        let start: Int32
        let end: Int32
        let expanded: Bool
    }

    /// What matching a message needs, kept from message to message.
    struct Scratch {
        var words = NormalisedWords()
        var positions: [Position] = []
        /// Entries found in the message, with the positions they span, in the order found (one
        /// per indicator).
        var found: [(entry: Int32, from: Int, to: Int)] = []
        /// The indicators found, by number.
        var foundIndicators: [Int32] = []
        /// The same, once there are many.
        var foundSet = Set<Int32>()
    }

    /// Word bytes → word id (the key's index).
    var vocabulary = ByteTable()
    /// A word with one letter hidden (`s*cret`) → the word it can only be (-2 when ambiguous).
    var masked = ByteTable()
    /// The sets' abbreviations: a word → the index of its long form in `expansions`.
    var abbreviations = ByteTable()
    var expansions: [[ExpandedWord]] = []
    var expansionBytes: [UInt8] = []
    /// The root's children by word id (-1: none).
    var rootChildren: [Int32] = []
    /// The other nodes' children.
    var edges = EdgeTable()
    /// Each node's gap child (-1: none).
    var gaps: [Int32] = []
    /// Node `n`'s terminals are `terminals[terminalStarts[n]..<terminalStarts[n + 1]]`.
    var terminalStarts: [Int32] = []
    var terminals: [Int32] = []
    var entries: [Entry] = []

    init(_ sets: [IndicatorSet]) {
        struct Node {
            var children: [Int32: Int32] = [:]
            var gap: Int32 = -1
            var terminals: [Int32] = []
        }
        var nodes = [Node()]
        var indicatorCount: Int32 = -1
        var longForms: [String: [String]] = [:]
        for set in sets {
            for (short, long) in set.abbreviations { longForms[short] = TextNormaliser.tokens(long) }
            for indicator in set.indicators {
                indicatorCount += 1
                for phrase in indicator.phrasings {
                    let entry = Int32(entries.count)
                    entries.append(Entry(setId: set.id, category: set.category, indicator: indicator, number: indicatorCount, phrase: phrase))
                    var node = 0
                    for part in PhrasePattern(phrase).parts {
                        let next: Int32?
                        switch part {
                        case .word(let word):
                            let id = wordId(Array(word.utf8))
                            next = nodes[node].children[id]
                            if next == nil { nodes[node].children[id] = Int32(nodes.count) }
                        case .gap:
                            next = nodes[node].gap >= 0 ? nodes[node].gap : nil
                            if next == nil { nodes[node].gap = Int32(nodes.count) }
                        }
                        if let next {
                            node = Int(next)
                        } else {
                            nodes.append(Node())
                            node = nodes.count - 1
                        }
                    }
                    nodes[node].terminals.append(entry)
                }
            }
        }
        rootChildren = Array(repeating: -1, count: vocabulary.count)
        for (index, node) in nodes.enumerated() {
            for (word, child) in node.children {
                if index == 0 { rootChildren[Int(word)] = child } else { edges.insert(Int32(index), word, child: child) }
            }
            gaps.append(node.gap)
            terminalStarts.append(Int32(terminals.count))
            terminals += node.terminals
        }
        terminalStarts.append(Int32(terminals.count))
        for (short, long) in longForms {
            var expansion: [ExpandedWord] = []
            for word in long {
                let start = Int32(expansionBytes.count)
                expansionBytes += word.utf8
                let id: Int32 = expansionBytes.withUnsafeBufferPointer { bytes in self.id(of: UnsafeBufferPointer(rebasing: bytes[Int(start)...])) }
                expansion.append(ExpandedWord(id: id, start: start, end: Int32(expansionBytes.count)))
            }
            let index = Int32(expansions.count)
            expansions.append(expansion)
            abbreviations.update(Array(short.utf8)) { _ in index }
        }
    }

    /// The id of a phrase's word, added (with its one-letter-hidden forms) when new.
    mutating func wordId(_ word: [UInt8]) -> Int32 {
        if let id = vocabulary.value(of: word) { return id }
        let id = Int32(vocabulary.count)
        vocabulary.update(word) { _ in id }
        // Each scalar in turn replaced by `*` (UTF-8: a scalar starts at a byte that is not 10xxxxxx).
        var hidden: [UInt8] = []
        for start in word.indices where word[start] & 0xC0 != 0x80 {
            var end = start + 1
            while end < word.count, word[end] & 0xC0 == 0x80 { end += 1 }
            hidden.removeAll(keepingCapacity: true)
            hidden += word[..<start]
            hidden.append(UInt8(ascii: "*"))
            hidden += word[end...]
            masked.update(hidden) { old in old == nil || old == id ? id : -2 }
        }
        return id
    }

    /// The id of a message's word (-1 when no phrase has it).
    func id(of word: UnsafeBufferPointer<UInt8>) -> Int32 {
        if let id = vocabulary.value(of: word) { return id }
        if word.contains(UInt8(ascii: "*")), let id = masked.value(of: word), id >= 0 { return id }
        return -1
    }

    /// Appends the hits in the message whose words are in `scratch.words`.
    func collectHits(message: Int, into hits: inout [TextHit], scratch: inout Scratch) {
        let words = scratch.words
        guard words.count > 0 else { return }
        scratch.positions.removeAll(keepingCapacity: true)
        scratch.positions.reserveCapacity(words.count)
        var anyKnown = false
        words.bytes.withUnsafeBufferPointer { bytes in
            for index in 0..<words.count {
                let range = words.range(of: index)
                let word = UnsafeBufferPointer(rebasing: bytes[range])
                if abbreviations.count > 0, let expansion = abbreviations.value(of: word) {
                    for expanded in expansions[Int(expansion)] {
                        scratch.positions.append(Position(id: expanded.id, start: expanded.start, end: expanded.end, expanded: true))
                        anyKnown = anyKnown || expanded.id >= 0
                    }
                } else {
                    let id = id(of: word)
                    scratch.positions.append(Position(id: id, start: Int32(range.lowerBound), end: Int32(range.upperBound), expanded: false))
                    anyKnown = anyKnown || id >= 0
                }
            }
        }
        guard anyKnown else { return }
        scratch.found.removeAll(keepingCapacity: true)
        scratch.foundIndicators.removeAll(keepingCapacity: true)
        scratch.foundSet.removeAll(keepingCapacity: true)
        for start in scratch.positions.indices {
            let id = scratch.positions[start].id
            guard id >= 0 else { continue }
            let child = rootChildren[Int(id)]
            terminalsAt(node: 0, start: start, position: start, scratch: &scratch)
            if child >= 0 { walk(node: child, position: start + 1, start: start, scratch: &scratch) }
            if gaps[0] >= 0 { gapWalk(gap: gaps[0], position: start, start: start, scratch: &scratch) }
        }
        for (entryIndex, from, to) in scratch.found {
            let entry = entries[Int(entryIndex)]
            var matched: [UInt8] = []
            for position in scratch.positions[from..<to] {
                if !matched.isEmpty { matched.append(UInt8(ascii: " ")) }
                matched +=
                    position.expanded ? expansionBytes[Int(position.start)..<Int(position.end)] : words.bytes[Int(position.start)..<Int(position.end)]
            }
            hits.append(
                TextHit(
                    message: message, setId: entry.setId, indicatorId: entry.indicator.id, category: entry.category, stage: entry.indicator.stage,
                    weight: entry.indicator.weight, phrase: entry.phrase, matched: String(decoding: matched, as: UTF8.self),
                    explanation: entry.indicator.explanation))
        }
    }

    /// Records the entries that end at `node` (first match of each wins).
    func terminalsAt(node: Int32, start: Int, position: Int, scratch: inout Scratch) {
        let first = Int(terminalStarts[Int(node)])
        let end = Int(terminalStarts[Int(node) + 1])
        guard first < end else { return }
        for terminal in terminals[first..<end] {
            let number = entries[Int(terminal)].number
            let seen: Bool
            if scratch.foundIndicators.count <= 32 {
                seen = scratch.foundIndicators.contains(number)
            } else {
                if scratch.foundSet.isEmpty { scratch.foundSet = Set(scratch.foundIndicators) }
                seen = scratch.foundSet.contains(number)
            }
            guard !seen else { continue }
            scratch.found.append((terminal, start, position))
            scratch.foundIndicators.append(number)
            if !scratch.foundSet.isEmpty { scratch.foundSet.insert(number) }
        }
    }

    /// Matches on from `node` (reached by the words before `position`).
    func walk(node: Int32, position: Int, start: Int, scratch: inout Scratch) {
        terminalsAt(node: node, start: start, position: position, scratch: &scratch)
        if position < scratch.positions.count {
            let id = scratch.positions[position].id
            if id >= 0 {
                let next = edges.child(node, id)
                if next >= 0 { walk(node: next, position: position + 1, start: start, scratch: &scratch) }
            }
        }
        let gap = gaps[Int(node)]
        if gap >= 0 { gapWalk(gap: gap, position: position, start: start, scratch: &scratch) }
    }

    /// Matches on past a gap of up to ``PhrasePattern/gapWords`` words.
    func gapWalk(gap: Int32, position: Int, start: Int, scratch: inout Scratch) {
        for skip in 0...PhrasePattern.gapWords where position + skip < scratch.positions.count {
            let id = scratch.positions[position + skip].id
            guard id >= 0 else { continue }
            let next = edges.child(gap, id)
            if next >= 0 { walk(node: next, position: position + skip + 1, start: start, scratch: &scratch) }
        }
    }
}
