// One contiguous, 64-byte-aligned block holds a built index exactly as its snapshot file does, so
// writing is one write and loading is one read plus validation: no per-entry parsing.
//
// Layout (all little-endian):
//   header      64 bytes (see `IndexHeader`)
//   layout      substring widths, one byte each, padded to 64 bytes
//   hashes      count x 32 bytes (SIMD4<UInt64>: word 0 holds bits 0...63)
//   ids         count x 8 bytes
//   lists       count x 2 bytes, padded to 8 (only when the index has list tags)
//   tables      per substring j: offsets (2^width_j + 1) x UInt32, padded to 8; then, for j >= 1,
//               postings count x UInt32, padded to 8. Entries are stored sorted by substring 0, so
//               table 0's postings are the identity and are not stored. With candidate filters
//               (header flag 2), each table j >= 1 is followed by its filter: count x 16 bytes,
//               padded to 16, in postings order: the 128 bits of each entry that are not the half
//               holding substring j's first bit (see `SubstringLayout.filterHalf`).

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

#if _endian(big)
#error("VigilIndex's storage and snapshot format are little-endian")
#endif

/// The fixed-size header at the start of the storage block and of a snapshot file.
struct IndexHeader: Equatable {
    static let size = 64
    static let magic: UInt64 = 0x5844_494C_4947_4956  // "VIGILIDX" read little-endian
    static let currentVersion: UInt32 = 1

    var version: UInt32 = IndexHeader.currentVersion
    var count: Int
    var substringCount: Int
    var hasLists: Bool
    var hasFilters = false
    var totalSize: Int
    var payloadChecksum: UInt64 = 0

    func write(to raw: UnsafeMutableRawPointer) {
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: Self.size)
        raw.storeBytes(of: Self.magic, toByteOffset: 0, as: UInt64.self)
        raw.storeBytes(of: version, toByteOffset: 8, as: UInt32.self)
        raw.storeBytes(of: UInt32(Self.size), toByteOffset: 12, as: UInt32.self)
        raw.storeBytes(of: UInt64(count), toByteOffset: 16, as: UInt64.self)
        raw.storeBytes(of: UInt32(substringCount), toByteOffset: 24, as: UInt32.self)
        raw.storeBytes(of: (hasLists ? 1 : 0) | (hasFilters ? 2 : 0), toByteOffset: 28, as: UInt32.self)
        raw.storeBytes(of: UInt64(totalSize), toByteOffset: 32, as: UInt64.self)
        raw.storeBytes(of: payloadChecksum, toByteOffset: 40, as: UInt64.self)
        let headerChecksum = Checksum.of(UnsafeRawBufferPointer(start: raw, count: 48))
        raw.storeBytes(of: headerChecksum, toByteOffset: 48, as: UInt64.self)
    }

    /// Parses and checks a header; `fileSize` is the size of the whole file.
    static func read(from raw: UnsafeRawBufferPointer, fileSize: Int) throws(IndexFileError) -> IndexHeader {
        guard raw.count >= size else { throw .truncated(expected: size, actual: raw.count) }
        guard raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self) == magic else { throw .notAnIndex }
        let version = raw.loadUnaligned(fromByteOffset: 8, as: UInt32.self)
        guard version == currentVersion else {
            throw .unsupportedVersion(found: Int(version), supported: Int(currentVersion))
        }
        let stored = raw.loadUnaligned(fromByteOffset: 48, as: UInt64.self)
        guard Checksum.of(UnsafeRawBufferPointer(rebasing: raw[0..<48])) == stored,
            raw.loadUnaligned(fromByteOffset: 12, as: UInt32.self) == UInt32(size)
        else { throw .corrupt(detail: "the header checksum does not match") }
        let count = raw.loadUnaligned(fromByteOffset: 16, as: UInt64.self)
        let substrings = raw.loadUnaligned(fromByteOffset: 24, as: UInt32.self)
        let flags = raw.loadUnaligned(fromByteOffset: 28, as: UInt32.self)
        let total = raw.loadUnaligned(fromByteOffset: 32, as: UInt64.self)
        guard count < UInt64(UInt32.max), substrings <= 64, flags <= 3, total < UInt64(Int.max) else {
            throw .corrupt(detail: "header fields are out of range")
        }
        guard Int(total) == fileSize else {
            throw Int(total) > fileSize
                ? .truncated(expected: Int(total), actual: fileSize)
                : .corrupt(detail: "the file is \(fileSize) bytes but its header says \(total)")
        }
        return IndexHeader(
            version: version, count: Int(count), substringCount: Int(substrings), hasLists: flags & 1 != 0, hasFilters: flags & 2 != 0,
            totalSize: Int(total), payloadChecksum: raw.loadUnaligned(fromByteOffset: 40, as: UInt64.self))
    }
}

/// The byte offsets of every section for a given shape.
struct StorageLayout {
    let count: Int
    let substrings: SubstringLayout?
    let hasLists: Bool
    /// Whether tables 1... carry 16-byte candidate filters beside their postings.
    let hasFilters: Bool
    let layoutOffset = IndexHeader.size
    let hashesOffset: Int
    let idsOffset: Int
    let listsOffset: Int
    let offsetsOffsets: [Int]
    let postingsOffsets: [Int]
    /// Per substring, the offset of its filter section (0 for table 0 or without filters).
    let filtersOffsets: [Int]
    let totalSize: Int

