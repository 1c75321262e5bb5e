import XCTest
import ImbalanceData
import ImbalanceKernels
import ImbalanceNN
import ImbalanceRandom
@testable import ImbalanceTraining

/// A job of `methods` (registry names) on the small MNIST subsets of `smallJob`.
func methodJob(_ methods: [String], parameters: [String: [String: ParameterValue]] = [:], iterations: Int = 40,
               profile: ProfileSpec = ProfileSpec(kind: "step", rho: 10, mu: 0.5), maxPerClass: Int = 100,
               seed: UInt64 = 7) throws -> JobConfig {
    let m = try MethodRegistry.singleJob(for: methods, parameters: parameters)
    var job = smallJob(sampler: m.sampler, twoPhase: m.twoPhase, iterations: iterations, profile: profile,
                       maxPerClass: maxPerClass, seed: seed)
    job.parameters = m.parameters
    job.derivedMethods = m.derivedMethods
    return job
}

final class MethodRegistryTests: XCTestCase {

    /// The names the issue fixes (so configs written today keep working), each once, every
    /// reusing method on a training method, every default valid.
    func testRegistryIsConsistent() throws {
        let names = MethodRegistry.names
        XCTAssertEqual(Set(names).count, names.count, "names are unique")
        for required in ["baseline", "baseline+thresholding", "ROS", "ROS+thresholding", "two-phase-ROS", "RUS",
                         "RUS+thresholding", "two-phase-RUS", "class-weighted", "focal", "class-balanced",
                         "class-balanced-focal", "LDAM-DRW", "logit-adjusted", "balanced-softmax",
                         "logit-adjustment", "tau-norm", "cRT", "class-aware", "sqrt-sampling", "progressive",
                         "SMOTE", "borderline-SMOTE-1", "borderline-SMOTE-2", "ADASYN"] {
            XCTAssertNotNil(MethodRegistry.named(required), required)
        }
        XCTAssertEqual(MethodRegistry.named("thresholding")?.name, "baseline+thresholding")
        for m in MethodRegistry.all {
            if case .training = m.role { XCTAssertEqual(m.trainingMethod, m.name) } else {
                let base = try XCTUnwrap(MethodRegistry.named(m.trainingMethod), m.name)
                guard case .training = base.role else { return XCTFail("\(m.name)'s base \(base.name) does not train") }
            }
            for p in m.parameters {
                XCTAssertNoThrow(try p.check(p.defaultValue).get(), "\(m.name).\(p.key) default")
                XCTAssertFalse(p.meaning.isEmpty)
            }
            XCTAssertFalse(m.reference.isEmpty)
        }
        // The published defaults.
        func value(_ m: String, _ k: String) -> ParameterValue? { MethodRegistry.named(m)?.parameter(k)?.defaultValue }
        XCTAssertEqual(value("focal", "gamma"), .number(2))
        XCTAssertEqual(value("class-balanced", "beta"), .number(0.9999))
        XCTAssertEqual(value("LDAM-DRW", "maxMargin"), .number(0.5))
        XCTAssertEqual(value("LDAM-DRW", "scale"), .number(30))
        XCTAssertEqual(value("LDAM-DRW", "drwStart"), .number(0.8))
        XCTAssertEqual(value("logit-adjusted", "tau"), .number(1))
        XCTAssertEqual(value("logit-adjustment", "tau"), .number(1))
        XCTAssertEqual(value("SMOTE", "k"), .number(5))
        XCTAssertEqual(value("borderline-SMOTE-1", "m"), .number(10))
        XCTAssertFalse(MethodRegistry.parameterLines.isEmpty)
    }

    /// Buda's methods map to exactly the jobs the sweep made before the registry: one per
    /// sampler, two-phase as a flag, no parameters, no derived methods (so their JSON, and
    /// every id, is as before).
    func testBudaMethodsGiveTheJobsTheyAlwaysGave() throws {
        let all = ["baseline", "thresholding", "ROS", "ROS+thresholding", "two-phase-ROS",
                   "RUS", "RUS+thresholding", "two-phase-RUS", "class-weighted"]
        let jobs = try MethodRegistry.jobs(for: all)
        XCTAssertEqual(jobs.map(\.sampler), ["none", "ROS", "RUS", "class-weighted"])
        XCTAssertEqual(jobs.map(\.twoPhase), [false, true, true, false])
        XCTAssertTrue(jobs.allSatisfy { $0.parameters == nil && $0.derivedMethods == nil })
        XCTAssertEqual(try MethodRegistry.jobs(for: ["ROS+thresholding"]).map(\.sampler), ["ROS"])
        XCTAssertEqual(try MethodRegistry.jobs(for: ["ROS+thresholding"]).map(\.twoPhase), [false])
        let json = String(decoding: try JSONEncoder().encode(smallJob()), as: UTF8.self)
        XCTAssertFalse(json.contains("parameters") || json.contains("derivedMethods"), json)
    }

