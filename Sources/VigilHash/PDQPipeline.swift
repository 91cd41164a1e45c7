// From pixels to the 64x64 downsample: luma, the two-pass Jarosz blur, and decimation.

import CPDQKernels

/// A borrowed view of row-major, tightly packed 8-bit pixels.
struct PixelImage {
    let pixels: UnsafeBufferPointer<UInt8>
    let width: Int
    let height: Int
    let channels: Int
}

/// Pixels as given, or a squashed copy owned here.
enum PreparedImage {
    case borrowed(PixelImage)
    case squashed(PDQPipeline.Squashed, channels: Int)

    func withPixels<R>(_ body: (PixelImage) -> R) -> R {
        switch self {
        case .borrowed(let image):
            return body(image)
        case .squashed(let squashed, let channels):
            return squashed.bytes.withUnsafeBufferPointer { buffer in
                body(PixelImage(pixels: buffer, width: squashed.side, height: squashed.side, channels: channels))
            }
        }
    }
}

/// How RGB becomes luma. Every rule uses 0.299 R + 0.587 G + 0.114 B; they differ in precision,
/// which decides the last float bit and so, rarely, a hash bit.
enum LumaRule {
    /// One channel: luma is the grey value itself (both references do this).
    case grey
    /// float32 products and sums, left to right: Meta's C++ `fillFloatLumaFromRGB`.
    case float32
    /// float64 products and sums rounded once to float32: pdqhash (PyPI), hence HMA.
    case float64
}

enum PDQPipeline {
    struct Squashed {
        let bytes: [UInt8]
        let side: Int
    }

    /// Nearest-neighbour squash to `side` x `side`, source index `floor(dst * dim / side)`,
    /// as CImg's default `resize` in the C++ CLI.
    static func squash(_ image: PixelImage, to side: Int) -> Squashed {
        let channels = image.channels
        let rowBytes = image.width * channels
        let columnOffsets = (0..<side).map { (($0 * image.width) / side) * channels }
        var bytes = [UInt8](repeating: 0, count: side * side * channels)
        bytes.withUnsafeMutableBufferPointer { out in
            var o = 0
            for y in 0..<side {
                let row = ((y * image.height) / side) * rowBytes
                for x in 0..<side {
                    let p = row + columnOffsets[x]
                    for c in 0..<channels {
                        out[o] = image.pixels[p + c]
                        o += 1
                    }
                }
            }
        }
        return Squashed(bytes: bytes, side: side)
    }

    /// The 64x64 downsample of an 8-bit image.
    static func downsample(_ image: PixelImage, luma rule: LumaRule, blur: Bool, workspace: PDQWorkspace) -> [Float] {
        switch (image.channels, rule) {
        case (1, _):
            return downsample(GreyRows(image: image), width: image.width, height: image.height, blur: blur, workspace: workspace)
        case (_, .float32):
            return downsample(RGBRowsFloat32(image: image), width: image.width, height: image.height, blur: blur, workspace: workspace)
        default:
            return downsample(RGBRowsFloat64(image: image), width: image.width, height: image.height, blur: blur, workspace: workspace)
        }
    }

    /// The 64x64 downsample of a float luma plane.
    static func downsample(luma: UnsafeBufferPointer<Float>, width: Int, height: Int, blur: Bool, workspace: PDQWorkspace) -> [Float] {
        downsample(FloatRows(plane: luma, width: width), width: width, height: height, blur: blur, workspace: workspace)
    }

