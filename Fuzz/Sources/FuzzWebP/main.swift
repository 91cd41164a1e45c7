import FuzzDriver
import FuzzSupport
import VigilMedia

/// libFuzzer's entry point: decodes one input as WebP through VigilMedia's ImageDecoder.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWebP(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    ImageFuzzing.decode(data, size, as: .webp)
    return 0
}

runLibFuzzer(fuzzWebP)
