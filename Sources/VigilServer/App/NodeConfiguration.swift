public import Configuration
import Foundation
public import Logging
import VigilCentre
import VigilDomain
public import VigilIndex
import VigilMatching
import VigilMedia

/// Everything `vigil serve` needs to start, read from a swift-configuration `ConfigReader`.
///
/// The reader decides where values come from; `vigil` layers, highest first: its command-line
/// flags, `VIGIL_*` environment variables, a JSON or YAML file (`--config` / `VIGIL_CONFIG`), then the
/// defaults below. Keys (and their environment names):
///
/// | key | environment | default |
/// |---|---|---|
/// | `data.directory` | `VIGIL_DATA_DIRECTORY` | `./vigil-data` |
/// | `role` | `VIGIL_ROLE` | `provider` (or `centre`, `all`: also the Centre's reports, assessment and referrals) |
/// | `http.host` | `VIGIL_HTTP_HOST` | `127.0.0.1` |
/// | `http.port` | `VIGIL_HTTP_PORT` | `8080` |
/// | `http.max-body-bytes` | `VIGIL_HTTP_MAX_BODY_BYTES` | 32 MiB (every route) |
/// | `http.max-connections` | `VIGIL_HTTP_MAX_CONNECTIONS` | 10,000 (lowered to fit the open-file limit) |
/// | `http.idle-timeout-seconds` | `VIGIL_HTTP_IDLE_TIMEOUT_SECONDS` | 60 |
/// | `http.head-timeout-seconds` | `VIGIL_HTTP_HEAD_TIMEOUT_SECONDS` | 10 |
/// | `hashing.threads` | `VIGIL_HASHING_THREADS` | the cores (threads at nice 10: lookups go first) |
/// | `hashing.queue` | `VIGIL_HASHING_QUEUE` | 16 (then 503 `hashing_busy`) |
/// | `log.level` | `VIGIL_LOG_LEVEL` | `info` |
/// | `cybertipline.legal-basis` | `VIGIL_CYBERTIPLINE_LEGAL_BASIS` | none: reports filed through `/ispws` need it (NCMEC's XML has no legal basis) |
/// | `cybertipline.removal` | `VIGIL_CYBERTIPLINE_REMOVAL` | none: `removed`, `disabled` or `not_removed` (NCMEC's XML does not say) |
/// | `content.master-key-file` | `VIGIL_CONTENT_MASTER_KEY_FILE` | `<data.directory>/master.key` (made, mode 0600, when absent) |
/// | `content.master-key` | `VIGIL_CONTENT_MASTER_KEY` (secret) | none; base64 keys, comma-separated, the first current: overrides the file |
/// | `filing.centre-url` | `VIGIL_FILING_CENTRE_URL` | none: the Centre this provider node files reports with (action policies with `file_report`) |
/// | `filing.api-key` | `VIGIL_FILING_API_KEY` (secret) | required with a Centre: the key it issued (scope `report`) |
/// | `filing.signing-key-file` | `VIGIL_FILING_SIGNING_KEY_FILE` | required with a Centre: from `vigil reports keygen`, its public key registered there |
/// | `filing.provider-name`, `filing.provider-contact`, `filing.legal-basis` | `VIGIL_FILING_PROVIDER_NAME`, … | required with a Centre: what every report says |
/// | `filing.legal-representative`, `filing.establishment` | `VIGIL_FILING_LEGAL_REPRESENTATIVE`, … | none (establishment: a Member State's code) |
/// | `filing.interval-seconds` | `VIGIL_FILING_INTERVAL_SECONDS` | 5: how often due filings are sent |
/// | `filing.status-interval-seconds` | `VIGIL_FILING_STATUS_INTERVAL_SECONDS` | 300: how often a filed report's status is read again |
/// | `fetch.allowed-hosts` | `VIGIL_FETCH_ALLOWED_HOSTS` (comma-separated) | none |
/// | `fetch.allow-private` | `VIGIL_FETCH_ALLOW_PRIVATE` | false: names resolving to loopback, private or link-local addresses are refused (metadata, multicast and reserved ones always are) |
/// | `fetch.max-bytes` | `VIGIL_FETCH_MAX_BYTES` | 100 MiB (HMA's default) |
/// | `fetch.timeout-seconds` | `VIGIL_FETCH_TIMEOUT_SECONDS` | 30: the whole fetch, redirects and body included |
/// | `fetch.max-redirects` | `VIGIL_FETCH_MAX_REDIRECTS` | 5 (each checked again; 0: none followed) |
/// | `fetch.max-concurrent` | `VIGIL_FETCH_MAX_CONCURRENT` | 8 fetches at once on the node (then 503 `fetch_busy`) |
/// | `fetch.max-concurrent-per-origin` | `VIGIL_FETCH_MAX_CONCURRENT_PER_ORIGIN` | 4 fetches at once from one scheme, host and port (then 429 `fetch_origin_busy`) |
/// | `webhooks.allow-private` | `VIGIL_WEBHOOKS_ALLOW_PRIVATE` | false: webhooks to loopback, private or link-local addresses are refused |
/// | `hma.signal-types` | `VIGIL_HMA_SIGNAL_TYPES` (comma-separated) | `pdq,video_md5,video_sha256,vpdq`: the signal types HMA's routes serve, by python-threatexchange's names (HMA's own default is `pdq,video_md5`) |
/// | `decode.max-pixels` | `VIGIL_DECODE_MAX_PIXELS` | 50,000,000 |
/// | `decode.max-pixels-per-byte` | `VIGIL_DECODE_MAX_PIXELS_PER_BYTE` | 100,000 (then 422 `decompression_bomb`) |
/// | `index.tuning` | `VIGIL_INDEX_TUNING` | `speed` (or `compact`: about a third of the memory) |
/// | `index.entry-cache-entries` | `VIGIL_INDEX_ENTRY_CACHE_ENTRIES` | 100,000 matched entries held in memory (426 B each measured with an id and a note; more with full provenance), 0: none (see ``EntryCache``) |
/// | `index.max-lag-seconds` | `VIGIL_INDEX_MAX_LAG_SECONDS` | 30: `/ready` is 503 when the index has not reached the end of its feed for longer |
/// | `index.max-failure-seconds` | `VIGIL_INDEX_MAX_FAILURE_SECONDS` | 5: `/ready` is 503 when the follower has failed for longer |
/// | `text.indicators-directory` | `VIGIL_TEXT_INDICATORS_DIRECTORY` | the shipped `data/text-indicators` next to the binary or in the working directory (none: conversations are 503) |
/// | `text.max-messages` | `VIGIL_TEXT_MAX_MESSAGES` | 1,000 messages in one conversation (at most 10,000) |
/// | `text.max-message-bytes` | `VIGIL_TEXT_MAX_MESSAGE_BYTES` | 4,096 bytes of UTF-8 in one message (at most 10,000) |
/// | `text.max-body-bytes` | `VIGIL_TEXT_MAX_BODY_BYTES` | 8 MiB: the largest conversation body (`http.max-body-bytes` still applies) |
/// | `text.review-score` | `VIGIL_TEXT_REVIEW_SCORE` | 0.3: a conversation's answer says `review_required` from this score |
/// | `classifier.url` | `VIGIL_CLASSIFIER_URL` | none: no classifier (docs/classifier.md); any address, private ones included, as the operator's own setting |
/// | `classifier.timeout` | `VIGIL_CLASSIFIER_TIMEOUT` | 5 seconds for one whole call |
/// | `classifier.max-concurrent` | `VIGIL_CLASSIFIER_MAX_CONCURRENT` | 8 calls at once (an upload beyond it is answered without scores, `busy`) |
/// | `classifier.failure-threshold` | `VIGIL_CLASSIFIER_FAILURE_THRESHOLD` | 5 failures in a row open the circuit breaker |
/// | `classifier.cool-down` | `VIGIL_CLASSIFIER_COOL_DOWN` | 30 seconds open before a trial call |
/// | `classifier.review-threshold` | `VIGIL_CLASSIFIER_REVIEW_THRESHOLD` | 0.9 for every label; or per label, `nudity=0.8,violence=0.95`, with an optional default first (`0.9,nudity=0.8`) |
/// | `classifier.max-input-bytes` | `VIGIL_CLASSIFIER_MAX_INPUT_BYTES` | 32 MiB: larger images are not sent (`input_too_large`) |
/// | `video.max-bytes`, `video.max-pixels`, `video.max-frames`, `video.time-limit-seconds` | `VIGIL_VIDEO_MAX_BYTES`, … | 32 MiB, 1920x1080, 18,000 frames, 60 s: an uploaded video over one is a 4xx (see ``VideoSettings``) |
/// | `video.seconds-per-hash` | `VIGIL_VIDEO_SECONDS_PER_HASH` | 1: vPDQ hashes one frame per second (0: every frame) |
/// | `video.query-match-percent`, `video.compared-match-percent` | `VIGIL_VIDEO_QUERY_MATCH_PERCENT`, … | 80, 0: a video matches a vpdq entry from these shares of matching frames |
/// | `video.ffmpeg-directory` | `VIGIL_VIDEO_FFMPEG_DIRECTORY` | none: `ffmpeg` and `ffprobe` found on `PATH` |
/// | `video.decoder` | `VIGIL_VIDEO_DECODER` | `auto`: `vigil-framer` (kept running) when there is one, else ffmpeg; or `ffmpeg`, `framer` |
/// | `video.framer-path` | `VIGIL_VIDEO_FRAMER_PATH` | none: `vigil-framer` beside `vigil` |
/// | `video.temporary-folder` | `VIGIL_VIDEO_TEMPORARY_FOLDER` | none: the system's temporary folder holds an upload while it is decoded |
/// | `retention.report-days` | `VIGIL_RETENTION_REPORT_DAYS` | 365: a report is deleted this long after the last action on it (unless a hold or a preservation request keeps it) |
/// | `retention.interval-seconds` | `VIGIL_RETENTION_INTERVAL_SECONDS` | 300: how often the Centre's retention worker sweeps |
/// | `retention.max-failure-seconds` | `VIGIL_RETENTION_MAX_FAILURE_SECONDS` | 3600: `/ready` is 503 on a Centre node when sweeps have failed for longer |
///
/// A value of the wrong type or out of range is an error naming the key, never silently replaced
/// by the default.
public struct NodeConfiguration: Sendable {
    /// The folder holding the node's database (SQLite's file, and the Centre's master key).
    public var dataDirectory: String
    /// The store: nil for SQLite in ``dataDirectory`` (the default), or a `postgres://` URL for a
    /// PostgreSQL database shared by several nodes (`store.url`, `VIGIL_STORE_URL`, `--store-url`).
    public var storeURL: String?
    /// The level below which log messages are dropped.
    public var logLevel: Logger.Level
    /// The HTTP server's settings.
    public var server: ServerSettings
    /// The PDQ index's layout (see ``IndexTuning``).
    public var indexTuning: IndexTuning = .speed
    /// The most matched entries the engine holds in memory (``EntryCache``; 0: none).
    public var entryCacheEntries = EntryCache.defaultCapacity
    /// The file of master keys that wrap the keys of the Centre's stored files (nil: the default,
    /// `master.key` in the data folder, made when absent).
    public var contentMasterKeyFile: String?
    /// The master keys themselves, base64, comma-separated, the first the current one (overrides the file).
    public var contentMasterKey: String?
    /// The folder of text indicator sets (nil: the shipped sets, see ``TextIndicatorDirectory/forNode(configured:executable:workingDirectory:)``).
    public var textIndicatorsDirectory: String?

