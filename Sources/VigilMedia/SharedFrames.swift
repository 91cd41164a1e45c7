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
final class SharedFrames {
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

    /// A copy of the `width` x `height` frame in `slot`, as frame `number`; after it the slot may
    /// be given back.
    func frame(number: Int, width: Int, height: Int, slot: Int) throws(MediaError) -> VideoFrame {
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        let (bytes, overflow2) = pixels.multipliedReportingOverflow(by: 3)
        guard slot >= 0, slot < slots, !overflow, !overflow2, bytes <= slotBytes else {
            throw .decoderFailed(tool: "vigil-framer", detail: "a \(width)x\(height) frame in slot \(slot) of \(slots) of \(slotBytes) bytes")
        }
        let source = base + slot * slotBytes
        let copy = [UInt8](unsafeUninitializedCapacity: bytes) { buffer, count in
            if let destination = buffer.baseAddress { memcpy(destination, source, bytes) }
            count = bytes
        }
        return VideoFrame(number: number, width: width, height: height, pixels: copy)
    }
}
