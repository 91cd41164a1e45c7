import FuzzDriver
import VigilExchange

/// libFuzzer's entry point for the exchange clients' page parsers (no I/O): the first byte picks the
/// protocol (ThreatExchange threat_updates, NCMEC entries, StopNCII FetchHashes), the rest is the
/// answer's body. Each must give a page or `.malformed`, never trap; the checkpoint of a page is fed
/// back to plan the next request.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzExchangePages(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let body = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    do {
        switch data[0] % 3 {
        case 0:
            let updates = ThreatExchangeUpdates(privacyGroup: "1")
            let page = try updates.page(body, after: nil)
            _ = try updates.request(after: page.checkpoint)
        case 1:
            let sharing = NCMECHashSharing()
            let plan = try sharing.plan(after: nil, now: 1_767_225_600)
            let page = try sharing.page(body, plan: plan)
            _ = try sharing.plan(after: page.checkpoint, now: 1_767_225_700)
        default:
            let fetching = StopNCIIHashFetching()
            let page = try fetching.page(body, after: nil)
            _ = try fetching.request(after: page.checkpoint)
        }
    } catch {
        if case .malformed = error { return 0 }
        fatalError("a page parser threw \(error), not .malformed")
    }
    return 0
}

runLibFuzzer(fuzzExchangePages)
