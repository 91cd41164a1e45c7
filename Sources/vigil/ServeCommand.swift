import ArgumentParser
import Configuration
import Foundation
import Hummingbird
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import UnixSignals
import VigilCentre
import VigilClassifier
import VigilDomain
import VigilExchange
import VigilExchangeClients
import VigilHash
import VigilMatching
import VigilPipeline
import VigilServer
import VigilStore
import VigilText

/// `vigil serve`: the provider node.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the provider node: hash, match and curate lists over HTTP.",
        discussion: """
            Every /v1 route needs an API key (`vigil keys create`); /health, /ready and /openapi.yaml are open. \
            Settings come from these flags, then VIGIL_* environment variables, then --config FILE (JSON or YAML), \
            then defaults (see README).
            """
    )

    @OptionGroup var data: DataOptions

    @Option(help: "What the node serves: provider (default), centre (also reports, assessment, referrals) or all.")
    var role: String?

    @Option(help: "Address to listen on (default 127.0.0.1).")
    var host: String?

    @Option(help: "Port to listen on (default 8080).")
    var port: Int?

    @Option(help: "Largest request body accepted, in bytes (default 32 MiB).")
    var maxBodyBytes: Int?

    @Option(help: "Log level: trace, debug (every request), info (default), notice, warning, error.")
    var logLevel: String?

    @Option(
        name: .customLong("allow-url-host"),
        help: "A host content may be fetched from by URL (repeatable; `*.example.net` for a domain). None by default.")
    var allowedURLHosts: [String] = []

    @Flag(
        name: .customLong("fetch-allow-private"),
        help: "Let URL fetches reach loopback, private and link-local addresses (content servers on the node's own network). Off by default.")
    var fetchAllowPrivate = false

    @Option(
        help: "A folder of benign sample images: load them into a list named \"sample\" (once) and print a demo key and a curl command that matches.")
    var sample: String?

    /// The options given on the command line, as configuration keys (they override every other source).
    var flagValues: [AbsoluteConfigKey: ConfigValue] {
        var values: [AbsoluteConfigKey: ConfigValue] = [:]
        if let role { values["role"] = ConfigValue(.string(role), isSecret: false) }
        if let host { values["http.host"] = ConfigValue(.string(host), isSecret: false) }
        if let port { values["http.port"] = ConfigValue(.int(port), isSecret: false) }
        if let maxBodyBytes { values["http.max-body-bytes"] = ConfigValue(.int(maxBodyBytes), isSecret: false) }
        if let logLevel { values["log.level"] = ConfigValue(.string(logLevel), isSecret: false) }
        if !allowedURLHosts.isEmpty { values["fetch.allowed-hosts"] = ConfigValue(.stringArray(allowedURLHosts), isSecret: false) }
        if fetchAllowPrivate { values["fetch.allow-private"] = ConfigValue(.bool(true), isSecret: false) }
        return values
    }

    func run() async throws {
        let configuration = try await data.resolve(flags: flagValues)
        let logger = Logger(label: "vigil") { label in LineLogHandler(label: label, logLevel: configuration.logLevel) }
        let store = try await data.openStore(configuration)
        let clock = SystemClock()
        let engine = try MatchEngine(
            store: store, tuning: configuration.indexTuning, entryCacheCapacity: configuration.entryCacheEntries,
            videoMatching: configuration.server.video.matchOptions, logger: logger)
        let conversationAssessor = try await loadTextIndicators(configuration, logger: logger)
        var settings = configuration.server
        // Connections must never take the last file descriptors (the node would stop answering):
        // the soft limit goes up to the hard one and the connection cap stays below it.
        let openFiles = try OpenFileLimit.raiseToHardLimit()
        settings.connections = configuration.server.connections.fitting(openFileLimit: openFiles)
        if settings.connections.maxConnections < configuration.server.connections.maxConnections {
            logger.warning(
                "http.max-connections lowered to fit the open-file limit",
                metadata: [
                    "configured": "\(configuration.server.connections.maxConnections)", "max-connections": "\(settings.connections.maxConnections)",
                    "open-file-limit": "\(openFiles)",
                ])
        }
        if let sample {
            try await loadSample(
                folder: sample, into: store, host: settings.host, port: settings.port,
                walkthrough: settings.role.servesCentre ? configuration.dataDirectory : nil, clock: clock)
        }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        logger.info(
            "starting",
            metadata: [
                "data": "\(configuration.storeURL.map { PostgresStore.redacted($0) } ?? configuration.dataDirectory)",
                "address": "\(settings.host):\(settings.port)", "role": "\(settings.role.rawValue)",
                "url-fetch-hosts": "\(settings.urlFetch.allowedHosts.count)", "url-fetch-allow-private": "\(settings.urlFetch.allowPrivate)",
                "webhooks-allow-private": "\(settings.webhookAddresses.allowPrivate)",
                "max-connections": "\(settings.connections.maxConnections)", "hashing-threads": "\(settings.hashing.threads)",
            ])
        // The master key: the Centre's stored files, and every node's exchange credentials.
        let (keyring, created) = try ContentKeys.keyring(for: configuration)
        if let created {
            logger.warning(
                "made a new master key for stored files and exchange credentials: keep a copy apart from the data (without it they cannot be read)",
                metadata: ["file": "\(created)", "master-key": "\(keyring.current.id)"])
        }
        let secrets = ContentVault(keyring: keyring)
        let vault: ContentVault? = settings.role.servesCentre ? secrets : nil
        var node = Node(store: store, engine: engine, clock: clock, settings: settings, vault: vault, conversationAssessor: conversationAssessor)
        node.secrets = secrets
        // The outside services' clients (ThreatExchange, NCMEC, StopNCII) beside the built-in kinds.
        for maker in ExchangeServiceMakers.all(clock: clock) { node.exchanges.registry.register(maker) }
        node.storage = StorageHealth(directory: configuration.dataDirectory)
        if let classifier = settings.classifier { node.classifier = try HTTPClassifier(settings: classifier, clock: clock) }
        let app = buildApplication(node: node, metrics: registry, logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: [
                    .init(service: app), .init(service: IndexFollower(engine: engine, health: node.health, clock: clock, logger: logger)),
                    .init(
                        service: DeliveryWorker(
                            store: store, addresses: settings.webhookAddresses, resolver: settings.hostResolver, clock: clock, logger: logger)),
                ] + retentionServices(node: node, logger: logger) + filingServices(node: node, logger: logger)
                    + [.init(service: exchangeWorker(node: node, logger: logger)), .init(service: FeedbackWorker(node: node, logger: logger))]
                    + [.init(service: TextIndicatorFollower(indicators: node.textIndicators))],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
    }
}

