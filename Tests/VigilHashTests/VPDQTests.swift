import Foundation
import Testing
import VigilHash
import VigilTestSupport

@Suite("vPDQ text format")
struct VPDQTextTests {
    let hex = "dadb999c25266273529cadac89cb52c22324ad3bce99726c38668d93c799f07c"

    @Test("lines round-trip, byte for byte")
    func roundTrip() throws {
        let text = "0,100,\(hex),0.000\n1,100,\(hex),0.033\n30,49,\(hex),1.000\n"
        let features = try VPDQText.parse(text)
        #expect(features.map(\.frameNumber) == [0, 1, 30])
        #expect(features.map(\.quality) == [100, 100, 49])
        #expect(VPDQText.format(features) == text)
    }

    /// `%.3f` of the exact binary value, ties to even, compared with Foundation's printf on
    /// vPDQ's own timestamps (Float(n) / Float(fps)) and on seeded random values.
    @Test("timestamps print as C's %.3f does")
    func timestampFormatting() {
        var random = SplitMix64(seed: 0x71_3E57)
        var values: [Double] = [0, 0.0005, 0.0015, 0.0625, 0.1875, 1.0005, 2.5, 12_345.6785, 0.000_1]
        for fps in [24.0, 25, 29.97, 30, 59.94, 60, 23.976] {
            for frame in stride(from: 0, to: 200_000, by: 997) {
                values.append(VPDQHasher.timestamp(frameNumber: frame, framesPerSecond: fps))
            }
        }
        for _ in 0..<2000 { values.append(Double.random(in: 0..<100_000, using: &random)) }
        for value in values {
            #expect(VPDQText.formatTimestamp(value) == String(format: "%.3f", value), "\(value)")
        }
        #expect(VPDQText.formatTimestamp(0.0625) == "0.062")
        #expect(VPDQText.formatTimestamp(0.1875) == "0.188")
    }

    static let malformed: [(String, VPDQParseError.Code)] = [
        ("0,100,abc,0.000", .invalidHash),
        ("0,100,dadb,0.000,extra", .wrongFieldCount),
        ("0,100", .wrongFieldCount),
        ("-1,100,\(String(repeating: "a", count: 64)),0.000", .invalidFrameNumber),
        ("+1,100,\(String(repeating: "a", count: 64)),0.000", .invalidFrameNumber),
        ("x,100,\(String(repeating: "a", count: 64)),0.000", .invalidFrameNumber),
        ("0,101,\(String(repeating: "a", count: 64)),0.000", .invalidQuality),
        ("0,-5,\(String(repeating: "a", count: 64)),0.000", .invalidQuality),
        ("0,100,\(String(repeating: "g", count: 64)),0.000", .invalidHash),
        ("0,100,\(String(repeating: "a", count: 64)),-1.000", .invalidTimestamp),
        ("0,100,\(String(repeating: "a", count: 64)),inf", .invalidTimestamp),
        ("0,100,\(String(repeating: "a", count: 64)),1e3", .invalidTimestamp),
        ("0,100,\(String(repeating: "a", count: 64)),", .invalidTimestamp),
        (String(repeating: "1", count: 300), .lineTooLong),
    ]

    @Test("bad lines are refused with the field and line named", arguments: malformed)
    func malformedLines(line: String, code: VPDQParseError.Code) {
        do {
            _ = try VPDQText.parse("0,100,\(hex),0.000\n" + line + "\n")
            Issue.record("accepted \(line)")
        } catch {
            #expect(error.code == code)
            #expect(error.line == 2)
            #expect(error.message.hasPrefix("vPDQ line 2 "))
        }
    }

    @Test("empty text, and frames out of order, are refused; CRLF and blank lines are fine")
    func wholeFiles() throws {
        #expect(throws: VPDQParseError.self) { try VPDQText.parse("\n\n") }
        #expect(throws: VPDQParseError.self) { try VPDQText.parse("5,100,\(hex),0.167\n5,100,\(hex),0.167\n") }
        let features = try VPDQText.parse("0,100,\(hex),0.000\r\n\r\n3,90,\(hex),0.100\r\n")
        #expect(features.count == 2)
    }
}

