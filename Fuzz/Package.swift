// swift-tools-version:6.1
// libFuzzer targets for Vigil's parsers of untrusted input, kept out of the main package so the main
// build never compiles them. Each executable exports `LLVMFuzzerTestOneInput` and must be built with
// the fuzzer and address sanitizers over every module (the library code is what gets instrumented):
//   swift build --package-path Fuzz --scratch-path Fuzz/.build-fuzz -Xswiftc -sanitize=fuzzer,address
// Fuzz/run.sh TARGET SECONDS does this, builds a seed corpus from Tests/Fixtures and runs the target;
// see docs/fuzzing.md.
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

/// One fuzz executable per input surface: the four image decoders, the five import formats, the
/// PDQ/hex parsers and index snapshot loading.
let fuzzTargets: [(name: String, dependencies: [Target.Dependency])] = [
    ("FuzzJPEG", ["FuzzSupport", "FuzzDriver"]),
    ("FuzzPNG", ["FuzzSupport", "FuzzDriver"]),
    ("FuzzWebP", ["FuzzSupport", "FuzzDriver"]),
    ("FuzzGIF", ["FuzzSupport", "FuzzDriver"]),
    ("FuzzTSV", ["FuzzSupport", "FuzzDriver"]),
    ("FuzzHMACSV", ["FuzzSupport", "FuzzDriver"]),
    ("FuzzNCMECXML", ["FuzzSupport", "FuzzDriver"]),
    ("FuzzStopNCII", ["FuzzSupport", "FuzzDriver"]),
    ("FuzzJSONLines", ["FuzzSupport", "FuzzDriver"]),
    // The exchange clients' page parsers (ThreatExchange, NCMEC, StopNCII answers).
    ("FuzzExchangePages", [.product(name: "VigilExchange", package: "Vigil"), "FuzzDriver"]),
    (
        "FuzzHex",
        [
            .product(name: "VigilHex", package: "Vigil"), .product(name: "VigilHash", package: "Vigil"),
            .product(name: "VigilIndex", package: "Vigil"), "FuzzDriver",
        ]
    ),
    ("FuzzIndex", [.product(name: "VigilIndex", package: "Vigil"), "FuzzDriver"]),
]

let package = Package(
    name: "VigilFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Vigil", path: "..")
    ],
    targets: [
        // libFuzzer's entry point for executables that have their own main (see FuzzDriver).
        .target(name: "CLibFuzzer"),
        .target(name: "FuzzDriver", dependencies: ["CLibFuzzer"], swiftSettings: swiftSettings),
        // The shared harness: image decoding with invariants, and the streaming-reader oracle.
        .target(
            name: "FuzzSupport",
            dependencies: [
                .product(name: "VigilMedia", package: "Vigil"),
                .product(name: "VigilExchange", package: "Vigil"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
        + fuzzTargets.map { target in
            .executableTarget(name: target.name, dependencies: target.dependencies, swiftSettings: swiftSettings)
        },
    swiftLanguageModes: [.v6]
)
