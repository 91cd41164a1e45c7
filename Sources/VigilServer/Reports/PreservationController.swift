import Foundation
import Hummingbird
import NIOCore
import VigilCentre
import VigilDomain
import VigilStore

/// `PUT /v1/reports/{id}/preservation` (operation `setReportPreservation`): an authority asks the
/// Centre to keep a report past its retention (``RetentionService/preserve(reportId:_:by:)``).
/// Police may ask for reports referred to their Member State, Europol for reports referred to it,
/// the Centre's supervisors and administrators for any; any other report is answered 404, as an
/// absent one.
struct PreservationController: Sendable {
    let node: Node
    let authoriser: Authoriser

    /// The operation's id.
    static let operation = "setReportPreservation"

    func addRoutes(to router: Router<VigilRequestContext>, authentication: AuthenticationMiddleware) {
        let v1 = router.group("v1").add(middleware: authentication).add(middleware: ServiceErrorMiddleware())
        AuthorisedRoutes(group: v1, authoriser: authoriser).on(.put, "reports/:id/preservation", Self.operation) { request, context in
            let principal = try PlainRouteCoding.principal(context)
            let id = try PlainRouteCoding.pathId(context)
            let store = node.store
            guard try await storeCall({ () async throws(StoreError) in try await store.report(id: id) }) != nil else {
                throw ErrorMap.answer(StoreError.reportNotFound(id))
            }
            let recipients = Set(try await storeCall { () async throws(StoreError) in try await store.referrals(reportId: id) }.map(\.recipient))
            let states = Set(recipients.compactMap { if case .police(let state) = $0 { state } else { nil } })
            do {
                try authoriser.require(principal, Self.operation, resource: ResourceAttributes(memberStates: states))
                if principal.kind == .europol, !recipients.contains(.europol) { throw ErrorMap.answer(StoreError.reportNotFound(id)) }
            } catch {
                throw ErrorMap.answer(StoreError.reportNotFound(id))
            }
            let preservation = try await PlainRouteCoding.decode(Preservation.self, from: request, limit: 64 << 10)
            let service = RetentionService(store: store, clock: node.clock)
            let stored = try await service.preserve(reportId: id, preservation, by: Actor(principal))
            let view = PreservationView(
                reportId: stored.reportId, requestedBy: stored.requestedBy, until: stored.preservation.until, reason: stored.preservation.reason,
                setAt: stored.setAt)
            return try PlainRouteCoding.encode(view, context: context)
        }
    }
}

/// A preservation request as answered (schema `StoredPreservation`).
struct PreservationView: Encodable {
    let reportId: Int64
    let requestedBy: String
    let until: String
    let reason: String
    let setAt: String

    enum CodingKeys: String, CodingKey {
        case reportId = "report_id"
        case requestedBy = "requested_by"
        case until, reason
        case setAt = "set_at"
    }
}