    /// The defaults: `./vigil-data`, `info`, and `ServerSettings()`.
    public init(dataDirectory: String = "./vigil-data", logLevel: Logger.Level = .info, server: ServerSettings = ServerSettings()) {
        self.dataDirectory = dataDirectory
        self.logLevel = logLevel
        self.server = server
    }

    /// Reads the configuration, checking every value.
    ///
    /// - Throws: `ConfigurationError` naming the key whose value is malformed or out of range.
    public init(reader: ConfigReader) async throws {
        self.init()
        dataDirectory = try await Self.value(reader, "data.directory", default: dataDirectory) { try await reader.fetchString(forKey: $0) }
        guard !dataDirectory.isEmpty else { throw ConfigurationError(key: "data.directory", problem: "must not be empty") }
        if let url = try await Self.value(
            reader, "store.url", default: nil as String?, fetch: { try await reader.fetchString(forKey: $0, isSecret: true) }),
            !url.isEmpty
        {
            guard url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") else {
                throw ConfigurationError(
                    key: "store.url",
                    problem: "must be a postgres://user[:password]@host[:port]/database URL (leave it unset for SQLite in data.directory)")
            }
            storeURL = url
        }

        let role = try await Self.value(reader, "role", default: "provider") { try await reader.fetchString(forKey: $0) }
        guard let parsedRole = NodeRole(rawValue: role) else {
            throw ConfigurationError(key: "role", problem: "\"\(role)\" is not provider, centre or all")
        }
        server.role = parsedRole

