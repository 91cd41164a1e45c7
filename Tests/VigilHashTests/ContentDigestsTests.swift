import Testing
import VigilHash

@Suite("Exact digests")
struct ContentDigestsTests {
    @Test func knownVectors() {
        let empty = ContentDigests(of: [UInt8]())
        #expect(empty.md5 == "d41d8cd98f00b204e9800998ecf8427e")
        #expect(empty.sha256 == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        let abc = ContentDigests(of: Array("abc".utf8))
        #expect(abc.md5 == "900150983cd24fb0d6963f7d28e17f72")
        #expect(abc.sha256 == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func streamingEqualsOneShot() {
        let bytes = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) }
        var digester = ContentDigester()
        var start = 0
        for size in [1, 7, 4096, 65_536, 100_000] where start < bytes.count {
            let end = min(bytes.count, start + size)
            digester.update(Array(bytes[start..<end]))
            start = end
        }
        digester.update(Array(bytes[start...]))
        #expect(digester.byteCount == bytes.count)
        #expect(digester.finalize() == ContentDigests(of: bytes))
    }
}
