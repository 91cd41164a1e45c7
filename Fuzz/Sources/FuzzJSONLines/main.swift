import FuzzDriver
import FuzzSupport
import VigilExchange

/// libFuzzer's entry point: imports one input as Vigil JSON Lines, whole and in chunks (see ReaderFuzzing).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSONLines(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    ReaderFuzzing.read(data, size, as: .vigilJSONL)
    return 0
}

runLibFuzzer(fuzzJSONLines)
