import Testing
import VigilHash

@Suite("PDQHash value type")
struct PDQHashTests {
    let bridge = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6339c4e9c9b22"

    @Test func hexRoundTrips() throws {
        let hash = try PDQHash(validatingHex: bridge)
        #expect(hash.hex == bridge)
        #expect(PDQHash(hex: bridge.uppercased()) == hash)
        #expect(hash.description == bridge)
    }

    @Test func lastHexDigitHoldsBitsThreeToZero() throws {
        let one = try PDQHash(validatingHex: String(repeating: "0", count: 63) + "1")
        #expect(one[bit: 0])
        #expect(one.popCount == 1)
        let top = try PDQHash(validatingHex: "8" + String(repeating: "0", count: 63))
        #expect(top[bit: 255])
        var built = PDQHash.zero
        built[bit: 4] = true
        #expect(built.hex == String(repeating: "0", count: 62) + "10")
    }

    @Test func distanceCountsDifferingBits() throws {
        let hash = try PDQHash(validatingHex: bridge)
        #expect(hash.distance(to: hash) == 0)
        let flipped = hash.flipping(bits: [0, 63, 64, 200, 255])
        #expect(hash.distance(to: flipped) == 5)
        #expect(PDQHash.zero.distance(to: PDQHash(words: SIMD4(repeating: .max))) == 256)
    }

    static let malformed: [(String, HashParseError)] = {
        let a63 = String(repeating: "a", count: 63)
        let a53 = String(repeating: "a", count: 53)
        let a10 = String(repeating: "a", count: 10)
        return [
            ("", .wrongLength(expected: 64, actual: 0)),
            (a63, .wrongLength(expected: 64, actual: 63)),
            (a63 + "aa", .wrongLength(expected: 64, actual: 65)),
            (a10 + "g" + a53, .invalidCharacter(offset: 10)),
            (" " + a63, .invalidCharacter(offset: 0)),
        ]
    }()

    @Test(arguments: malformed)
    func malformedHexIsRejected(text: String, error: HashParseError) {
        #expect(throws: error) { try PDQHash(validatingHex: text) }
        #expect(PDQHash(hex: text) == nil)
    }

    @Test func bitsInitialiserMatchesSubscript() {
        let bits = (0..<256).map { $0 % 3 == 0 }
        let hash = PDQHash(bits: bits)
        for k in 0..<256 { #expect(hash[bit: k] == bits[k]) }
    }
}
