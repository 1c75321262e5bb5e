import XCTest
import ImbalanceData
import ImbalanceKernels
import ImbalanceNN
import ImbalanceRandom
@testable import ImbalanceTraining

/// The real MNIST files in `../shared/datasets/mnist`, found from this file's path.
func sharedMNIST() throws -> DatasetSplits {
    var root = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { root.deleteLastPathComponent() }
    let dir = root.deletingLastPathComponent().appendingPathComponent("shared/datasets/mnist").path
    guard FileManager.default.fileExists(atPath: dir + "/train-images-idx3-ubyte.gz") else {
        throw XCTSkip("real MNIST not found at \(dir)")
    }
    return try MNISTCache.shared.load(dir)
}

/// Decompressing MNIST once per test process keeps the suite fast.
final class MNISTCache: @unchecked Sendable {
    static let shared = MNISTCache()
    private var splits: DatasetSplits?
    private let lock = NSLock()
    func load(_ dir: String) throws -> DatasetSplits {
        lock.lock(); defer { lock.unlock() }
        if let splits { return splits }
        let s = try loadIDXDataset(kind: .mnist, directory: dir)
        splits = s
        return s
    }
}

func smallJob(sampler: String = "none", twoPhase: Bool = false, iterations: Int = 60,
              profile: ProfileSpec = ProfileSpec(kind: "balanced", rho: 1),
              maxPerClass: Int = 200, seed: UInt64 = 7) -> JobConfig {
    JobConfig(dataset: "mnist", model: "lenet5", profile: profile, minorityRule: "random",
              sampler: sampler, samplerRatio: nil, twoPhase: twoPhase, repetition: 0,
              baseSeed: seed, maxPerClass: maxPerClass, iterations: iterations, batchSize: 32,
              baseLearningRate: 0.01, learningRatePolicy: "inv(gamma=0.0001,power=0.75)",
              momentum: 0.9, weightDecay: 5e-4, threads: 1)
}

final class TrainingTests: XCTestCase {
    /// LeNet-5 on 2,000 real MNIST images for 150 iterations: the loss must fall by far and
    /// test accuracy must rise far above chance (10%).
    func testLeNetLearnsOnRealMNISTSubset() throws {
        let splits = try sharedMNIST()
        var rng = RandomStream(seed: 11)
        let indices = BaseSet.capPerClass(splits.train, maxPerClass: 200, rng: &rng)
        let net = Models.lenet5()
        var initRNG = RandomStream(seed: 12)
        net.initialize(using: &initRNG)
        let trainer = Trainer(network: net, classCount: 10)
        trainer.progressInterval = 10
        var losses: [Double] = []
        var order = RandomStream(seed: 13), drop = RandomStream(seed: 14)
        let before = accuracy(trainer.predict(splits.test, limit: 1000), splits.test.labels)
        let outcome = trainer.train(on: splits.train, indices: indices,
                                    settings: .lenet5(iterations: 150, batchSize: 64),
                                    orderRNG: &order, dropoutRNG: &drop) { losses.append($0.loss) }
        let after = accuracy(trainer.predict(splits.test, limit: 1000), splits.test.labels)
        XCTAssertNil(outcome.divergedAt)
        XCTAssertGreaterThan(losses.first!, 1.0, "the first 10 iterations start near ln(10)")
        XCTAssertLessThan(outcome.finalLoss, losses.first! / 3, "the loss must fall")
        XCTAssertLessThan(before, 0.3)
        XCTAssertGreaterThan(after, 0.85, "accuracy after 150 iterations on 2,000 images")
    }

    /// Same seeds, same steps: every parameter bit-identical.
    func testTrainingIsBitIdenticalForTheSameSeed() throws {
        let splits = try sharedMNIST()
        func run() -> [[Float]] {
            var rng = RandomStream(seed: 3)
            let indices = BaseSet.capPerClass(splits.train, maxPerClass: 100, rng: &rng)
            let net = Models.lenet5()
            var initRNG = RandomStream(seed: 4)
            net.initialize(using: &initRNG)
            let trainer = Trainer(network: net, classCount: 10)
            var order = RandomStream(seed: 5), drop = RandomStream(seed: 6)
            _ = trainer.train(on: splits.train, indices: indices,
                              settings: .lenet5(iterations: 25, batchSize: 16),
                              orderRNG: &order, dropoutRNG: &drop)
            return net.parameters.map { $0.value.array }
        }
        let a = run(), b = run()
        XCTAssertEqual(a.count, 8)
        for (x, y) in zip(a, b) {
            XCTAssertEqual(x.map(\.bitPattern), y.map(\.bitPattern))
        }
    }

