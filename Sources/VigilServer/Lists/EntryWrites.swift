import VigilDomain
public import VigilStore

/// The node's writes of entries, in groups (``GroupCommit``): requests that arrive while a
/// transaction is being written are written together by the next one, each with its own audit
/// event, and each is answered only after that transaction committed.
///
/// Every write holds the store's one writer (SQLite's, or PostgreSQL's writer lock) until it
/// commits, so a node's entry writes per second are bounded by how long one transaction holds it:
/// its statements' round trips and its commit. A group pays for taking the lock and committing
/// once, and reads its list and the audit chain's head once (see `PostgresTransaction.Memo`).
///
/// A request whose list does not exist fails alone (nothing of it was written); any other error
/// fails every request of its group, since the transaction is rolled back.
public final class EntryWrites: Sendable {
    /// One request: records for a list, by an actor, audited as `action`.
    struct Write: Sendable {
        let records: [IndicatorRecord]
        let list: String
        let actor: Actor
        let action: String
        /// Whether the records' items replace the live entries with the same upstream id (an import).
        var replacesItems = false
    }

    private let batches: GroupCommit<Write, [Int64]>

    /// Entry writes over `store`, at most `maximumBatch` requests per transaction.
    public init(store: any TransactionalStore, maximumBatch: Int = 128) {
        batches = GroupCommit(maximumBatch: maximumBatch) { writes, done in
            store.write { tx throws(StoreError) in
                try Self.write(writes, in: tx)
            } completion: { outcome in
                switch outcome {
                case .success(let results): done(results.map { $0.mapError { $0 as any Error } })
                case .failure(let error): done(writes.map { _ in .failure(error) })
                }
            }
        }
    }

    /// Adds (and, for `.delete` records, tombstones) `records` in list `name` with its audit event;
    /// returns the new entries' ids once the transaction holding them has committed. With
    /// `replacesItems` (imports), an item sent again under its upstream id replaces its live
    /// entries (``StoreTransaction/applyReplacingItems(_:toList:)``).
    func apply(_ records: [IndicatorRecord], toList name: String, by actor: Actor, action: String, replacesItems: Bool = false)
        async throws(StoreError) -> [Int64]
    {
        do {
            return try await batches.submit(Write(records: records, list: name, actor: actor, action: action, replacesItems: replacesItems))
        } catch let error as StoreError {
            throw error
        } catch {
            throw .internal("an entry write failed unexpectedly", underlying: error)
        }
    }

    /// Writes one group in `tx`: one result per write, in order.
    static func write(_ writes: [Write], in tx: any StoreTransaction) throws(StoreError) -> [Result<[Int64], StoreError>] {
        var results: [Result<[Int64], StoreError>] = []
        results.reserveCapacity(writes.count)
        for write in writes {
            let list: StoredList
            do throws(StoreError) {
                list = try tx.list(named: write.list)
            } catch {
                // Nothing of this write was written yet: it fails alone. Anything else fails the group.
                guard error.code == .listNotFound else { throw error }
                results.append(.failure(error))
                continue
            }
            let ids: [Int64]
            let detail: String
            let deletions = write.records.count { $0.action == .delete }
            if write.replacesItems {
                let (added, replaced) = try tx.applyReplacingItems(write.records, toList: write.list)
                ids = added
                detail = "\(ids.count) added, \(replaced) replaced by upstream id, \(deletions) deletions requested"
            } else {
                ids = try tx.apply(write.records, toList: write.list)
                detail = "\(ids.count) added, \(deletions) deletions requested"
            }
            try tx.appendAudit(ListService.event(write.actor, write.action, "list:\(list.id)", at: tx.now, detail: detail))
            results.append(.success(ids))
        }
        return results
    }
}
