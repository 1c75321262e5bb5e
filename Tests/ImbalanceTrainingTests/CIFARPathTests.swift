import XCTest
import ImbalanceData
import ImbalanceKernels
import ImbalanceRandom
@testable import ImbalanceTraining

/// Small colour images with a learnable signal: class c brightens channel c % 3 in a
/// class-specific quadrant. 3x8x8 keeps ZCA's eigendecomposition (192x192) instant.
func syntheticColourSplits(perClass: Int = 40, classes: Int = 4, seed: UInt64 = 3) -> DatasetSplits {
    var rng = RandomStream(seed: seed)
    func make(_ name: String, _ n: Int) -> ImageDataset {
        var pixels = [UInt8](), labels = [Int]()
        for i in 0..<(n * classes) {
            let c = i % classes
            for ch in 0..<3 { for y in 0..<8 { for x in 0..<8 {
                var v = 60 + rng.uniformInt(below: 80)
                if ch == c % 3 && (y < 4) == (c < 2) && (x < 4) == (c % 2 == 0) { v += 100 }
                pixels.append(UInt8(v))
            } } }
            labels.append(c)
        }
        return ImageDataset(name: name, channels: 3, height: 8, width: 8, pixels: pixels, labels: labels,
                            classNames: (0..<classes).map { "c\($0)" })
    }
    return DatasetSplits(kind: .cifar10, train: make("synthetic/train", perClass),
                         test: make("synthetic/test", perClass / 2), directory: "synthetic")
}

func cifarStyleJob(model: String = "resnet10", sampler: String = "none", twoPhase: Bool = false,
                   iterations: Int = 12, preprocessing: String? = "gcn-zca",
                   augmentation: String? = "crop-mirror", rate: Double = 0.05,
                   profile: ProfileSpec = ProfileSpec(kind: "step", rho: 4, mu: 0.5)) -> JobConfig {
    let defaults = ModelDefaults.forModel(model, iterations: iterations, batch: 16)
    return JobConfig(dataset: "cifar10", model: model, profile: profile, minorityRule: "lowest",
                     sampler: sampler, samplerRatio: nil, twoPhase: twoPhase, repetition: 0,
                     baseSeed: 11, maxPerClass: nil, iterations: iterations, batchSize: 16,
                     baseLearningRate: rate, learningRatePolicy: defaults.policy.description,
                     momentum: 0.9, weightDecay: defaults.weightDecay, threads: 1,
                     preprocessing: preprocessing, augmentation: augmentation)
}

final class CIFARPathTests: XCTestCase {

    /// ZCA, augmentation, batch norm and two-phase training together: the same config gives
    /// the same record bit for bit (timings aside), and the augmentation seeds are recorded.
    func testResNetJobWithZCAAndAugmentationIsDeterministic() throws {
        let splits = syntheticColourSplits()
        let config = cifarStyleJob(sampler: "ROS", twoPhase: true)
        func run() throws -> RunRecord {
            var r = try Experiment.run(config, id: RunID.make(config), splits: splits)
            r.timings = Timings(wallSeconds: 0, trainSeconds: 0, imagesPerSecond: 0)
            return r
        }
        let a = try run(), b = try run()
        XCTAssertEqual(a.status, "finished")
        XCTAssertEqual(a, b)
        XCTAssertNotNil(a.seeds["augment"])
        XCTAssertNotNil(a.results["two-phase-ROS"])
        XCTAssertEqual(a.data.minorityClasses, [0, 1], "CIFAR rule: the lowest labels are minority")
        XCTAssertEqual(a.config.preprocessing, "gcn-zca")
    }

    /// All-CNN with GCN + ZCA on 3,072-value images, switching between training batches of
    /// 8, learning-curve batches and test batches of 250 (buffers resized both ways): the
    /// job finishes and gives the same record twice. (Run under AddressSanitizer too.)
    func testAllCNNJobAcrossBatchSizes() throws {
        var rng = RandomStream(seed: 5)
        func make(_ n: Int) -> ImageDataset {
            var px = [UInt8](repeating: 0, count: n * 3072)
            for i in px.indices { px[i] = UInt8(truncatingIfNeeded: rng.next()) }
            return ImageDataset(name: "noise", channels: 3, height: 32, width: 32, pixels: px,
                                labels: (0..<n).map { $0 % 10 }, classNames: (0..<10).map(String.init))
        }
        let splits = DatasetSplits(kind: .cifar10, train: make(40), test: make(260), directory: "noise")
        var config = cifarStyleJob(model: "allcnn", sampler: "RUS", twoPhase: true, iterations: 3,
                                   augmentation: nil, rate: 0.01, profile: ProfileSpec(kind: "balanced", rho: 1))
        config.batchSize = 8
        func run() throws -> RunRecord {
            var r = try Experiment.run(config, id: RunID.make(config), splits: splits, curveInterval: 1,
                                       curveTestLimit: 5)
            r.timings = Timings(wallSeconds: 0, trainSeconds: 0, imagesPerSecond: 0)
            return r
        }
        let a = try run(), b = try run()
        XCTAssertEqual(a.status, "finished")
        XCTAssertEqual(a, b)
        XCTAssertEqual(a.curves["phase1"]?.count, 3)
        XCTAssertEqual(a.results["RUS"]?.confusion.flatMap { $0 }.reduce(0, +), 260)
        XCTAssertNotNil(a.results["two-phase-RUS"])
    }

