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
        // The naive references the test suite checks kernels against; the kernel benchmarks
        // check against the same ones before they time anything.
        .library(name: "ImbalanceReferences", targets: ["ImbalanceReferences"]),
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
        // C libraries from Debian: OpenBLAS (opened at run time with its kernel family
        // pinned; the ZCA fit's LAPACK and benchmark yardsticks) and zlib1g-dev (gzip).
        .target(name: "COpenBLAS"),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),
        // libjpeg-turbo (libjpeg62-turbo-dev) for JPEG images, and the C shim that turns its
        // longjmp error reports into return codes (Swift cannot catch a longjmp).
        .systemLibrary(name: "CJPEG", pkgConfig: "libjpeg",
                       providers: [.apt(["libjpeg62-turbo-dev"])]),
        .target(name: "CJPEGDecode", dependencies: ["CJPEG"]),

        // The engine's own fixed-order SGEMM (AVX-512, AVX2 and scalar paths, same bits on
        // every CPU) and CPU identification. No multiply-add may be contracted behind the
        // code's back, so the file is compiled with -ffp-contract=off.
        .target(name: "CGEMM", cSettings: [.unsafeFlags(["-O3", "-ffp-contract=off"])],
                linkerSettings: [.linkedLibrary("m")]),
        // SHA-256 and MD5 (streaming, checked against the standards' vectors): data-file
        // digests in records, record digests, dataset verification.
        .target(name: "CSHA256"),
        .target(name: "ImbalanceDigest", dependencies: ["CSHA256"]),
        // The run-record schema shared by training, sweeps and reports.
        .target(name: "ImbalanceRecords", dependencies: ["ImbalanceDigest"]),
        // Seeded, splittable random streams shared by data selection and training.
        .target(name: "ImbalanceRandom"),
        // Raw-pointer compute kernels (im2col, GEMM, pooling, Winograd transforms).
        .target(name: "ImbalanceKernels", dependencies: ["COpenBLAS", "CGEMM"], swiftSettings: optimise),
        // Test support: naive Double references (convolution passes, max pooling, im2col,
        // GEMM entries), sharing no code with the engine.
        .target(name: "ImbalanceReferences"),
        // Tensors, layers, models, losses and solvers.
        .target(name: "ImbalanceNN",
                dependencies: ["ImbalanceKernels", "ImbalanceRandom"], swiftSettings: optimise),
        // File formats (IDX, CIFAR, NPZ, image folders, CSV lists, PNG, JPEG, ILSVRC-2012),
        // the dataset-reader registry, dataset locations, base sets, imbalance profiles and
        // resampling (the SMOTE family's exact k-NN runs on the engine's GEMM).
        .target(name: "ImbalanceData",
                dependencies: ["CZlib", "CJPEGDecode", "ImbalanceRandom", "ImbalanceDigest", "ImbalanceKernels"]),
        // Network inputs: Caffe scaling, GCN + ZCA whitening, per-channel standardisation
        // (fitted on the training subset), crop/mirror augmentation, batch filling.
        .target(name: "ImbalancePreprocessing",
                dependencies: ["ImbalanceKernels", "ImbalanceData", "ImbalanceRandom"], swiftSettings: optimise),
        // Classification metrics (ROC AUC, accuracy, F1, MCC, average precision, calibration,
        // confusion matrix) and the stratified bootstrap of a test set.
        .target(name: "ImbalanceMetrics"),
        // Tests across repetitions and cells: Wilcoxon signed-rank, paired t, Holm, Friedman,
        // Nemenyi, and the distributions they need.
        .target(name: "ImbalanceStatistics"),
        // One training run end to end: data -> method -> model -> metrics -> record.
        .target(name: "ImbalanceTraining",
                dependencies: ["ImbalanceNN", "ImbalanceKernels", "ImbalanceData", "ImbalancePreprocessing",
                               "ImbalanceMetrics", "ImbalanceRandom", "ImbalanceRecords"]),
        // Sweep configs (YAML), the job grid, run ids, resumable and sharded execution.
        .target(name: "ImbalanceSweep",
                dependencies: ["ImbalanceTraining", "ImbalancePreprocessing", "ImbalanceRecords", "CShims",
                               .product(name: "Yams", package: "Yams")]),
        // Markdown tables and SVG charts generated from run records alone (method order,
        // labels and families from the method registry of ImbalanceTraining).
        .target(name: "ImbalanceReport",
                dependencies: ["ImbalanceRecords", "ImbalanceMetrics", "ImbalanceStatistics", "ImbalanceTraining"]),
        // Dataset manifests, checksums (SHA-256, MD5), download with mirrors and resume,
        // verification and inspection (`imbench data ...`).
        .target(name: "ImbalanceFetch", dependencies: ["ImbalanceData", "ImbalanceDigest", "ImbalanceRecords"]),
        // Process-control calls Swift cannot make directly (variadic prctl).
        .target(name: "CShims"),
        .executableTarget(name: "imbench",
                          dependencies: [
                              "ImbalanceTraining", "ImbalanceSweep", "ImbalanceReport", "ImbalanceFetch",
                              .product(name: "ArgumentParser", package: "swift-argument-parser"),
                              .product(name: "Yams", package: "Yams"),
                          ]),

        .testTarget(name: "ImbalanceKernelsTests", dependencies: ["ImbalanceKernels"]),
        .testTarget(name: "ImbalanceNNTests",
                    dependencies: ["ImbalanceNN", "ImbalanceKernels", "ImbalanceReferences"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "ImbalanceReferencesTests",
                    dependencies: ["ImbalanceReferences", "ImbalanceRandom"]),
        // Builders of test inputs (tar archives, MAT-files, a small ILSVRC-2012 directory)
        // shared by the test targets; never part of a product.
        .target(name: "ImbalanceTestSupport", dependencies: ["ImbalanceData"], path: "Tests/ImbalanceTestSupport"),
        .testTarget(name: "ImbalanceDataTests", dependencies: ["ImbalanceData", "ImbalanceTestSupport"],
                    exclude: ["Fixtures"]),
        .testTarget(name: "ImbalancePreprocessingTests", dependencies: ["ImbalancePreprocessing"]),
        .testTarget(name: "ImbalanceMetricsTests", dependencies: ["ImbalanceMetrics"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "ImbalanceStatisticsTests", dependencies: ["ImbalanceStatistics"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "ImbalanceTrainingTests", dependencies: ["ImbalanceTraining", "ImbalanceTestSupport"]),
        .testTarget(name: "ImbalanceReportTests",
                    dependencies: ["ImbalanceReport", "ImbalanceRandom", "ImbalanceMetrics", "ImbalanceStatistics"],
                    resources: [.copy("Records")]),
        .testTarget(name: "ImbalanceSweepTests", dependencies: ["ImbalanceSweep"]),
        .testTarget(name: "ImbalanceFetchTests", dependencies: ["ImbalanceFetch"]),
        // The command line as a user meets it: the release imbench binary run as a process.
        .testTarget(name: "ImbalanceCLITests", dependencies: ["ImbalanceSweep", "ImbalanceRecords"]),
    ]
)
