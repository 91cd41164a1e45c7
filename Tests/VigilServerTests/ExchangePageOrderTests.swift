import Foundation
import Testing
import VigilDomain
import VigilExchange
import VigilStore
import VigilTestSupport

@testable import VigilServer

/// Within one exchange page, an item's puts and deletes apply in the page's order: put, delete,
/// put leaves the last put; put, delete leaves nothing.
@Suite("Exchange page order", .serialized)
struct ExchangePageOrderTests {
    @Test func putDeletePutInOnePageLeavesTheItemWithItsLastValues() async throws {
        let scene = try await ExchangeFetchTests.Scene.make(pageSize: 50)
        scene.source.put(2, prefix: "a")
        _ = scene.source.update("a-0", values: 1)
        scene.source.delete("a-0")
        let last = scene.source.update("a-0", values: 2)
        // And another item put then deleted in the same page: gone.
        _ = scene.source.update("a-1", values: 1)
        scene.source.delete("a-1")
        let outcome = try await scene.fetcher().fetch(named: "feed")
        #expect(outcome == .fetched(pages: 1, items: 8, upToDate: true))
        let live = try await scene.live()
        #expect(live["a-0"] == last.sorted(), "\(live)")
        #expect(live["a-1"] == nil && live.count == 1)
    }
}
