public import VigilMatching
public import VigilMedia

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
    /// When `/ready` turns 503 because the index follower fails or lags its feed.
    public var readiness = ReadinessLimits()

    /// Defaults: 127.0.0.1:8080, 32 MiB bodies, 100 MP images, no URL fetching.
    public init(
        host: String = "127.0.0.1", port: Int = 8080, maxBodyBytes: Int = 32 << 20, decodeLimits: DecodeLimits = DecodeLimits(),
        urlFetch: URLFetchPolicy = URLFetchPolicy()
    ) {
        self.host = host
        self.port = port
        self.maxBodyBytes = maxBodyBytes
        self.decodeLimits = decodeLimits
        self.urlFetch = urlFetch
    }
}
