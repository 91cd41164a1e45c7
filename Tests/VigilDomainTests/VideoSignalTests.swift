import Testing
import VigilDomain

/// The `vpdq` signal type's one rule: vPDQ text, canonical, within its limits.
@Suite("vpdq signal values")
struct VideoSignalTests {
    static let hash = "dadb999c25266273529cadac89cb52c22324ad3bce99726c38668d93c799f07c"

    @Test func valuesAreCanonicalVPDQText() throws {
        let sent = "0,100,\(Self.hash.uppercased()),0.000\r\n\r\n30,87,\(Self.hash),1.000"
        #expect(try SignalType.vpdq.normalise(sent) == "0,100,\(Self.hash),0.000\n30,87,\(Self.hash),1.000\n")
        #expect(SignalType.vpdq.hexLength == nil && SignalType.vpdq.isPerceptual)
        #expect(SignalType.pdq.hexLength == 64 && SignalType.md5.hexLength == 32 && !SignalType.sha256.isPerceptual)
    }

    @Test(arguments: [
        ("", "holds no vPDQ line"),
        (String(repeating: "a", count: 64), "comma-separated fields"),
        ("0,101,\(VideoSignalTests.hash),0.000", "quality"),
        ("5,100,\(VideoSignalTests.hash),0.000\n3,100,\(VideoSignalTests.hash),1.000", "frame numbers must increase"),
        ("0,100,xyz,0.000", "PDQ hash"),
    ])
    func malformedValuesAreRefusedWithTheirReason(value: String, reason: String) {
        do {
            _ = try SignalType.vpdq.normalise(value)
            Issue.record("accepted \(value)")
        } catch {
            #expect(error.description.contains(reason), "\(error.description)")
        }
    }

    @Test func limitsHold() {
        let lines = (0...SignalValueFormat.vpdqMaxFrames).map { "\($0),100,\(Self.hash),\($0).000" }.joined(separator: "\n")
        #expect(throws: SignalValueError.tooLarge(type: .vpdq, limit: "3600 frames", actual: 3601)) { try SignalType.vpdq.normalise(lines) }
        let huge = String(repeating: "0,100,\(Self.hash),0.000\n", count: 6_000)
        #expect(throws: SignalValueError.tooLarge(type: .vpdq, limit: "400000 bytes", actual: huge.utf8.count)) {
            try SignalType.vpdq.normalise(huge)
        }
    }
}