    /// Reusing methods join their base's job with their hyperparameters; errors name the
    /// method and the key and say what is valid.
    func testJobsAndParameterErrors() throws {
        let jobs = try MethodRegistry.jobs(for: ["cRT", "focal", "tau-norm"],
                                           parameters: ["focal": ["gamma": .number(1)], "tau-norm": ["tau": .number(0.5)]])
        XCTAssertEqual(jobs.map(\.sampler), ["none", "focal"])
        XCTAssertEqual(jobs[0].derivedMethods?["tau-norm"], ["tau": .number(0.5)])
        XCTAssertEqual(jobs[0].derivedMethods?["cRT"]?["samplesPerClass"], .number(4))
        XCTAssertEqual(jobs[1].parameters, ["gamma": .number(1)])
        func message(_ body: () throws -> Void) -> String {
            do { try body(); return "" } catch { return "\(error)" }
        }
        XCTAssertTrue(message { _ = try MethodRegistry.jobs(for: ["Focal"]) }.contains("did you mean 'focal'"))
        XCTAssertTrue(message { _ = try MethodRegistry.jobs(for: ["focal"], parameters: ["focal": ["gama": .number(1)]]) }
            .contains("has no hyperparameter 'gama'; its hyperparameters are gamma"))
        XCTAssertTrue(message { _ = try MethodRegistry.jobs(for: ["class-balanced"], parameters: ["class-balanced": ["beta": .number(1)]]) }
            .contains("'beta' must be a number in [0, 1)"))
        XCTAssertTrue(message { _ = try MethodRegistry.jobs(for: ["SMOTE"], parameters: ["SMOTE": ["k": .number(2.5)]]) }
            .contains("whole number >= 1"))
        XCTAssertTrue(message { _ = try MethodRegistry.singleJob(for: ["focal", "cRT"], parameters: [:]) }
            .contains("2 different networks"))
        XCTAssertEqual(try MethodRegistry.parseAssignments(["gamma=0.5", "cRT.iterations=0.25"], methods: ["focal", "cRT"]),
                       ["focal": ["gamma": .number(0.5)], "cRT": ["iterations": .number(0.25)]])
        XCTAssertTrue(message { _ = try MethodRegistry.parseAssignments(["tau=1"], methods: ["logit-adjustment", "tau-norm"]) }
            .contains("belongs to logit-adjustment and tau-norm"))
        // Job validation: combinations that cannot apply are errors, not ignored.
        var job = smallJob(sampler: "focal")
        XCTAssertTrue(message { try Experiment.validate(job) }.contains("gives no value for gamma"))
        job.parameters = ["gamma": .number(2)]
        XCTAssertNoThrow(try Experiment.validate(job))
        job.samplerRatio = 10
        XCTAssertTrue(message { try Experiment.validate(job) }.contains("applies to ROS and RUS only"))
        job.samplerRatio = nil; job.twoPhase = true
        XCTAssertTrue(message { try Experiment.validate(job) }.contains("follows ROS or RUS"))
        job.twoPhase = false; job.derivedMethods = ["cRT": [:]]
        XCTAssertTrue(message { try Experiment.validate(job) }.contains("cannot be evaluated on the network of 'focal'"))
        XCTAssertTrue(message { try Experiment.validate(smallJob(sampler: "SMOTEY")) }.contains("unknown training method"))
    }

