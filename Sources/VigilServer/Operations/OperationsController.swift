import Foundation
import Hummingbird
import NIOCore
import Prometheus
import VigilAPI
import VigilDomain
import VigilMatching

/// The operational routes: `/health` (the process answers), `/ready` (the index is loaded and
/// follows its feed), `/metrics` (Prometheus, scope admin) and `/openapi.yaml` (the API document).
struct OperationsController: Sendable {
    let node: Node
    let metrics: PrometheusCollectorRegistry
    let authoriser: Authoriser

    /// Adds the open routes to `router` and `/metrics` to the `authenticated` group.
    func addRoutes(to router: Router<VigilRequestContext>, authenticated: RouterGroup<VigilRequestContext>) {
        let openAPIDocument = ByteBuffer(bytes: OpenAPIDocument.bytes)
        router.get("/health") { _, _ in ["status": "ok"] }
        router.get("/ready") { _, _ -> Response in readiness() }
        router.get("/openapi.yaml") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/yaml"], body: .init(byteBuffer: openAPIDocument))
        }
        authenticated.add(middleware: Authorise(operation: "metrics", authoriser: authoriser))
            .get("/metrics") { _, _ -> Response in metricsAnswer() }
    }

    /// 200 `{"status":"ready"}`, or 503 with `loading` (or `not_ready` and the problems).
    func readiness() -> Response {
        let loaded = node.engine.isReady
        var verdict = node.health.readiness(at: node.clock.now(), limits: node.settings.readiness, engineLoaded: loaded)
        verdict.add(workerProblems)
        var body: [String: Any] =
            verdict.ready
            ? ["status": "ready"]
            : loaded ? ["status": "not_ready", "problems": verdict.problems] : ["status": "loading", "problems": verdict.problems]
        // An exchange whose source fails is said, but the node keeps serving what it has.
        let warnings = node.exchanges.health.warnings(at: node.clock.now()) + classifierWarnings
        if !warnings.isEmpty { body["warnings"] = warnings }
        let data = (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])) ?? Data()
        return Response(
            status: verdict.ready ? .ok : .serviceUnavailable, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// The background workers' problems: the retention worker's on a Centre node, the filing
    /// worker's on a node that files reports (its rounds failing for over 5 minutes: the store
    /// cannot be read or written; a Centre that cannot be reached is retried per filing instead).
    var workerProblems: [String] {
        let now = node.clock.now()
        var problems: [String] = []
        if node.settings.role.servesCentre {
            problems += node.retentionHealth.problems(at: now, maxFailure: node.settings.retention.maxFailureSeconds)
        }
        if node.settings.filing != nil { problems += node.filingHealth.problems(at: now, maxFailure: 300) }
        problems += node.exchanges.rounds.problems(at: now, maxFailure: 300)
        problems += node.exchanges.feedbackRounds.problems(at: now, maxFailure: 300)
        problems += node.storage.problems(at: now)
        problems += node.textIndicators.health.problems(at: now, maxFailure: 300)
        return problems
    }

    func metricsAnswer() -> Response {
        let status = node.engine.status
        metrics.makeGauge(name: "vigil_index_entries", labels: [("type", "pdq")]).set(Double(status.pdq))
        metrics.makeGauge(name: "vigil_index_entries", labels: [("type", "md5")]).set(Double(status.md5))
        metrics.makeGauge(name: "vigil_index_entries", labels: [("type", "sha256")]).set(Double(status.sha256))
        metrics.makeGauge(name: "vigil_change_feed_position").set(Double(status.sequence))
        var ready = node.health.readiness(at: node.clock.now(), limits: node.settings.readiness, engineLoaded: status.ready)
        ready.add(workerProblems)
        metrics.makeGauge(name: "vigil_ready").set(ready.ready ? 1.0 : 0.0)
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
            body: .init(byteBuffer: ByteBuffer(bytes: metrics.emitToBuffer())))
    }
}
