// The steps of PDQ after the blur: quality, the 16x16 DCT, the median threshold and the
// dihedral variants. Each follows Meta's reference (`pdq/cpp/hashing/pdqhashing.cpp`) in float32
// with the same operation order, so results are bit-identical.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

enum PDQTransform {
    /// The 16x64 DCT matrix, row-major: `D[i][j] = sqrt(2/64) · cos(π/128 · (i+1) · (2j+1))`,
    /// computed as the reference does (float scale factor, double product, rounded to float).
    static let dctMatrix: [Float] = {
        let scale = Float((2.0 / 64.0).squareRoot())
        var matrix = [Float](repeating: 0, count: 16 * 64)
        for i in 0..<16 {
            for j in 0..<64 {
                let angle = ((Double.pi / 2.0 / 64.0) * Double(i + 1)) * Double(2 * j + 1)
                matrix[i * 64 + j] = Float(Double(scale) * cos(angle))
            }
        }
        return matrix
    }()

    /// The transpose of ``dctMatrix`` (64x16), so the second DCT stage can run 16 lanes at once.
    static let dctMatrixTransposed: [Float] = {
        var transposed = [Float](repeating: 0, count: 64 * 16)
        for i in 0..<16 {
            for j in 0..<64 {
                transposed[j * 16 + i] = dctMatrix[i * 64 + j]
            }
        }
        return transposed
    }()

    /// The reference's image-domain quality metric (0...100) of the 64x64 downsample.
    static func quality(_ a: [Float]) -> Int {
        var gradientSum = 0
        for i in 0..<63 {
            for j in 0..<64 {
                let u = a[i * 64 + j]
                let v = a[(i + 1) * 64 + j]
                let d = Int(((u - v) * 100) / 255)
                gradientSum += abs(d)
            }
        }
        for i in 0..<64 {
            for j in 0..<63 {
                let u = a[i * 64 + j]
                let v = a[i * 64 + j + 1]
                let d = Int(((u - v) * 100) / 255)
                gradientSum += abs(d)
            }
        }
        return min(100, gradientSum / 90)
    }

    /// `B = D · A · Dᵀ` for the 64x64 downsample `a`, giving the 16x16 coefficients (row-major,
    /// row = vertical frequency). Each sum runs over k = 0..<64 in order, in float32.
    static func dct(_ downsampled: [Float]) -> [Float] {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 16 * 64) { t in
            downsampled.withUnsafeBytes { a in
                dctMatrix.withUnsafeBufferPointer { d in
                    for i in 0..<16 {
                        // T[i][j] = Σ_k D[i][k] · A[k][j], eight columns j per vector.
                        for j in stride(from: 0, to: 64, by: 8) {
                            var sum = SIMD8<Float>(repeating: 0)
                            for k in 0..<64 {
                                let row = a.loadUnaligned(fromByteOffset: (k * 64 + j) * 4, as: SIMD8<Float>.self)
                                sum = sum + SIMD8(repeating: d[i * 64 + k]) * row
                            }
                            for lane in 0..<8 { t[i * 64 + j + lane] = sum[lane] }
                        }
                    }
                }
                var b = [Float](repeating: 0, count: 256)
                dctMatrixTransposed.withUnsafeBytes { dt in
                    for i in 0..<16 {
                        // B[i][j] = Σ_k T[i][k] · D[j][k], all sixteen j at once.
                        var sum = SIMD16<Float>(repeating: 0)
                        for k in 0..<64 {
                            let row = dt.loadUnaligned(fromByteOffset: k * 64, as: SIMD16<Float>.self)
                            sum = sum + SIMD16(repeating: t[i * 64 + k]) * row
                        }
                        for j in 0..<16 { b[i * 16 + j] = sum[j] }
                    }
                }
                return b
            }
        }
    }

    /// Thresholds the 16x16 coefficients at their median: bit `i*16+j` is set when `B[i][j]` is
    /// strictly greater than the lower median (the 128th smallest, as Torben's method returns).
    static func bits(_ coefficients: [Float]) -> PDQHash {
        let median = coefficients.sorted()[127]
        var words = SIMD4<UInt64>.zero
        for k in 0..<256 where coefficients[k] > median {
            words[k >> 6] |= 1 << UInt64(k & 63)
        }
        return PDQHash(words: words)
    }

    /// The DCT coefficients of the image transformed by `variant`, derived from the original's
    /// coefficients by sign changes and transposition, as the reference does.
    static func coefficients(_ a: [Float], for variant: PDQDihedral) -> [Float] {
        var b = [Float](repeating: 0, count: 256)
        for i in 0..<16 {
            for j in 0..<16 {
                let value = a[i * 16 + j]
                switch variant {
                case .original: b[i * 16 + j] = value
                case .rotate90: b[j * 16 + i] = j & 1 == 1 ? value : -value
                case .rotate180: b[i * 16 + j] = (i + j) & 1 == 1 ? -value : value
                case .rotate270: b[j * 16 + i] = i & 1 == 1 ? value : -value
                case .flipX: b[i * 16 + j] = i & 1 == 1 ? value : -value
                case .flipY: b[i * 16 + j] = j & 1 == 1 ? value : -value
                case .flipPlus1: b[j * 16 + i] = value
                case .flipMinus1: b[j * 16 + i] = (i + j) & 1 == 1 ? -value : value
                }
            }
        }
        return b
    }
}
