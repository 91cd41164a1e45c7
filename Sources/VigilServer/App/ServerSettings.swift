public import VigilCentre
public import VigilClassifier
public import VigilDomain
public import VigilMatching
public import VigilMedia

/// What a node serves.
public enum NodeRole: String, Sendable, CaseIterable, Hashable {
    /// A provider's node: hashing, matching, lists, actions, HMA's routes.
    case provider
    /// The Centre: everything a provider node serves (the Centre keeps indicator lists too), plus
    /// reports, assessment and referrals.
    case centre
    /// Both on one node (a demo, a small deployment).
    case all

    /// Whether the Centre's routes are served.
    public var servesCentre: Bool { self != .provider }
}

/// Settings of a node.
public struct ServerSettings: Sendable {
    /// What the node serves (``NodeRole/provider`` by default).
    public var role: NodeRole = .provider
    /// What NCMEC's CyberTipline protocol does not carry (legal basis, removal) and how long an
    /// unfinished report lives there.
    public var cyberTipline = CyberTiplineService.Settings()
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
    /// Which addresses webhooks may be delivered to: public ones, and loopback, private and
    /// link-local ones only with `webhooks.allow-private` (see ``DeliveryWorker``).
    public var webhookAddresses = AddressPolicy(setting: "webhooks.allow-private")
    /// How host names become addresses for fetches and webhooks (the system's resolver; tests
    /// point names at any address with their own).
    public var hostResolver: any HostResolver = SystemHostResolver()
    /// Whether `POST /v1/match/hash` takes the direct path (see `MatchHashFastPath`; same
    /// answers, less work per request). When false it goes through the generated route like
    /// every other operation, which the tests compare it with.
    public var matchFastPath: Bool = true
    /// The limits and review threshold of `POST /v1/match/conversation` (see ``ConversationSettings``).
    public var conversations = ConversationSettings()
    /// The Centre's retention of reports (and expired CyberTipline submissions): see ``RetentionWorker``.
    public var retention = RetentionSettings()
    /// Where and how this node files the reports its action policies ask for (nil: not configured).
    public var filing: FilingSettings?
    /// When `/ready` turns 503 because the index follower fails or lags its feed.
    public var readiness = ReadinessLimits()
    /// The external classifier of uploaded images and its review thresholds (nil: none; see
    /// ``UploadClassification`` and docs/classifier.md).
    public var classifier: ClassifierSettings?
    /// Connection cap, request-head and idle timeouts (see ``ConnectionLimits``).
    public var connections = ConnectionLimits()
    /// Threads and queue of the decoding and hashing pool (see ``HashingPool``).
    public var hashing = HashingLimits()
    /// The most pixels an uploaded image may declare per byte of its file (see
    /// ``DecompressionBombCheck``); real images stay under 30,000.
    public var maxPixelsPerInputByte = 100_000
    /// How uploaded videos are hashed and matched (see ``VideoSettings``).
    public var video = VideoSettings()
    /// The signal types the HMA routes serve (`hma.signal-types`): every type Vigil holds by default;
    /// HMA's own deployment installs `pdq` and `video_md5` only. The `sample` exchange fetches these
    /// types' examples.
    public var hmaSignalTypes: [SignalType] = SignalType.allCases

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
