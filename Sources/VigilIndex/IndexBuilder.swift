/// Lays out a new index: entries sorted by substring 0 (so table 0 needs no postings), then one
/// counting sort per further substring for its postings.
enum IndexBuilder {
    static func build(
        hashes: [SIMD4<UInt64>], ids: [UInt64], lists: [UInt16]?, substrings: SubstringLayout?, filters: Bool = false
    ) -> IndexStorage {
        let count = hashes.count
        let layout = StorageLayout(count: count, substrings: substrings, hasLists: lists != nil, hasFilters: filters)
        let raw = IndexStorage.allocate(layout.totalSize, zeroed: true)
        let storedHashes = raw.advanced(by: layout.hashesOffset).assumingMemoryBound(to: SIMD4<UInt64>.self)
        let storedIds = raw.advanced(by: layout.idsOffset).assumingMemoryBound(to: UInt64.self)
        let storedLists = raw.advanced(by: layout.listsOffset).assumingMemoryBound(to: UInt16.self)

        // The order of entries: by substring 0 when there are tables, else as given.
        var order = [UInt32](repeating: 0, count: count)
        if let substrings {
            let offsets = raw.advanced(by: layout.offsetsOffsets[0]).assumingMemoryBound(to: UInt32.self)
            countingSort(count: count, width: substrings.widths[0], offsets: offsets, into: &order) {
                substrings.extract(hashes[$0], 0)
            }
        } else {
            for i in 0..<count { order[i] = UInt32(i) }
        }
        for (position, source) in order.enumerated() {
            storedHashes[position] = hashes[Int(source)]
            storedIds[position] = ids[Int(source)]
            if let lists { storedLists[position] = lists[Int(source)] }
        }
        if let substrings {
            for j in 1..<substrings.count {
                let offsets = raw.advanced(by: layout.offsetsOffsets[j]).assumingMemoryBound(to: UInt32.self)
                let postings = raw.advanced(by: layout.postingsOffsets[j]).assumingMemoryBound(to: UInt32.self)
                countingSort(count: count, width: substrings.widths[j], offsets: offsets, into: &order) {
                    substrings.extract(storedHashes[$0], j)
                }
                postings.update(from: order, count: count)
                if layout.hasFilters {
                    let filter = raw.advanced(by: layout.filtersOffsets[j]).assumingMemoryBound(to: SIMD2<UInt64>.self)
                    for slot in 0..<count {
                        filter[slot] = substrings.filterHalf(storedHashes[Int(order[slot])], j)
                    }
                }
            }
        }
        if let substrings {
            let widths = layoutBytes(raw, layout)
            for (i, width) in substrings.widths.enumerated() { widths[i] = UInt8(width) }
        }
        var header = IndexHeader(
            count: count, substringCount: substrings?.count ?? 0, hasLists: lists != nil, hasFilters: layout.hasFilters, totalSize: layout.totalSize)
        header.payloadChecksum = Checksum.of(UnsafeRawBufferPointer(start: raw + IndexHeader.size, count: layout.totalSize - IndexHeader.size))
        header.write(to: raw)
        return IndexStorage(owning: raw, layout: layout)
    }

    static func layoutBytes(_ raw: UnsafeMutableRawPointer, _ layout: StorageLayout) -> UnsafeMutablePointer<UInt8> {
        raw.advanced(by: layout.layoutOffset).assumingMemoryBound(to: UInt8.self)
    }

    /// Stable counting sort of positions 0..<count by `key` (a `width`-bit value): fills `offsets`
    /// (2^width + 1 bucket starts) and `order` (positions in key order).
    static func countingSort(
        count: Int, width: Int, offsets: UnsafeMutablePointer<UInt32>, into order: inout [UInt32], key: (Int) -> Int
    ) {
        let buckets = 1 << width
        offsets.initialize(repeating: 0, count: buckets + 1)
        var keys = [UInt32](repeating: 0, count: count)
        for i in 0..<count {
            let k = key(i)
            keys[i] = UInt32(k)
            offsets[k + 1] &+= 1
        }
        for b in 0..<buckets { offsets[b + 1] &+= offsets[b] }
        var cursor = [UInt32](UnsafeBufferPointer(start: offsets, count: buckets))
        for i in 0..<count {
            let k = Int(keys[i])
            order[Int(cursor[k])] = UInt32(i)
            cursor[k] &+= 1
        }
    }
}
