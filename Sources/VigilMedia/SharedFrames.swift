#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// `vigil-framer`'s memory file for frames, mapped read-only: `slots` slots of `slotBytes`, each
/// holding one frame's RGB24 rows, tightly packed (see `Sources/vigil-framer/main.c`).
///
/// The file is opened through `/proc/PID/fd/N`, which Linux allows a parent for its own child. It
/// is mapped only when it is sealed against shrinking and at least as large as its slots, so the
/// framer, however it misbehaves, cannot take pages away from under a read (which would be a
/// `SIGBUS` in Vigil); at worst it changes a frame's pixels, as it could through the pipe.
///
/// Sendable: every property is set once, and the mapping is only read.
final class SharedFrames: @unchecked Sendable {
    private let base: UnsafeRawPointer
    private let size: Int
    private let descriptor: Int32
    let slots: Int
    let slotBytes: Int

    /// Linux's `F_GET_SEALS` and `F_SEAL_SHRINK` (`<fcntl.h>`; their macros do not reach Swift).
    private static let getSeals: Int32 = 1024 + 10
    private static let sealShrink: Int32 = 0x0002

    /// Maps the memory file that is descriptor `descriptor` of process `process`, or `nil` when
    /// it cannot be opened or mapped, is not sealed against shrinking, or is too small.
    init?(process: pid_t, descriptor: Int, slots: Int, slotBytes: Int) {
        #if os(Linux)
        let (size, overflow) = slots.multipliedReportingOverflow(by: slotBytes)
        guard !overflow, size > 0 else { return nil }
        let file = open("/proc/\(process)/fd/\(descriptor)", O_RDONLY | O_CLOEXEC)
        guard file >= 0 else { return nil }
        var status = stat()
        let seals = fcntl(file, Self.getSeals)
        guard seals >= 0, seals & Self.sealShrink != 0, fstat(file, &status) == 0, Int(status.st_size) >= size,
            let mapped = mmap(nil, size, PROT_READ, MAP_SHARED, file, 0), mapped != UnsafeMutableRawPointer(bitPattern: -1)
        else {
            close(file)
            return nil
        }
        self.base = UnsafeRawPointer(mapped)
        self.size = size
        self.descriptor = file
        self.slots = slots
        self.slotBytes = slotBytes
        #else
        return nil
        #endif
    }

    deinit {
        munmap(UnsafeMutableRawPointer(mutating: base), size)
        close(descriptor)
    }

    /// The `width` x `height` frame in `slot`, as frame `number`, its pixels lent in place:
    /// `giveBack` runs (once) when the last copy of the frame is dropped, and must hand the slot
    /// back to the framer. The frame keeps this mapping alive, so its pixels stay readable even if
    /// the framer dies first.
    func lend(number: Int, width: Int, height: Int, slot: Int, giveBack: @escaping @Sendable () -> Void) throws(MediaError) -> VideoFrame {
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        let (bytes, overflow2) = pixels.multipliedReportingOverflow(by: 3)
        guard slot >= 0, slot < slots, !overflow, !overflow2, bytes <= slotBytes else {
            throw .decoderFailed(tool: "vigil-framer", detail: "a \(width)x\(height) frame in slot \(slot) of \(slots) of \(slotBytes) bytes")
        }
        let buffer = UnsafeBufferPointer(start: (base + slot * slotBytes).assumingMemoryBound(to: UInt8.self), count: bytes)
        return VideoFrame(number: number, width: width, height: height, lent: LentPixels(buffer: buffer, mapping: self, giveBack: giveBack))
    }
}

/// A frame's pixels in a slot of vigil-framer's memory file, lent to Vigil: the slot is given back
/// when this object goes away. Sendable because the pixels are only read (the mapping is
/// read-only, and the framer does not write a slot before it is given back) and the hand-back
/// closure is itself Sendable.
final class LentPixels: @unchecked Sendable {
    /// The frame's bytes, in the mapping.
    let buffer: UnsafeBufferPointer<UInt8>
    private let mapping: SharedFrames
    private let giveBack: @Sendable () -> Void

    init(buffer: UnsafeBufferPointer<UInt8>, mapping: SharedFrames, giveBack: @escaping @Sendable () -> Void) {
        self.buffer = buffer
        self.mapping = mapping
        self.giveBack = giveBack
    }

    deinit {
        giveBack()
    }
}
