import FuzzDriver
import VigilHash
import VigilHex
import VigilIndex

/// libFuzzer's entry point: the text parsers of hashes. One input, read as UTF-8 (invalid sequences
/// replaced, as a request body's string would be), goes through PDQ hex, the hex codec, MD5/SHA-256
/// digests and vPDQ text; every value a parser accepts must survive a round trip through its writer.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHex(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let text = String(decoding: bytes, as: UTF8.self)
    checkPDQ(text)
    checkHex(text)
    checkDigests(text)
    checkVPDQ(text)
    // A substring (a view into a larger string) takes the parsers' other path for borrowed bytes.
    checkPDQ(text.dropFirst())
    checkHex(text.dropFirst())
    return 0
}

/// PDQ hex: accepted text is 64 hex digits, written back lowercased.
func checkPDQ(_ text: some StringProtocol) {
    do {
        let hash = try PDQHash(validatingHex: text)
        precondition(hash.hex == text.lowercased(), "PDQ hex round trip changed \(text) into \(hash.hex)")
        precondition(PDQHash(hex: hash.hex) == hash, "PDQ hex does not parse back")
    } catch {
        precondition(!error.message.isEmpty, "a PDQ parse error without a message")
    }
}

/// The hex codec: decode, decode with a byte count, and normalise agree with encode.
func checkHex(_ text: some StringProtocol) {
    if let decoded = try? Hex.decode(text) {
        precondition(Hex.encode(decoded) == text.lowercased(), "hex round trip changed \(text)")
        precondition((try? Hex.decode(text, byteCount: decoded.count)) == decoded, "byteCount decode disagrees")
    }
    if let normalised = try? Hex.normalised(text, digits: text.utf8.count) {
        precondition(normalised == text.lowercased(), "normalised \(text) into \(normalised)")
    }
}

/// MD5 and SHA-256 digests in hex, as the digest sets read them.
func checkDigests(_ text: String) {
    for algorithm in DigestSet.Algorithm.allCases {
        do {
            let digest = try DigestSet.bytes(hex: text, algorithm: algorithm)
            precondition(Hex.encode(digest) == text.lowercased(), "digest round trip changed \(text)")
        } catch {
            precondition(!error.message.isEmpty, "a digest parse error without a message")
        }
    }
}

/// vPDQ text: what parses is written back by `VPDQText.format` and parses again to the same frames.
func checkVPDQ(_ text: String) {
    guard let features = try? VPDQText.parse(text) else { return }
    let written = VPDQText.format(features)
    do {
        let again = try VPDQText.parse(written)
        precondition(again.count == features.count, "vPDQ round trip changed the frame count")
        for (a, b) in zip(features, again) {
            precondition(a.frameNumber == b.frameNumber && a.quality == b.quality && a.hash == b.hash, "vPDQ round trip changed a frame")
        }
    } catch {
        preconditionFailure("vPDQ text written by VPDQText.format does not parse: \(error)")
    }
}

runLibFuzzer(fuzzHex)
