import VigilDomain
import Foundation
public import Hummingbird
public import Logging
public import Prometheus
public import NIOCore
import OpenAPIHummingbird
import OpenAPIRuntime
import VigilAPI
public import VigilMedia
public import VigilStore

/// Settings of a provider node.
public struct ServerSettings: Sendable {
    /// Address to listen on.
    public var host: String
    /// Port to listen on.
    public var port: Int
    /// The largest request body accepted (uploads included), in bytes.
    public var maxBodyBytes: Int
    /// Decoder limits for uploaded images.
    public var decodeLimits: DecodeLimits
    /// Which URLs content may be fetched from (none by default).
    public var urlFetch: URLFetchPolicy
    /// Whether `POST /v1/match/hash` takes the direct path (see `MatchHashFastPath`; same
    /// answers, less work per request). When false it goes through the generated route like
    /// every other operation, which the tests compare it with.
    public var matchFastPath: Bool = true
    /// Connection cap, request-head and idle timeouts (see ``ConnectionLimits``).
    public var connections = ConnectionLimits()
    /// Threads and queue of the decoding and hashing pool (see ``HashingPool``).
    public var hashing = HashingLimits()
    /// The most pixels an uploaded image may declare per byte of its file (see
    /// ``DecompressionBombCheck``); real images stay under 30,000.
    public var maxPixelsPerInputByte = 100_000

    /// The decoder limits a node starts with: 50 MP (a 48 MP phone photo fits; the largest
    /// uploads platforms keep are far smaller), 256 MiB of input.
    public static let defaultDecodeLimits = DecodeLimits(maxPixels: 50_000_000)

    /// Defaults: 127.0.0.1:8080, 32 MiB bodies, 50 MP images, no URL fetching.
    public init(
        host: String = "127.0.0.1", port: Int = 8080, maxBodyBytes: Int = 32 << 20, decodeLimits: DecodeLimits = ServerSettings.defaultDecodeLimits,
        urlFetch: URLFetchPolicy = URLFetchPolicy()
    ) {
        self.host = host
        self.port = port
        self.maxBodyBytes = maxBodyBytes
        self.decodeLimits = decodeLimits
        self.urlFetch = urlFetch
    }
}

/// Builds the provider node's HTTP application.
///
/// The `/v1` routes are generated from `Sources/VigilAPI/openapi.yaml`, which is served at
/// `GET /openapi.yaml` (open, like `/health` and `/ready`); the HMA-compatible routes are plain routes.
/// `metrics` is the Prometheus registry served at `/metrics` (admin scope); bootstrap swift-metrics
/// with a `PrometheusMetricsFactory` over the same registry to get the per-route request metrics.
/// Uploads are decoded and hashed on `hashing` (a pool of `settings.hashing` when nil);
/// `onServerRunning` is called with the listening channel (its local address has the port).
public func buildApplication(
    store: SQLiteStore, engine: MatchEngine, settings: ServerSettings, metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
    logger: Logger = Logger(label: "vigil"), hashing: HashingPool? = nil,
    onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
) -> some ApplicationProtocol {
    let router = Router(context: VigilRequestContext.self)
    router.add(middleware: LogRequestsMiddleware(.debug))
    router.add(middleware: MetricsMiddleware())
    router.add(middleware: BodyLimitMiddleware(limit: settings.maxBodyBytes))
    let api = ProviderAPI(
        store: store, engine: engine, settings: settings, fetcher: URLFetcher(policy: settings.urlFetch, client: URLFetcher.sharedClient),
        hashing: hashing ?? HashingPool(limits: settings.hashing))
    let openAPIDocument = ByteBuffer(bytes: OpenAPIDocument.bytes)
    router.get("/health") { _, _ in ["status": "ok"] }
    router.get("/ready") { _, _ -> Response in
        let ready = engine.isReady
        let body = ByteBuffer(string: ready ? "{\"status\":\"ready\"}" : "{\"status\":\"loading\"}")
        return Response(status: ready ? .ok : .serviceUnavailable, headers: [.contentType: "application/json"], body: .init(byteBuffer: body))
    }
    let authentication = AuthenticationMiddleware(keys: store)
    router.group().add(middleware: authentication).add(middleware: RequireScope(.admin))
        .get("/metrics") { _, _ -> Response in
            let status = engine.status
            metrics.makeGauge(name: "vigil_index_entries", labels: [("type", "pdq")]).set(Double(status.pdq))
            metrics.makeGauge(name: "vigil_index_entries", labels: [("type", "md5")]).set(Double(status.md5))
            metrics.makeGauge(name: "vigil_index_entries", labels: [("type", "sha256")]).set(Double(status.sha256))
            metrics.makeGauge(name: "vigil_change_feed_position").set(Double(status.sequence))
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(bytes: metrics.emitToBuffer())))
        }
    router.get("/openapi.yaml") { _, _ in
        Response(status: .ok, headers: [.contentType: "application/yaml"], body: .init(byteBuffer: openAPIDocument))
    }
    // The /v1 routes are generated from openapi.yaml: authentication (deny by default), then the
    // bridge (caller and errors), then per operation the guard (scopes, JSON body limit).
    let guardrails = OperationGuard(policies: OperationPolicy.v1, maxJSONBytes: settings.maxBodyBytes, maxUploadBytes: settings.maxBodyBytes)
    var v1 = router.group().add(middleware: authentication)
    if settings.matchFastPath, let policy = OperationPolicy.v1[Operations.MatchHash.id] {
        v1 = v1.add(middleware: MatchHashFastPath(api: api, maxJSONBytes: guardrails.maxJSONBytes, policy: policy))
    }
    v1 = v1.add(middleware: OpenAPIBridgeMiddleware(policies: OperationPolicy.v1))
    do {
        try api.registerHandlers(
            on: v1, configuration: OpenAPIRuntime.Configuration(jsonEncodingOptions: [.sortedKeys]), middlewares: [guardrails])
    } catch {
        // Only a server URL that does not parse can fail here, and the default one ("/") parses.
        preconditionFailure("the generated /v1 routes could not be registered: \(error)")
    }
    api.addHMARoutes(to: router, keys: store)
    return Application(
        router: router, server: settings.connections.server,
        configuration: settings.connections.configuration(address: .hostname(settings.host, port: settings.port), logger: logger),
        onServerRunning: onServerRunning, logger: logger)
}
