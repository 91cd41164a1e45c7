import Foundation
import Hummingbird
import NIOCore
import VigilCentre
import VigilDomain
import VigilStore

/// `GET /v1/stats` (operation `getStatistics`, served with the Centre's routes): the Centre's
/// figures over the reports received in an optional window (`from`, `to`: RFC 3339, `from`
/// inclusive, `to` exclusive), narrowed to what the caller may see
/// (``StatisticsService/scope(for:)``). Aggregates only: no report's content, so the read is not
/// an audit event.
struct StatsController: Sendable {
    let node: Node
    let authoriser: Authoriser

    func addRoutes(to router: Router<VigilRequestContext>, authentication: AuthenticationMiddleware) {
        let v1 = router.group("v1").add(middleware: authentication).add(middleware: ServiceErrorMiddleware())
        AuthorisedRoutes(group: v1, authoriser: authoriser).on(.get, "stats", "getStatistics") { request, context in
            guard let principal = context.principal else { throw APIError.unauthorized }
            // The access table admits only the kinds that have a scope; this is the same rule's second half.
            guard let scope = StatisticsService.scope(for: principal) else {
                throw Authoriser.answer(.kind(principal.kind, operation: "getStatistics"))
            }
            let window: StatisticsWindow
            do throws(StatisticsWindowError) {
                window = try StatisticsWindow(from: request.uri.queryParameters.get("from"), to: request.uri.queryParameters.get("to"))
            } catch {
                throw APIError.badRequest("invalid_window", error.description)
            }
            let service = StatisticsService(store: node.store, clock: node.clock)
            let figures = try await storeCall { () async throws(StoreError) in try await service.statistics(window: window, scope: scope) }
            let data = try context.responseEncoder.encode(figures)
            return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
    }
}
