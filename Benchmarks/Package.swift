// swift-tools-version: 6.1
// Kernel benchmarks for ImbalanceBench (issue 5). A package of its own so that users and CI
// never resolve or build package-benchmark: the main package does not know this one exists.
//
//   scripts/bench-kernels                       # from the repository root: the GFLOP/s table
//   cd Benchmarks && swift package --scratch-path ../.build-bench benchmark   # package-benchmark
import PackageDescription

let package = Package(
    name: "ImbalanceBenchmarks",
    platforms: [.macOS(.v13)],
    dependencies: [
        // The engine, by path; the identity is pinned so the checkout's folder name does not matter.
        .package(name: "ImbalanceBench", path: ".."),
        // ordo-one's harness, with the malloc interposer (allocation counts) only: its default
        // traits also add swift-runtime-interposer (retain/release counts on Linux with Swift
        // 6.3), which this machine cannot fetch and these benchmarks do not need.
        .package(url: "https://github.com/ordo-one/package-benchmark", from: "1.38.1",
                 traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // The workloads (the engine's real layers and kernels), checked against the engine's
        // naive references (ImbalanceReferences, which the main test suite uses too), timing
        // and the report; shared by both executables below.
        .target(
            name: "KernelCases",
            dependencies: [.product(name: "ImbalanceKernels", package: "ImbalanceBench"),
                           .product(name: "ImbalanceNN", package: "ImbalanceBench"),
                           .product(name: "ImbalanceRandom", package: "ImbalanceBench"),
                           .product(name: "ImbalanceReferences", package: "ImbalanceBench")]),
        // The GFLOP/s table next to the same run's sgemm, and its JSON.
        .executableTarget(
            name: "kernel-report",
            dependencies: [
                "KernelCases",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        // The same cases under package-benchmark (statistics, baselines, regression checks).
        .executableTarget(
            name: "KernelBenchmarks",
            dependencies: [
                "KernelCases",
                .product(name: "Benchmark", package: "package-benchmark"),
            ],
            path: "Benchmarks/KernelBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]),
        .testTarget(name: "KernelCasesTests",
                    dependencies: ["KernelCases",
                                   .product(name: "ImbalanceNN", package: "ImbalanceBench")]),
    ]
)
