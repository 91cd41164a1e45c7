// swift-tools-version:6.1
import PackageDescription

/// Settings shared by every Swift target: Swift 6 language mode plus the upcoming features
/// that keep imports and existentials explicit (as hummingbird does).
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Vigil",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "vigil", targets: ["vigil"]),
        .executable(name: "vigil-framer", targets: ["vigil-framer"]),
        .library(name: "VigilHash", targets: ["VigilHash"]),
        .library(name: "VigilMedia", targets: ["VigilMedia"]),
        .library(name: "VigilPipeline", targets: ["VigilPipeline"]),
        .library(name: "VigilIndex", targets: ["VigilIndex"]),
        .library(name: "VigilVideoIndex", targets: ["VigilVideoIndex"]),
        .library(name: "VigilText", targets: ["VigilText"]),
        // The import formats and the hex codec, for the libFuzzer targets in Fuzz/ (a nested package).
        .library(name: "VigilExchange", targets: ["VigilExchange"]),
        .library(name: "VigilHex", targets: ["VigilHex"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        // VigilServer and its tests use NIOCore, NIOPosix (the hashing pool's threads) and NIOHTTP1 directly.
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.81.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.30.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.3.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.9.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.0"),
        .package(url: "https://github.com/apple/swift-openapi-generator", from: "1.14.0"),
        .package(url: "https://github.com/apple/swift-openapi-runtime", from: "1.13.0"),
        .package(url: "https://github.com/hummingbird-project/swift-openapi-hummingbird", from: "2.1.0"),
        // Tests read openapi.yaml with it (the generator and swift-configuration already depend on it).
        .package(url: "https://github.com/jpsim/Yams", "5.4.0"..<"7.0.0"),
        .package(url: "https://github.com/apple/swift-configuration", from: "1.4.0", traits: ["JSON", "YAML"]),
        // HMA's multipart uploads (a linear-time parser); swift-nio-extras for the connection limits.
        .package(url: "https://github.com/vapor/multipart-kit", from: "4.7.1"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.24.0"),
        // VigilMedia runs ffmpeg and ffprobe as child processes (no shell) to decode video frames.
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        // AsyncChannel: frames from a long-lived vigil-framer child reach their reader with backpressure.
        .package(url: "https://github.com/apple/swift-async-algorithms", from: "1.0.0"),
        // Its FilePath names the executable (swift-subprocess's own dependency).
        .package(url: "https://github.com/apple/swift-system", from: "1.5.0"),
        // VigilStore's second implementation: PostgreSQL, for several nodes on one database.
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.0"),
        // TLS to PostgreSQL (`sslmode` in the store URL); postgres-nio depends on it already.
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.29.0"),
    ],
    targets: [
        // The real C image codecs from the system: libjpeg-turbo (TurboJPEG API), libpng, libwebp, giflib.
        .systemLibrary(name: "CImageCodecs", path: "Sources/CImageCodecs"),
        // Text indicators (grooming, trafficking, extremism): pure, Foundation only.
        .target(
            name: "VigilText",
            swiftSettings: swiftSettings
        ),
        // The one hex codec (no dependencies; not a product: the products that use it carry it).
        .target(
            name: "VigilHex",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "VigilMedia",
            dependencies: [
                "CImageCodecs", "VigilHex",
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
                .product(name: "SystemPackage", package: "swift-system", condition: .when(platforms: [.linux])),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "VigilHash",
            dependencies: ["CPDQKernels", "VigilHex", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "VigilDomain",
            // VigilHash's VPDQText checks `vpdq` entry values, VigilText's ListedTextIndicator
            // `text_indicator` ones (all three are pure, with no I/O).
            dependencies: ["VigilHash", "VigilText"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "VigilExchange",
            dependencies: ["VigilDomain", "VigilHash", "VigilHex"],
            swiftSettings: swiftSettings
        ),
        // The HTTP clients of Meta ThreatExchange, NCMEC hash sharing and StopNCII (the protocols
        // themselves, without I/O, are in VigilExchange).
        .target(
            name: "VigilExchangeClients",
            dependencies: [
                "VigilExchange", "VigilDomain",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "VigilStore",
            dependencies: [
                "VigilDomain",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The match engine, its feed follower and the one match service: no HTTP.
        .target(
            name: "VigilMatching",
            dependencies: [
                "VigilDomain", "VigilStore", "VigilIndex", "VigilHash", "VigilVideoIndex",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The seam for an external classifier of new material (Vigil ships none) and its HTTP client:
        // time limit, concurrency limit, circuit breaker, strict answers.
        .target(
            name: "VigilClassifier",
            dependencies: [
                "VigilDomain",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        // The Centre's services (intake, assessment, referral): no HTTP.
        .target(
            name: "VigilCentre",
            dependencies: [
                "VigilDomain", "VigilStore", "VigilMatching", "VigilHash", "VigilHex",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "VigilServer",
            dependencies: [
                "VigilDomain", "VigilStore", "VigilMatching", "VigilCentre", "VigilIndex", "VigilHash", "VigilHex", "VigilMedia", "VigilPipeline",
                "VigilExchange", "VigilText", "VigilClassifier",
                "VigilAPI",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "OpenAPIHummingbird", package: "swift-openapi-hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "MultipartKit", package: "multipart-kit"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                // JSONBodyRule reads the served document's field names with it.
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
        // The /v1 API, spec first: `openapi.yaml` is the single source; the generator plugin turns it into
        // types and server stubs at build time, and the same bytes are embedded to be served at /openapi.yaml.
        .target(
            name: "VigilAPI",
            dependencies: [.product(name: "OpenAPIRuntime", package: "swift-openapi-runtime")],
            resources: [.embedInCode("openapi.yaml")],
            // Swift 6.3 warns about every generated `package import` a file does not use (the
            // generator's `@diagnose(UnusedImportAccess, as: ignored)` needs Swift 6.4), dozens of
            // them; this target holds only generated code and one small file, so its warnings are off.
            swiftSettings: swiftSettings + [.unsafeFlags(["-suppress-warnings"])],
            plugins: [.plugin(name: "OpenAPIGenerator", package: "swift-openapi-generator")]
        ),
        // C kernels for VigilIndex (prefetch; Hamming distances that pick the POPCNT instruction at
        // run time, so no target needs CPU-specific flags, which a versioned dependency may not carry).
        .target(name: "CVigilSupport"),
        // C kernels for VigilHash's PDQ pipeline (RGB to luma), each compiled for the baseline CPU
        // and for AVX2, picked at run time, as CVigilSupport's are.
        .target(name: "CPDQKernels"),
        // Vigil's video frame server (C, libavformat/libavcodec/libswscale from Debian's FFmpeg
        // development packages): a long-lived child process VigilMedia's framer backend talks to.
        .executableTarget(
            name: "vigil-framer",
            linkerSettings: [
                .linkedLibrary("avformat"), .linkedLibrary("avcodec"), .linkedLibrary("swscale"), .linkedLibrary("avutil"),
            ]
        ),
        .target(
            name: "VigilIndex",
            dependencies: ["CVigilSupport", "VigilHex"],
            swiftSettings: swiftSettings
        ),
        // vPDQ video matching over many videos: candidates through a VigilIndex of their frame hashes,
        // then python-threatexchange's query/compared percentages.
        .target(
            name: "VigilVideoIndex",
            dependencies: ["VigilHash", "VigilIndex"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "VigilPipeline",
            dependencies: ["VigilMedia", "VigilHash"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "vigil",
            dependencies: [
                "VigilPipeline", "VigilHash", "VigilMedia", "VigilIndex", "VigilServer", "VigilStore", "VigilDomain", "VigilMatching",
                "VigilCentre", "VigilHex", "VigilText", "VigilExchange", "VigilExchangeClients", "VigilClassifier",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "VigilTestSupport",
            dependencies: [
                "VigilStore", "VigilDomain",
                .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                // LocalClassifier: a real HTTP classifier on loopback for the classifier's and the node's tests.
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Tests/VigilTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "VigilMediaTests",
            dependencies: ["VigilMedia", "VigilTestSupport", .product(name: "AsyncAlgorithms", package: "swift-async-algorithms")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "VigilClassifierTests",
            dependencies: [
                "VigilClassifier", "VigilDomain", "VigilTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "VigilTextTests",
            dependencies: ["VigilText", "VigilTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "VigilHexTests",
            dependencies: ["VigilHex", "VigilTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "VigilHashTests",
            dependencies: ["CPDQKernels", "VigilHash", "VigilTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "VigilDomainTests",
            dependencies: ["VigilDomain"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "VigilExchangeTests",
            dependencies: ["VigilTestSupport", "VigilExchange", "VigilDomain"],
            swiftSettings: swiftSettings
        ),
        // Each exchange client against a local emulator of its service (Hummingbird servers started by the tests).
        .testTarget(
            name: "VigilExchangeClientsTests",
            dependencies: [
                "VigilExchangeClients", "VigilExchange", "VigilDomain", "VigilTestSupport",
                // The feedback worker against the emulators: a node's verdicts sent to each service.
                "VigilServer", "VigilStore", "VigilMatching", "VigilCentre",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "VigilStoreTests",
            dependencies: [
                "VigilStore", "VigilDomain", "VigilTestSupport", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "VigilServerTests",
            dependencies: [
                "VigilTestSupport", "VigilServer", "VigilStore", "VigilDomain", "VigilHash", "VigilMedia", "VigilIndex", "VigilMatching",
                "VigilAPI", "VigilCentre", "VigilText", "VigilClassifier",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "VigilCentreTests",
            dependencies: [
                "VigilTestSupport", "VigilCentre", "VigilStore", "VigilDomain", "VigilMatching", "VigilPipeline", "VigilHash",
                .product(name: "Crypto", package: "swift-crypto"), .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "VigilMatchingTests",
            dependencies: ["VigilTestSupport", "VigilMatching", "VigilStore", "VigilDomain", "VigilHash"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "VigilVideoIndexTests",
            dependencies: ["VigilTestSupport", "VigilVideoIndex", "VigilHash"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "VigilIndexTests",
            dependencies: ["CVigilSupport", "VigilTestSupport", "VigilIndex"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "vigilTests",
            dependencies: ["VigilTestSupport", "vigil"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "VigilPipelineTests",
            dependencies: ["VigilTestSupport", "VigilPipeline", "VigilHash", "VigilMedia", "VigilVideoIndex"],
            swiftSettings: swiftSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
