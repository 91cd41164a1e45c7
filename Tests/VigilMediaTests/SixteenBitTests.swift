import Testing

@testable import VigilMedia

/// 16-bit PNGs: both policies against the generator's formula (scripts/make_media_fixtures.py,
/// `sixteen_bit_rgb`: picture in the high byte, a pattern in the low byte).
@Suite struct SixteenBitTests {
    static let width = 64
    static let height = 48

    /// The raw 16-bit sample of channel `c` (0...2 colour, 3 alpha) at (x, y).
    static func sample(_ x: Int, _ y: Int, _ c: Int) -> Int {
        let high = [x * 255 / (width - 1), y * 255 / (height - 1), (x ^ y) & 255]
        let low = [(x * 37 + y * 11) & 255, (x * 5 + y * 97) & 255, (x * 71 + y * 3) & 255]
        return high[c] << 8 | low[c]
    }

    static func alpha(_ x: Int) -> Int {
        if x < width / 2 { return 65535 }
        if x < width * 5 / 8 { return 0 }
        if x < width * 3 / 4 { return 0x8000 }
        return x * 65535 / (width - 1)
    }

    static func reduce(_ value: Int, _ policy: SixteenBitPolicy) -> UInt8 {
        UInt8(policy == .highByte ? value >> 8 : value & 255)
    }

    @Test(arguments: [SixteenBitPolicy.highByte, .lowByte])
    func rgb16(_ policy: SixteenBitPolicy) throws {
        for file in ["media/png-rgb16.png", "media/png-rgb16-gamma.png"] {
            let image = try ImageDecoder(options: DecodeOptions(sixteenBit: policy)).decode(contentsOf: Fixtures.path(file))
            #expect(image.layout == .rgb && image.width == Self.width && image.height == Self.height)
            var expected: [UInt8] = []
            for y in 0..<Self.height {
                for x in 0..<Self.width {
                    for c in 0..<3 { expected.append(Self.reduce(Self.sample(x, y, c), policy)) }
                }
            }
            #expect(image.pixels == expected, "\(file) \(policy)")
        }
    }

    @Test(arguments: [SixteenBitPolicy.highByte, .lowByte])
    func grey16WithTRNS(_ policy: SixteenBitPolicy) throws {
        let image = try ImageDecoder(options: DecodeOptions(sixteenBit: policy))
            .decode(contentsOf: Fixtures.path("media/png-grey16-trns.png"))
        #expect(image.layout == .grey)
        var expected: [UInt8] = []
        for y in 0..<Self.height {
            for x in 0..<Self.width { expected.append(Self.reduce(Self.sample(x, y, 0), policy)) }
        }
        #expect(image.pixels == expected)
    }

    /// The documented limit: opaque pixels exact, translucent ones approximate, transparent ones 0.
    @Test(arguments: [SixteenBitPolicy.highByte, .lowByte])
    func rgba16(_ policy: SixteenBitPolicy) throws {
        let image = try ImageDecoder(options: DecodeOptions(sixteenBit: policy))
            .decode(contentsOf: Fixtures.path("media/png-rgba16.png"))
        #expect(image.layout == .rgb)
        for y in 0..<Self.height {
            for x in 0..<Self.width {
                for c in 0..<3 {
                    let got = image.pixels[(y * Self.width + x) * 3 + c]
                    let raw = Self.sample(x, y, c)
                    let a = Self.alpha(x)
                    if a == 65535 {
                        #expect(got == Self.reduce(raw, policy), "opaque (\(x),\(y)) channel \(c)")
                    } else if a == 0 {
                        #expect(got == 0)
                    } else if policy == .highByte && a >= 0x8000 {
                        #expect(abs(Int(got) - raw >> 8) <= 1, "translucent (\(x),\(y)) channel \(c)")
                    }
                }
            }
        }
    }

    /// Meta's reference CLI hashes the low byte; the two policies must really differ on such files.
    @Test func policiesDifferOnReferenceGrey16() throws {
        let path = Fixtures.path("reference/images/generated-edge/scene-800x600-gray16.png")
        let high = try ImageDecoder(options: DecodeOptions(sixteenBit: .highByte)).decode(contentsOf: path)
        let low = try ImageDecoder(options: DecodeOptions(sixteenBit: .lowByte)).decode(contentsOf: path)
        #expect(high.layout == .grey && low.layout == .grey)
        #expect(high.pixels != low.pixels)
    }
}
