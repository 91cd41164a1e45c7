import Testing

@testable import VigilMedia

@Suite struct SniffTests {
    @Test(
        arguments: [
            ([0xFF, 0xD8, 0xFF, 0xE0], ImageFormat.jpeg),
            ([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0], .png),
            (Array("RIFF\u{0}\u{0}\u{0}\u{0}WEBPVP8 ".utf8), .webp),
            (Array("GIF89a".utf8), .gif),
            (Array("GIF87a".utf8), .gif),
        ] as [([UInt8], ImageFormat)])
    func recognises(_ bytes: [UInt8], _ format: ImageFormat) {
        #expect(ImageDecoder.sniff(bytes) == format)
        #expect(ImageDecoder.sniff(bytes[...]) == format)
    }

    @Test(
        arguments: [
            [], [0xFF, 0xD8], [0x89, 0x50, 0x4E, 0x47], Array("RIFF....WAVE".utf8), Array("GIF88a".utf8),
            Array("<svg xmlns".utf8), [0x00, 0x00, 0x00, 0x18, 0x66, 0x74, 0x79, 0x70],
        ] as [[UInt8]])
    func rejects(_ bytes: [UInt8]) {
        #expect(ImageDecoder.sniff(bytes) == nil)
    }

    @Test func everyFixtureSniffsAsItsFormat() throws {
        for row in PillowExpectation.all {
            let bytes = try Fixtures.bytes(row.path)
            let ext = row.path.split(separator: ".").last.map(String.init) ?? ""
            let format = ImageDecoder.sniff(bytes)
            #expect(format == ImageFormat(rawValue: ext == "jpg" ? "jpeg" : ext), "\(row.path)")
            #expect(try ImageDecoder().decode(bytes).format == format)
        }
    }
}