    /// Every loss the registry can build (training methods and phases, with their default
    /// hyperparameters, on long-tailed counts, at every stage of its schedule) passes the
    /// finite-difference check.
    func testEveryRegistryLossPassesTheGradientCheck() throws {
        let counts = [500, 220, 97, 43, 19, 8]
        let k = counts.count
        var rng = RandomStream(seed: 21)
        let labels = (0..<9).map { $0 % k }
        let logits = (0..<(labels.count * k)).map { _ in Float(1.5 * (2 * rng.uniformDouble() - 1)) }
        var checked = 0
        for m in MethodRegistry.all {
            let params = MethodParameters(try MethodRegistry.resolve(m, [:]))
            let context = MethodContext(parameters: params, classCounts: counts, iterations: 100, model: "lenet5")
            let schedule: LossSchedule
            switch m.role {
            case .training(let r): schedule = try r.loss(context)
            case .phase(_, let p): schedule = try p.loss(context)
            case .postHoc: continue
            }
            for stage in schedule.stages {
                // 2e-4 of max(1, |g|), as in LossTests.testEveryLossPassesTheGradientCheck: the
                // truncation at h = 1e-3 (largest for LDAM, s = 30 entering as s^3), the
                // gradient's rounding to Float and cross-entropy's Float expf.
                let worst = LossGradientCheck.worstRelativeError(of: stage.loss, logits: logits, labels: labels, classes: k)
                XCTAssertLessThan(worst, 2e-4, "\(m.name): \(stage.loss.name)")
                checked += 1
            }
        }
        XCTAssertGreaterThanOrEqual(checked, 13)
        // LDAM-DRW switches to class-balanced weights at 0.8 of the steps.
        let ldam = MethodRegistry.named("LDAM-DRW")!
        guard case .training(let r) = ldam.role else { return XCTFail() }
        let s = try r.loss(MethodContext(parameters: MethodParameters(try MethodRegistry.resolve(ldam, [:])),
                                         classCounts: counts, iterations: 1000, model: "lenet5"))
        XCTAssertEqual(s.stages.map(\.start), [0, 800])
        XCTAssertNil((s.loss(at: 799) as? LDAMLoss)?.classWeights)
        XCTAssertNotNil((s.loss(at: 800) as? LDAMLoss)?.classWeights)
    }

    /// The epoch sampler draws exactly what the trainer's own loop drew before batch
    /// sampling became pluggable (a shuffle up front and one per epoch, batches running
    /// over epoch ends), so instance-balanced records keep their bits.
    func testEpochBatchesDrawAsTheTrainerAlwaysDid() {
        let indices = Array(10..<47)
        var a = RandomStream(seed: 5), b = RandomStream(seed: 5)
        let sampler = BatchSampling.epochs.make(indices: indices, labels: [Int](repeating: 0, count: 47), classCount: 1, rng: &a)
        var order = indices
        b.shuffle(&order)
        var cursor = 0
        let buffer = UnsafeMutablePointer<Int>.allocate(capacity: 16)
        defer { buffer.deallocate() }
        for it in 0..<20 {
            sampler.next(into: buffer, count: 16, iteration: it, iterations: 20, rng: &a)
            for j in 0..<16 {
                if cursor == order.count { b.shuffle(&order); cursor = 0 }
                XCTAssertEqual(buffer[j], order[cursor]); cursor += 1
            }
        }
        XCTAssertEqual(a.next(), b.next(), "the stream is left where the old loop left it")
    }

