import FuzzDriver
import FuzzSupport
import VigilExchange

/// libFuzzer's entry point: imports one input as HMA CSV, whole and in chunks (see ReaderFuzzing).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHMACSV(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    ReaderFuzzing.read(data, size, as: .hmaCSV)
    return 0
}

runLibFuzzer(fuzzHMACSV)
