// From pixels to the 64x64 downsample: luma, the two-pass Jarosz blur, and decimation.

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

    /// Fills `plane` (width * height floats) with luma.
    static func fillLuma(_ image: PixelImage, rule: LumaRule, into plane: UnsafeMutablePointer<Float>) {
        let count = image.width * image.height
        let px = image.pixels
        switch rule {
        case .grey:
            for i in 0..<count { plane[i] = Float(px[i]) }
        case .float32:
            let r: Float = 0.299
            let g: Float = 0.587
            let b: Float = 0.114
            for i in 0..<count {
                let p = 3 * i
                let red: Float = r * Float(px[p])
                let green: Float = g * Float(px[p + 1])
                let blue: Float = b * Float(px[p + 2])
                plane[i] = (red + green) + blue
            }
        case .float64:
            for i in 0..<count {
                let p = 3 * i
                let red: Double = Double(px[p]) * 0.299
                let green: Double = Double(px[p + 1]) * 0.587
                let blue: Double = Double(px[p + 2]) * 0.114
                plane[i] = Float((red + green) + blue)
            }
        }
    }

    /// The 64x64 downsample of an 8-bit image.
    static func downsample(_ image: PixelImage, luma rule: LumaRule, blur: Bool, workspace: PDQWorkspace) -> [Float] {
        let count = image.width * image.height
        workspace.reservePlanes(count)
        fillLuma(image, rule: rule, into: workspace.planeA)
        return downsamplePlaneA(width: image.width, height: image.height, blur: blur, workspace: workspace)
    }

    /// The 64x64 downsample of a float luma plane.
    static func downsample(luma: UnsafeBufferPointer<Float>, width: Int, height: Int, blur: Bool, workspace: PDQWorkspace) -> [Float] {
        let count = width * height
        workspace.reservePlanes(count)
        for i in 0..<count { workspace.planeA[i] = luma[i] }
        return downsamplePlaneA(width: width, height: height, blur: blur, workspace: workspace)
    }

    /// Blurs (unless `blur` is false) and decimates the luma in the workspace's plane A.
    private static func downsamplePlaneA(width: Int, height: Int, blur: Bool, workspace: PDQWorkspace) -> [Float] {
        let a = workspace.planeA
        let rows = (0..<64).map { Int(((Double($0) + 0.5) * Double(height)) / 64) }
        let columns = (0..<64).map { Int(((Double($0) + 0.5) * Double(width)) / 64) }
        var out = [Float](repeating: 0, count: 64 * 64)
        guard blur else {
            for i in 0..<64 {
                for j in 0..<64 { out[i * 64 + j] = a[rows[i] * width + columns[j]] }
            }
            return out
        }
        let windowAlongRows = BoxPlan.windowSize(forDimension: width)
        let windowAlongColumns = BoxPlan.windowSize(forDimension: height)
        let b = workspace.planeB
        // Scratch: two strips (8 lanes x width), a sums row, and two height x 64 planes.
        let stripSize = 8 * width
        let sampledSize = 64 * height
        workspace.reserveScratch(2 * stripSize + max(width, 64) + 2 * sampledSize)
        let stripIn = workspace.scratch
        let stripOut = stripIn + stripSize
        let sums = stripOut + stripSize
        let sampled = sums + max(width, 64)
        let sampledOut = sampled + sampledSize

        // Pass 1, along rows (A -> A, in place through the strip copy).
        boxRows(a, rows: height, columns: width, window: windowAlongRows, stripIn: stripIn, stripOut: stripOut) { row, lane in
            for k in 0..<width { a[row * width + k] = stripOut[k * 8 + lane] }
        }
        // Pass 1, along columns (A -> B).
        boxDownColumns(a, b, rows: height, columns: width, stride: width, window: windowAlongColumns, sums: sums)
        // Pass 2, along rows (B -> sampled columns only: nothing else is read again).
        boxRows(b, rows: height, columns: width, window: windowAlongRows, stripIn: stripIn, stripOut: stripOut) { row, lane in
            for j in 0..<64 { sampled[row * 64 + j] = stripOut[columns[j] * 8 + lane] }
        }
        // Pass 2, along columns, on the 64 sampled columns only.
        boxDownColumns(sampled, sampledOut, rows: height, columns: 64, stride: 64, window: windowAlongColumns, sums: sums)
        for i in 0..<64 {
            for j in 0..<64 { out[i * 64 + j] = sampledOut[rows[i] * 64 + j] }
        }
        return out
    }

    /// Runs the box filter along every row of `plane`, eight rows at a time: the rows are
    /// interleaved into a strip, filtered in SIMD lanes, and handed back through `emit(row, lane)`,
    /// which reads lane `lane` of `stripOut`.
    @inline(__always)
    private static func boxRows(
        _ plane: UnsafeMutablePointer<Float>,
        rows: Int,
        columns: Int,
        window: Int,
        stripIn: UnsafeMutablePointer<Float>,
        stripOut: UnsafeMutablePointer<Float>,
        emit: (_ row: Int, _ lane: Int) -> Void
    ) {
        var first = 0
        while first < rows {
            let lanes = min(8, rows - first)
            if lanes < 8 { stripIn.update(repeating: 0, count: 8 * columns) }
            for lane in 0..<lanes {
                let source = plane + (first + lane) * columns
                for k in 0..<columns { stripIn[k * 8 + lane] = source[k] }
            }
            boxStrip(stripIn, stripOut, length: columns, window: window)
            for lane in 0..<lanes { emit(first + lane, lane) }
            first += 8
        }
    }
}