extension ServeCommand {
    /// The text indicator sets of `POST /v1/match/conversation`, from `text.indicators-directory` or
    /// the shipped folder; a set that does not load stops the node with an error naming its file.
    /// Without any folder the node starts, warns, and answers conversations 503.
    func loadTextIndicators(_ configuration: NodeConfiguration, logger: Logger) async throws -> ConversationAssessor? {
        guard let source = TextIndicatorDirectory.forNode(configured: configuration.textIndicatorsDirectory) else {
            logger.warning(
                "no text indicator sets found (no data/text-indicators next to the binary or here): POST /v1/match/conversation answers 503 until the lists hold text_indicator entries",
                metadata: ["setting": "text.indicators-directory"])
            return nil
        }
        let assessor = try await source.assessor()
        let sets = assessor.languages.values.map(\.count).reduce(0, +)
        logger.info(
            "text indicator sets loaded",
            metadata: ["folder": "\(source.path)", "sets": "\(sets)", "languages": "\(assessor.languages.keys.sorted().joined(separator: ","))"])
        return assessor
    }

    /// On a Centre node, the retention worker (reports past their retention, expired CyberTipline submissions).
    func retentionServices(node: Node, logger: Logger) -> [ServiceGroupConfiguration.ServiceConfiguration] {
        guard node.settings.role.servesCentre else { return [] }
        let settings = RetentionService.Settings(
            rule: RetentionRule(days: node.settings.retention.reportDays), lifetime: node.settings.cyberTipline.lifetime)
        let worker = RetentionWorker(
            service: RetentionService(store: node.store, settings: settings, clock: node.clock), health: node.retentionHealth,
            interval: .milliseconds(Int64(node.settings.retention.intervalSeconds * 1_000)), logger: logger)
        return [.init(service: worker)]
    }

