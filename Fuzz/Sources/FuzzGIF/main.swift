import FuzzDriver
import FuzzSupport
import VigilMedia

/// libFuzzer's entry point: decodes one input as GIF through VigilMedia's ImageDecoder.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGIF(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    ImageFuzzing.decode(data, size, as: .gif)
    return 0
}

runLibFuzzer(fuzzGIF)
