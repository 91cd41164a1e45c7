import FuzzDriver
import FuzzSupport
import VigilExchange

/// libFuzzer's entry point: imports one input as StopNCII JSON, whole and in chunks (see ReaderFuzzing).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzStopNCII(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    ReaderFuzzing.read(data, size, as: .stopnciiJSON)
    return 0
}

runLibFuzzer(fuzzStopNCII)
