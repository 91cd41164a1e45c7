// swift-tools-version:6.1
// Benchmark executables for Vigil, kept out of the main package so they never ship with it.
//   swift build -c release --package-path Benchmarks --product IndexBench
//   swift build -c release --package-path Benchmarks --product LoadGen
//   swift build -c release --package-path Benchmarks --product TextBench
//   swift build -c release --package-path Benchmarks --product VPDQBench
// (Benchmarks/index/run.sh and Benchmarks/server/run.sh do this and run everything.)
import PackageDescription

// The index's popcount loops want POPCNT; VigilIndex's C kernels (CVigilSupport) pick it at run
// time, with no CPU-specific flags. Set VIGIL_BENCH_TARGET_CPU (e.g. `native`, `znver3`) in
// run.sh to build everything for another CPU via -Xswiftc.
let package = Package(
    name: "VigilBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Vigil", path: ".."),
        .package(url: "https://github.com/apple/swift-nio", from: "2.81.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    ],
    targets: [
        .executableTarget(
            name: "IndexBench",
            dependencies: [.product(name: "VigilIndex", package: "Vigil")],
            swiftSettings: [
                .enableUpcomingFeature("ExistentialAny"),
                .enableUpcomingFeature("MemberImportVisibility"),
                .enableUpcomingFeature("InternalImportsByDefault"),
            ]
        ),
        // Conversations assessed per second against text indicator sets; see Benchmarks/text/run.sh.
        .executableTarget(
            name: "TextBench",
            dependencies: [.product(name: "VigilText", package: "Vigil")],
            swiftSettings: [
                .enableUpcomingFeature("ExistentialAny"),
                .enableUpcomingFeature("MemberImportVisibility"),
                .enableUpcomingFeature("InternalImportsByDefault"),
            ]
        ),
        // vPDQ hashing speed of Vigil's VideoHasher (ffmpeg + Swift PDQ); see Benchmarks/vpdq/run.sh.
        .executableTarget(
            name: "VPDQBench",
            dependencies: [
                .product(name: "VigilPipeline", package: "Vigil"),
                .product(name: "VigilHash", package: "Vigil"),
                .product(name: "VigilMedia", package: "Vigil"),
            ],
            swiftSettings: [
                .enableUpcomingFeature("ExistentialAny"),
                .enableUpcomingFeature("MemberImportVisibility"),
                .enableUpcomingFeature("InternalImportsByDefault"),
            ]
        ),
        // Open-loop, fixed-rate HTTP/1.1 load generator (wrk2-style, coordinated-omission corrected);
        // see Benchmarks/server/README.md.
        .executableTarget(
            name: "LoadGen",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            swiftSettings: [
                .enableUpcomingFeature("ExistentialAny"),
                .enableUpcomingFeature("MemberImportVisibility"),
                .enableUpcomingFeature("InternalImportsByDefault"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