@Suite("vPDQ frame hashing")
struct VPDQHasherTests {
    /// A seeded noise-and-gradient frame, benign.
    static func frame(width: Int, height: Int, seed: UInt64) -> [UInt8] {
        var random = SplitMix64(seed: seed)
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let p = (y * width + x) * 3
                pixels[p] = UInt8((x * 255) / max(width - 1, 1))
                pixels[p + 1] = UInt8((y * 255) / max(height - 1, 1))
                pixels[p + 2] = UInt8.random(in: 0...255, using: &random)
            }
        }
        return pixels
    }

    @Test("frame steps and timestamps follow vPDQ")
    func stepsAndTimestamps() {
        #expect(VPDQHasher(secondsPerHash: 1).frameStep(framesPerSecond: 29.97) == 29)
        #expect(VPDQHasher(secondsPerHash: 1).frameStep(framesPerSecond: 30) == 30)
        #expect(VPDQHasher(secondsPerHash: 1).frameStep(framesPerSecond: 0.5) == 1)
        #expect(VPDQHasher.everyFrame.frameStep(framesPerSecond: 30) == 1)
        #expect(VPDQHasher(secondsPerHash: -3).frameStep(framesPerSecond: 30) == 1)
        #expect(VPDQHasher(secondsPerHash: .infinity).frameStep(framesPerSecond: 30) == 1)
        #expect(VPDQHasher(secondsPerHash: 1e300).frameStep(framesPerSecond: 30) == Int.max)
        #expect(VPDQHasher(secondsPerHash: 1).hashes(frameNumber: 58, framesPerSecond: 29.97))
        #expect(!VPDQHasher(secondsPerHash: 1).hashes(frameNumber: 30, framesPerSecond: 29.97))
        #expect(VPDQText.formatTimestamp(VPDQHasher.timestamp(frameNumber: 1, framesPerSecond: 30)) == "0.033")
        #expect(VPDQHasher.timestamp(frameNumber: 7, framesPerSecond: 30) == Double(Float(7) / Float(30)))
    }

    @Test("a frame hashes as PDQ with float32 luma; quality and number are kept")
    func frameHash() throws {
        let pixels = Self.frame(width: 96, height: 80, seed: 11)
        let feature = try VPDQHasher.everyFrame.hash(rgb: pixels, width: 96, height: 80, frameNumber: 42, framesPerSecond: 25)
        #expect(feature.frameNumber == 42)
        #expect(feature.timestamp == Double(Float(42) / Float(25)))
        // The reference CLI convention also uses float32 luma, and does not squash below 512.
        let image = try PDQHasher(convention: .referenceCLI).hash(pixels: pixels, width: 96, height: 80, channels: 3)
        #expect(feature.hash == image.hash)
        #expect(feature.quality == image.quality)
        #expect(throws: PDQInputError.self) {
            try VPDQHasher.everyFrame.hash(rgb: Array(pixels.dropLast()), width: 96, height: 80, frameNumber: 0, framesPerSecond: 25)
        }
        let tiny = try VPDQHasher.everyFrame.hash(
            rgb: [UInt8](repeating: 9, count: 4 * 4 * 3), width: 4, height: 4, frameNumber: 0, framesPerSecond: 25)
        #expect(tiny.hash == .zero && tiny.quality == 0)
    }

    @Test("black bars are cut when asked, and only then; frames without bars are unchanged")
    func borderTrimming() throws {
        let (width, height) = (120, 90)
        let content = Self.frame(width: width, height: height, seed: 12)
        // The same picture with bars: 14 rows above and below, 10 columns left and right.
        let (paddedWidth, paddedHeight) = (width + 20, height + 28)
        // Near-black noise in the bars, as compression leaves it, then the picture in the middle.
        var random = SplitMix64(seed: 13)
        var padded = (0..<paddedWidth * paddedHeight * 3).map { _ in UInt8.random(in: 0...VPDQHasher.blackBorderLevel, using: &random) }
        for y in 0..<height {
            for x in 0..<width {
                for c in 0..<3 { padded[((y + 14) * paddedWidth + x + 10) * 3 + c] = content[(y * width + x) * 3 + c] }
            }
        }
        let plain = VPDQHasher.everyFrame
        let trimming = VPDQHasher(secondsPerHash: 0, trimsBlackBorders: true)
        let reference = try plain.hash(rgb: content, width: width, height: height, frameNumber: 0, framesPerSecond: 30)
        let barred = try plain.hash(rgb: padded, width: paddedWidth, height: paddedHeight, frameNumber: 0, framesPerSecond: 30)
        let trimmed = try trimming.hash(rgb: padded, width: paddedWidth, height: paddedHeight, frameNumber: 0, framesPerSecond: 30)
        print(
            "vPDQ bars on a generated frame: \(barred.hash.distance(to: reference.hash)) bits untrimmed, \(trimmed.hash.distance(to: reference.hash)) trimmed"
        )
        #expect(trimmed.hash == reference.hash)
        #expect(barred.hash.distance(to: reference.hash) > 0)
        // No bars: trimming changes nothing.
        let same = try trimming.hash(rgb: content, width: width, height: height, frameNumber: 0, framesPerSecond: 30)
        #expect(same == reference)
        // A black frame keeps its middle third and stays unusable (quality 0).
        let black = try trimming.hash(
            rgb: [UInt8](repeating: 0, count: width * height * 3), width: width, height: height, frameNumber: 0, framesPerSecond: 30)
        #expect(black.quality == 0)
    }
}

