import Testing
import VigilTestSupport

@testable import VigilHash

/// The C luma kernels (`CPDQKernels`, SIMD where the processor has it) against the references'
/// expressions written out in Swift, for every one of the 2^24 colours: a single differing bit
/// would move a downsampled value and, rarely, a hash bit.
@Suite struct LumaKernelTests {
    /// How many of the 2^24 colours `fill` (a row of 65,536 pixels: one red, every green and blue)
    /// gives a luma whose bits differ from `expected(red, green, blue)`.
    private func mismatches(
        fill: (PixelImage, UnsafeMutablePointer<Float>) -> Void, expected: (UInt8, UInt8, UInt8) -> Float
    ) -> Int {
        var bytes = [UInt8](repeating: 0, count: 65_536 * 3)
        var luma = [Float](repeating: .nan, count: 65_536)
        var count = 0
        for red in 0...255 {
            for i in 0..<65_536 {
                bytes[3 * i] = UInt8(red)
                bytes[3 * i + 1] = UInt8(i >> 8)
                bytes[3 * i + 2] = UInt8(i & 255)
            }
            bytes.withUnsafeBufferPointer { pixels in
                luma.withUnsafeMutableBufferPointer { out in
                    if let base = out.baseAddress { fill(PixelImage(pixels: pixels, width: 65_536, height: 1, channels: 3), base) }
                }
            }
            for i in 0..<65_536 where luma[i].bitPattern != expected(bytes[3 * i], bytes[3 * i + 1], bytes[3 * i + 2]).bitPattern {
                count += 1
            }
        }
        return count
    }

    @Test func float32LumaIsMetasExpressionForEveryColour() {
        let count = mismatches(
            fill: { RGBRowsFloat32(image: $0).fill(row: 0, into: $1) },
            expected: { red, green, blue in
                let r: Float = 0.299 * Float(red)
                let g: Float = 0.587 * Float(green)
                let b: Float = 0.114 * Float(blue)
                return (r + g) + b
            })
        #expect(count == 0)
    }

    @Test func float64LumaIsPdqhashsExpressionForEveryColour() {
        let count = mismatches(
            fill: { RGBRowsFloat64(image: $0).fill(row: 0, into: $1) },
            expected: { red, green, blue in
                let r: Double = Double(red) * 0.299
                let g: Double = Double(green) * 0.587
                let b: Double = Double(blue) * 0.114
                return Float((r + g) + b)
            })
        #expect(count == 0)
    }

    /// Rows that do not fill a SIMD register (1 to 40 pixels), at odd offsets: the kernels' tails.
    @Test func shortRowsAndTheirTailsMatchToo() {
        var generator = SplitMix64(seed: 13)
        for width in 1...40 {
            let bytes = (0..<(width * 3 + 1)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            bytes.withUnsafeBufferPointer { all in
                // One byte in, so the rows start unaligned.
                let pixels = UnsafeBufferPointer(rebasing: all[1...])
                let image = PixelImage(pixels: pixels, width: width, height: 1, channels: 3)
                var luma = [Float](repeating: .nan, count: width + 1)
                luma.withUnsafeMutableBufferPointer { out in
                    if let base = out.baseAddress { RGBRowsFloat32(image: image).fill(row: 0, into: base) }
                }
                for i in 0..<width {
                    let expected: Float = (0.299 * Float(pixels[3 * i]) + 0.587 * Float(pixels[3 * i + 1])) + 0.114 * Float(pixels[3 * i + 2])
                    #expect(luma[i].bitPattern == expected.bitPattern, "width \(width), pixel \(i)")
                }
                #expect(luma[width].isNaN, "width \(width): the kernel wrote past the row")
            }
        }
    }
}