    /// Blurs (unless `blur` is false) and decimates to 64x64, streaming.
    ///
    /// The reference blurs two full-size float planes four times over; at 12 MP that is hundreds of
    /// megabytes of memory traffic. Here the four passes are chained row by row, so only a ring of
    /// `window + 16` rows is ever held:
    /// 1. eight luma rows at a time are interleaved into a strip and box-filtered along the rows
    ///    (SIMD lanes = rows), then written into the ring;
    /// 2. the column pass streams down the ring (SIMD lanes = columns), eight output rows at a time;
    /// 3. those eight rows are interleaved and box-filtered along the rows again, keeping only the
    ///    64 columns the decimation will read;
    /// 4. the last column pass runs on those 64 columns alone.
    /// Every element still sees exactly the reference's sequence of float operations.
    static func downsample<Source: LumaRows>(
        _ source: Source, width: Int, height: Int, blur: Bool, workspace: PDQWorkspace
    ) -> [Float] {
        let rows = (0..<64).map { Int(((Double($0) + 0.5) * Double(height)) / 64) }
        let columns = (0..<64).map { Int(((Double($0) + 0.5) * Double(width)) / 64) }
        var out = [Float](repeating: 0, count: 64 * 64)
        guard blur else {
            workspace.reserveScratch(width)
            for i in 0..<64 {
                source.fill(row: rows[i], into: workspace.scratch)
                for j in 0..<64 { out[i * 64 + j] = workspace.scratch[columns[j]] }
            }
            return out
        }
        let windowAlongRows = BoxPlan.windowSize(forDimension: width)
        let windowAlongColumns = BoxPlan.windowSize(forDimension: height)
        let ringRows = (windowAlongColumns + 16 + 7) / 8 * 8
        let block = 8 * width
        // Scratch layout: luma block, row block, strip in, strip out, column sums, ring, sampled,
        // sampled out.
        workspace.reserveScratch(4 * block + width + ringRows * width + 2 * 64 * height)
        let lumaBlock = workspace.scratch
        let rowBlock = lumaBlock + block
        let stripIn = rowBlock + block
        let stripOut = stripIn + block
        let sums = stripOut + block
        let ring = sums + width
        let sampled = ring + ringRows * width
        let sampledOut = sampled + 64 * height

        // Stage 1: produce rows [first, first + 8) of the first row pass into the ring.
        var produced = 0
        @inline(__always) func ringRow(_ row: Int) -> UnsafeMutablePointer<Float> {
            ring + (row % ringRows) * width
        }
        func produceThrough(_ row: Int) {
            while produced <= row {
                let lanes = min(8, height - produced)
                for lane in 0..<lanes {
                    source.fill(row: produced + lane, into: lumaBlock + lane * width)
                }
                interleave(lumaBlock, lanes: lanes, length: width, into: stripIn)
                boxStrip(stripIn, stripOut, length: width, window: windowAlongRows)
                // Strips start at multiples of 8 and the ring's size is one too, so a strip's
                // rows are contiguous in the ring.
                deinterleave(stripOut, lanes: lanes, length: width, into: ringRow(produced))
                produced += lanes
            }
        }

        // Stages 2 and 3: the column pass writes into `rowBlock`; every eight rows (or at the end)
        // go through the second row pass, keeping the 64 sampled columns.
        var pendingFirst = 0
        var pending = 0
        func flushRowBlock() {
            guard pending > 0 else { return }
            interleave(rowBlock, lanes: pending, length: width, into: stripIn)
            boxStrip(stripIn, stripOut, length: width, window: windowAlongRows)
            for lane in 0..<pending {
                let target = sampled + (pendingFirst + lane) * 64
                for j in 0..<64 { target[j] = stripOut[columns[j] * 8 + lane] }
            }
            pendingFirst += pending
            pending = 0
        }
        streamDownColumns(
            rows: height, columns: width, window: windowAlongColumns, sums: sums,
            input: { row in
                produceThrough(min(height - 1, row + 8))
                return UnsafePointer(ringRow(row))
            },
            output: { row in
                _ = row
                if pending == 8 { flushRowBlock() }
                defer { pending += 1 }
                return rowBlock + pending * width
            }
        )
        flushRowBlock()

        // Stage 4: the second column pass, on the sampled columns only.
        boxDownColumns(sampled, sampledOut, rows: height, columns: 64, stride: 64, window: windowAlongColumns, sums: sums)
        for i in 0..<64 {
            for j in 0..<64 { out[i * 64 + j] = sampledOut[rows[i] * 64 + j] }
        }
        return out
    }

    /// Interleaves `lanes` (≤ 8) rows of `length` floats, `length` apart in `rows`, into a strip
    /// (`strip[k * 8 + lane]`); missing lanes are zero. Full strips go through 4x4 register
    /// transposes.
    @inline(__always)
    static func interleave(_ rows: UnsafePointer<Float>, lanes: Int, length: Int, into strip: UnsafeMutablePointer<Float>) {
        guard lanes == 8 else {
            strip.update(repeating: 0, count: 8 * length)
            for lane in 0..<lanes {
                let source = rows + lane * length
                for k in 0..<length { strip[k * 8 + lane] = source[k] }
            }
            return
        }
        var k = 0
        while k + 4 <= length {
            for half in 0..<2 {
                let base = rows + half * 4 * length + k
                let (r0, r1, r2, r3) = transpose4(
                    load4(base), load4(base + length), load4(base + 2 * length), load4(base + 3 * length))
                let target = strip + k * 8 + half * 4
                store4(r0, target)
                store4(r1, target + 8)
                store4(r2, target + 16)
                store4(r3, target + 24)
            }
            k += 4
        }
        while k < length {
            for lane in 0..<8 { strip[k * 8 + lane] = rows[lane * length + k] }
            k += 1
        }
    }

