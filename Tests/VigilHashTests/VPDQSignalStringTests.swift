import Testing
import VigilHash

/// python-threatexchange's vPDQ signal string (HMA's `vpdq`): a JSON list of `"hex,quality,timestamp"`.
@Suite("vPDQ signal string (python-threatexchange)")
struct VPDQSignalStringTests {
    let hexA = "dadb999c25266273529cadac89cb52c22324ad3bce99726c38668d93c799f07c"
    let hexB = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"

    /// The expected texts were printed by CPython 3.11, `format(t, ".3")`, for the same doubles
    /// (the last rows are vPDQ's own timestamps, Float(n) / Float(fps), at 29.97 and 30 fps).
    @Test("timestamps print as Python's format(t, \".3\") does")
    func timestamps() {
        let expected: [(Double, String)] = [
            (0.0, "0.0"), (1.0, "1.0"), (10.0, "10.0"), (100.0, "1e+02"), (123.456, "1.23e+02"), (999.5, "1e+03"),
            (1000.0, "1e+03"), (0.0333, "0.0333"), (0.1, "0.1"), (12.5, "12.5"), (2.0333, "2.03"), (1e-05, "1e-05"),
            (0.0001, "0.0001"), (3599.967, "3.6e+03"), (99.95, "1e+02"), (99.94999, "99.9"), (9.995, "9.99"), (0.9995, "1.0"),
            (0.00012345, "0.000123"), (5e-324, "4.94e-324"), (1.7976931348623157e+308, "1.8e+308"), (0.125, "0.125"),
            (0.0625, "0.0625"), (2.5, "2.5"), (0.995, "0.995"), (0.03336670249700546, "0.0334"), (0.9676343202590942, "0.968"),
            (1.001001000404358, "1.0"), (9.976643562316895, "9.98"), (3600.0, "3.6e+03"), (0.03333333507180214, "0.0333"),
            (0.06666667014360428, "0.0667"), (1.0333333015441895, "1.03"),
        ]
        for (value, text) in expected {
            #expect(VPDQSignalString.formatTimestamp(value) == text, "\(value)")
        }
    }

    @Test("features are written as json.dumps writes the list, and read back")
    func roundTrip() throws {
        let features = [
            VPDQFeature(frameNumber: 0, hash: try #require(PDQHash(hex: hexA)), quality: 100, timestamp: 0),
            VPDQFeature(frameNumber: 30, hash: try #require(PDQHash(hex: hexB)), quality: 49, timestamp: 1.0010010004043579),
            VPDQFeature(frameNumber: 3600, hash: try #require(PDQHash(hex: hexA)), quality: 7, timestamp: 120.12),
        ]
        let text = VPDQSignalString.format(features)
        #expect(text == "[\"\(hexA),100,0.0\", \"\(hexB),49,1.0\", \"\(hexA),7,1.2e+02\"]")
        let parsed = try VPDQSignalString.parse(text)
        // Frames are numbered by position; the timestamps keep three significant digits.
        #expect(parsed.map(\.frameNumber) == [0, 1, 2])
        #expect(parsed.map(\.hash) == features.map(\.hash))
        #expect(parsed.map(\.quality) == [100, 49, 7])
        #expect(parsed.map(\.timestamp) == [0, 1, 120])
        #expect(VPDQSignalString.format(parsed) == text)
    }

    @Test("python-threatexchange's own forms are read: any spacing, upper-case hex, exponents, escapes")
    func lenientLikePython() throws {
        let text = " [ \"\(hexA.uppercased()),100,1.23e+02\" ,\n\"\(hexB),50,0.0334\",\"\\u0064\(hexA.dropFirst()),0,1E-05\"]\n"
        let parsed = try VPDQSignalString.parse(text)
        #expect(parsed.count == 3)
        #expect(parsed[0].hash.hex == hexA)
        #expect(parsed[0].timestamp == 123)
        #expect(parsed[1].timestamp == 0.0334)
        #expect(parsed[2].hash.hex == hexA)
        #expect(parsed[2].timestamp == 1e-05)
    }

    @Test("bad signal strings are refused with the item and the field named")
    func refusals() {
        let cases: [(String, VPDQParseError.Code, String)] = [
            ("", .notAList, "does not start with ["),
            ("{\"a\": 1}", .notAList, "does not start with ["),
            ("[]", .empty, "empty list"),
            ("[1, 2]", .notAList, "item 1 is not a string"),
            ("[\"\(hexA),100,0.0\"", .notAList, "not closed"),
            ("[\"\(hexA),100,0.0\"] x", .notAList, "text follows"),
            ("[\"\(hexA),100,0.0\" \"\(hexA),100,0.0\"]", .notAList, "expected , or ]"),
            ("[\"\(hexA),100\"]", .wrongFieldCount, "item 1"),
            ("[\"\(hexA),100,0.0\", \"0,\(hexA),100,0.0\"]", .wrongFieldCount, "item 2"),
            ("[\"\(hexA.dropLast()),100,0.0\"]", .invalidHash, "invalid PDQ hash"),
            ("[\"\(hexA),101,0.0\"]", .invalidQuality, "quality \"101\""),
            ("[\"\(hexA),-1,0.0\"]", .invalidQuality, "quality \"-1\""),
            ("[\"\(hexA),100,-1.0\"]", .invalidTimestamp, "timestamp \"-1.0\""),
            ("[\"\(hexA),100,inf\"]", .invalidTimestamp, "timestamp \"inf\""),
            ("[\"\(hexA),100,nan\"]", .invalidTimestamp, "timestamp \"nan\""),
            ("[\"\(hexA),100,0x1p3\"]", .invalidTimestamp, "timestamp"),
            ("[\"\(String(repeating: "a", count: 300))\"]", .lineTooLong, "over 200 characters"),
            ("[\"\\n\"]", .notAList, "escape"),
        ]
        for (text, code, fragment) in cases {
            do {
                _ = try VPDQSignalString.parse(text)
                Issue.record("accepted \(text)")
            } catch {
                #expect(error.code == code, "\(text): \(error)")
                #expect(error.message.contains(fragment), "\(text): \(error.message)")
            }
        }
    }
}
