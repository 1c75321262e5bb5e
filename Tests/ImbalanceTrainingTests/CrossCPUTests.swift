import XCTest
import ImbalanceData
import ImbalanceKernels
@testable import ImbalanceTraining

/// The cross-CPU check: short real jobs whose record digests (SHA-256 of the canonical JSON
/// without timings and machine fields, `RunRecord.contentDigest`) were computed once and
/// are committed here. Every x86-64 machine with AVX2 and FMA must give the same digests:
/// the engine's GEMM has one summation order on every CPU, OpenBLAS (the ZCA fit) runs its
/// pinned Haswell kernels everywhere, and the rest of the engine is plain code compiled the
/// same way for every CPU. Sessions run on different CPUs, so this is how the claim is
/// tested over time.
///
/// When a digest fails on a new CPU: find out why (the machine fields of the record this
/// test prints say what ran) and fix the cause. Never just update the digest; a new digest
/// is only right after a deliberate change of numerics (which bumps the engine version) or
/// of the record's content (new fields, new ids), made on purpose and said in the commit.
final class CrossCPUTests: XCTestCase {
    /// Engine 0.6.0, record schema 1 (before the metrics and intervals of schema 2),
    /// computed on an AMD EPYC (family 26, AVX-512; GEMM path avx512, OpenBLAS 0.3.21
    /// Haswell) and checked there with the GEMM forced to its AVX2 path. Today's records are
    /// compared through `asSchema(1)`: schema 2 adds fields and changes no number. Engine
    /// 0.6.0 computes the numbers of 0.5.0; these digests changed from 0.5.0's because a
    /// record holds its engine version and, from 0.6.0 on, its id includes it
    /// (`RunID.identity`); `imbench reproduce` of a 0.5.0 record on 0.6.0 finds only those
    /// two fields different.
    static let expectedSchema1: [String: String] = [
        "lenet5-mnist": "2e080a989c2a40811dd0199268463095690a2411dfad3983eabe36167af85d60",
        "allcnn-cifar10": "cc2e65c3a5dc582b991246096e35aaaf272d0a1c7afb8698fd8e73b09f0aa72a",
        "resnet10-cifar10": "7adf0c743951bbfe631421ed8015d1629baf6d705b58353e0186cea9bfb68fa0",
    ]

    /// The whole schema-2 records (new metrics, bootstrap intervals, the "bootstrap" seed),
    /// engine 0.6.0, same machine.
    static let expected: [String: String] = [
        "lenet5-mnist": "110c2736a8232839d2498fa9412b76f8d198ae5d851c452708d1f441b1bbff32",
        "allcnn-cifar10": "69f71f536b1111e197f9085572477ec2c8d09c1b40409edde89123955e6bdaa5",
        "resnet10-cifar10": "bbfd74ba8b4971c46f6ca0069fb3f367daf53ecd7fe48c0346eee33c374ab528",
    ]

    override func tearDown() { BLAS.force(nil) }

    func check(_ name: String, _ config: JobConfig, _ splits: DatasetSplits,
               otherPath: Bool = true) throws {
        let record = try Experiment.run(config, id: RunID.make(config), splits: splits)
        XCTAssertEqual(record.status, "finished")
        XCTAssertEqual(try record.asSchema(1).contentDigest(), Self.expectedSchema1[name],
                       "\(name): the engine's numbers changed (schema-1 view)")
        let digest = try record.contentDigest()
        let machine = record.provenance.map {
            "\($0.cpu.model) (\($0.cpu.isa), GEMM \($0.gemmPath), OpenBLAS \($0.openBLAS?.core ?? "none"))"
        } ?? "?"
        let json = String(data: try RecordIO.encode(record.withoutMachineFields), encoding: .utf8) ?? ""
        XCTAssertEqual(digest, Self.expected[name],
                       "\(name): record digest changed on \(machine); record:\n\(json)")
        // The same job on this CPU's other GEMM path (AVX2 where AVX-512 ran): what an
        // AVX2-only machine would run.
        if otherPath, BLAS.supportedPath == .avx512 {
            BLAS.force(.avx2)
            defer { BLAS.force(nil) }
            let again = try Experiment.run(config, id: RunID.make(config), splits: splits)
            XCTAssertEqual(try again.contentDigest(), digest, "\(name): the AVX2 GEMM path changed the record")
        }
    }

    /// LeNet-5 on real MNIST: step imbalance, ROS, two-phase training, thresholding.
    func testLeNet5OnMNIST() throws {
        let splits = try sharedMNIST()
        let config = smallJob(sampler: "ROS", twoPhase: true, iterations: 150,
                              profile: ProfileSpec(kind: "step", rho: 10, mu: 0.5), maxPerClass: 300)
        try check("lenet5-mnist", config, splits)
    }

    /// All-CNN on the shared CIFAR-10 batch with GCN + ZCA (OpenBLAS's DSYRK and DSYEVD)
    /// and dropout; 300 test images keep evaluation short.
    func testAllCNNOnCIFAR10() throws {
        let splits = try Self.sharedCIFAR10(testImages: 300)
        var config = cifarStyleJob(model: "allcnn", iterations: 4, preprocessing: "gcn-zca",
                                   augmentation: nil, rate: 0.02)
        config.maxPerClass = 60
        // No AVX2 rerun, for test time: it would redo the whole job, 3,072 x 3,072 ZCA fit
        // included (OpenBLAS's on either GEMM path); LeNet-5 and ResNet-10 check that path.
        try check("allcnn-cifar10", config, splits, otherPath: false)
    }

    /// ResNet-10 (CIFAR stem) on the shared batch: batch norm, residual blocks, crop and
    /// mirror, per-channel standardisation, Winograd and banded convolutions.
    func testResNet10OnCIFAR10() throws {
        let splits = try Self.sharedCIFAR10(testImages: 300)
        var config = cifarStyleJob(model: "resnet10", iterations: 4, preprocessing: "standardize",
                                   augmentation: "crop-mirror", rate: 0.05)
        config.maxPerClass = 60
        try check("resnet10-cifar10", config, splits)
    }

    /// The shared CIFAR-10 training batch and the first `testImages` test images.
    static func sharedCIFAR10(testImages: Int) throws -> DatasetSplits {
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { root.deleteLastPathComponent() }
        let dir = root.deletingLastPathComponent().appendingPathComponent("shared/datasets/cifar-10-batches-bin").path
        guard FileManager.default.fileExists(atPath: dir + "/data_batch_1.bin.gz") else {
            throw XCTSkip("the shared CIFAR-10 batch is not at \(dir)")
        }
        let full = try loadDataset(kind: .cifar10, directory: dir)
        let t = full.test, n = min(testImages, t.count)
        let test = ImageDataset(name: t.name, channels: t.channels, height: t.height, width: t.width,
                                pixels: Array(t.pixels.prefix(n * t.sampleSize)),
                                labels: Array(t.labels.prefix(n)), classNames: t.classNames)
        var splits = DatasetSplits(kind: .cifar10, train: full.train, test: test, directory: dir)
        splits.sources = full.sources
        return splits
    }
}
