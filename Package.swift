// swift-tools-version: 6.1
// ImbalanceBench: a CPU training engine and benchmark suite for the class-imbalance study
// of Buda, Maki & Mazurowski (2018). The benchmark harness lives in its own package under
// Benchmarks/ so that users and CI never build its dependencies.
import PackageDescription

/// Only the numeric hot loops drop runtime checks; readers and bookkeeping keep them.
let optimise: [SwiftSetting] = [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]

let package = Package(
    name: "ImbalanceBench",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "imbench", targets: ["imbench"]),
        // The kernel benchmarks (Benchmarks/, a package of its own) import these directly.
        .library(name: "ImbalanceKernels", targets: ["ImbalanceKernels"]),
        .library(name: "ImbalanceNN", targets: ["ImbalanceNN"]),
        .library(name: "ImbalanceRandom", targets: ["ImbalanceRandom"]),
        .library(name: "ImbalanceBench", targets: [
            "ImbalanceNN", "ImbalanceData", "ImbalancePreprocessing", "ImbalanceMetrics",
            "ImbalanceTraining",
        ]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        // C libraries from Debian: libopenblas-dev (GEMM) and zlib1g-dev (gzip).
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),

        // The run-record schema shared by training, sweeps and reports.
        .target(name: "ImbalanceRecords"),
        // Seeded, splittable random streams shared by data selection and training.
        .target(name: "ImbalanceRandom"),
        // Raw-pointer compute kernels (im2col, GEMM, pooling) and their naive references.
        .target(name: "ImbalanceKernels", dependencies: ["CBLAS"], swiftSettings: optimise),
        // Tensors, layers, models, losses and solvers.
        .target(name: "ImbalanceNN",
                dependencies: ["ImbalanceKernels", "ImbalanceRandom"], swiftSettings: optimise),
        // File formats, dataset locations, base sets, imbalance profiles and resampling (the
        // SMOTE family's exact k-NN runs on DGEMM).
        .target(name: "ImbalanceData",
                dependencies: ["CZlib", "CBLAS", "ImbalanceRandom"]),
        // Network inputs: Caffe scaling, GCN + ZCA whitening, per-channel standardisation
        // (fitted on the training subset), crop/mirror augmentation, batch filling.
        .target(name: "ImbalancePreprocessing",
                dependencies: ["CBLAS", "ImbalanceData", "ImbalanceRandom"], swiftSettings: optimise),
        // Classification metrics (ROC AUC, accuracy, F1, confusion matrix).
        .target(name: "ImbalanceMetrics"),
        // One training run end to end: data -> method -> model -> metrics -> record.
        .target(name: "ImbalanceTraining",
                dependencies: ["ImbalanceNN", "ImbalanceData", "ImbalancePreprocessing",
                               "ImbalanceMetrics", "ImbalanceRandom", "ImbalanceRecords"]),
        // Sweep configs (YAML), the job grid, run ids, resumable and sharded execution.
        .target(name: "ImbalanceSweep",
                dependencies: ["ImbalanceTraining", "ImbalancePreprocessing", "ImbalanceRecords", "CShims",
                               .product(name: "Yams", package: "Yams")]),
        // Markdown tables and SVG charts generated from run records alone (method order,
        // labels and families from the method registry of ImbalanceTraining).
        .target(name: "ImbalanceReport", dependencies: ["ImbalanceRecords", "ImbalanceTraining"]),
        // Dataset manifests, checksums (SHA-256, MD5), download with mirrors and resume,
        // verification and inspection (`imbench data ...`).
        .target(name: "ImbalanceFetch", dependencies: ["ImbalanceData"]),
        // Process-control calls Swift cannot make directly (variadic prctl).
        .target(name: "CShims"),
        .executableTarget(name: "imbench",
                          dependencies: [
                              "ImbalanceTraining", "ImbalanceSweep", "ImbalanceReport", "ImbalanceFetch",
                              .product(name: "ArgumentParser", package: "swift-argument-parser"),
                              .product(name: "Yams", package: "Yams"),
                          ]),

        .testTarget(name: "ImbalanceNNTests", dependencies: ["ImbalanceNN", "ImbalanceKernels"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "ImbalanceDataTests", dependencies: ["ImbalanceData"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "ImbalancePreprocessingTests", dependencies: ["ImbalancePreprocessing"]),
        .testTarget(name: "ImbalanceMetricsTests", dependencies: ["ImbalanceMetrics"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "ImbalanceTrainingTests", dependencies: ["ImbalanceTraining"]),
        .testTarget(name: "ImbalanceReportTests", dependencies: ["ImbalanceReport", "ImbalanceRandom"]),
        .testTarget(name: "ImbalanceSweepTests", dependencies: ["ImbalanceSweep"]),
        .testTarget(name: "ImbalanceFetchTests", dependencies: ["ImbalanceFetch"]),
    ]
)