    /// LeNet-5 configs carry no preprocessing or augmentation keys, so their canonical JSON
    /// (and run ids of the committed MNIST records) are unchanged.
    func testLeNetConfigsDoNotGainNewKeys() throws {
        let d = ModelDefaults.forModel("lenet5", iterations: 10, batch: 64)
        XCTAssertNil(d.preprocessing)
        XCTAssertNil(d.augmentation)
        let c = smallJob()
        let json = String(decoding: try RecordIO.encode(c), as: UTF8.self)
        XCTAssertFalse(json.contains("preprocessing"))
        XCTAssertFalse(json.contains("augmentation"))
        XCTAssertNil(Experiment.seeds(for: c)["augment"])
    }

    func testModelDefaultsFollowTheProtocol() {
        let a = ModelDefaults.forModel("allcnn", iterations: 70_000, batch: 256)
        XCTAssertEqual(a.policy, .multistep(milestones: [40_000, 50_000, 60_000], gamma: 0.1))
        XCTAssertEqual(a.weightDecay, 1e-3)
        XCTAssertEqual(a.preprocessing, "gcn-zca")
        let r = ModelDefaults.forModel("resnet10", iterations: 1_000, batch: 64)
        XCTAssertEqual(r.policy, .polynomial(maxIterations: 1_000, power: 1))
        XCTAssertEqual(r.baseLearningRate, 0.1)
        XCTAssertEqual(r.weightDecay, 1e-4)
    }

    func testUnknownPreprocessingIsRejectedBeforeTraining() {
        var c = cifarStyleJob()
        c.preprocessing = "zca-only"
        XCTAssertThrowsError(try Experiment.validate(c)) { e in
            XCTAssertTrue("\(e)".contains("unknown preprocessing 'zca-only'"), "\(e)")
        }
        c = cifarStyleJob(augmentation: "rotate")
        XCTAssertThrowsError(try Experiment.validate(c))
    }

    /// ResNet-10 (CIFAR stem) on 640 real CIFAR-10 training images, 60 steps of 16 with
    /// per-channel standardisation: the training loss must fall well below chance
    /// (ln 10 = 2.30) and the test accuracy must beat chance. Deterministic (fixed seeds).
    func testResNetLearnsOnRealCIFARSubset() throws {
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { root.deleteLastPathComponent() }
        let dir = root.appendingPathComponent("shared/datasets/cifar-10-batches-bin").path
        guard FileManager.default.fileExists(atPath: dir + "/data_batch_1.bin.gz") else {
            throw XCTSkip("real CIFAR-10 not found at \(dir)")
        }
        let full = try loadDataset(kind: .cifar10, directory: dir)
        // Evaluate on the first 500 test images only, to keep the test short.
        let testIdx = Array(0..<500)
        let test = ImageDataset(name: "cifar10/test500", channels: 3, height: 32, width: 32,
                                pixels: Array(full.test.pixels[0..<(500 * 3072)]),
                                labels: testIdx.map { full.test.labels[$0] }, classNames: full.test.classNames)
        let splits = DatasetSplits(kind: .cifar10, train: full.train, test: test, directory: dir)
        var config = cifarStyleJob(iterations: 60, preprocessing: "standardize", augmentation: "none",
                                   rate: 0.05, profile: ProfileSpec(kind: "balanced", rho: 1))
        config.maxPerClass = 64
        let record = try Experiment.run(config, id: RunID.make(config), splits: splits, curveInterval: 20,
                                        curveTestLimit: 100)
        XCTAssertEqual(record.status, "finished")
        let curve = try XCTUnwrap(record.curves["phase1"])
        XCTAssertLessThan(curve.last!.trainLoss, 0.8 * curve.first!.trainLoss,
                          "loss \(curve.map(\.trainLoss))")
        let acc = try XCTUnwrap(record.results["baseline"]).accuracy
        XCTAssertGreaterThan(acc, 0.18, "test accuracy \(acc) on 500 images (chance 0.10)")
    }
}
