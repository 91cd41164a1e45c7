import Foundation
import VigilAPI
import VigilDomain
import VigilMatching
import VigilStore

/// `/v1/lists…`: lists and their entries.
///
/// A write answers once it is durable; the engine then catches up so this node matches the
/// change at once. If that catch-up fails the write still stands (it was committed, and the
/// follower applies it within its next round), so the answer is the write's success, not an
/// error that would make a client retry and duplicate it.
struct ListsController: Sendable {
    let store: any NodeStore
    let service: ListService
    let clock: any WallClock

    func listLists(_ input: Operations.ListLists.Input) async throws -> Operations.ListLists.Output {
        let lists = try await storeCall { () async throws(StoreError) in try await store.lists() }
        return .ok(.init(body: .json(.init(lists: lists.filter { !$0.isDeleted }.map(Components.Schemas.List.init)))))
    }

    func getList(_ input: Operations.GetList.Input) async throws -> Operations.GetList.Output {
        let name = input.path.name
        let list = try await storeCall { () async throws(StoreError) in try await store.list(named: name) }
        return .ok(.init(body: .json(.init(list))))
    }

    func createList(_ input: Operations.CreateList.Input) async throws -> Operations.CreateList.Output {
        let body =
            switch input.body {
            case .json(let body): body
            }
        let list = HashList(
            name: body.name, kind: ListKind(body.kind), matchRadius: body.matchRadius ?? HashList.defaultRadius,
            enabledRatio: body.enabledRatio ?? 1, enabled: body.enabled ?? true)
        let created = try await storeCall { () async throws(StoreError) in try await service.createList(list, by: .current) }
        return .created(.init(body: .json(.init(created))))
    }

    func updateList(_ input: Operations.UpdateList.Input) async throws -> Operations.UpdateList.Output {
        let body =
            switch input.body {
            case .json(let body): body
            }
        let name = input.path.name
        let update = ListUpdate(
            name: body.name, kind: body.kind.map(ListKind.init), matchRadius: body.matchRadius, enabledRatio: body.enabledRatio,
            enabled: body.enabled)
        let updated = try await storeCall { () async throws(StoreError) in try await service.updateList(named: name, update, by: .current) }
        return .ok(.init(body: .json(.init(updated))))
    }

    func deleteList(_ input: Operations.DeleteList.Input) async throws -> Operations.DeleteList.Output {
        let name = input.path.name
        try await storeCall { () async throws(StoreError) in try await service.deleteList(named: name, by: .current) }
        return .noContent(.init())
    }

    func listEntries(_ input: Operations.ListEntries.Input) async throws -> Operations.ListEntries.Output {
        let name = input.path.name
        let after = input.query.after ?? 0
        let limit = input.query.limit ?? 1000
        // The document's range: a page larger than 10,000 is refused, not cut short.
        guard (0...10_000).contains(limit) else {
            throw APIError.badRequest("invalid_parameter", "limit is an integer from 0 to 10000 (the page size)")
        }
        let entries = try await storeCall { () async throws(StoreError) in try await store.entries(ofList: name, afterId: after, limit: limit) }
        return .ok(.init(body: .json(.init(entries: entries.map { Components.Schemas.Entry($0, list: name) }))))
    }

    func addEntries(_ input: Operations.AddEntries.Input) async throws -> Operations.AddEntries.Output {
        let body =
            switch input.body {
            case .json(let body): body
            }
        let name = input.path.name
        guard !body.entries.isEmpty, body.entries.count <= 100_000 else {
            throw APIError.badRequest("invalid_entries", "send 1 to 100,000 entries per request")
        }
        var records: [IndicatorRecord] = []
        var problems: [String] = []
        for (index, entry) in body.entries.enumerated() {
            let type = SignalType(entry._type)
            do throws(SignalValueError) {
                let value = try type.normalise(entry.value)
                let action: IndicatorRecord.Action = entry.action == .delete ? .delete : .add
                let provenance = entry.provenance.map(Provenance.init) ?? Provenance()
                do throws(ProvenanceValidationError) { try provenance.validate() } catch {
                    problems.append("entries[\(index)]: \(error.description)")
                    continue
                }
                records.append(IndicatorRecord(type: type, value: value, action: action, provenance: provenance))
            } catch {
                problems.append("entries[\(index)]: \(error.description)")
            }
        }
        // Nothing half-written: one bad entry refuses the whole request.
        guard problems.isEmpty else {
            throw APIError.badRequest("invalid_entries", problems.prefix(20).joined(separator: "; "))
        }
        let ids = try await storeCall { () async throws(StoreError) in try await service.apply(records, toList: name, by: .current) }
        return .created(.init(body: .json(.init(ids: ids))))
    }

    func updateEntry(_ input: Operations.UpdateEntry.Input) async throws -> Operations.UpdateEntry.Output {
        let body =
            switch input.body {
            case .json(let body): body
            }
        let name = input.path.name
        let id = input.path.id
        if let until = body.disabledUntil, until.timeIntervalSince(clock.now()) > 5 * 366 * 86_400 {
            throw APIError.badRequest("invalid_disabled_until", "disabled_until must be at most 5 years ahead; delete the entry instead")
        }
        let entry = try await storeCall { () async throws(StoreError) in
            try await service.editEntry(id, inList: name, EntryEdit(disabledUntil: .some(body.disabledUntil)), by: .current)
        }
        return .ok(.init(body: .json(Components.Schemas.Entry(entry, list: name))))
    }

    func setEntryNote(_ input: Operations.SetEntryNote.Input) async throws -> Operations.SetEntryNote.Output {
        let body =
            switch input.body {
            case .json(let body): body
            }
        let name = input.path.name
        let id = input.path.id
        guard body.note.utf8.count <= Provenance.maxNoteLength else {
            throw APIError.badRequest("invalid_note", "a note is at most \(Provenance.maxNoteLength) bytes of UTF-8, got \(body.note.utf8.count)")
        }
        let note: String? = body.note.isEmpty ? nil : body.note
        let entry = try await storeCall { () async throws(StoreError) in
            try await service.editEntry(id, inList: name, EntryEdit(note: .some(note)), by: .current)
        }
        return .ok(.init(body: .json(Components.Schemas.Entry(entry, list: name))))
    }

    func deleteEntry(_ input: Operations.DeleteEntry.Input) async throws -> Operations.DeleteEntry.Output {
        let name = input.path.name
        let id = input.path.id
        try await storeCall { () async throws(StoreError) in try await service.removeEntry(id, fromList: name, by: .current) }
        return .noContent(.init())
    }
}