    init(count: Int, substrings: SubstringLayout?, hasLists: Bool, hasFilters: Bool = false) {
        self.count = count
        self.substrings = substrings
        self.hasLists = hasLists
        self.hasFilters = hasFilters && substrings != nil
        @inline(__always) func pad(_ value: Int, _ alignment: Int) -> Int { (value + alignment - 1) / alignment * alignment }
        hashesOffset = layoutOffset + 64
        idsOffset = hashesOffset + count * 32
        listsOffset = idsOffset + count * 8
        var cursor = pad(listsOffset + (hasLists ? count * 2 : 0), 8)
        var offsetsOffsets: [Int] = []
        var postingsOffsets: [Int] = []
        var filtersOffsets: [Int] = []
        for (j, width) in (substrings?.widths ?? []).enumerated() {
            offsetsOffsets.append(cursor)
            cursor = pad(cursor + ((1 << width) + 1) * 4, 8)
            postingsOffsets.append(cursor)
            if j > 0 { cursor = pad(cursor + count * 4, 8) }
            if j > 0 && hasFilters {
                cursor = pad(cursor, 16)
                filtersOffsets.append(cursor)
                cursor += count * 16
            } else {
                filtersOffsets.append(0)
            }
        }
        self.offsetsOffsets = offsetsOffsets
        self.postingsOffsets = postingsOffsets
        self.filtersOffsets = filtersOffsets
        totalSize = cursor
    }
}

/// The memory of one built or loaded index. Immutable once initialised, hence `Sendable`.
final class IndexStorage: @unchecked Sendable {
    let raw: UnsafeMutableRawPointer
    let layout: StorageLayout
    let count: Int
    let hashes: UnsafePointer<SIMD4<UInt64>>
    let ids: UnsafePointer<UInt64>
    let lists: UnsafePointer<UInt16>?
    /// Per substring: the bucket offsets (2^width + 1 entries).
    let offsets: [UnsafePointer<UInt32>]
    /// Per substring: entry positions sorted by substring value (`nil` for substring 0: identity).
    let postings: [UnsafePointer<UInt32>?]
    /// Per substring: the candidate filters in postings order (`nil` for table 0 or without filters).
    let filters: [UnsafePointer<SIMD2<UInt64>>?]
    /// The hashes as words (four per entry), for the C kernels.
    let hashWords: UnsafePointer<UInt64>
    /// The filters as words (two per entry), for the C kernels.
    let filterWords: [UnsafePointer<UInt64>?]

    /// Takes ownership of `raw`, which must hold `layout.totalSize` bytes laid out as described above.
    init(owning raw: UnsafeMutableRawPointer, layout: StorageLayout) {
        self.raw = raw
        self.layout = layout
        count = layout.count
        hashes = UnsafePointer(raw.advanced(by: layout.hashesOffset).assumingMemoryBound(to: SIMD4<UInt64>.self))
        ids = UnsafePointer(raw.advanced(by: layout.idsOffset).assumingMemoryBound(to: UInt64.self))
        lists = layout.hasLists ? UnsafePointer(raw.advanced(by: layout.listsOffset).assumingMemoryBound(to: UInt16.self)) : nil
        offsets = layout.offsetsOffsets.map { UnsafePointer(raw.advanced(by: $0).assumingMemoryBound(to: UInt32.self)) }
        postings = layout.postingsOffsets.enumerated().map { j, offset in
            j == 0 ? nil : UnsafePointer(raw.advanced(by: offset).assumingMemoryBound(to: UInt32.self))
        }
        filters = layout.filtersOffsets.map { offset in
            offset == 0 ? nil : UnsafePointer(raw.advanced(by: offset).assumingMemoryBound(to: SIMD2<UInt64>.self))
        }
        hashWords = UnsafeRawPointer(hashes).assumingMemoryBound(to: UInt64.self)
        filterWords = filters.map { $0.map { UnsafeRawPointer($0).assumingMemoryBound(to: UInt64.self) } }
    }

    deinit {
        Self.deallocate(raw, layout.totalSize)
    }

    /// Blocks at least this large are mapped directly and offered transparent huge pages.
    static let hugePageThreshold = 4 << 20

    /// Allocates an index block, all zero bytes when `zeroed` (a fresh mapping is zero already, so
    /// only the small-block path pays for it).
    ///
    /// Searches touch a few hundred scattered cache lines of a block that is often hundreds of
    /// megabytes, so with 4 KiB pages nearly every one also misses the TLB. A large block is
    /// therefore its own anonymous mapping with `MADV_HUGEPAGE`, so that the kernel backs it
    /// with 2 MiB pages where it can (systems whose transparent huge pages are set to `madvise`,
    /// the common default, do so only when asked). A mapping starts zeroed.
    static func allocate(_ size: Int, zeroed: Bool = false) -> UnsafeMutableRawPointer {
        #if os(Linux)
        if size >= hugePageThreshold {
            guard let mapped = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), mapped != MAP_FAILED else {
                // As when any allocation fails: there is no memory to go on with.
                preconditionFailure("could not map \(size) bytes for an index: \(String(cString: strerror(errno)))")
            }
            // Only a hint: without huge pages the block works the same, just slower.
            _ = madvise(mapped, size, MADV_HUGEPAGE)
            return mapped
        }
        #endif
        let block = UnsafeMutableRawPointer.allocate(byteCount: max(size, 64), alignment: 64)
        if zeroed { block.initializeMemory(as: UInt8.self, repeating: 0, count: max(size, 64)) }
        return block
    }

    /// Frees a block from ``allocate(_:)`` (`size` must be the size it was allocated with).
    static func deallocate(_ raw: UnsafeMutableRawPointer, _ size: Int) {
        #if os(Linux)
        if size >= hugePageThreshold {
            munmap(raw, size)
            return
        }
        #endif
        raw.deallocate()
    }

    /// The whole block as bytes.
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: raw, count: layout.totalSize) }
}
