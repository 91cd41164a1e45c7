import Testing

@testable import VigilMedia

/// What a file of the bad-input corpus must produce.
enum BadOutcome: Sendable, CustomStringConvertible {
    /// Decodes fine (mislabelled but valid, or damage that libjpeg and Pillow tolerate).
    case decodes(ImageFormat, width: Int, height: Int)
    /// Fails with this error code (and, for codec errors, this format); the detail text is free.
    case fails(String, ImageFormat?)
    /// Fails with exactly this error.
    case failsExactly(MediaError)

    var description: String {
        switch self {
        case .decodes(let format, let width, let height): "decodes as \(format) \(width)x\(height)"
        case .fails(let code, let format): "fails \(code) \(format.map { "\($0)" } ?? "")"
        case .failsExactly(let error): "fails \(error.code)"
        }
    }
}

@Suite struct BadInputTests {
    static let limit = DecodeLimits().maxPixels
    static let corpus: [(String, BadOutcome)] = [
        ("bad/empty.jpg", .failsExactly(.empty)),
        ("bad/truncated.jpg", .fails("truncated", .jpeg)),
        ("bad/truncated-header.jpg", .fails("truncated", .jpeg)),
        ("bad/truncated.png", .fails("truncated", .png)),
        ("bad/truncated.webp", .fails("truncated", .webp)),
        ("bad/truncated.gif", .fails("truncated", .gif)),
        ("bad/corrupt-marker.jpg", .fails("corrupt", .jpeg)),
        // libjpeg only warns about damaged entropy-coded data, and Pillow decodes it too.
        ("bad/corrupt-entropy.jpg", .decodes(.jpeg, width: 64, height: 48)),
        ("bad/corrupt-ihdr-crc.png", .fails("corrupt", .png)),
        ("bad/corrupt-idat.png", .fails("corrupt", .png)),
        ("bad/bomb-60000x60000.jpg", .failsExactly(.tooManyPixels(width: 60000, height: 60000, limit: limit))),
        ("bad/bomb-60000x60000.png", .failsExactly(.tooManyPixels(width: 60000, height: 60000, limit: limit))),
        ("bad/bomb-16000x16000.webp", .failsExactly(.tooManyPixels(width: 16000, height: 16000, limit: limit))),
        ("bad/bomb-screen-60000x60000.gif", .failsExactly(.tooManyPixels(width: 60000, height: 60000, limit: limit))),
        ("bad/bomb-frame-60000x60000.gif", .failsExactly(.tooManyPixels(width: 60000, height: 60000, limit: limit))),
        ("bad/zero-size.gif", .failsExactly(.invalidDimensions(width: 0, height: 0))),
        ("bad/text.jpg", .failsExactly(.unrecognisedFormat(magic: "5468697320697320"))),
        ("bad/png-named.jpg", .decodes(.png, width: 64, height: 48)),
        ("bad/random.bin", .fails("unrecognised_format", nil)),
        ("bad/riff-not-webp.webp", .fails("unrecognised_format", nil)),
        ("bad/animated.webp", .fails("unsupported", .webp)),
        ("bad/scan-bomb.jpg", .fails("corrupt", .jpeg)),
    ]

    @Test(arguments: corpus)
    func badInput(_ file: String, _ expected: BadOutcome) {
        let result = Result { () throws(MediaError) in try ImageDecoder().decode(contentsOf: Fixtures.path(file)) }
        switch (expected, result) {
        case (.decodes(let format, let width, let height), .success(let image)):
            #expect(image.format == format && image.width == width && image.height == height)
            #expect(image.pixels.count == width * height * image.layout.channels)
        case (.fails(let code, let format), .failure(let error)):
            #expect(error.code.rawValue == code, "\(file): \(error)")
            #expect(error.format == format, "\(file): \(error)")
        case (.failsExactly(let expectedError), .failure(let error)):
            #expect(error == expectedError, "\(file): \(error)")
        case (_, .success(let image)):
            Issue.record("\(file): expected \(expected), decoded \(image.format) \(image.width)x\(image.height)")
        case (_, .failure(let error)):
            Issue.record("\(file): expected \(expected), got \(error.code): \(error)")
        }
    }

