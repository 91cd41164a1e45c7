import Testing

@testable import VigilMedia

/// Every fixture image must decode to exactly the pixels Pillow produces (scripts/pillow_pixels.py).
@Suite struct PillowConformanceTests {
    /// Files where exact equality is impossible by design, with the reason (see PNGDecoder's docs).
    static let knownDeviations: [String: String] = [
        "media/png-rgba16.png": "16-bit RGBA: libpng's simplified API premultiplies non-opaque pixels"
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

/// One shared decoder used from many tasks at once gives the same pixels as serial decoding.
@Test func concurrentDecodesAgree() async throws {
    let decoder = ImageDecoder()
    let rows = PillowExpectation.all.filter { !$0.path.contains("2000x1500") && !$0.path.contains("2048x1536") }
    let checksums = try await withThrowingTaskGroup(of: (String, UInt64).self) { group in
        for _ in 0..<2 {
            for row in rows {
                group.addTask {
                    let image = try decoder.decode(contentsOf: Fixtures.path(row.path))
                    return (row.path, fnv1a64(image.pixels))
                }
            }
        }
        var results: [(String, UInt64)] = []
        for try await result in group { results.append(result) }
        return results
    }
    let expected = Dictionary(uniqueKeysWithValues: rows.map { ($0.path, $0.fnv) })
    for (path, checksum) in checksums where PillowConformanceTests.knownDeviations[path] == nil {
        #expect(checksum == expected[path], "\(path)")
    }
    #expect(checksums.count == rows.count * 2)
}
