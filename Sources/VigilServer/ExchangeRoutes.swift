import Foundation
import Hummingbird
import NIOCore
import VigilDomain
import VigilExchange
import VigilStore

/// What an import did.
struct ImportResponse: ResponseCodable {
    var added: Int
    var deleted: Int
    var itemsDeleted: Int
    var issueCount: Int
    /// The first 100 issues, each "record N: reason".
    var issues: [String]
    var ignored: [String: Int]
    /// Set when the file broke off: everything before it was imported.
    var error: String?
}

extension ProviderAPI {
    /// `POST /v1/lists/{name}/import?format=…&type=…` streams the body through a format reader and
    /// applies each batch in its own transaction; bad rows are reported by number, good rows still
    /// import. `GET /v1/lists/{name}/export?format=…` streams the live entries with provenance.
    func addExchangeRoutes(to curate: RouterGroup<VigilRequestContext>) {
        curate.post("lists/:name/import") { request, context -> ImportResponse in
            let name = try context.parameters.require("name")
            let format = try queryChoice(request, "format", default: ImportFormat.tsv)
            let type = try signalType(request) ?? .pdq
            _ = try await storeCall { () async throws(StoreError) in try await store.list(named: name) }
            var reader = format.makeReader(signalType: type, provenance: Provenance(submittedBy: context.principal?.organisation))
            var response = ImportResponse(added: 0, deleted: 0, itemsDeleted: 0, issueCount: 0, issues: [], ignored: [:], error: nil)
            var pending = ImportBatch()
            func commit(_ batch: ImportBatch) async throws {
                response.issueCount += batch.issues.count
                for issue in batch.issues where response.issues.count < 100 { response.issues.append(issue.description) }
                for (kind, count) in batch.ignored { response.ignored[kind, default: 0] += count }
                if !batch.records.isEmpty {
                    let added = try await storeCall { () async throws(StoreError) in try await store.apply(batch.records, toList: name) }
                    response.added += added.count
                    response.deleted += batch.records.count { $0.action == .delete }
                }
                let byOrganisation = Dictionary(grouping: batch.itemDeletions, by: \.sourceOrganisation)
                for (organisation, items) in byOrganisation {
                    response.itemsDeleted += try await storeCall { () async throws(StoreError) in
                        try await store.removeItems(sourceOrganisation: organisation, itemIds: items.map(\.sourceItemId), fromList: name)
                    }
                }
            }
            do {
                for try await buffer in request.body {
                    pending.append(try reader.read(buffer.readableBytesView))
                    if pending.records.count >= 10_000 || pending.itemDeletions.count >= 1_000 {
                        try await commit(pending)
                        pending = ImportBatch()
                    }
                }
                pending.append(try reader.finish())
                try await commit(pending)
            } catch let error as ImportError {
                try await commit(pending)
                response.error = error.description
            }
            try await engine.catchUp()
            return response
        }

        curate.get("lists/:name/export") { request, context -> Response in
            let name = try context.parameters.require("name")
            let format = try queryChoice(request, "format", default: ExportFormat.vigilJSONL)
            let type = try signalType(request)
            _ = try await storeCall { () async throws(StoreError) in try await store.list(named: name) }
            let listStore = store
            let body = ResponseBody { writer in
                let exporter = format.makeWriter(signalType: type ?? .pdq)
                try await writer.write(ByteBuffer(bytes: exporter.header()))
                var after: Int64 = 0
                while true {
                    let page = try await listStore.entries(ofList: name, afterId: after, limit: 5_000)
                    guard let last = page.last else { break }
                    var bytes: [UInt8] = []
                    for entry in page where type == nil || entry.type == type {
                        try exporter.write(IndicatorRecord(type: entry.type, value: entry.value, provenance: entry.provenance), to: &bytes)
                    }
                    try await writer.write(ByteBuffer(bytes: bytes))
                    after = last.id
                }
                try await writer.finish(nil)
            }
            let contentType = format == .vigilJSONL ? "application/x-ndjson" : (format == .hmaCSV ? "text/csv" : "text/tab-separated-values")
            return Response(status: .ok, headers: [.contentType: contentType], body: body)
        }
    }

    /// The `name` query parameter as one of `T`'s cases (`fallback` when absent); a value that is
    /// none of them is a 400 naming the accepted ones.
    func queryChoice<T: RawRepresentable & CaseIterable>(_ request: Request, _ name: String, default fallback: T) throws -> T
    where T.RawValue == String {
        guard let text = request.uri.queryParameters.get(name) else { return fallback }
        guard let value = T(rawValue: text) else {
            throw APIError.badRequest(
                "unknown_\(name)", "\(name) must be one of \(T.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }

    /// The optional `type` query parameter; an unknown type is a 400, not "every type".
    func signalType(_ request: Request) throws -> SignalType? {
        guard request.uri.queryParameters.get("type") != nil else { return nil }
        return try queryChoice(request, "type", default: SignalType.pdq)
    }
}