    /// The same bytes in memory behave as the file does (no path-dependent logic).
    @Test(arguments: corpus.map(\.0))
    func memoryAndFileAgree(_ file: String) throws {
        let bytes = try Fixtures.bytes(file)
        let fromMemory = Result { () throws(MediaError) in try ImageDecoder().decode(bytes) }
        let fromFile = Result { () throws(MediaError) in try ImageDecoder().decode(contentsOf: Fixtures.path(file)) }
        switch (fromMemory, fromFile) {
        case (.success(let a), .success(let b)): #expect(a.pixels == b.pixels)
        case (.failure(let a), .failure(let b)): #expect(a == b)
        default: Issue.record("\(file): memory and file decodes disagree")
        }
    }

    /// Every prefix of a valid file fails cleanly or decodes; nothing crashes or hangs.
    @Test(arguments: [
        "media/jpeg-progressive.jpg", "media/png-rgba.png", "media/webp-lossy-alpha.webp",
        "media/gif-small-frame-transparent.gif", "media/png-rgb16.png",
    ])
    func everyPrefixIsSafe(_ file: String) throws {
        let bytes = try Fixtures.bytes(file)
        let step = max(1, bytes.count / 97)
        for length in stride(from: 0, to: bytes.count, by: step) {
            do {
                _ = try ImageDecoder().decode(Array(bytes.prefix(length)))
            } catch {
                #expect(!error.description.isEmpty)
            }
        }
    }

    @Test func tinyPixelLimitTriggersBeforeDecoding() {
        let decoder = ImageDecoder(options: DecodeOptions(limits: DecodeLimits(maxPixels: 1000)))
        for (file, width, height) in [
            ("media/jpeg-2048x1536.jpg", 2048, 1536), ("media/png-rgba.png", 96, 64),
            ("media/webp-lossy.webp", 96, 64), ("media/gif-small-frame.gif", 40, 30),
        ] {
            #expect(throws: MediaError.tooManyPixels(width: width, height: height, limit: 1000), "\(file)") {
                try decoder.decode(contentsOf: Fixtures.path(file))
            }
        }
    }

    @Test func tinyByteLimitRejectsBeforeReading() throws {
        let decoder = ImageDecoder(options: DecodeOptions(limits: DecodeLimits(maxBytes: 100)))
        let path = Fixtures.path("media/png-rgba.png")
        let size = try Fixtures.bytes("media/png-rgba.png").count
        #expect(throws: MediaError.fileTooLarge(bytes: size, limit: 100)) {
            try decoder.decode(contentsOf: path)
        }
        #expect(throws: MediaError.fileTooLarge(bytes: size, limit: 100)) {
            try decoder.decode(try Fixtures.bytes("media/png-rgba.png"))
        }
    }

    @Test func unreadablePaths() {
        let decoder = ImageDecoder()
        for path in [Fixtures.path("bad/does-not-exist.jpg"), Fixtures.path("bad")] {
            do {
                _ = try decoder.decode(contentsOf: path)
                Issue.record("\(path) decoded")
            } catch {
                #expect(error.code == .unreadable, "\(error)")
            }
        }
    }

    @Test func errorCodesAreStableSnakeCase() {
        let errors: [MediaError] = [
            .empty, .fileTooLarge(bytes: 2, limit: 1), .unrecognisedFormat(magic: "00"),
            .tooManyPixels(width: 1, height: 1, limit: 0), .invalidDimensions(width: 0, height: 0),
            .truncated(.png, detail: "x"), .corrupt(.gif, detail: "x"), .unsupported(.webp, detail: "x"),
            .unreadable(path: "/x", detail: "x"), .outOfMemory(bytes: 1),
        ]
        #expect(
            errors.map(\.code.rawValue) == [
                "empty", "file_too_large", "unrecognised_format", "too_many_pixels", "invalid_dimensions",
                "truncated", "corrupt", "unsupported", "unreadable", "out_of_memory",
            ])
        for error in errors { #expect(error.description.count > 40) }
    }
}