@Suite("vPDQ matching of two videos")
struct VPDQMatcherTests {
    func feature(_ hash: PDQHash, quality: Int = 100, frame: Int = 0) -> VPDQFeature {
        VPDQFeature(frameNumber: frame, hash: hash, quality: quality, timestamp: Double(frame))
    }

    @Test("percentages over distinct usable hashes, both ways")
    func percentages() {
        var random = SplitMix64(seed: 21)
        let hashes = (0..<6).map { _ in PDQHash(words: SIMD4(random.next(), random.next(), random.next(), random.next())) }
        // The query: 4 distinct usable hashes (one repeated, one low quality dropped); 3 of them near the video's.
        let query = [
            feature(hashes[0].flipping(bits: Array(0..<31))), feature(hashes[1]), feature(hashes[1]), feature(hashes[2]),
            feature(hashes[5]), feature(hashes[3], quality: 49),
        ]
        let video = [feature(hashes[0]), feature(hashes[1]), feature(hashes[2]), feature(hashes[3]), feature(hashes[4])]
        let result = VPDQMatcher.compare(query: query, compared: video)
        #expect(result == VPDQMatchResult(queryMatchPercent: 75, comparedMatchPercent: 60))
        #expect(!VPDQMatchOptions().accepts(queryMatchPercent: result.queryMatchPercent, comparedMatchPercent: result.comparedMatchPercent))
        #expect(VPDQMatchOptions(queryMatchThreshold: 75).accepts(queryMatchPercent: 75, comparedMatchPercent: 60))
        #expect(!VPDQMatchOptions(queryMatchThreshold: 75, comparedMatchThreshold: 61).accepts(queryMatchPercent: 75, comparedMatchPercent: 60))
        // At distance 30 the flipped frame no longer matches.
        #expect(VPDQMatcher.compare(query: query, compared: video, options: VPDQMatchOptions(distanceThreshold: 30)).queryMatchPercent == 50)
        // Nothing usable on one side: 0 %, no division by zero.
        #expect(
            VPDQMatcher.compare(query: [feature(hashes[0], quality: 10)], compared: video)
                == VPDQMatchResult(queryMatchPercent: 0, comparedMatchPercent: 0))
    }
}
