import Foundation
public import Hummingbird
public import Logging
public import NIOCore
import OpenAPIHummingbird
import OpenAPIRuntime
public import Prometheus
import VigilAPI
import VigilCentre
import VigilDomain

/// Builds the provider node's HTTP application (see ``buildRouter(node:metrics:hashing:)``), with
/// the node's connection cap and timeouts. Uploads are decoded and hashed on `hashing` (a pool
/// of `node.settings.hashing` when nil); `onServerRunning` is called with the listening channel
/// (its local address has the port).
public func buildApplication(
    node: Node, metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry(), logger: Logger = Logger(label: "vigil"),
    hashing: HashingPool? = nil, onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
) -> some ApplicationProtocol {
    let settings = node.settings
    return Application(
        router: buildRouter(node: node, metrics: metrics, hashing: hashing), server: settings.connections.server,
        configuration: settings.connections.configuration(address: .hostname(settings.host, port: settings.port), logger: logger),
        onServerRunning: onServerRunning, logger: logger)
}

/// The node's router: each area adds its routes.
///
/// The `/v1` routes are generated from `Sources/VigilAPI/openapi.yaml`, which is served at
/// `GET /openapi.yaml`; the operational and HMA-compatible routes are plain routes described in the
/// same document. Every route but the open ones (``AccessPolicy/openOperations``) is authenticated
/// and then authorised by its operation id (``Authoriser``). `metrics` is the Prometheus registry
/// served at `/metrics`; bootstrap swift-metrics with a `PrometheusMetricsFactory` over the same
/// registry to get the per-route request metrics.
public func buildRouter(
    node: Node, metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry(), hashing pool: HashingPool? = nil
) -> Router<VigilRequestContext> {
    let router = Router(context: VigilRequestContext.self)
    router.add(middleware: LogRequestsMiddleware(.debug))
    router.add(middleware: MetricsMiddleware())
    // A documented path called with a method it does not declare: 405 with Allow, before the body
    // limit, authentication and routing.
    router.add(middleware: MethodNotAllowedMiddleware(table: DocumentedMethods().served(by: node.settings.role)))
    router.add(middleware: BodyLimitMiddleware(limit: node.settings.maxBodyBytes))
    router.add(middleware: DiskFullMiddleware(storage: node.storage, clock: node.clock))
    let authoriser = Authoriser()
    let authentication = AuthenticationMiddleware(keys: node.store, cache: VerifiedKeyCache(clock: node.clock))
    let fetcher = URLFetcher(policy: node.settings.urlFetch, resolver: node.settings.hostResolver)
    let hashing = MediaHashing(
        limits: node.settings.decodeLimits, maxPixelsPerInputByte: node.settings.maxPixelsPerInputByte,
        pool: pool ?? HashingPool(limits: node.settings.hashing), video: node.settings.video)
    let v1 = V1Handler(node: node, fetcher: fetcher, hashing: hashing)

    OperationsController(node: node, metrics: metrics, authoriser: authoriser)
        .addRoutes(to: router, authenticated: router.group().add(middleware: authentication))

    // The /v1 routes: authentication (deny by default), the direct match path, then the bridge
    // (caller and errors), then per operation the guard (authorisation, body limit).
    let guardrails = OperationGuard(
        authoriser: authoriser, maxJSONBytes: node.settings.maxBodyBytes, maxUploadBytes: node.settings.maxBodyBytes,
        jsonLimits: [Operations.MatchConversation.id: node.settings.conversations.maxBodyBytes])
    var group = router.group().add(middleware: authentication)
    if node.settings.matchFastPath {
        group = group.add(middleware: MatchHashFastPath(matching: v1.matching, authoriser: authoriser, maxJSONBytes: guardrails.maxJSONBytes))
    }
    group = group.add(middleware: OpenAPIBridgeMiddleware(policies: OperationPolicy.v1))
    do {
        try v1.registerHandlers(
            on: group, configuration: OpenAPIRuntime.Configuration(jsonEncodingOptions: [.sortedKeys]), middlewares: [guardrails])
    } catch {
        // Only a server URL that does not parse can fail here, and the default one ("/") parses.
        preconditionFailure("the generated /v1 routes could not be registered: \(error)")
    }

    HMAController(node: node, fetcher: fetcher, hashing: hashing, authoriser: authoriser)
        .addRoutes(to: router, authentication: authentication)
    FilingsController(node: node, authoriser: authoriser).addRoutes(to: router, authentication: authentication)
    ReviewsController(node: node, authoriser: authoriser).addRoutes(to: router, authentication: authentication)
    ExchangesController(node: node, authoriser: authoriser).addRoutes(to: router, authentication: authentication)
    VerdictsController(node: node, authoriser: authoriser).addRoutes(to: router, authentication: authentication)
    if node.settings.role.servesCentre {
        // One intake per node: its callers share its group commits.
        let intake = ReportIntake(
            store: node.store, indicators: MatchIndicatorCheck(matching: node.matching), vault: node.vault,
            images: ReportImageHashing(hashing: hashing), maxFileBytes: node.settings.maxBodyBytes)
        ReportsController(node: node, authoriser: authoriser, intake: intake).addRoutes(to: router, authentication: authentication)
        CyberTiplineController(
            node: node, authoriser: authoriser,
            service: CyberTiplineService(store: node.store, intake: intake, settings: node.settings.cyberTipline, clock: node.clock)
        ).addRoutes(to: router, authentication: authentication)
        StatsController(node: node, authoriser: authoriser).addRoutes(to: router, authentication: authentication)
        PreservationController(node: node, authoriser: authoriser).addRoutes(to: router, authentication: authentication)
    }
    return router
}
