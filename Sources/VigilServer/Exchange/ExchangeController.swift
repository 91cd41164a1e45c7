import OpenAPIRuntime
import VigilAPI
import VigilDomain
import VigilExchange
import VigilStore

/// `/v1/lists/{name}/import` and `/export`: indicator files streamed both ways.
struct ExchangeController: Sendable {
    let store: any NodeStore
    let service: ListService

    /// Streams the body through the format's reader and applies each batch of 10,000 records (or
    /// 1,000 item deletions) in its own transaction, so memory stays flat however long the file is.
    /// Bad rows are reported by number and good rows still import; when the file breaks off, what
    /// came before is kept and `error` says where.
    func importList(_ input: Operations.ImportList.Input) async throws -> Operations.ImportList.Output {
        // No body (the document makes it optional) is an empty file: nothing is imported.
        let body: HTTPBody =
            switch input.body {
            case .any(let body): body
            case nil: HTTPBody()
            }
        let name = input.path.name
        let actor = Actor.current
        let format = input.query.format.map(ImportFormat.init) ?? .tsv
        let type = input.query._type.map(SignalType.init) ?? .pdq
        _ = try await storeCall { () async throws(StoreError) in try await store.list(named: name) }
        var reader = format.makeReader(signalType: type, provenance: Provenance(submittedBy: RequestPrincipal.current?.organisation))
        var result = Components.Schemas.ImportResult(added: 0, deleted: 0, itemsDeleted: 0, issueCount: 0, issues: [], ignored: .init())
        var pending = ImportBatch()
        func commit(_ batch: ImportBatch) async throws {
            result.issueCount += batch.issues.count
            for issue in batch.issues where result.issues.count < 100 { result.issues.append(issue.description) }
            for (kind, count) in batch.ignored { result.ignored.additionalProperties[kind, default: 0] += count }
            if !batch.records.isEmpty {
                let added = try await storeCall { () async throws(StoreError) in
                    try await service.apply(batch.records, toList: name, by: actor, action: "entries.import", replacesItems: true)
                }
                result.added += added.count
                result.deleted += batch.records.count { $0.action == .delete }
            }
            for (organisation, items) in Dictionary(grouping: batch.itemDeletions, by: \.sourceOrganisation) {
                result.itemsDeleted += try await storeCall { () async throws(StoreError) in
                    try await service.removeItems(sourceOrganisation: organisation, itemIds: items.map(\.sourceItemId), fromList: name, by: actor)
                }
            }
        }
        do {
            for try await chunk in body {
                pending.append(try reader.read(chunk))
                if pending.records.count >= 10_000 || pending.itemDeletions.count >= 1_000 {
                    // An item's values are written together (a later batch would replace them by its upstream id).
                    let held = Self.holdLastItem(&pending)
                    try await commit(pending)
                    pending = ImportBatch(records: held)
                }
            }
            pending.append(try reader.finish())
            try await commit(pending)
        } catch let error as ImportError {
            try await commit(pending)
            result.error = error.description
        }
        // Each batch went through the list service, which caught the engine up after it.
        return .ok(.init(body: .json(result)))
    }

    /// Takes the records of the batch's last item (the trailing records with its upstream id) out of
    /// `batch` and returns them, so that they are written with the rest of that item in the next
    /// batch; nothing when the last record names no item or the whole batch is one item.
    static func holdLastItem(_ batch: inout ImportBatch) -> [IndicatorRecord] {
        guard let last = batch.records.last, let item = last.provenance.sourceItemId, last.action == .add else { return [] }
        let organisation = last.provenance.sourceOrganisation
        var start = batch.records.count
        while start > 0, batch.records[start - 1].provenance.sourceItemId == item,
            batch.records[start - 1].provenance.sourceOrganisation == organisation
        {
            start -= 1
        }
        guard start > 0 else { return [] }
        let held = Array(batch.records[start...])
        batch.records.removeSubrange(start...)
        return held
    }

    /// Streams the live entries, a page at a time, in the chosen format.
    func exportList(_ input: Operations.ExportList.Input) async throws -> Operations.ExportList.Output {
        let name = input.path.name
        let format = input.query.format.map(ExportFormat.init) ?? .vigilJSONL
        let type = input.query._type.map(SignalType.init)
        _ = try await storeCall { () async throws(StoreError) in try await store.list(named: name) }
        let pages = ExportPages(store: store, list: name, type: type, writer: format.makeWriter(signalType: type ?? .pdq))
        let body = HTTPBody(pages, length: .unknown, iterationBehavior: .single)
        return switch format {
        case .vigilJSONL: .ok(.init(body: .applicationXNdjson(body)))
        case .tsv: .ok(.init(body: .textTabSeparatedValues(body)))
        case .hmaCSV: .ok(.init(body: .csv(body)))
        }
    }
}
