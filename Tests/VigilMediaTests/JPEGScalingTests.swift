import Testing

@testable import VigilMedia

@Suite struct JPEGScalingTests {
    /// (minimum short side, expected size) for the 2048x1536 fixture, given libjpeg-turbo's factors
    /// 1/8, 1/4, 3/8, 1/2, 5/8, 3/4, 7/8 below 1/1.
    @Test(arguments: [
        (512, 768, 576),  // 3/8: 576 >= 512, while 1/4 gives 384
        (100, 256, 192),  // 1/8
        (1000, 1536, 1152),  // 3/4: 5/8 gives 960
        (1536, 2048, 1536),  // no reducing factor qualifies: full size
        (5000, 2048, 1536),
    ])
    func scaledDecode(_ minimum: Int, _ width: Int, _ height: Int) throws {
        let decoder = ImageDecoder(options: DecodeOptions(jpegMinimumShortSide: minimum))
        let image = try decoder.decode(contentsOf: Fixtures.path("media/jpeg-2048x1536.jpg"))
        #expect(image.width == width && image.height == height)
        #expect(image.sourceWidth == 2048 && image.sourceHeight == 1536)
        #expect(image.pixels.count == width * height * 3)
    }

    @Test func scaledPixelsResembleFullSize() throws {
        let path = Fixtures.path("media/jpeg-2048x1536.jpg")
        let full = try ImageDecoder().decode(contentsOf: path)
        let small = try ImageDecoder(options: DecodeOptions(jpegMinimumShortSide: 100)).decode(contentsOf: path)
        #expect(full.width == 2048 && small.width == 256)
        var worst = 0
        for y in stride(from: 0, to: small.height, by: 7) {
            for x in stride(from: 0, to: small.width, by: 7) {
                for c in 0..<3 {
                    let a = Int(small.pixels[(y * small.width + x) * 3 + c])
                    let b = Int(full.pixels[((y * 8 + 4) * full.width + x * 8 + 4) * 3 + c])
                    worst = max(worst, abs(a - b))
                }
            }
        }
        #expect(worst <= 24)
    }

    @Test func factorChoiceFor4000x3000() {
        let factor = JPEGDecoder.scalingFactor(width: 4000, height: 3000, minimumShortSide: 512)
        #expect(factor.scale(4000) == 1000 && factor.scale(3000) == 750)
        #expect(JPEGDecoder.scalingFactor(width: 4000, height: 3000, minimumShortSide: nil) == .identity)
        #expect(JPEGDecoder.scalingFactor(width: 300, height: 200, minimumShortSide: 512) == .identity)
    }

    @Test func scalingIgnoredForOtherFormats() throws {
        let image = try ImageDecoder(options: DecodeOptions(jpegMinimumShortSide: 16))
            .decode(contentsOf: Fixtures.path("media/png-rgba.png"))
        #expect(image.width == 96 && image.height == 64)
    }
}

@Suite struct JPEGLumaOnlyTests {
    /// Decoding only Y gives grey pixels within rounding of the 0.299/0.587/0.114 luma of the
    /// full RGB decode (JFIF's Y uses the same weights).
    @Test func lumaOnlyMatchesRGBLuma() throws {
        let path = Fixtures.path("media/jpeg-2048x1536.jpg")
        let rgb = try ImageDecoder().decode(contentsOf: path)
        let luma = try ImageDecoder(options: DecodeOptions(jpegLumaOnly: true)).decode(contentsOf: path)
        #expect(luma.layout == .grey && rgb.layout == .rgb)
        #expect(luma.width == rgb.width && luma.height == rgb.height)
        var worst = 0.0
        var total = 0.0
        for i in 0..<(luma.width * luma.height) {
            let y =
                0.299 * Double(rgb.pixels[3 * i]) + 0.587 * Double(rgb.pixels[3 * i + 1])
                + 0.114 * Double(rgb.pixels[3 * i + 2])
            let difference = abs(y - Double(luma.pixels[i]))
            worst = max(worst, difference)
            total += difference
        }
        #expect(total / Double(luma.width * luma.height) < 1.0)
        #expect(worst < 8)
    }

    /// Greyscale and CMYK JPEGs are not YCbCr: the option leaves them as they are.
    @Test func otherColourSpacesAreUnchanged() throws {
        let options = DecodeOptions(jpegLumaOnly: true)
        let cmyk = try ImageDecoder(options: options).decode(contentsOf: Fixtures.path("reference/images/pdq-data/misc-images/modes/CMYK.jpg"))
        #expect(cmyk.layout == .rgb)
        #expect(cmyk.pixels == (try ImageDecoder().decode(contentsOf: Fixtures.path("reference/images/pdq-data/misc-images/modes/CMYK.jpg"))).pixels)
        let grey = try ImageDecoder(options: options).decode(contentsOf: Fixtures.path("reference/images/generated-edge/scene-800x600-gray.jpg"))
        #expect(grey.layout == .grey)
    }
}