    /// A whole job twice gives the same record, timings aside (the only field that measures
    /// the machine rather than the computation).
    func testJobRecordsAreDeterministic() throws {
        let splits = try sharedMNIST()
        let job = smallJob(sampler: "ROS", twoPhase: true, iterations: 30,
                           profile: ProfileSpec(kind: "step", rho: 10, mu: 0.5))
        var a = try Experiment.run(job, id: RunID.make(job), splits: splits, curveInterval: 10,
                                   curveTestLimit: 200)
        var b = try Experiment.run(job, id: RunID.make(job), splits: splits, curveInterval: 10,
                                   curveTestLimit: 200)
        a.timings = Timings(wallSeconds: 0, trainSeconds: 0, imagesPerSecond: 0)
        b.timings = a.timings
        XCTAssertEqual(try RecordIO.encode(a), try RecordIO.encode(b))
        XCTAssertEqual(Set(a.results.keys), ["ROS", "ROS+thresholding", "two-phase-ROS"])
        XCTAssertEqual(a.curves["phase1"]?.count, 3)
        XCTAssertEqual(a.curves["phase2"]?.count, 3)
    }

    /// Schema 2: every method carries the new metrics and bootstrap intervals; the score
    /// sidecar round-trips and recomputes every metric exactly, intervals included; the
    /// intervals bracket the point estimates; without the bootstrap the rest is unchanged.
    func testScoresSidecarRecomputesEveryMetric() throws {
        let splits = try sharedMNIST()
        let job = smallJob(sampler: "ROS", twoPhase: true, iterations: 40,
                           profile: ProfileSpec(kind: "step", rho: 10, mu: 0.3))
        let out = try Experiment.runKeepingScores(job, id: RunID.make(job), splits: splits,
                                                  bootstrap: .init(resamples: 200), keepScores: true)
        let record = out.record
        XCTAssertEqual(record.schemaVersion, 2)
        XCTAssertNotNil(record.seeds["bootstrap"])
        let file = try XCTUnwrap(out.scores)
        XCTAssertEqual(file.sets.map(\.phase), ["phase1", "phase2"])
        XCTAssertEqual(file.sets[0].methods, ["ROS", "ROS+thresholding"])
        for (name, m) in record.results {
            XCTAssertNotNil(m.matthewsCorrelation, name)
            XCTAssertNotNil(m.macroAveragePrecision, name)
            XCTAssertNotNil(m.expectedCalibrationError, name)
            XCTAssertEqual(m.minorityRecall == nil, false, name)
            let b = try XCTUnwrap(m.bootstrap, name)
            XCTAssertEqual(b.resamples, 200)
            let auc = try XCTUnwrap(b.multiClassAUC)
            XCTAssertLessThanOrEqual(auc.lower, m.multiClassAUC, name)
            XCTAssertGreaterThanOrEqual(auc.upper, m.multiClassAUC, name)
            XCTAssertLessThanOrEqual(b.accuracy.lower, m.accuracy, name)
            XCTAssertGreaterThanOrEqual(b.accuracy.upper, m.accuracy, name)
        }
        // A method and its thresholded variant share the resamples: the same AUC interval.
        XCTAssertEqual(record.results["ROS"]?.bootstrap?.multiClassAUC,
                       record.results["ROS+thresholding"]?.bootstrap?.multiClassAUC)

        let path = NSTemporaryDirectory() + "/imbench-scores-\(getpid()).scores"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try file.write(to: path)
        let back = try ScoreFile.read(path)
        XCTAssertEqual(back, file)
        XCTAssertEqual(try MethodEvaluation.recompute(record: record, scores: back), record.results)
        // A corrupted byte is an error naming the file, never a silent wrong metric.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[bytes.count / 2] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try ScoreFile.read(path)) { error in
            XCTAssertTrue("\(error)".contains(path) && "\(error)".contains("checksum"), "\(error)")
        }

