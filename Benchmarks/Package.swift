// swift-tools-version:6.1
// Benchmark executables for Vigil, kept out of the main package so they never ship with it.
//   swift build -c release --package-path Benchmarks --product IndexBench
// (Benchmarks/index/run.sh does this and runs everything.)
import PackageDescription

// The index's popcount loops want POPCNT; the parent package already builds VigilIndex with
// `-target-cpu nehalem` on x86-64. Set VIGIL_BENCH_TARGET_CPU (e.g. `native`, `znver3`) in
// run.sh to build everything for another CPU via -Xswiftc.
let package = Package(
    name: "VigilBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Vigil", path: ".."),
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
    ],
    swiftLanguageModes: [.v6]
)
