import Testing
import VigilIndex

@Suite("Exact digest sets")
struct DigestSetTests {
    let emptyMD5 = "d41d8cd98f00b204e9800998ecf8427e"
    let emptySHA = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    @Test func lookupByHexAndBytes() throws {
        var md5 = DigestSet(algorithm: .md5)
        try md5.insert(hex: emptyMD5, id: 1)
        try md5.insert(hex: emptyMD5.uppercased(), id: 2)
        try md5.insert(hex: "900150983cd24fb0d6963f7d28e17f72", id: 3)
        #expect(md5.count == 2)
        #expect(try md5.ids(forHex: emptyMD5) == [1, 2])
        #expect(try md5.ids(for: DigestSet.bytes(hex: "900150983cd24fb0d6963f7d28e17f72", algorithm: .md5)) == [3])
        #expect(try md5.ids(forHex: "00000000000000000000000000000000").isEmpty)
        try md5.remove(digest: DigestSet.bytes(hex: emptyMD5, algorithm: .md5), id: 1)
        #expect(try md5.ids(forHex: emptyMD5) == [2])

        var sha = DigestSet(algorithm: .sha256)
        try sha.insert(hex: emptySHA, id: 9)
        #expect(try sha.ids(forHex: emptySHA) == [9])
        // One bit different is a different digest.
        #expect(try sha.ids(forHex: "f" + emptySHA.dropFirst()).isEmpty)
    }

    @Test func holdsManyEntries() throws {
        var sha = DigestSet(algorithm: .sha256)
        var bytes = [UInt8](repeating: 0, count: 32)
        for i in 0..<200_000 {
            bytes[0] = UInt8(i & 255)
            bytes[1] = UInt8((i >> 8) & 255)
            bytes[2] = UInt8(i >> 16)
            try sha.insert(digest: bytes, id: UInt64(i))
        }
        bytes[0] = 7
        bytes[1] = 0
        bytes[2] = 1
        #expect(try sha.ids(for: bytes) == [UInt64(7 + 65_536)])
        #expect(sha.count == 200_000)
    }

    @Test func malformedDigestsAreRefused() {
        var md5 = DigestSet(algorithm: .md5)
        #expect(throws: DigestError.wrongLength(algorithm: "md5", expected: 32, actual: 64)) { try md5.insert(hex: emptySHA, id: 1) }
        #expect(throws: DigestError.invalidCharacter(offset: 3)) { try md5.insert(hex: "d41x8cd98f00b204e9800998ecf8427e", id: 1) }
        #expect(throws: DigestError.wrongLength(algorithm: "md5", expected: 16, actual: 3)) { try md5.ids(for: [1, 2, 3]) }
    }
}