    /// Class-aware batches give every class the same share (exactly, per cycle);
    /// square-root and progressive sampling their published class probabilities.
    func testBatchSamplersGiveTheirClassDistributions() {
        let counts = [400, 100, 25, 4]
        var labels: [Int] = [], indices: [Int] = []
        for (c, n) in counts.enumerated() { for _ in 0..<n { indices.append(labels.count); labels.append(c) } }
        func histogram(_ s: BatchSampling, steps: Int, batch: Int = 64, window: Range<Int>? = nil) -> [Double] {
            var rng = RandomStream(seed: 3)
            let sampler = s.make(indices: indices, labels: labels, classCount: 4, rng: &rng)
            let buffer = UnsafeMutablePointer<Int>.allocate(capacity: batch)
            defer { buffer.deallocate() }
            var h = [Double](repeating: 0, count: 4)
            for it in 0..<steps {
                sampler.next(into: buffer, count: batch, iteration: it, iterations: steps, rng: &rng)
                if window.map({ $0.contains(it) }) ?? true { for j in 0..<batch { h[labels[buffer[j]]] += 1 } }
            }
            let total = h.reduce(0, +)
            return h.map { $0 / total }
        }
        XCTAssertEqual(histogram(.classAware(samplesPerClass: 1), steps: 100), [0.25, 0.25, 0.25, 0.25])
        XCTAssertEqual(histogram(.classAware(samplesPerClass: 4), steps: 100), [0.25, 0.25, 0.25, 0.25])
        let roots = counts.map { Double($0).squareRoot() }
        let sqrtExpected = roots.map { $0 / roots.reduce(0, +) }
        // Classes are drawn independently (one uniform per example), so the frequencies have
        // binomial noise: over 400 x 64 draws at most sqrt(.54 * .46 / 25600) = 0.0031, and
        // 0.01 is over 3 standard errors (the seed is fixed, so the test is deterministic).
        for (a, b) in zip(histogram(.classPower(exponent: 0.5), steps: 400), sqrtExpected) { XCTAssertEqual(a, b, accuracy: 0.01) }
        let n = Double(counts.reduce(0, +))
        for (a, c) in zip(histogram(.progressive, steps: 1000, window: 0..<50), counts) {
            // t/T ~ 0.025 on average (0.0245: a bias below 3e-4); 50 x 64 draws give a standard
            // error of at most sqrt(.74 * .26 / 3200) = 0.0078, so 0.02 is 2.6 of them.
            XCTAssertEqual(a, Double(c) / n * 0.975 + 0.025 / 4, accuracy: 0.02)
        }
        // Not yet uniform: on average t/T = 0.9745, so p_j = 0.25 + 0.0255 (n_j/n - 0.25), up
        // to 0.263 for class 0 (n_j/n = 0.76); with a standard error of 0.0078 over 3200
        // draws, 0.03 covers that bias and over 2 standard errors.
        for (a, _) in zip(histogram(.progressive, steps: 1000, window: 950..<1000), counts) {
            XCTAssertEqual(a, 0.25, accuracy: 0.03)
        }
    }

    /// Every training method runs end to end on real MNIST and records its result (and
    /// its reusing methods'); the same job twice gives the same record.
    func testEveryMethodRunsEndToEndAndIsDeterministic() throws {
        let splits = try sharedMNIST()
        var seen = Set<String>()
        for training in MethodRegistry.all {
            guard case .training = training.role else { continue }
            let derived = MethodRegistry.derived(from: training.name).map(\.name)
            let job = try methodJob([training.name] + derived, iterations: 6, maxPerClass: 60)
            let record = try Experiment.run(job, id: RunID.make(job), splits: splits)
            XCTAssertEqual(record.status, "finished", training.name)
            XCTAssertEqual(Set(record.results.keys), Set([training.name] + derived), training.name)
            seen.formUnion(record.results.keys)
            if training.name == "SMOTE" {
                var again = try Experiment.run(job, id: RunID.make(job), splits: splits)
                var first = record
                first.timings = Timings(wallSeconds: 0, trainSeconds: 0, imagesPerSecond: 0)
                again.timings = first.timings
                XCTAssertEqual(first, again)
                XCTAssertEqual(record.data.trainedCounts, [Int](repeating: 60, count: 10), "SMOTE grows every class to the largest")
            }
        }
        XCTAssertEqual(seen, Set(MethodRegistry.names), "every method produced a result")
    }

    /// The reusing methods of the baseline in one job: post-hoc logit adjustment with tau = 1
    /// reproduces thresholding's metrics exactly and leaves the baseline's AUC; tau-norm
    /// restores the weights it changed (the baseline's result, computed before, equals a
    /// baseline-only job's); cRT retrains only the classifier, from a new initialisation.
    func testBaselineReusingMethods() throws {
        let splits = try sharedMNIST()
        let job = try methodJob(["baseline", "thresholding", "logit-adjustment", "tau-norm", "cRT"], iterations: 60)
        let r = try Experiment.run(job, id: RunID.make(job), splits: splits)
        XCTAssertEqual(r.results["logit-adjustment"], r.results["baseline+thresholding"])
        XCTAssertEqual(r.results["logit-adjustment"]?.multiClassAUC.bitPattern, r.results["baseline"]?.multiClassAUC.bitPattern)
        XCTAssertNotEqual(r.results["tau-norm"], r.results["baseline"])
        XCTAssertNotNil(r.curves["cRT"])
        XCTAssertNotNil(r.seeds["init-cRT"])
        let plain = try methodJob(["baseline"], iterations: 60)
        let p = try Experiment.run(plain, id: RunID.make(plain), splits: splits)
        XCTAssertEqual(p.results["baseline"], r.results["baseline"], "the extra methods do not disturb the baseline")
        XCTAssertNil(p.seeds["init-cRT"], "only jobs that run cRT record its streams")
        XCTAssertNotEqual(r.results["cRT"], r.results["baseline"])
        XCTAssertGreaterThan(r.results["cRT"]!.accuracy, 0.5)
    }

