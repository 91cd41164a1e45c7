// swift-tools-version:6.1
import PackageDescription

/// Settings shared by every Swift target: Swift 6 language mode plus the upcoming features
/// that keep imports and existentials explicit (as hummingbird does).
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

/// The index's popcount-heavy loops need the POPCNT instruction, which the default x86-64 target
/// does not emit (it falls back to bit twiddling). `nehalem` (SSE4.2 + POPCNT) is on every x86-64
/// server CPU since 2009; the manifest is compiled for the host, so this applies to x86-64 builds.
#if arch(x86_64)
let indexSettings = swiftSettings + [.unsafeFlags(["-target-cpu", "nehalem"])]
#else
let indexSettings = swiftSettings
#endif

let package = Package(
    name: "Vigil",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "vigil", targets: ["vigil"]),
        .library(name: "VigilHash", targets: ["VigilHash"]),
        .library(name: "VigilMedia", targets: ["VigilMedia"]),
        .library(name: "VigilPipeline", targets: ["VigilPipeline"]),
        .library(name: "VigilIndex", targets: ["VigilIndex"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
    ],
    targets: [
        // The real C image codecs from the system: libjpeg-turbo (TurboJPEG API), libpng, libwebp, giflib.
        .systemLibrary(name: "CImageCodecs", path: "Sources/CImageCodecs"),
        .target(
            name: "VigilMedia",
            dependencies: ["CImageCodecs"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "VigilHash",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "VigilIndex",
            swiftSettings: indexSettings
        ),
        .target(
            name: "VigilPipeline",
            dependencies: ["VigilMedia", "VigilHash"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "vigil",
            dependencies: [
                "VigilPipeline", "VigilHash", "VigilMedia", "VigilIndex",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "VigilMediaTests",
            dependencies: ["VigilMedia"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "VigilHashTests",
            dependencies: ["VigilHash"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "VigilIndexTests",
            dependencies: ["VigilIndex"],
            swiftSettings: indexSettings
        ),
        .testTarget(
            name: "vigilTests",
            dependencies: ["vigil"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "VigilPipelineTests",
            dependencies: ["VigilPipeline", "VigilMedia", "VigilHash"],
            swiftSettings: swiftSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