        // No bootstrap: the same record without intervals.
        var plain = try Experiment.run(job, id: RunID.make(job), splits: splits, bootstrap: .init(resamples: 0))
        XCTAssertTrue(plain.results.values.allSatisfy { $0.bootstrap == nil })
        var stripped = record
        for key in stripped.results.keys { stripped.results[key]?.bootstrap = nil }
        plain.timings = record.timings
        XCTAssertEqual(plain, stripped)
    }

    /// The imbalance, the sampler and the priors are what the protocol says.
    func testJobAppliesImbalanceAndSampler() throws {
        let splits = try sharedMNIST()
        let profile = ProfileSpec(kind: "step", rho: 10, mu: 0.3)
        let ros = try Experiment.run(smallJob(sampler: "ROS", iterations: 5, profile: profile),
                                     id: "t", splits: splits)
        XCTAssertEqual(ros.data.trainCounts.sorted(), [20, 20, 20, 200, 200, 200, 200, 200, 200, 200])
        XCTAssertEqual(ros.data.trainedCounts, [Int](repeating: 200, count: 10))
        XCTAssertEqual(ros.data.minorityClasses.count, 3)
        let rus = try Experiment.run(smallJob(sampler: "RUS", iterations: 5, profile: profile),
                                     id: "t", splits: splits)
        XCTAssertEqual(rus.data.trainCounts, ros.data.trainCounts, "same repetition, same imbalanced set")
        XCTAssertEqual(rus.data.trainedCounts, [Int](repeating: 20, count: 10))
        // Thresholding is post hoc: same network, AUC unchanged bit for bit.
        XCTAssertEqual(ros.results["ROS"]!.multiClassAUC.bitPattern,
                       ros.results["ROS+thresholding"]!.multiClassAUC.bitPattern)
    }

    /// `--max-per-class all` trains on the original 60,000 images, classes unequal as they are.
    func testUncappedBalancedRunUsesTheWholeTrainingSet() throws {
        let splits = try sharedMNIST()
        var job = smallJob(iterations: 1)
        job.maxPerClass = nil
        let r = try Experiment.run(job, id: "all", splits: splits)
        XCTAssertEqual(r.data.trainedCounts, [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949])
        XCTAssertEqual(r.data.minorityClasses, [])
    }

    /// Phase 2 of two-phase training changes only the fine-tuned layer.
    func testTwoPhaseFreezesAllButTheLastLayer() throws {
        let splits = try sharedMNIST()
        var rng = RandomStream(seed: 1)
        let indices = BaseSet.capPerClass(splits.train, maxPerClass: 50, rng: &rng)
        let net = Models.lenet5()
        var initRNG = RandomStream(seed: 2)
        net.initialize(using: &initRNG)
        let before = net.parameters.map { $0.value.array }
        net.freezeAll(except: Models.fineTunedLayers(model: "lenet5"))
        XCTAssertEqual(net.firstTrainableLayer, 6)
        let trainer = Trainer(network: net, classCount: 10)
        var order = RandomStream(seed: 3), drop = RandomStream(seed: 4)
        _ = trainer.train(on: splits.train, indices: indices, settings: .lenet5(iterations: 5, batchSize: 16),
                          orderRNG: &order, dropoutRNG: &drop)
        for (p, old) in zip(net.parameters, before) {
            if p.name.hasPrefix("ip2") { XCTAssertNotEqual(p.value.array, old, p.name) }
            else { XCTAssertEqual(p.value.array, old, "\(p.name) must stay frozen") }
        }
    }

    /// A learning rate far too large makes the loss explode; the run must stop and say so
    /// instead of reporting metrics of a broken network.
    func testDivergenceIsDetectedAndRecorded() throws {
        let splits = try sharedMNIST()
        var job = smallJob(iterations: 200)
        job.baseLearningRate = 1e4
        let record = try Experiment.run(job, id: "diverge", splits: splits)
        XCTAssertEqual(record.status, "diverged")
        XCTAssertNotNil(record.divergence)
        XCTAssertTrue(record.results.isEmpty)
        XCTAssertLessThan(record.divergence!.iteration, 200)
    }

    func testRunIDIsStableAndCoversTheConfig() {
        let job = smallJob()
        XCTAssertEqual(RunID.make(job), RunID.make(job))
        var other = job; other.iterations += 1
        XCTAssertNotEqual(RunID.make(job), RunID.make(other))
        var threads = job; threads.threads = 8
        XCTAssertEqual(RunID.make(job), RunID.make(threads), "threads change speed, not results")
        // Pinned: ids are stored in records and result directories; changing the hashing
        // would orphan every finished run.
        XCTAssertEqual(RunID.make(job), "mnist_lenet5_balanced_baseline_rep0-" + RunID.hash(job))
        XCTAssertEqual(RunID.hash(job).count, 16)
    }

    /// The engine version is part of a job's identity (records of another engine are other
    /// jobs' records), through `RunID.identity`; the readable prefix is not.
    func testTheEngineVersionIsPartOfTheID() {
        let job = smallJob()
        XCTAssertEqual(RunID.make(job), RunID.make(job, engine: ImbalanceBenchInfo.version))
        XCTAssertNotEqual(RunID.make(job), RunID.make(job, engine: "0.0.1"))
        XCTAssertEqual(RunID.prefix(job), "mnist_lenet5_balanced_baseline_rep0")
        XCTAssertTrue(RunID.make(job, engine: "0.0.1").hasPrefix(RunID.prefix(job) + "-"))
        let identity = String(decoding: RunID.identity(of: job, engine: "9.9.9"), as: UTF8.self)
        XCTAssertTrue(identity.hasSuffix("\nengine 9.9.9"), identity)
        XCTAssertTrue(identity.contains("\"threads\":0"), "threads are left out: \(identity)")
    }

    /// CIFAR-100's coarse label changes the task, so it must reach the record and the id;
    /// the default (nil) must leave the JSON, and so every existing id, untouched.
    func testCoarseLabelIsRecordedAndDefaultLeavesIdsAlone() throws {
        let job = smallJob()
        let json = String(decoding: try JSONEncoder().encode(job), as: UTF8.self)
        XCTAssertFalse(json.contains("label"), json)
        var coarse = job
        coarse.dataset = "cifar100"; coarse.label = "coarse"
        var fine = coarse; fine.label = nil
        XCTAssertNotEqual(RunID.hash(coarse), RunID.hash(fine))
        XCTAssertTrue(RunID.make(coarse).hasPrefix("cifar100-coarse_lenet5_"), RunID.make(coarse))
        let decoded = try JSONDecoder().decode(JobConfig.self, from: JSONEncoder().encode(coarse))
        XCTAssertEqual(decoded.label, "coarse")
        XCTAssertEqual(CIFARLabel(recordedName: decoded.label), .coarse)
        XCTAssertEqual(CIFARLabel(recordedName: nil), .fine)
        XCTAssertNil(CIFARLabel.fine.recordedName)
        XCTAssertNil(CIFARLabel(recordedName: "medium"))
    }

    func testLearningRatePolicies() throws {
        let inv = LearningRatePolicy.inverse(gamma: 1e-4, power: 0.75)
        XCTAssertEqual(inv.rate(base: 0.01, iteration: 0), 0.01)
        XCTAssertEqual(inv.rate(base: 0.01, iteration: 10_000), 0.01 * pow(2, -0.75), accuracy: 1e-15)
        let ms = LearningRatePolicy.multistep(milestones: [40_000, 50_000, 60_000], gamma: 0.1)
        XCTAssertEqual(ms.rate(base: 0.05, iteration: 39_999), 0.05)
        XCTAssertEqual(ms.rate(base: 0.05, iteration: 50_000), 0.0005, accuracy: 1e-15)
        let poly = LearningRatePolicy.polynomial(maxIterations: 100, power: 1)
        XCTAssertEqual(poly.rate(base: 0.1, iteration: 50), 0.05, accuracy: 1e-15)
        for p in [inv, ms, poly, .fixed] {
            XCTAssertEqual(try LearningRatePolicy(parsing: p.description), p)
        }
        XCTAssertThrowsError(try LearningRatePolicy(parsing: "cosine"))
    }

    private func accuracy(_ scores: [Float], _ labels: [Int]) -> Double {
        let n = scores.count / 10
        var correct = 0
        for i in 0..<n {
            var best = 0
            for j in 1..<10 where scores[i * 10 + j] > scores[i * 10 + best] { best = j }
            if best == labels[i] { correct += 1 }
        }
        return Double(correct) / Double(n)
    }
}
