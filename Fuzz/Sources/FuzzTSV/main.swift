import FuzzDriver
import FuzzSupport
import VigilExchange

/// libFuzzer's entry point: imports one input as TSV, whole and in chunks (see ReaderFuzzing).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTSV(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    ReaderFuzzing.read(data, size, as: .tsv)
    return 0
}

runLibFuzzer(fuzzTSV)
