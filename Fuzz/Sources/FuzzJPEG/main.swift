import FuzzDriver
import FuzzSupport
import VigilMedia

/// libFuzzer's entry point: decodes one input as JPEG through VigilMedia's ImageDecoder.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJPEG(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    ImageFuzzing.decode(data, size, as: .jpeg)
    return 0
}

runLibFuzzer(fuzzJPEG)