        server.cyberTipline.legalBasis = try await Self.value(reader, "cybertipline.legal-basis", default: nil as String?) {
            try await reader.fetchString(forKey: $0)
        }
        if let removal = try await Self.value(
            reader, "cybertipline.removal", default: nil as String?, fetch: { try await reader.fetchString(forKey: $0) })
        {
            guard let parsed = RemovalStatus(rawValue: removal) else {
                throw ConfigurationError(key: "cybertipline.removal", problem: "\"\(removal)\" is not removed, disabled or not_removed")
            }
            server.cyberTipline.removal = parsed
        }
        contentMasterKeyFile = try await Self.value(reader, "content.master-key-file", default: nil as String?) {
            try await reader.fetchString(forKey: $0)
        }
        contentMasterKey = try await Self.value(reader, "content.master-key", default: nil as String?) {
            try await reader.fetchString(forKey: $0, isSecret: true)
        }

        let level = try await Self.value(reader, "log.level", default: "info") { try await reader.fetchString(forKey: $0) }
        guard let parsedLevel = Logger.Level(rawValue: level.lowercased()) else {
            throw ConfigurationError(key: "log.level", problem: "\"\(level)\" is not trace, debug, info, notice, warning, error or critical")
        }
        logLevel = parsedLevel

        server.host = try await Self.value(reader, "http.host", default: server.host) { try await reader.fetchString(forKey: $0) }
        server.port = try await Self.value(reader, "http.port", default: server.port) { try await reader.fetchInt(forKey: $0) }
        guard (0...65_535).contains(server.port) else {
            throw ConfigurationError(key: "http.port", problem: "\(server.port) is not a port (0-65535)")
        }
        server.maxBodyBytes = try await Self.value(reader, "http.max-body-bytes", default: server.maxBodyBytes) {
            try await reader.fetchInt(forKey: $0)
        }
        guard server.maxBodyBytes > 0 else { throw ConfigurationError(key: "http.max-body-bytes", problem: "must be positive") }