    /// cRT leaves every layer but the classifier bit-identical and re-initialises it.
    func testCRTTrainsOnlyTheReinitialisedClassifier() throws {
        let splits = try sharedMNIST()
        let cRT = MethodRegistry.named("cRT")!
        guard case .phase(_, let phase) = cRT.role else { return XCTFail() }
        XCTAssertEqual(phase.trainableLayers("lenet5"), ["ip2"])
        XCTAssertEqual(phase.trainableLayers("allcnn"), ["conv9"])
        XCTAssertEqual(phase.trainableLayers("resnet10"), ["fc"])
        XCTAssertNotNil(phase.initPurpose)
        // Run the phase directly on a trained-for-a-moment LeNet-5.
        var rng = RandomStream(seed: 1)
        let indices = BaseSet.capPerClass(splits.train, maxPerClass: 30, rng: &rng)
        let net = Models.lenet5()
        var initRNG = RandomStream(seed: 2)
        net.initialize(using: &initRNG)
        let before = net.parameters.map(\.value.array)
        net.freezeAll(except: phase.trainableLayers("lenet5"))
        var r2 = RandomStream(seed: 3)
        for layer in net.layers where layer.name == "ip2" { layer.initialize(using: &r2) }
        let reinit = net.parameters.map(\.value.array)
        let trainer = Trainer(network: net, classCount: 10)
        var order = RandomStream(seed: 4), drop = RandomStream(seed: 5)
        _ = trainer.train(on: splits.train, indices: indices, settings: .lenet5(iterations: 5, batchSize: 16),
                          orderRNG: &order, dropoutRNG: &drop, batches: .classAware(samplesPerClass: 4))
        for ((p, old), re) in zip(zip(net.parameters, before), reinit) {
            if p.name.hasPrefix("ip2.weight") {
                XCTAssertNotEqual(re, old, "re-initialised"); XCTAssertNotEqual(p.value.array, re, "trained")
            } else if !p.name.hasPrefix("ip2") {
                XCTAssertEqual(p.value.array, old, "\(p.name) must stay frozen")
            }
        }
    }

    /// LDAM-DRW trains a cosine classifier (logits in [-1, 1] before the scale) and learns.
    func testLDAMDRWUsesTheCosineClassifierAndLearns() throws {
        let splits = try sharedMNIST()
        let job = try methodJob(["LDAM-DRW"], iterations: 120, profile: ProfileSpec(kind: "balanced", rho: 1))
        let r = try Experiment.run(job, id: RunID.make(job), splits: splits)
        XCTAssertEqual(r.status, "finished")
        XCTAssertGreaterThan(r.results["LDAM-DRW"]!.accuracy, 0.6, "LDAM-DRW learns on 1,000 MNIST images")
        var linear = try methodJob(["LDAM-DRW"], parameters: ["LDAM-DRW": ["classifier": .text("linear"), "scale": .number(1)]],
                                   iterations: 120, profile: ProfileSpec(kind: "balanced", rho: 1))
        let l = try Experiment.run(linear, id: RunID.make(linear), splits: splits)
        XCTAssertNotEqual(l.results["LDAM-DRW"], r.results["LDAM-DRW"])
        linear.model = "allcnn"
        XCTAssertNoThrow(try Experiment.validate(linear), "the linear variant runs on any model")
        var cosineAllCNN = job
        cosineAllCNN.model = "allcnn"
        XCTAssertThrowsError(try Experiment.validate(cosineAllCNN)) { XCTAssertTrue("\($0)".contains("classifier: linear")) }
    }

    /// Loss-based long-tail methods beat the baseline's balanced accuracy where imbalance
    /// hurts (rho = 50 on 1,000-image subsets): learning happened, and in the right direction.
    func testLongTailLossesRaiseBalancedAccuracy() throws {
        let splits = try sharedMNIST()
        let profile = ProfileSpec(kind: "step", rho: 50, mu: 0.5)
        func balanced(_ m: String) throws -> Double {
            let job = try methodJob([m], iterations: 150, profile: profile, maxPerClass: 250)
            return try Experiment.run(job, id: RunID.make(job), splits: splits).results[m]!.balancedAccuracy
        }
        let base = try balanced("baseline")
        XCTAssertGreaterThan(base, 0.3, "the baseline learns")
        for m in ["logit-adjusted", "balanced-softmax", "class-balanced"] {
            XCTAssertGreaterThan(try balanced(m), base, m)
        }
    }
}

