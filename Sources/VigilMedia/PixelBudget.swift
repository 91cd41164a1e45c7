/// Overflow-safe size arithmetic shared by every codec: validates declared dimensions against
/// the limits before anything is allocated.
struct PixelBudget {
    let maxPixels: Int

    /// Width and height a codec may still sanely address with `Int32` strides.
    static let maxSide = 1 << 24

    /// Checks `width x height` (as declared by a header) and returns the pixel count.
    func check(width: Int, height: Int) throws(MediaError) -> Int {
        guard width > 0, height > 0 else {
            throw .invalidDimensions(width: width, height: height)
        }
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        if overflow || pixels > maxPixels {
            throw .tooManyPixels(width: width, height: height, limit: maxPixels)
        }
        guard width <= Self.maxSide, height <= Self.maxSide else {
            throw .invalidDimensions(width: width, height: height)
        }
        return pixels
    }

    /// `pixels * bytesPerPixel`, failing (rather than trapping) on overflow or when the buffer
    /// could not be addressed by the codecs' `Int32` row strides.
    static func byteCount(pixels: Int, bytesPerPixel: Int) throws(MediaError) -> Int {
        let (bytes, overflow) = pixels.multipliedReportingOverflow(by: bytesPerPixel)
        guard !overflow else { throw .outOfMemory(bytes: Int.max) }
        return bytes
    }
}

extension Array where Element == UInt8 {
    /// Allocates `capacity` bytes, lets `fill` write into them and keeps the first `count` it returns.
    /// Avoids zero-filling buffers that a codec overwrites completely.
    static func decoding<E: Error>(
        capacity: Int, _ fill: (UnsafeMutableBufferPointer<UInt8>) throws(E) -> Int
    ) throws(E) -> [UInt8] {
        var failure: E?
        let result = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initialized in
            do throws(E) {
                initialized = try fill(buffer)
            } catch {
                failure = error
                initialized = 0
            }
        }
        if let failure { throw failure }
        return result
    }

    /// Like ``decoding(capacity:_:)``, but writes into `storage`'s memory when it is large enough,
    /// so a caller decoding many images touches no fresh pages after the first (for a 12 MP photo
    /// that saves some 9,000 page faults per image). `storage` is left empty; hand the returned
    /// image's pixels back to it when done with them.
    static func decoding<E: Error>(
        capacity: Int, reusing storage: inout [UInt8], _ fill: (UnsafeMutableBufferPointer<UInt8>) throws(E) -> Int
    ) throws(E) -> [UInt8] {
        var buffer: [UInt8] = []
        swap(&buffer, &storage)
        guard buffer.capacity >= capacity, capacity > 0 else {
            buffer = []
            return try decoding(capacity: capacity, fill)
        }
        if buffer.count < capacity {
            buffer.append(contentsOf: repeatElement(0, count: capacity - buffer.count))
        }
        var failure: E?
        let initialized = buffer.withUnsafeMutableBufferPointer { whole -> Int in
            do throws(E) {
                return try fill(UnsafeMutableBufferPointer(rebasing: whole[0..<capacity]))
            } catch {
                failure = error
                return 0
            }
        }
        if let failure {
            storage = buffer
            throw failure
        }
        buffer.removeLast(buffer.count - initialized)
        return buffer
    }
}
