// The Jarosz box filter of Meta's PDQ reference, reproduced bit for bit.
//
// The reference (`pdq/cpp/downscaling/downscaling.cpp`, `box1DFloat`) runs a float32 running sum
// along each row or column: `sum += in[right]` then `sum -= in[left]` then `out = sum / count`.
// Those operations are kept in exactly that order for every element; the speed comes from running
// many independent rows or columns side by side in SIMD lanes, never from reordering one sum.

/// The phase lengths of one 1-D box pass over `length` samples with window `window`.
struct BoxPlan {
    let window: Int
    let half: Int
    let phase1: Int
    let phase2: Int
    let phase3: Int
    let phase4: Int

    init(length: Int, window: Int) {
        self.window = window
        half = (window + 2) / 2
        phase1 = half - 1
        phase2 = window - half + 1
        phase3 = length - window
        phase4 = half - 1
    }

    /// The reference's window for a dimension downsampled to 64: `ceil(dimension / 128)`.
    static func windowSize(forDimension dimension: Int) -> Int {
        (dimension + 2 * 64 - 1) / (2 * 64)
    }
}

@inline(__always)
func loadVector(_ pointer: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self)
}

@inline(__always)
func storeVector(_ value: SIMD8<Float>, _ pointer: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: SIMD8<Float>.self)
}

/// One box pass down the columns of a `rows` x `columns` matrix (row stride `stride`), writing to
/// `output` with the same layout. Every column is an independent 1-D box filter; columns are
/// processed eight at a time in SIMD lanes, rows in order. `sums` must hold `columns` floats.
func boxDownColumns(
    _ input: UnsafePointer<Float>,
    _ output: UnsafeMutablePointer<Float>,
    rows: Int,
    columns: Int,
    stride: Int,
    window: Int,
    sums: UnsafeMutablePointer<Float>
) {
    streamDownColumns(
        rows: rows, columns: columns, window: window, sums: sums,
        input: { input + $0 * stride },
        output: { output + $0 * stride })
}

/// The column box pass with rows fetched and stored through closures, so that a caller can
/// produce input rows just in time and consume output rows as they appear. `input(row)` is
/// called with rows in increasing order (each at most twice: once added, once subtracted);
/// `output(row)` is called once per row, in order, just before that row is written.
@inline(__always)
func streamDownColumns(
    rows: Int,
    columns: Int,
    window: Int,
    sums: UnsafeMutablePointer<Float>,
    input: (Int) -> UnsafePointer<Float>,
    output: (Int) -> UnsafeMutablePointer<Float>
) {
    let plan = BoxPlan(length: rows, window: window)
    sums.initialize(repeating: 0, count: columns)
    let vectorColumns = columns & ~7
    var ri = 0
    var li = 0
    var oi = 0
    var count: Float = 0

    for _ in 0..<plan.phase1 {
        let source = input(ri)
        var c = 0
        while c < vectorColumns {
            storeVector(loadVector(sums + c) + loadVector(source + c), sums + c)
            c += 8
        }
        while c < columns {
            sums[c] = sums[c] + source[c]
            c += 1
        }
        count += 1
        ri += 1
    }

    @inline(__always) func write(adding: UnsafePointer<Float>?, subtracting: UnsafePointer<Float>?) {
        let destination = output(oi)
        let divisor = SIMD8<Float>(repeating: count)
        var c = 0
        while c < vectorColumns {
            var s = loadVector(sums + c)
            if let adding { s = s + loadVector(adding + c) }
            if let subtracting { s = s - loadVector(subtracting + c) }
            storeVector(s, sums + c)
            storeVector(s / divisor, destination + c)
            c += 8
        }
        while c < columns {
            var s = sums[c]
            if let adding { s = s + adding[c] }
            if let subtracting { s = s - subtracting[c] }
            sums[c] = s
            destination[c] = s / count
            c += 1
        }
    }

    for _ in 0..<plan.phase2 {
        count += 1
        write(adding: input(ri), subtracting: nil)
        ri += 1
        oi += 1
    }
    for _ in 0..<max(0, plan.phase3) {
        write(adding: input(ri), subtracting: input(li))
        ri += 1
        li += 1
        oi += 1
    }
    for _ in 0..<plan.phase4 {
        count -= 1
        write(adding: nil, subtracting: input(li))
        li += 1
        oi += 1
    }
}

/// One box pass along a strip of eight interleaved vectors: `strip[k * 8 + lane]` is element `k` of
/// lane `lane`. The running sums of all eight lanes live in one SIMD register.
func boxStrip(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, length: Int, window: Int) {
    let plan = BoxPlan(length: length, window: window)
    var sum = SIMD8<Float>(repeating: 0)
    var count: Float = 0
    var ri = input
    var li = input
    var oi = output
    for _ in 0..<plan.phase1 {
        sum = sum + loadVector(ri)
        count += 1
        ri += 8
    }
    for _ in 0..<plan.phase2 {
        sum = sum + loadVector(ri)
        count += 1
        storeVector(sum / SIMD8(repeating: count), oi)
        ri += 8
        oi += 8
    }
    let divisor = SIMD8<Float>(repeating: count)
    for _ in 0..<max(0, plan.phase3) {
        sum = sum + loadVector(ri)
        sum = sum - loadVector(li)
        storeVector(sum / divisor, oi)
        ri += 8
        li += 8
        oi += 8
    }
    for _ in 0..<plan.phase4 {
        sum = sum - loadVector(li)
        count -= 1
        storeVector(sum / SIMD8(repeating: count), oi)
        li += 8
        oi += 8
    }
}
