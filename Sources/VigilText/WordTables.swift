/// A hash table from byte strings (normalised words, as UTF-8) to `Int32` values, looked up
/// straight from a message's buffer: no `String` is made per word. Open addressing, FNV-1a.
struct ByteTable: Sendable {
    /// The keys' bytes, back to back.
    private var pool: [UInt8] = []
    /// Key `i` is `pool[bounds[i]..<bounds[i + 1]]`.
    private var bounds: [Int] = [0]
    /// Key `i`'s value.
    private(set) var values: [Int32] = []
    /// Key indices (or -1 for an empty slot); a power of two long, at most half full.
    private var slots: [Int32] = Array(repeating: -1, count: 16)

    /// How many keys.
    var count: Int { values.count }

    static func hash(_ key: UnsafeBufferPointer<UInt8>) -> Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key {
            hash ^= UInt64(byte)
            hash &*= 0x100_0000_01b3
        }
        return Int(truncatingIfNeeded: hash ^ (hash >> 29))
    }

    /// The index of `key`, or nil.
    func index(of key: UnsafeBufferPointer<UInt8>) -> Int? {
        let mask = slots.count - 1
        var slot = Self.hash(key) & mask
        return pool.withUnsafeBufferPointer { pool in
            while true {
                let found = Int(slots[slot])
                if found < 0 { return nil }
                let start = bounds[found]
                if bounds[found + 1] - start == key.count {
                    var same = true
                    for offset in 0..<key.count where pool[start + offset] != key[offset] {
                        same = false
                        break
                    }
                    if same { return found }
                }
                slot = (slot + 1) & mask
            }
        }
    }

    /// The value of `key`, or nil.
    func value(of key: UnsafeBufferPointer<UInt8>) -> Int32? { index(of: key).map { values[$0] } }

    /// The value of `key` (its bytes), or nil.
    func value(of key: [UInt8]) -> Int32? { key.withUnsafeBufferPointer { value(of: $0) } }

    /// Sets `key`'s value to `update(old value or nil)`; returns the key's index.
    @discardableResult
    mutating func update(_ key: [UInt8], _ update: (Int32?) -> Int32) -> Int {
        if let found = key.withUnsafeBufferPointer({ index(of: $0) }) {
            values[found] = update(values[found])
            return found
        }
        if (values.count + 1) * 2 > slots.count { grow() }
        let added = values.count
        pool.append(contentsOf: key)
        bounds.append(pool.count)
        values.append(update(nil))
        place(added)
        return added
    }

    private mutating func place(_ key: Int) {
        let mask = slots.count - 1
        var slot = pool.withUnsafeBufferPointer { Self.hash(UnsafeBufferPointer(rebasing: $0[bounds[key]..<bounds[key + 1]])) } & mask
        while slots[slot] >= 0 { slot = (slot + 1) & mask }
        slots[slot] = Int32(key)
    }

    private mutating func grow() {
        slots = Array(repeating: -1, count: slots.count * 2)
        for key in values.indices { place(key) }
    }
}

/// The edges of a trie of word ids: (node, word) → child node, in one open-addressing table.
struct EdgeTable: Sendable {
    private var keys: [UInt64] = Array(repeating: .max, count: 16)
    private var children: [Int32] = Array(repeating: -1, count: 16)
    private var count = 0

    private static func key(_ node: Int32, _ word: Int32) -> UInt64 { UInt64(UInt32(bitPattern: node)) << 32 | UInt64(UInt32(bitPattern: word)) }

    private static func slot(_ key: UInt64, mask: Int) -> Int { Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 24) & mask }

    /// The child of `node` by `word`, or -1.
    func child(_ node: Int32, _ word: Int32) -> Int32 {
        let key = Self.key(node, word)
        let mask = keys.count - 1
        var slot = Self.slot(key, mask: mask)
        while true {
            let found = keys[slot]
            if found == key { return children[slot] }
            if found == .max { return -1 }
            slot = (slot + 1) & mask
        }
    }

    /// Adds the edge (a node and word pair is added once).
    mutating func insert(_ node: Int32, _ word: Int32, child: Int32) {
        if (count + 1) * 2 > keys.count {
            let old = zip(keys, children).filter { $0.0 != .max }
            keys = Array(repeating: .max, count: keys.count * 2)
            children = Array(repeating: -1, count: keys.count)
            for (key, value) in old { put(key, value) }
        }
        put(Self.key(node, word), child)
        count += 1
    }

    private mutating func put(_ key: UInt64, _ child: Int32) {
        let mask = keys.count - 1
        var slot = Self.slot(key, mask: mask)
        while keys[slot] != .max && keys[slot] != key { slot = (slot + 1) & mask }
        keys[slot] = key
        children[slot] = child
    }
}
