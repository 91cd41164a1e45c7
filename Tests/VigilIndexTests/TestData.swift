import VigilTestSupport

@testable import VigilIndex

/// The deterministic generator every index test uses.
typealias SeededGenerator = SplitMix64

extension SIMD4 where Scalar == UInt64 {
    static func random(using generator: inout SeededGenerator) -> SIMD4<UInt64> {
        SIMD4(generator.next(), generator.next(), generator.next(), generator.next())
    }

    /// A copy with `count` distinct random bits flipped.
    func flipping(_ count: Int, using generator: inout SeededGenerator) -> SIMD4<UInt64> {
        var copy = self
        var flipped = Set<Int>()
        while flipped.count < count {
            let bit = Int(generator.next() % 256)
            if flipped.insert(bit).inserted { copy[bit >> 6] ^= 1 << UInt64(bit & 63) }
        }
        return copy
    }
}

enum TestData {
    /// Uniformly random hashes.
    static func random(count: Int, seed: UInt64) -> [SIMD4<UInt64>] {
        var generator = SeededGenerator(seed: seed)
        return (0..<count).map { _ in .random(using: &generator) }
    }

    /// Near-duplicate clusters: random centres, each with variants 1...40 bits away.
    static func clustered(count: Int, clusterSize: Int, seed: UInt64) -> [SIMD4<UInt64>] {
        var generator = SeededGenerator(seed: seed)
        var hashes: [SIMD4<UInt64>] = []
        while hashes.count < count {
            let centre = SIMD4<UInt64>.random(using: &generator)
            hashes.append(centre)
            for _ in 1..<clusterSize where hashes.count < count {
                hashes.append(centre.flipping(Int(generator.next() % 40) + 1, using: &generator))
            }
        }
        return hashes
    }

    /// Queries: every other one a near-duplicate of an entry (1...40 bits away), the rest random.
    static func queries(count: Int, near hashes: [SIMD4<UInt64>], seed: UInt64) -> [SIMD4<UInt64>] {
        var generator = SeededGenerator(seed: seed)
        return (0..<count).map { i in
            if i % 2 == 0 {
                let base = hashes[Int(generator.next() % UInt64(hashes.count))]
                return base.flipping(Int(generator.next() % 40) + 1, using: &generator)
            }
            return .random(using: &generator)
        }
    }
}
