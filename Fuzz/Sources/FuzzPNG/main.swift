import FuzzDriver
import FuzzSupport
import VigilMedia

/// libFuzzer's entry point: decodes one input as PNG through VigilMedia's ImageDecoder.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPNG(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    ImageFuzzing.decode(data, size, as: .png)
    return 0
}

runLibFuzzer(fuzzPNG)
