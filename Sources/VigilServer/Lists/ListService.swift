import Foundation
import VigilDomain
import VigilMatching
import VigilStore

/// Every change to lists, entries, action policies and signal type settings, for both skins
/// (`/v1` and HMA): each is one transaction with its audit event (who, which organisation, what,
/// to which object, when), and then the node's engine catches up so it answers the change at once.
///
/// The audit trail records the change, never content: list names, entry ids and counts.
struct ListService: Sendable {
    let store: any NodeStore
    let engine: MatchEngine
    /// The node's group commit of entry writes (shared by every request of the node).
    let entryWrites: EntryWrites

    /// The service over `node`'s store, engine and entry writes.
    init(node: Node) {
        self.store = node.store
        self.engine = node.engine
        self.entryWrites = node.entryWrites
    }

    /// The audit event for `actor` doing `action` to `object` at the transaction's time.
    static func event(_ actor: Actor, _ action: String, _ object: String, at now: Date, detail: String? = nil) -> AuditEvent {
        AuditEvent(actor: actor.name, organisation: actor.organisation, action: action, object: object, at: now.rfc3339Text, detail: detail)
    }

    func createList(_ list: HashList, by actor: Actor) async throws(StoreError) -> StoredList {
        let created = try await store.write { tx throws(StoreError) in
            let created = try tx.createList(list)
            try tx.appendAudit(Self.event(actor, "list.create", "list:\(created.id)", at: tx.now, detail: created.list.name))
            return created
        }
        await engine.refreshAfterWrite()
        return created
    }

    func updateList(named name: String, _ update: ListUpdate, by actor: Actor) async throws(StoreError) -> StoredList {
        let updated = try await store.write { tx throws(StoreError) in
            let updated = try tx.updateList(named: name, update)
            try tx.appendAudit(Self.event(actor, "list.update", "list:\(updated.id)", at: tx.now, detail: Self.describe(update, name: name)))
            return updated
        }
        await engine.refreshAfterWrite()
        return updated
    }

    func deleteList(named name: String, by actor: Actor) async throws(StoreError) {
        try await store.write { tx throws(StoreError) in
            let list = try tx.list(named: name)
            try tx.deleteList(named: name)
            try tx.appendAudit(Self.event(actor, "list.delete", "list:\(list.id)", at: tx.now, detail: name))
        }
        await engine.refreshAfterWrite()
        await engine.catchUpAfterWrite()
    }

    /// Adds (and, for `.delete` records, tombstones) indicators; returns the new entries' ids.
    /// Written in groups (``EntryWrites``): requests that arrive while a transaction is being
    /// written share the next one.
    /// With `replacesItems` (imports and exchanges), an item sent again under the same upstream id
    /// (source organisation and item id) replaces its live entries instead of standing twice.
    func apply(
        _ records: [IndicatorRecord], toList name: String, by actor: Actor, action: String = "entries.add", replacesItems: Bool = false
    ) async throws(StoreError) -> [Int64] {
        let ids = try await entryWrites.apply(records, toList: name, by: actor, action: action, replacesItems: replacesItems)
        await engine.catchUpAfterWrite()
        return ids
    }

    /// Tombstones a source's items (e.g. NCMEC's deletions); returns how many entries.
    func removeItems(sourceOrganisation: String, itemIds: [String], fromList name: String, by actor: Actor) async throws(StoreError) -> Int {
        let removed = try await store.write { tx throws(StoreError) in
            let list = try tx.list(named: name)
            let removed = try tx.removeItems(sourceOrganisation: sourceOrganisation, itemIds: itemIds, fromList: name)
            try tx.appendAudit(Self.event(actor, "entries.remove-items", "list:\(list.id)", at: tx.now, detail: "\(removed) removed"))
            return removed
        }
        await engine.catchUpAfterWrite()
        return removed
    }

    func removeEntry(_ id: Int64, fromList name: String, by actor: Actor) async throws(StoreError) {
        try await store.write { tx throws(StoreError) in
            try tx.removeEntry(id, fromList: name)
            try tx.appendAudit(Self.event(actor, "entry.delete", "entry:\(id)", at: tx.now))
        }
        await engine.catchUpAfterWrite()
    }

    func editEntry(_ id: Int64, inList name: String, _ edit: EntryEdit, by actor: Actor) async throws(StoreError) -> StoredEntry {
        let edited = try await store.write { tx throws(StoreError) in
            let entry = try tx.editEntry(id, inList: name, edit)
            var changed: [String] = []
            if let until = edit.disabledUntil { changed.append(until.map { "disabled until \($0.rfc3339Text)" } ?? "enabled") }
            if edit.note != nil { changed.append("note") }
            try tx.appendAudit(Self.event(actor, "entry.edit", "entry:\(id)", at: tx.now, detail: changed.joined(separator: ", ")))
            return entry
        }
        // The edit is in the feed: catching up drops this node's copy of the entry at once.
        await engine.catchUpAfterWrite()
        return edited
    }

    func setPolicy(_ policy: ActionPolicy?, forList name: String, by actor: Actor) async throws(StoreError) {
        try await store.write { tx throws(StoreError) in
            let list = try tx.list(named: name)
            try tx.setPolicy(policy, forList: name)
            try tx.appendAudit(
                Self.event(actor, policy == nil ? "policy.delete" : "policy.set", "list:\(list.id)", at: tx.now, detail: policy?.action.rawValue))
        }
        await engine.refreshAfterWrite()
    }

    func setSignalTypeRatio(_ ratio: Double, for name: String, by actor: Actor) async throws(StoreError) {
        try await store.write { tx throws(StoreError) in
            try tx.setSignalTypeRatio(ratio, for: name)
            try tx.appendAudit(Self.event(actor, "signal-type.set", "signal-type:\(name)", at: tx.now, detail: String(ratio)))
        }
        await engine.refreshAfterWrite()
    }

    /// A list update as the audit trail words it (field names only; values are settings, not content).
    static func describe(_ update: ListUpdate, name: String) -> String {
        var fields: [String] = []
        if let newName = update.name { fields.append("renamed \(name) to \(newName)") }
        if update.kind != nil { fields.append("kind") }
        if update.matchRadius != nil { fields.append("match_radius") }
        if update.enabledRatio != nil { fields.append("enabled_ratio") }
        if let enabled = update.enabled { fields.append(enabled ? "enabled" : "disabled") }
        return fields.joined(separator: ", ")
    }
}

extension Actor {
    /// The caller of the request being handled (the node itself outside one).
    static var current: Actor { RequestPrincipal.current.map(Actor.init) ?? .system }
}
