public import Foundation
import Hummingbird
import Logging
import Synchronization
import VigilDomain

/// Whether the node's disk had room for its last writes, read by `/ready`.
///
/// Every answer of 507 (the store's ``VigilStore/StoreError/Code/diskFull``) is noted here by
/// ``DiskFullMiddleware`` with the free space of the data folder at that moment. `/ready` then
/// reports the full disk until space is freed there (the folder has more free bytes than when the
/// write was refused) or a write succeeds, so the node comes back by itself, without a restart.
public final class StorageHealth: Sendable {
    struct Refusal: Sendable {
        var at: Date
        var freeBytes: Int64?
    }

    /// The folder holding the database (nil: not known, as in tests on a store of their own; then
    /// only a successful write clears a refusal).
    public let directory: String?
    private let refusal = Mutex<Refusal?>(nil)

    /// Health for the database in `directory`.
    public init(directory: String? = nil) {
        self.directory = directory
    }

    /// A write was refused at `now` because the disk is full; true when none was noted before
    /// (the first of a run, for the log).
    @discardableResult
    public func refused(at now: Date) -> Bool {
        let free = freeBytes()
        return refusal.withLock {
            let first = $0 == nil
            $0 = Refusal(at: now, freeBytes: free)
            return first
        }
    }

    /// A write succeeded: the disk had room. True when a refusal was noted until now.
    @discardableResult
    public func wrote() -> Bool {
        refusal.withLock {
            let cleared = $0 != nil
            $0 = nil
            return cleared
        }
    }

    /// Whether a refusal is noted and not yet cleared.
    public var isFull: Bool { refusal.withLock { $0 != nil } }

    /// The free bytes of ``directory``'s file system for an unprivileged writer, if known.
    public func freeBytes() -> Int64? {
        guard let directory else { return nil }
        var info = statvfs()
        guard statvfs(directory, &info) == 0 else { return nil }
        return Int64(info.f_bavail) * Int64(info.f_frsize)
    }

    /// What `/ready` says at `now`: nothing, or that writes are refused for a full disk since when,
    /// and what to do. A refusal is cleared here once the folder has more free space than it had then.
    public func problems(at now: Date) -> [String] {
        guard let noted = refusal.withLock({ $0 }) else { return [] }
        let free = freeBytes()
        if let free, let before = noted.freeBytes, free > before {
            refusal.withLock { if $0?.at == noted.at { $0 = nil } }
            return []
        }
        let folder = directory.map { " (\($0))" } ?? ""
        let room = free.map { ", \($0) bytes free" } ?? ""
        return [
            "disk_full: the disk of the data folder\(folder) is full\(room): writes are refused with 507 since \(noted.at.rfc3339); "
                + "free space there (reads still work, and writes resume without a restart)"
        ]
    }
}

/// Notes every 507 answer in ``StorageHealth`` (whichever route and error shape gave it), and
/// clears the note when a write succeeds: a POST answered 201 or 202 (a match's 200 is no write),
/// or a PUT, PATCH or DELETE answered 2xx.
struct DiskFullMiddleware<Context: RequestContext>: RouterMiddleware {
    let storage: StorageHealth
    let clock: any WallClock

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError where error.status.code == 507 {
            refused(context)
            throw error
        }
        if response.status.code == 507 {
            refused(context)
        } else if storage.isFull, Self.isWrite(request.method, response.status), storage.wrote() {
            context.logger.notice("the data folder's disk has room again: writes are stored")
        }
        return response
    }

    /// Notes a refusal; the first of a run is logged (once, not per request).
    private func refused(_ context: Context) {
        guard storage.refused(at: clock.now()) else { return }
        context.logger.error(
            "the data folder's disk is full: writes are refused with 507 until space is freed there (reads go on; no restart needed)",
            metadata: ["folder": "\(storage.directory ?? "-")", "free-bytes": "\(storage.freeBytes().map(String.init) ?? "-")"])
    }

    /// Whether `status` answers a write that was stored.
    static func isWrite(_ method: HTTPRequest.Method, _ status: HTTPResponse.Status) -> Bool {
        switch method {
        case .post: status == .created || status == .accepted
        case .put, .patch, .delete: status.kind == .successful
        default: false
        }
    }
}