final class PreparedDataTests: XCTestCase {
    /// `imbench resample` writes `Experiment.prepareData`'s set: it must be the set the job
    /// trains on (the record's trained counts), synthetic images included.
    func testPreparedDataIsWhatTheJobTrainsOn() throws {
        let splits = try sharedMNIST()
        for method in ["SMOTE", "RUS"] {
            let job = try methodJob([method], iterations: 2, maxPerClass: 50)
            let prepared = try Experiment.prepareData(job, train: splits.train)
            var counts = [Int](repeating: 0, count: 10)
            for i in prepared.trainingSet.indices { counts[prepared.labels[i]] += 1 }
            let record = try Experiment.run(job, id: RunID.make(job), splits: splits)
            XCTAssertEqual(counts, record.data.trainedCounts, method)
            XCTAssertEqual(prepared.imbalanced.classCounts, record.data.trainCounts, method)
            let synthetic = prepared.trainingSet.indices.filter { $0 >= splits.train.count }.count
            XCTAssertEqual(synthetic, prepared.trainingSet.synthetic.count, method)
            XCTAssertEqual(synthetic > 0, method == "SMOTE", method)
        }
    }
}

final class TauNormTests: XCTestCase {
    /// tau-norm rescales each class vector w_j of the classifier layer to w_j / |w_j|^tau and
    /// drops the bias, then decides by the arg-max: checked on the weights it leaves, for
    /// tau = 1 (unit class vectors) and tau = 0.5 (norms become sqrt(|w_j|)).
    func testTauNormRescalesClassVectorsAndDropsTheBias() throws {
        let tauNorm = MethodRegistry.named("tau-norm")!
        guard case .postHoc(_, let decides, let recipe) = tauNorm.role, let reweigh = recipe.reweigh else {
            return XCTFail("tau-norm changes the weights")
        }
        XCTAssertFalse(decides, "tau-norm changes scores, so its AUC is its own")
        for tau in [1.0, 0.5] {
            let net = Network(name: "lenet5", inputShape: [4], layers: [FullyConnected(name: "ip2", inputs: 4, outputs: 3)])
            var rng = RandomStream(seed: 8)
            net.initialize(using: &rng)
            let fc = net.layers[0] as! FullyConnected
            for j in 0..<3 { fc.bias.value[j] = Float(j + 1) }
            let before = fc.weight.value.array
            let context = MethodContext(parameters: MethodParameters(["tau": .number(tau)]), classCounts: [5, 5, 5],
                                        iterations: 1, model: "lenet5")
            XCTAssertEqual(recipe.decision(context), .argmax)
            reweigh(context, net)
            XCTAssertEqual(fc.bias.value.array, [0, 0, 0])
            for j in 0..<3 {
                let old = before[(j * 4)..<((j + 1) * 4)].map(Double.init)
                let new = fc.weight.value.array[(j * 4)..<((j + 1) * 4)].map(Double.init)
                let norm = old.map { $0 * $0 }.reduce(0, +).squareRoot()
                // tau-norm computes w * |w|^-tau in Double and rounds once to Float; entries
                // are below 2, so the two differ by at most half a Float ulp (6e-8); 1e-6.
                for (a, b) in zip(new, old) { XCTAssertEqual(a, b / pow(norm, tau), accuracy: 1e-6) }
            }
        }
    }

    /// The decision rule a record's result was made with comes from the registry and the
    /// job's hyperparameters (score sidecars are recomputed with it).
    func testDecisionRulesOfResults() {
        var job = smallJob()
        job.derivedMethods = ["logit-adjustment": ["tau": .number(0.5)]]
        XCTAssertEqual(MethodRegistry.decision(of: "baseline", in: job), .argmax)
        XCTAssertEqual(MethodRegistry.decision(of: "baseline+thresholding", in: job), .thresholded)
        XCTAssertEqual(MethodRegistry.decision(of: "logit-adjustment", in: job), .logitAdjusted(tau: 0.5))
        XCTAssertEqual(MethodRegistry.decision(of: "cRT", in: job), .argmax)
        XCTAssertEqual(MethodRegistry.decision(of: "old+thresholding", in: job), .thresholded)
    }
}