    /// The node's exchange fetcher; its name in the exchanges' leases is its address, stable across
    /// restarts (a node restarted after a crash takes its own fetch up again at once).
    func exchangeWorker(node: Node, logger: Logger) -> ExchangeWorker {
        let host = ProcessInfo.processInfo.hostName
        let settings = ExchangeFetchSettings(owner: "\(host):\(node.settings.port)")
        return ExchangeWorker(fetcher: ExchangeFetcher(node: node, settings: settings, logger: logger))
    }

    /// On a node with `filing.*` settings, the worker that files its action policies' reports with the Centre and follows them.
    func filingServices(node: Node, logger: Logger) -> [ServiceGroupConfiguration.ServiceConfiguration] {
        guard let settings = node.settings.filing else { return [] }
        return [.init(service: FilingWorker(store: node.store, settings: settings, health: node.filingHealth, clock: node.clock, logger: logger))]
    }

    /// Creates the "sample" list from the images in `folder` (if the list does not exist yet) and
    /// prints a fresh demo key with a curl command that matches one of them.
    /// With `walkthrough` (the data folder, when the node is also the Centre), it also prepares the
    /// Centre's sample cast and prints the walkthrough (``Walkthrough``).
    func loadSample(
        folder: String, into store: any NodeStore, host: String, port: Int, walkthrough: String? = nil, clock: any WallClock = SystemClock()
    ) async throws {
        let files = try InputFiles.expand([folder])
        let hasher = MediaHasher(options: HashOptions(digests: false))
        var records: [IndicatorRecord] = []
        var example: String?
        for file in files {
            guard let result = try? hasher.hash(fileAt: file.path), result.pdq.quality >= 50 else { continue }
            records.append(
                IndicatorRecord(
                    type: .pdq, value: result.pdq.hash.hex,
                    provenance: Provenance(sourceOrganisation: "Vigil sample", sourceItemId: file.path, note: "benign sample image")))
            if example == nil && file.path.hasSuffix(".jpg") { example = file.path }
        }
        do {
            do {
                _ = try await store.list(named: "sample")
            } catch  where error.code == .listNotFound {
                // Loaded once: the list and its entries in one transaction.
                let samples = records
                _ = try await store.write { tx throws(StoreError) in
                    _ = try tx.createList(HashList(name: "sample", kind: .internal))
                    return try tx.apply(samples, toList: "sample")
                }
            }
            let (secret, _) = try await store.createKey(organisation: "demo", scopes: [.hash, .match], label: "vigil serve --sample")
            // Written straight away (not through print's buffer), as the server runs on after it.
            FileHandle.standardOutput.write(
                Data(
                    """
                    Sample list "sample": \(records.count) benign images from \(folder).
                    Demo API key (hash, match): \(secret)
                    Try, from another terminal:
                      curl -s -H 'Authorization: Bearer \(secret)' --data-binary @\(example ?? files.first?.path ?? "IMAGE") http://\(host):\(port)/v1/match/file

                    """.utf8))
        } catch {
            throw ValidationError(error.description)
        }
        if let walkthrough, let image = example ?? files.first?.path {
            let text = try await Walkthrough(store: store, dataDirectory: walkthrough, base: "http://\(host):\(port)", clock: clock).prepare(
                image: image)
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    }
}