        try await readFetch(reader)
        try await readHMA(reader)

        server.decodeLimits.maxPixels = try await Self.value(reader, "decode.max-pixels", default: server.decodeLimits.maxPixels) {
            try await reader.fetchInt(forKey: $0)
        }
        guard server.decodeLimits.maxPixels > 0 else { throw ConfigurationError(key: "decode.max-pixels", problem: "must be positive") }
        try await readLimits(reader)
        try await readRetention(reader)
        try await readFiling(reader)
        try await readText(reader)
        try await readClassifier(reader)
        try await readVideo(reader)

        switch try await Self.value(reader, "index.tuning", default: "speed", fetch: { try await reader.fetchString(forKey: $0) }) {
        case "speed": indexTuning = .speed
        case "compact": indexTuning = .compact
        case let other: throw ConfigurationError(key: "index.tuning", problem: "\"\(other)\" is not speed or compact")
        }
        entryCacheEntries = try await Self.value(reader, "index.entry-cache-entries", default: entryCacheEntries) {
            try await reader.fetchInt(forKey: $0)
        }
        guard (0...100_000_000).contains(entryCacheEntries) else {
            throw ConfigurationError(key: "index.entry-cache-entries", problem: "must be between 0 (no cache) and 100000000 entries")
        }
        server.readiness.maxLag = try await Self.value(reader, "index.max-lag-seconds", default: server.readiness.maxLag) {
            try await reader.fetchDouble(forKey: $0)
        }
        guard server.readiness.maxLag > 0, server.readiness.maxLag.isFinite else {
            throw ConfigurationError(key: "index.max-lag-seconds", problem: "must be a positive number of seconds")
        }
        server.readiness.maxFailure = try await Self.value(reader, "index.max-failure-seconds", default: server.readiness.maxFailure) {
            try await reader.fetchDouble(forKey: $0)
        }
        guard server.readiness.maxFailure > 0, server.readiness.maxFailure.isFinite else {
            throw ConfigurationError(key: "index.max-failure-seconds", problem: "must be a positive number of seconds")
        }
    }

    /// Reads the node's configuration from its layered sources, highest first: `flags` (dotted keys
    /// of the options given on the command line), `VIGIL_*` variables in `environment` (the process's when nil), the file at
    /// `file` (or at `$VIGIL_CONFIG`; YAML if it ends in `.yaml`/`.yml`, JSON otherwise), defaults.
    ///
    /// - Throws: `ConfigurationError` for a missing or unreadable file or a bad value.
    public static func load(
        flags: [AbsoluteConfigKey: ConfigValue] = [:], environment: [String: String]? = nil, file: String? = nil
    ) async throws -> NodeConfiguration {
        let environment = environment ?? ProcessInfo.processInfo.environment
        var providers: [any ConfigProvider] = [
            InMemoryProvider(name: "command line", values: flags),
            EnvironmentVariablesProvider(environmentVariables: environment).prefixKeys(with: "vigil"),
        ]
        if let path = file ?? environment["VIGIL_CONFIG"] {
            providers.append(try await fileProvider(path))
        }
        return try await NodeConfiguration(reader: ConfigReader(providers: providers))
    }

    /// A JSON or YAML file provider for `path`, with errors that name the file.
    private static func fileProvider(_ path: String) async throws -> any ConfigProvider {
        guard FileManager.default.fileExists(atPath: path) else {
            throw ConfigurationError(key: "config", problem: "the file \(path) does not exist")
        }
        // The path goes in through a reader: FileProvider's other initialiser takes swift-system's FilePath.
        let location = ConfigReader(provider: InMemoryProvider(values: ["filePath": ConfigValue(.string(path), isSecret: false)]))
        do {
            if path.hasSuffix(".yaml") || path.hasSuffix(".yml") {
                return try await FileProvider<YAMLSnapshot>(config: location)
            }
            return try await FileProvider<JSONSnapshot>(config: location)
        } catch {
            throw ConfigurationError(key: "config", problem: "the file \(path) cannot be read: \(error)")
        }
    }

    /// Looks `key` up with `fetch`, turning the library's conversion errors into one that names the key.
    static func value<Value>(
        _ reader: ConfigReader, _ key: String, default fallback: Value, fetch: (ConfigKey) async throws -> Value?
    ) async throws -> Value {
        do {
            return try await fetch(ConfigKey(key)) ?? fallback
        } catch {
            throw ConfigurationError(key: key, problem: "cannot be read: \(error)")
        }
    }
}

/// A configuration value that is malformed or out of range.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    /// The dotted key, e.g. `http.port`.
    public var key: String
    /// What is wrong with its value.
    public var problem: String

    /// What to fix, naming the key and its environment variable.
    public var description: String {
        let environment = "VIGIL_" + key.uppercased().map { $0.isLetter || $0.isNumber ? $0 : "_" }.map(String.init).joined()
        return "configuration \(key) (\(environment)): \(problem)"
    }
}
