import XCTest
import ImbalanceData
import ImbalanceKernels
import ImbalanceRandom
import ImbalanceTestSupport
@testable import ImbalanceTraining

/// The strong test of the user formats: the shared real MNIST written as NPZ, as a PNG
/// folder and as a CSV list (rows shuffled), and the shared CIFAR-10 batch as a PNG folder,
/// train to records whose metrics equal those of the IDX and CIFAR-binary paths bit for bit:
/// same pixels, same order, same seeds, hence the same BLAS calls in the same order.
final class UserDataEquivalenceTests: XCTestCase {

    /// In memory (/dev/shm) where there is one: the MNIST copies are 70,000 small files,
    /// and creating and deleting them on a disk mounted with `discard` takes minutes.
    static let root: String = {
        var isDirectory: ObjCBool = false
        let base = FileManager.default.fileExists(atPath: "/dev/shm", isDirectory: &isDirectory) && isDirectory.boolValue
            ? "/dev/shm" : FileManager.default.temporaryDirectory.path
        let dir = base + "/imbench-equivalence-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }()

    override class func tearDown() { try? FileManager.default.removeItem(atPath: root) }

    /// The MNIST files written once for all three formats: the folder, a CSV list pointing
    /// at the folder's PNGs in shuffled order, and the NPZ.
    static let mnistCopies: Result<(npz: String, folder: String, csv: String), Error> = Result {
        let idx = try sharedMNIST()
        let npz = root + "/mnist.npz", folder = root + "/mnist-png", csv = root + "/mnist.csv"
        try DatasetWriter.writeNPZ([("train", idx.train), ("test", idx.test)], to: npz)
        let files = try DatasetWriter.writeFolder([("train", idx.train), ("test", idx.test)], to: folder)
        var rows = files.map { path -> String in
            let parts = path.split(separator: "/").suffix(3)   // split/class/file
            let label = Int(parts[parts.startIndex + 1].split(separator: "_")[0])!
            return "mnist-png/\(parts.joined(separator: "/")),\(label),\(parts.first!)"
        }
        var rng = RandomStream(seed: 99)
        rng.shuffle(&rows)
        try ("path,label,split\n" + rows.joined(separator: "\n") + "\n").write(toFile: csv, atomically: true, encoding: .utf8)
        return (npz, folder, csv)
    }

    private func job(dataset: String, data: DataSpec?, model: String = "lenet5", preprocessing: String? = nil,
                     augmentation: String? = nil) -> JobConfig {
        var c = smallJob(sampler: "ROS", twoPhase: true, iterations: 25,
                         profile: ProfileSpec(kind: "step", rho: 10, mu: 0.5), maxPerClass: 300)
        c.dataset = dataset
        c.data = data
        c.model = model
        c.preprocessing = preprocessing
        c.augmentation = augmentation
        return c
    }

    private func assertSameOutcome(_ a: RunRecord, _ b: RunRecord, _ what: String) {
        XCTAssertEqual(a.status, "finished", what)
        XCTAssertEqual(a.results, b.results, "\(what): metrics differ from the reference reader's")
        XCTAssertEqual(a.seeds, b.seeds, what)
        XCTAssertEqual(a.data.trainCounts, b.data.trainCounts, what)
        XCTAssertEqual(a.data.trainedCounts, b.data.trainedCounts, what)
        XCTAssertEqual(a.data.testCounts, b.data.testCounts, what)
        XCTAssertEqual(a.data.minorityClasses, b.data.minorityClasses, what)
        XCTAssertEqual(a.curves, b.curves, what)
    }

    func testMNISTAsNPZFolderAndCSVTrainsBitForBitLikeIDX() throws {
        let idx = try sharedMNIST()
        let copies = try Self.mnistCopies.get()
        let reference = job(dataset: "mnist", data: nil)
        let expected = try Experiment.run(reference, id: "idx", splits: idx, curveInterval: 10)
        for (format, path) in [("npz", copies.npz), ("folder", copies.folder), ("csv", copies.csv)] {
            let spec = try UserDataset(path: path).resolvedSpec()
            XCTAssertEqual(spec.format, format, "guessed from the path")
            let config = job(dataset: "mnist-\(format)", data: spec)
            let splits = try loadSplits(for: config, directory: "unused")
            XCTAssertEqual(splits.train.pixels, idx.train.pixels, format)
            XCTAssertEqual(splits.train.labels, idx.train.labels, format)
            XCTAssertEqual(splits.test.labels, idx.test.labels, format)
            let record = try Experiment.run(config, id: format, splits: splits, curveInterval: 10)
            assertSameOutcome(record, expected, format)
            XCTAssertEqual(record.config.data?.format, format)
        }
    }

    func testCIFARBatchAsPNGFolderTrainsBitForBitLikeTheBinaryReader() throws {
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { root.deleteLastPathComponent() }
        let dir = root.deletingLastPathComponent().appendingPathComponent("shared/datasets/cifar-10-batches-bin").path
        guard FileManager.default.fileExists(atPath: dir) else { throw XCTSkip("the shared CIFAR-10 batch is not at \(dir)") }
        let binary = try loadDataset(kind: .cifar10, directory: dir)
        let folder = Self.root + "/cifar-png"
        try DatasetWriter.writeFolder([("train", binary.train), ("test", binary.test)], to: folder)
        // Fitted standardisation and crop-mirror augmentation on the way, on 3 x 32 x 32.
        let reference = job(dataset: "cifar10", data: nil, preprocessing: "standardize", augmentation: "crop-mirror")
        let expected = try Experiment.run(reference, id: "bin", splits: binary)
        let spec = try UserDataset(format: "folder", path: folder).resolvedSpec()
        let config = job(dataset: "cifar-png", data: spec, preprocessing: "standardize", augmentation: "crop-mirror")
        let splits = try loadSplits(for: config, directory: "unused")
        XCTAssertEqual(splits.train.pixels, binary.train.pixels)
        XCTAssertEqual(splits.train.classNames, ["0_airplane", "1_automobile", "2_bird", "3_cat", "4_deer",
                                                 "5_dog", "6_frog", "7_horse", "8_ship", "9_truck"])
        let record = try Experiment.run(config, id: "png", splits: splits)
        assertSameOutcome(record, expected, "CIFAR-10 PNG folder")
    }

    /// ResNet-10 with the ImageNet stem at 224 x 224 on a small archive in the official
    /// ILSVRC-2012 layout: images decoded per batch, random crops and mirroring, fitted
    /// standardisation; the job finishes, evaluates every validation image, and repeats
    /// bit for bit.
    func testResNet10At224OnASmallILSVRCArchive() throws {
        let dir = Self.root + "/ilsvrc"
        let (_, valLabels) = try writeSmallILSVRC(in: dir, wnids: ["n01530575", "n01443537", "n01440764"],
                                                  perClass: 4, valPerClass: 1, size: (300, 260))
        let splits = try loadDataset(kind: .imagenet, directory: dir)
        var config = smallJob(iterations: 2, maxPerClass: 1_000)
        config.dataset = "imagenet"
        config.model = "resnet10"
        config.batchSize = 2
        let defaults = ModelDefaults.forModel("resnet10", iterations: 2, batch: 2)
        config.baseLearningRate = 0.01
        config.learningRatePolicy = defaults.policy.description
        config.preprocessing = "standardize"
        config.augmentation = "crop-mirror"
        func run() throws -> RunRecord {
            var r = try Experiment.run(config, id: RunID.make(config), splits: splits)
            r.timings = Timings(wallSeconds: 0, trainSeconds: 0, imagesPerSecond: 0)
            return r
        }
        let a = try run()
        XCTAssertEqual(a.status, "finished")
        XCTAssertEqual(a.data.testCounts, [1, 1, 1])
        XCTAssertEqual(a.data.trainCounts, [4, 4, 4])
        XCTAssertNotNil(a.seeds["augment"])
        let baseline = try XCTUnwrap(a.results["baseline"])
        XCTAssertEqual(baseline.confusion.flatMap { $0 }.reduce(0, +), valLabels.count, "every validation image evaluated")
        XCTAssertTrue(baseline.multiClassAUC.isFinite)
        XCTAssertEqual(try run(), a, "streamed decoding, crops and mirroring are deterministic")
        config.preprocessing = "gcn-zca"
        XCTAssertThrowsError(try Experiment.run(config, id: "zca", splits: splits)) { e in
            XCTAssertTrue("\(e)".contains("gcn-zca needs the whole set in memory"), "\(e)")
        }
    }
}
