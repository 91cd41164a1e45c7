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

    /// A message's word as matched: its id (-1: no phrase has it), the stems it starts with
    /// (`scratch.stemIds[stemStart..<stemEnd]`) and its bytes, in the message's buffer or (for an
    /// abbreviation's long form) in `expansionBytes`.
    struct Position {
        let id: Int32
        let stemStart: Int32
        let stemEnd: Int32
        let start: Int32
        let end: Int32
        let expanded: Bool
    }

    /// What matching a message needs, kept from message to message.
    struct Scratch {
        var words = NormalisedWords()
        var positions: [Position] = []
        /// The ids of the stems the message's words start with (``Position`` says which are whose).
        var stemIds: [Int32] = []
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
    /// Stems (`schick` of `schick*`), and each with one letter hidden (`sch*ck`) → the stem's word
    /// id (-2 when a hidden form is ambiguous). Their ids are the vocabulary's, under a key no
    /// message word has (the stem's bytes after 0xFF, which UTF-8 never holds).
    var stems = ByteTable()
    /// The shortest and longest keys of `stems`, in bytes (a word shorter than the shortest
    /// starts with none).
    var stemBytes = (shortest: Int.max, longest: 0)
    /// One bit per hash of a stem key's first ``stemLeadBytes`` bytes: a word whose first bytes'
    /// bit is clear starts with no stem (most words: one look at a bit).
    var stemLeads: [UInt64] = []
    static let stemLeadBytes = PhrasePattern.minimumStemLetters
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
                        case .stem(let stem):
                            let id = stemId(Array(stem.utf8))
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

    /// The id of a phrase's stem, added (with its one-letter-hidden forms) when new.
    mutating func stemId(_ stem: [UInt8]) -> Int32 {
        if let id = vocabulary.value(of: [0xFF] + stem) { return id }
        let id = Int32(vocabulary.count)
        vocabulary.update([0xFF] + stem) { _ in id }
        if stemLeads.isEmpty { stemLeads = Array(repeating: 0, count: 1 << 10) }
        func add(_ key: [UInt8], _ value: (Int32?) -> Int32) {
            stems.update(key, value)
            stemBytes = (min(stemBytes.shortest, key.count), max(stemBytes.longest, key.count))
            let lead = key.withUnsafeBufferPointer { Self.leadBit(UnsafeBufferPointer(rebasing: $0[..<Self.stemLeadBytes])) }
            stemLeads[lead >> 6] |= 1 << UInt64(lead & 63)
        }
        add(stem) { _ in id }
        var hidden: [UInt8] = []
        for start in stem.indices where stem[start] & 0xC0 != 0x80 {
            var end = start + 1
            while end < stem.count, stem[end] & 0xC0 == 0x80 { end += 1 }
            hidden.removeAll(keepingCapacity: true)
            hidden += stem[..<start]
            hidden.append(UInt8(ascii: "*"))
            hidden += stem[end...]
            // At least as long as a lead: the stem has that many letters, each a byte or more.
            add(hidden) { old in old == nil || old == id ? id : -2 }
        }
        return id
    }

    /// The bit of `stemLeads` for a word's first ``stemLeadBytes`` bytes.
    @inline(__always)
    static func leadBit(_ lead: UnsafeBufferPointer<UInt8>) -> Int {
        var hash: UInt32 = 0
        for byte in lead { hash = hash &* 31 &+ UInt32(byte) }
        return Int((hash &* 0x9E37_79B1) >> 16)
    }

    /// Appends to `ids` the stems `word` starts with (shortest first; a stem also matches a word
    /// that is the stem itself).
    @inline(__always)
    func appendStems(of word: UnsafeBufferPointer<UInt8>, to ids: inout [Int32]) {
        guard word.count >= stemBytes.shortest else { return }
        let lead = Self.leadBit(UnsafeBufferPointer(rebasing: word[..<Self.stemLeadBytes]))
        guard stemLeads[lead >> 6] & (1 << UInt64(lead & 63)) != 0 else { return }
        for length in stemBytes.shortest...min(word.count, stemBytes.longest) {
            if let id = stems.value(of: UnsafeBufferPointer(rebasing: word[..<length])), id >= 0 { ids.append(id) }
        }
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
        scratch.stemIds.removeAll(keepingCapacity: true)
        var anyKnown = false
        let hasStems = stems.count > 0
        words.bytes.withUnsafeBufferPointer { bytes in
            for index in 0..<words.count {
                let range = words.range(of: index)
                let word = UnsafeBufferPointer(rebasing: bytes[range])
                if abbreviations.count > 0, let expansion = abbreviations.value(of: word) {
                    for expanded in expansions[Int(expansion)] {
                        let stemStart = Int32(scratch.stemIds.count)
                        if hasStems {
                            expansionBytes.withUnsafeBufferPointer { expansion in
                                appendStems(
                                    of: UnsafeBufferPointer(rebasing: expansion[Int(expanded.start)..<Int(expanded.end)]), to: &scratch.stemIds)
                            }
                        }
                        let stemEnd = Int32(scratch.stemIds.count)
                        scratch.positions.append(
                            Position(
                                id: expanded.id, stemStart: stemStart, stemEnd: stemEnd, start: expanded.start, end: expanded.end, expanded: true))
                        anyKnown = anyKnown || expanded.id >= 0 || stemEnd > stemStart
                    }
                } else {
                    let id = id(of: word)
                    let stemStart = Int32(scratch.stemIds.count)
                    if hasStems { appendStems(of: word, to: &scratch.stemIds) }
                    let stemEnd = Int32(scratch.stemIds.count)
                    scratch.positions.append(
                        Position(
                            id: id, stemStart: stemStart, stemEnd: stemEnd, start: Int32(range.lowerBound), end: Int32(range.upperBound),
                            expanded: false))
                    anyKnown = anyKnown || id >= 0 || stemEnd > stemStart
                }
            }
        }
        guard anyKnown else { return }
        scratch.found.removeAll(keepingCapacity: true)
        scratch.foundIndicators.removeAll(keepingCapacity: true)
        scratch.foundSet.removeAll(keepingCapacity: true)
        for start in scratch.positions.indices {
            let position = scratch.positions[start]
            guard position.id >= 0 || position.stemEnd > position.stemStart else { continue }
            terminalsAt(node: 0, start: start, position: start, scratch: &scratch)
            if position.id >= 0 {
                let child = rootChildren[Int(position.id)]
                if child >= 0 { walk(node: child, position: start + 1, start: start, scratch: &scratch) }
            }
            for stem in position.stemStart..<position.stemEnd {
                let child = rootChildren[Int(scratch.stemIds[Int(stem)])]
                if child >= 0 { walk(node: child, position: start + 1, start: start, scratch: &scratch) }
            }
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
        if position < scratch.positions.count { step(from: node, at: position, start: start, scratch: &scratch) }
        let gap = gaps[Int(node)]
        if gap >= 0 { gapWalk(gap: gap, position: position, start: start, scratch: &scratch) }
    }

    /// Matches on past a gap of up to ``PhrasePattern/gapWords`` words.
    func gapWalk(gap: Int32, position: Int, start: Int, scratch: inout Scratch) {
        for skip in 0...PhrasePattern.gapWords where position + skip < scratch.positions.count {
            step(from: gap, at: position + skip, start: start, scratch: &scratch)
        }
    }

    /// Matches on from `node` by the word at `position`: by its id, then by each stem it starts with.
    @inline(__always)
    func step(from node: Int32, at position: Int, start: Int, scratch: inout Scratch) {
        let word = scratch.positions[position]
        if word.id >= 0 {
            let next = edges.child(node, word.id)
            if next >= 0 { walk(node: next, position: position + 1, start: start, scratch: &scratch) }
        }
        for stem in word.stemStart..<word.stemEnd {
            let next = edges.child(node, scratch.stemIds[Int(stem)])
            if next >= 0 { walk(node: next, position: position + 1, start: start, scratch: &scratch) }
        }
    }
}
