import Testing
@testable import VigilMedia

/// Every fixture image must decode to exactly the pixels Pillow produces (scripts/pillow_pixels.py).
@Suite struct PillowConformanceTests {
    /// Files where exact equality is impossible by design, with the reason (see PNGDecoder's docs).
    static let knownDeviations: [String: String] = [
        "media/png-rgba16.png": "16-bit RGBA: libpng's simplified API premultiplies non-opaque pixels",
    ]

    @Test func expectationsAreLoaded() {
        #expect(PillowExpectation.all.count >= 60)
    }

    @Test(arguments: PillowExpectation.all)
    func pixelsEqualPillow(_ expected: PillowExpectation) throws {
        let image = try ImageDecoder().decode(contentsOf: Fixtures.path(expected.path))
        #expect(image.width == expected.width && image.height == expected.height)
        #expect(image.layout == expected.layout)
        #expect(image.pixels.count == expected.byteCount)
        if let reason = Self.knownDeviations[expected.path] {
            #expect(fnv1a64(image.pixels) != expected.fnv, "now matches Pillow; remove the known deviation: \(reason)")
        } else {
            #expect(fnv1a64(image.pixels) == expected.fnv, "pixels differ from Pillow's for \(expected.path)")
        }
    }
}