    /// The inverse of ``interleave(_:lanes:length:into:)`` for the first `lanes` lanes: lane `i` of
    /// the strip becomes the row at `rows + i * length`.
    @inline(__always)
    static func deinterleave(_ strip: UnsafePointer<Float>, lanes: Int, length: Int, into rows: UnsafeMutablePointer<Float>) {
        guard lanes == 8 else {
            for lane in 0..<lanes {
                let target = rows + lane * length
                for k in 0..<length { target[k] = strip[k * 8 + lane] }
            }
            return
        }
        var k = 0
        while k + 4 <= length {
            for half in 0..<2 {
                let source = strip + k * 8 + half * 4
                let (r0, r1, r2, r3) = transpose4(
                    load4(source), load4(source + 8), load4(source + 16), load4(source + 24))
                let base = rows + half * 4 * length + k
                store4(r0, base)
                store4(r1, base + length)
                store4(r2, base + 2 * length)
                store4(r3, base + 3 * length)
            }
            k += 4
        }
        while k < length {
            for lane in 0..<8 { rows[lane * length + k] = strip[k * 8 + lane] }
            k += 1
        }
    }

    @inline(__always)
    static func load4(_ pointer: UnsafePointer<Float>) -> SIMD4<Float> {
        UnsafeRawPointer(pointer).loadUnaligned(as: SIMD4<Float>.self)
    }

    @inline(__always)
    static func store4(_ value: SIMD4<Float>, _ pointer: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: SIMD4<Float>.self)
    }

    /// Transposes a 4x4 block held as four rows.
    @inline(__always)
    static func transpose4(
        _ a: SIMD4<Float>, _ b: SIMD4<Float>, _ c: SIMD4<Float>, _ d: SIMD4<Float>
    ) -> (SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>) {
        let t0 = SIMD4(a[0], b[0], a[1], b[1])
        let t1 = SIMD4(a[2], b[2], a[3], b[3])
        let t2 = SIMD4(c[0], d[0], c[1], d[1])
        let t3 = SIMD4(c[2], d[2], c[3], d[3])
        return (
            SIMD4(t0[0], t0[1], t2[0], t2[1]),
            SIMD4(t0[2], t0[3], t2[2], t2[3]),
            SIMD4(t1[0], t1[1], t3[0], t3[1]),
            SIMD4(t1[2], t1[3], t3[2], t3[3])
        )
    }
}

/// A source of luma rows for the downsampler.
protocol LumaRows {
    /// Writes row `row` of luma (width floats) into `destination`.
    func fill(row: Int, into destination: UnsafeMutablePointer<Float>)
}

/// Grey pixels: luma is the grey value.
struct GreyRows: LumaRows {
    let image: PixelImage

    @inline(__always)
    func fill(row: Int, into destination: UnsafeMutablePointer<Float>) {
        let width = image.width
        let source = image.pixels.baseAddress.map { $0 + row * width }
        guard let source else { return }
        for x in 0..<width { destination[x] = Float(source[x]) }
    }
}

/// RGB pixels, luma with float32 products and sums (Meta's C++ `fillFloatLumaFromRGB`), computed by
/// the C kernel (SIMD where the processor has it; the same bits either way).
struct RGBRowsFloat32: LumaRows {
    let image: PixelImage

    @inline(__always)
    func fill(row: Int, into destination: UnsafeMutablePointer<Float>) {
        let width = image.width
        guard let source = image.pixels.baseAddress.map({ $0 + row * width * 3 }) else { return }
        vigil_luma_rgb24_float32(source, destination, width)
    }
}

/// RGB pixels, luma in float64 rounded once to float32 (pdqhash's numpy expression), computed by
/// the C kernel.
struct RGBRowsFloat64: LumaRows {
    let image: PixelImage

    @inline(__always)
    func fill(row: Int, into destination: UnsafeMutablePointer<Float>) {
        let width = image.width
        guard let source = image.pixels.baseAddress.map({ $0 + row * width * 3 }) else { return }
        vigil_luma_rgb24_float64(source, destination, width)
    }
}

/// A float luma plane.
struct FloatRows: LumaRows {
    let plane: UnsafeBufferPointer<Float>
    let width: Int

    @inline(__always)
    func fill(row: Int, into destination: UnsafeMutablePointer<Float>) {
        guard let source = plane.baseAddress.map({ $0 + row * width }) else { return }
        destination.update(from: source, count: width)
    }

}
