import CPDQKernels
import Testing
import VigilTestSupport

@testable import VigilHash

/// One variant of the C kernels, as `vigil_luma_rgb24_*_variant` takes it.
enum KernelVariant: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case baseline
    case avx2

    /// The `simd` argument.
    var simd: Int32 { self == .avx2 ? 1 : 0 }

    var testDescription: String { rawValue }
}

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

    /// The variants this machine can run: the baseline CPU's always, the AVX2 one where the
    /// processor has it (`vigil_pdq_kernels_use_avx2`), so both are checked here, not only the
    /// one the dispatch picks.
    static let variants: [KernelVariant] = vigil_pdq_kernels_use_avx2() != 0 ? [.baseline, .avx2] : [.baseline]

    @Test(arguments: variants)
    func float32LumaIsMetasExpressionForEveryColour(variant: KernelVariant) {
        let count = mismatches(
            fill: { image, out in vigil_luma_rgb24_float32_variant(variant.simd, image.pixels.baseAddress, out, image.width) },
            expected: { red, green, blue in
                let r: Float = 0.299 * Float(red)
                let g: Float = 0.587 * Float(green)
                let b: Float = 0.114 * Float(blue)
                return (r + g) + b
            })
        #expect(count == 0)
    }

    @Test(arguments: variants)
    func float64LumaIsPdqhashsExpressionForEveryColour(variant: KernelVariant) {
        let count = mismatches(
            fill: { image, out in vigil_luma_rgb24_float64_variant(variant.simd, image.pixels.baseAddress, out, image.width) },
            expected: { red, green, blue in
                let r: Double = Double(red) * 0.299
                let g: Double = Double(green) * 0.587
                let b: Double = Double(blue) * 0.114
                return Float((r + g) + b)
            })
        #expect(count == 0)
    }

    /// The pipeline's rows (`RGBRowsFloat32`, `RGBRowsFloat64`) call the dispatched kernel: the same
    /// bits as the variant the processor gets.
    @Test func thePipelineRowsUseTheDispatchedKernel() {
        var generator = SplitMix64(seed: 7)
        let width = 1_000
        let bytes = (0..<(width * 3)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let simd = vigil_pdq_kernels_use_avx2()
        bytes.withUnsafeBufferPointer { pixels in
            let image = PixelImage(pixels: pixels, width: width, height: 1, channels: 3)
            var rows = [Float](repeating: .nan, count: width)
            var direct = [Float](repeating: .nan, count: width)
            rows.withUnsafeMutableBufferPointer { if let out = $0.baseAddress { RGBRowsFloat32(image: image).fill(row: 0, into: out) } }
            direct.withUnsafeMutableBufferPointer { vigil_luma_rgb24_float32_variant(simd, pixels.baseAddress, $0.baseAddress, width) }
            #expect(rows.map(\.bitPattern) == direct.map(\.bitPattern))
            rows.withUnsafeMutableBufferPointer { if let out = $0.baseAddress { RGBRowsFloat64(image: image).fill(row: 0, into: out) } }
            direct.withUnsafeMutableBufferPointer { vigil_luma_rgb24_float64_variant(simd, pixels.baseAddress, $0.baseAddress, width) }
            #expect(rows.map(\.bitPattern) == direct.map(\.bitPattern))
        }
    }

    #if os(Linux) && arch(x86_64)
    /// The dispatch picks AVX2 exactly where the kernel reports the processor has it.
    @Test func theDispatchFollowsTheProcessorsFlags() throws {
        let flags = try ProcessorFlags.linux()
        try #require(!flags.isEmpty, "/proc/cpuinfo has a flags line")
        #expect((vigil_pdq_kernels_use_avx2() != 0) == flags.contains("avx2"))
    }
    #endif

    /// Rows that do not fill a SIMD register (1 to 40 pixels), at odd offsets: the kernels' tails.
    @Test(arguments: variants)
    func shortRowsAndTheirTailsMatchToo(variant: KernelVariant) {
        var generator = SplitMix64(seed: 13)
        for width in 1...40 {
            let bytes = (0..<(width * 3 + 1)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            bytes.withUnsafeBufferPointer { all in
                // One byte in, so the rows start unaligned.
                let pixels = UnsafeBufferPointer(rebasing: all[1...])
                let image = PixelImage(pixels: pixels, width: width, height: 1, channels: 3)
                var luma = [Float](repeating: .nan, count: width + 1)
                luma.withUnsafeMutableBufferPointer { out in
                    vigil_luma_rgb24_float32_variant(variant.simd, image.pixels.baseAddress, out.baseAddress, width)
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
