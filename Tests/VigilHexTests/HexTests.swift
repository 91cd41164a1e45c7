import Testing
import VigilHex
import VigilTestSupport

@Suite("Hex codec")
struct HexTests {
    /// The reference: a byte's digits spelled out the slow, obvious way.
    static func reference(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        return String(bytes.flatMap { [digits[Int($0 / 16)], digits[Int($0 % 16)]] })
    }

    @Test func everyByteValue() throws {
        let all = (0...255).map { UInt8($0) }
        let text = Hex.encode(all)
        #expect(text == Self.reference(all))
        #expect(try Hex.decode(text) == all)
        #expect(try Hex.decode(text.uppercased()) == all)
        #expect(try Hex.decode(text, byteCount: 256) == all)
    }

    @Test func classifiesEveryByteLikeTheStandardLibrary() {
        for byte in 0...255 {
            let scalar = Unicode.Scalar(UInt8(byte))
            let expected = Character(scalar).isHexDigit ? Int(String(scalar), radix: 16) : nil
            #expect(Hex.value(of: UInt8(byte)).map(Int.init) == expected, "byte \(byte)")
            #expect(Hex.isDigit(UInt8(byte)) == (expected != nil))
        }
        for nibble in 0...15 {
            #expect(Hex.digit(UInt8(nibble)) == Array(String(nibble, radix: 16).utf8)[0])
        }
    }

    @Test func seededRoundTrips() throws {
        var random = SplitMix64(seed: 0x4845_5821)
        for length in 0..<80 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
            let text = Hex.encode(bytes)
            #expect(text == Self.reference(bytes))
            #expect(try Hex.decode(text) == bytes)
            // A non-native string (a Substring of a longer one) takes the same path.
            let padded = "xx" + text.uppercased() + "yy"
            #expect(try Hex.decode(padded.dropFirst(2).dropLast(2)) == bytes)
            #expect(try Hex.normalised(padded.dropFirst(2).dropLast(2), digits: 2 * length) == text)
        }
    }

    @Test func errorsSayWhere() {
        #expect(throws: HexError.oddLength(3)) { try Hex.decode("abc") }
        #expect(throws: HexError.wrongLength(expected: 32, actual: 4)) { try Hex.decode("abcd", byteCount: 16) }
        #expect(throws: HexError.invalidCharacter(offset: 0)) { try Hex.decode("g0") }
        #expect(throws: HexError.invalidCharacter(offset: 2)) { try Hex.decode("00 0") }
        #expect(throws: HexError.invalidCharacter(offset: 2)) { try Hex.decode("00\u{E9}") }  // é is 2 bytes of UTF-8
        #expect(throws: HexError.invalidCharacter(offset: 1)) { try Hex.normalised("a-", digits: 2) }
        #expect(throws: HexError.wrongLength(expected: 4, actual: 2)) { try Hex.normalised("ab", digits: 4) }
        #expect(HexError.invalidCharacter(offset: 3).description == "character 4 is not a hexadecimal digit (0-9, a-f)")
    }

    @Test func wordsMostSignificantNibbleFirst() {
        #expect(Hex.encode(words: [0x0123_4567_89AB_CDEF, 0]) == "0123456789abcdef0000000000000000")
        #expect(Hex.encode(words: [UInt64]()) == "")
        #expect(Hex.encode(UnsafeRawBufferPointer(start: nil, count: 0)) == "")
    }
}
