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

    /// The operations' ids.
    static let operation = "setReportPreservation"
    static let withdrawal = "withdrawReportPreservation"

    func addRoutes(to router: Router<VigilRequestContext>, authentication: AuthenticationMiddleware) {
        let v1 = router.group("v1").add(middleware: authentication).add(middleware: ServiceErrorMiddleware())
        let routes = AuthorisedRoutes(group: v1, authoriser: authoriser)
        let service = RetentionService(store: node.store, clock: node.clock)
        routes.on(.put, "reports/:id/preservation", Self.operation) { request, context in
            let (principal, id) = try await reportCaller(context, operation: Self.operation)
            let preservation = try await PlainRouteCoding.decode(Preservation.self, from: request, limit: 64 << 10)
            let stored = try await service.preserve(reportId: id, preservation, by: Actor(principal))
            return try PlainRouteCoding.encode(PreservationView(stored), context: context)
        }
        routes.on(.delete, "reports/:id/preservation", Self.withdrawal) { _, context in
            let (principal, id) = try await reportCaller(context, operation: Self.withdrawal)
            _ = try await storeCall { () async throws(StoreError) in try await service.withdraw(reportId: id, by: Actor(principal)) }
            return Response(status: .noContent)
        }
    }

    /// The caller and the report in the path, when the caller may ask about it: police for
    /// reports referred to their Member State, Europol for reports referred to it, the Centre for
    /// any (else 404, as for an absent report).
    func reportCaller(_ context: VigilRequestContext, operation: String) async throws -> (Principal, Int64) {
        let principal = try PlainRouteCoding.principal(context)
        let id = try PlainRouteCoding.pathId(context)
        let store = node.store
        guard try await storeCall({ () async throws(StoreError) in try await store.report(id: id) }) != nil else {
            throw ErrorMap.answer(StoreError.reportNotFound(id))
        }
        let recipients = Set(try await storeCall { () async throws(StoreError) in try await store.referrals(reportId: id) }.map(\.recipient))
        guard mayAsk(principal, operation, recipients: recipients) else { throw ErrorMap.answer(StoreError.reportNotFound(id)) }
        return (principal, id)
    }

    // The row check is synchronous on purpose: as a do/catch inside the async method, Swift 6.3.1's
    // optimiser crashed on it (signal 11 while splitting the coroutine, in a release build).

    /// Whether `principal` may ask about a report referred to `recipients`.
    func mayAsk(_ principal: Principal, _ operation: String, recipients: Set<ReferralRecipient>) -> Bool {
        let states = Set(recipients.compactMap { if case .police(let state) = $0 { state } else { nil } })
        do {
            try authoriser.require(principal, operation, resource: ResourceAttributes(memberStates: states))
        } catch {
            return false
        }
        return principal.kind != .europol || recipients.contains(.europol)
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

    init(_ stored: StoredPreservation) {
        reportId = stored.reportId
        requestedBy = stored.requestedBy
        until = stored.preservation.until
        reason = stored.preservation.reason
        setAt = stored.setAt
    }
}
