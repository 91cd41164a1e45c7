import Foundation
import Synchronization
import VigilDomain
import VigilHash
import VigilMatching
import VigilStore
import VigilTestSupport

/// A fresh SQLite store in a temporary folder.
func temporaryStore(clock: any WallClock = SystemClock()) throws -> SQLiteStore {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-matching-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return try SQLiteStore(path: folder.appendingPathComponent("vigil.sqlite").path, clock: clock)
}

/// A one-shot gate a test opens by hand: waiters suspend until it opens (no sleeping).
final class Gate: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func wait() async {
        await withCheckedContinuation { continuation in
            let resumeNow = state.withLock { state -> Bool in
                if state.open { return true }
                state.waiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    func open() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

/// A store seen through ``MatchSource`` whose reads can be held (a slow refresh) or made to fail
/// (a broken follower), by hand.
final class ControlledSource: MatchSource {
    let base: StoreMatchSource
    /// While set, the next `lists()` reads the store, signals `listsRead`, then waits for this gate.
    let holdNextListsRead = Mutex<Gate?>(nil)
    /// Opened once a held `lists()` has read the store.
    let listsRead = Gate()
    /// While true, every change-feed read fails.
    let failing = Mutex(false)

    init(_ store: SQLiteStore) {
        base = StoreMatchSource(store)
    }

    func changes(after sequence: Int64, limit: Int) async throws(StoreError) -> [EntryChange] {
        if failing.withLock({ $0 }) { throw StoreError(code: .unavailable, message: "injected failure: the store is unreachable") }
        return try await base.changes(after: sequence, limit: limit)
    }

    func lists() async throws(StoreError) -> [StoredList] {
        let lists = try await base.lists()
        if let gate = holdNextListsRead.withLock({ gate -> Gate? in
            defer { gate = nil }
            return gate
        }) {
            listsRead.open()
            await gate.wait()
        }
        return lists
    }

    func policies() async throws(StoreError) -> [Int64: ActionPolicy] { try await base.policies() }

    func signalTypeRatios() async throws(StoreError) -> [String: Double] { try await base.signalTypeRatios() }
}
