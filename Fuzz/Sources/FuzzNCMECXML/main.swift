import FuzzDriver
import FuzzSupport
import VigilExchange

/// libFuzzer's entry point: imports one input as NCMEC XML, whole and in chunks (see ReaderFuzzing).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNCMECXML(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    ReaderFuzzing.read(data, size, as: .ncmecXML)
    return 0
}

runLibFuzzer(fuzzNCMECXML)
