import Foundation
import ImbalanceData
import ImbalanceMetrics
import ImbalanceNN
import ImbalancePreprocessing
import ImbalanceRandom
@_exported import ImbalanceRecords

/// Runs one job of the study end to end: base set -> imbalance -> sampler -> training ->
/// evaluation, plus the methods that reuse the trained network (thresholding, and the
/// second phase of two-phase training), and returns its record.
///
/// Seeds: every stream is derived from (base seed, repetition) and a purpose label, never
/// from the method. All methods of one repetition therefore see the same base set, the
/// same imbalanced set and the same initial weights, which makes the comparison between
/// methods paired (their difference is the method, not the draw).
public enum Experiment {
    /// The seeds a job uses, by purpose.
    public static func seeds(for config: JobConfig) -> [String: UInt64] {
        let rep = RandomStream.mix(config.baseSeed, "repetition-\(config.repetition)")
        var seeds: [String: UInt64] = ["repetition": rep]
        // "bootstrap" resamples the test set for the metrics' intervals (schema 2); it is
        // derived like the others and touches no training stream.
        for purpose in ["subset", "imbalance", "sampler", "init", "order", "dropout",
                        "order-phase2", "dropout-phase2", "bootstrap"] {
            seeds[purpose] = RandomStream.mix(rep, purpose)
        }
        // Only jobs that augment get (and record) augmentation streams.
        if let a = config.augmentation, a != Augmentation.none.rawValue {
            for purpose in ["augment", "augment-phase2"] {
                seeds[purpose] = RandomStream.mix(rep, purpose)
            }
        }
        return seeds
    }

    /// A job's settings checked against what the suite supports, before any data is read.
    public static func validate(_ config: JobConfig) throws {
        _ = try profile(of: config)
        if let data = config.data {
            guard DatasetReaders.named(data.format) != nil else {
                throw ExperimentError("unknown data format '\(data.format)' (expected one of \(DatasetReaders.names.joined(separator: ", ")))")
            }
            try data.userDataset.validate()
        }
        guard MinorityRule(rawValue: config.minorityRule) != nil else {
            throw ExperimentError("unknown minority rule '\(config.minorityRule)' (expected random or lowest)")
        }
        guard ["none", "ROS", "RUS", "class-weighted"].contains(config.sampler) else {
            throw ExperimentError("unknown sampler '\(config.sampler)' (expected none, ROS, RUS or class-weighted)")
        }
        guard Models.known.contains(config.model) else {
            throw ExperimentError("unknown model '\(config.model)' (expected one of \(Models.known.sorted().joined(separator: ", ")))")
        }
        guard config.iterations > 0, config.batchSize > 0 else {
            throw ExperimentError("iterations and batch size must be positive")
        }
        _ = try LearningRatePolicy(parsing: config.learningRatePolicy)
        if let p = config.preprocessing, Preprocessing(rawValue: p) == nil {
            throw ExperimentError("unknown preprocessing '\(p)' (expected one of \(Preprocessing.names))")
        }
        if let a = config.augmentation, Augmentation(rawValue: a) == nil {
            throw ExperimentError("unknown augmentation '\(a)' (expected one of \(Augmentation.names))")
        }
        if let r = config.samplerRatio, !(r >= 1) {
            throw ExperimentError("sampler ratio must be at least 1, got \(r)")
        }
    }

    public static func profile(of config: JobConfig) throws -> ImbalanceProfile {
        let p = config.profile
        switch p.kind {
        case "balanced": return .balanced
        case "step":
            guard let mu = p.mu else { throw ExperimentError("a step profile needs mu") }
            return .step(rho: p.rho, mu: mu)
        case "linear": return .linear(rho: p.rho)
        case "exponential": return .exponential(rho: p.rho)
        default:
            throw ExperimentError("unknown imbalance profile '\(p.kind)' (expected balanced, step, linear or exponential)")
        }
    }

    /// Method names under which a job's results are stored.
    public static func methodName(sampler: String) -> String {
        sampler == "none" ? "baseline" : sampler
    }

    public struct Progress: Sendable {
        public var phase: String
        public var training: TrainingProgress
    }

    /// What a job produces: its record and, when asked for, its test-set scores.
    public struct Output: Sendable {
        public var record: RunRecord
        /// The softmax outputs behind the record's metrics (`keepScores`), for the
        /// `ID.scores` sidecar.
        public var scores: ScoreFile?
    }

    /// Runs `config` on already-loaded data and returns its record.
    ///
    /// - Parameters:
    ///   - bootstrap: the test-set bootstrap of every evaluation (`resamples` = 0: none).
    ///   - stopAfter: stop phase 1 after this many iterations (the schedule stays that of
    ///     `config.iterations`) and return a record with status "stopped", its learning
    ///     curves so far and no results: the prefix of the full job, for checking a long
    ///     record's reproducibility cheaply (`imbench reproduce --iterations`).
    public static func run(_ config: JobConfig, id: String, splits: DatasetSplits,
                           curveInterval: Int = 0, curveTestLimit: Int = 2_000,
                           bootstrap: MethodEvaluation.BootstrapSettings = .init(),
                           stopAfter: Int? = nil,
                           progress: ((Progress) -> Void)? = nil) throws -> RunRecord {
        try runKeepingScores(config, id: id, splits: splits, curveInterval: curveInterval,
                             curveTestLimit: curveTestLimit, bootstrap: bootstrap, keepScores: false,
                             stopAfter: stopAfter, progress: progress).record
    }

    /// Runs `config` and returns its record and, with `keepScores`, the test-set scores.
    /// `bootstrap.resamples` = 0 skips the intervals. Neither option touches training: the
    /// record's metrics, curves and seeds are the same either way except for the intervals.
    public static func runKeepingScores(_ config: JobConfig, id: String, splits: DatasetSplits,
                                        curveInterval: Int = 0, curveTestLimit: Int = 2_000,
                                        bootstrap: MethodEvaluation.BootstrapSettings = .init(),
                                        keepScores: Bool, stopAfter: Int? = nil,
                                        progress: ((Progress) -> Void)? = nil) throws -> Output {
        try validate(config)
        let wallStart = DispatchTime.now().uptimeNanoseconds
        let seeds = seeds(for: config)
        let train = splits.trainImages, test = splits.testImages
        let k = train.classCount

        var subsetRNG = RandomStream(seed: seeds["subset"]!)
        let base = BaseSet.capPerClass(train, maxPerClass: config.maxPerClass, rng: &subsetRNG)
        var imbalanceRNG = RandomStream(seed: seeds["imbalance"]!)
        let prof = try profile(of: config)
        let imbalanced: ImbalancedSet
        if prof == .balanced {
            // The base set as it is: with `maxPerClass` nil that is the original, uncapped
            // training set (MNIST's 60,000, whose classes differ in size), not a set cut
            // down to its smallest class.
            var counts = [Int](repeating: 0, count: k)
            for i in base { counts[train.labels[i]] += 1 }
            imbalanced = ImbalancedSet(indices: base, classCounts: counts, minorityClasses: [],
                                       rankToLabel: Array(0..<k), nMax: counts.max() ?? 0)
        } else {
            imbalanced = try makeImbalanced(train, baseIndices: base, profile: prof,
                                            rule: MinorityRule(rawValue: config.minorityRule)!,
                                            rng: &imbalanceRNG)
        }
        var samplerRNG = RandomStream(seed: seeds["sampler"]!)
        var trainIndices = imbalanced.indices
        var weights: [Float]?
        switch config.sampler {
        case "ROS", "RUS":
            let sampler: Sampler = config.sampler == "ROS" ? .randomOversampling : .randomUndersampling
            trainIndices = try resample(imbalanced.indices, labels: train.labels, classCount: k,
                                        sampler: sampler,
                                        target: config.samplerRatio.map { .ratio($0) } ?? .balance,
                                        rng: &samplerRNG)
        case "class-weighted":
            weights = classWeights(counts: imbalanced.classCounts)
        default:
            break
        }
        var trainedCounts = [Int](repeating: 0, count: k)
        for i in trainIndices { trainedCounts[train.labels[i]] += 1 }

        let shape = splits.inputShape
        let network = try Models.make(config.model, classes: k, inputChannels: shape.channels,
                                      inputHeight: shape.height, inputWidth: shape.width)
        // Fitted preprocessing learns from the imbalanced set (each image once), never from
        // the test set or from resampling's duplicates.
        var preprocessingSeconds: Double?
        var evaluationSeconds = 0.0
        func seconds(since t: UInt64) -> Double { Double(DispatchTime.now().uptimeNanoseconds - t) / 1e9 }
        let preprocessing = Preprocessing(rawValue: config.preprocessing ?? "scale") ?? .scale
        let augmentation = Augmentation(rawValue: config.augmentation ?? "none") ?? .none
        let t0 = DispatchTime.now().uptimeNanoseconds
        let inputs = try makeInputs(splits, preprocessing: preprocessing, augmentation: augmentation,
                                    fitIndices: imbalanced.indices)
        if inputs.fitted { preprocessingSeconds = seconds(since: t0) }
        if let s = seeds["augment"] { inputs.train.augmentationStream = RandomStream(seed: s) }
        var initRNG = RandomStream(seed: seeds["init"]!)
        network.initialize(using: &initRNG)
        let trainer = Trainer(network: network, classCount: k)
        trainer.classWeights = weights
        trainer.curveInterval = curveInterval
        trainer.curveTestLimit = curveTestLimit
        if splits.streamed != nil { trainer.evaluationBatch = min(config.batchSize, 32) }
        let stopsEarly = stopAfter.map { $0 < config.iterations } ?? false
        if stopsEarly { trainer.stopAfter = stopAfter }
        let policy = try LearningRatePolicy(parsing: config.learningRatePolicy)
        let settings = SolverSettings(iterations: config.iterations, batchSize: config.batchSize,
                                      baseLearningRate: config.baseLearningRate, policy: policy,
                                      momentum: config.momentum, weightDecay: config.weightDecay)
        var orderRNG = RandomStream(seed: seeds["order"]!)
        var dropoutRNG = RandomStream(seed: seeds["dropout"]!)
        let phase1 = trainer.train(on: inputs.train, indices: trainIndices, settings: settings,
                                   orderRNG: &orderRNG, dropoutRNG: &dropoutRNG,
                                   test: inputs.test) { p in
            progress?(Progress(phase: "phase1", training: p))
        }
        if let failure = inputs.train.failure ?? inputs.test.failure { throw failure }
        var validationResults: [String: MetricSet]?
        let validationLabels = splits.validation?.labels ?? []
        func evaluateValidation(_ name: String, priors thresholding: [Double]? = nil) throws {
            guard let v = inputs.validation else { return }
            let scores = trainer.predict(v)
            validationResults = validationResults ?? [:]
            validationResults![name] = try MetricSet(evaluate(scores: scores, labels: validationLabels,
                                                              classCount: k, thresholdingPriors: thresholding,
                                                              minorityClasses: imbalanced.minorityClasses))
        }

        var results: [String: MetricSet] = [:]
        var curves: [String: [CurvePoint]] = ["phase1": phase1.curve.map(CurvePoint.init)]
        var status = "finished"
        var divergence: Divergence?
        var trainSeconds = phase1.seconds
        var imagesTrained = phase1.iterationsRun * config.batchSize
        let name = methodName(sampler: config.sampler)
        let priors = try ImbalanceMetrics.priors(fromCounts: imbalanced.classCounts)

        var scoreSets: [ScoreFile.ScoreSet] = []
        var metricSeconds = 0.0
        func evaluateMethods(_ scores: [Float], phase: String, _ methods: [MethodEvaluation.Method]) throws {
            let t = DispatchTime.now().uptimeNanoseconds
            let out = try MethodEvaluation.evaluate(
                scores: scores, labels: test.labels, classCount: k, methods: methods, priors: priors,
                minorityClasses: imbalanced.minorityClasses, bootstrap: bootstrap,
                seed: seeds[bootstrap.seedKey] ?? RandomStream.mix(seeds["repetition"]!, bootstrap.seedKey))
            results.merge(out) { a, _ in a }
            metricSeconds += seconds(since: t)
            if keepScores { scoreSets.append(.init(phase: phase, methods: methods.map(\.name), scores: scores)) }
        }

        if let at = phase1.divergedAt {
            status = "diverged"
            divergence = Divergence(phase: "phase1", iteration: at,
                                    reason: phase1.divergenceReason ?? "non-finite values")
        } else if stopsEarly {
            status = "stopped"
        } else {
            let t = DispatchTime.now().uptimeNanoseconds
            let scores = trainer.predict(inputs.test)
            if let failure = inputs.test.failure { throw failure }
            evaluationSeconds += seconds(since: t)
            var methods = [MethodEvaluation.Method(name: name, thresholded: false)]
            if config.sampler != "class-weighted" {
                methods.append(.init(name: name + "+thresholding", thresholded: true))
            }
            try evaluateMethods(scores, phase: "phase1", methods)
            try evaluateValidation(name)
            if config.sampler != "class-weighted" {
                try evaluateValidation(name + "+thresholding", priors: priors)
            }
            if config.twoPhase && (config.sampler == "ROS" || config.sampler == "RUS") {
                // Phase 2: fine-tune only the last layer(s) on the original imbalanced set,
                // same schedule, base rate x0.1, from the phase-1 network; momentum restarts.
                network.freezeAll(except: Models.fineTunedLayers(model: config.model))
                var settings2 = settings
                settings2.baseLearningRate = config.baseLearningRate * 0.1
                var order2 = RandomStream(seed: seeds["order-phase2"]!)
                var dropout2 = RandomStream(seed: seeds["dropout-phase2"]!)
                if let s = seeds["augment-phase2"] {
                    inputs.train.augmentationStream = RandomStream(seed: s)
                }
                let phase2 = trainer.train(on: inputs.train, indices: imbalanced.indices,
                                           settings: settings2, orderRNG: &order2,
                                           dropoutRNG: &dropout2, test: inputs.test) { p in
                    progress?(Progress(phase: "phase2", training: p))
                }
                if let failure = inputs.train.failure ?? inputs.test.failure { throw failure }
                curves["phase2"] = phase2.curve.map(CurvePoint.init)
                trainSeconds += phase2.seconds
                imagesTrained += phase2.iterationsRun * config.batchSize
                if let at = phase2.divergedAt {
                    status = "diverged"
                    divergence = Divergence(phase: "phase2", iteration: at,
                                            reason: phase2.divergenceReason ?? "non-finite values")
                } else {
                    let t2 = DispatchTime.now().uptimeNanoseconds
                    let scores2 = trainer.predict(inputs.test)
                    if let failure = inputs.test.failure { throw failure }
                    evaluationSeconds += seconds(since: t2)
                    try evaluateMethods(scores2, phase: "phase2",
                                        [.init(name: "two-phase-" + config.sampler, thresholded: false)])
                    try evaluateValidation("two-phase-" + config.sampler)
                }
                network.unfreezeAll()
            }
        }
        let wall = Double(DispatchTime.now().uptimeNanoseconds - wallStart) / 1e9
        var record = RunRecord(
            id: id, tool: ToolInfo(name: "imbench", version: ImbalanceBenchInfo.version),
            config: config, seeds: seeds,
            data: DataSummary(trainCounts: imbalanced.classCounts, trainedCounts: trainedCounts,
                              minorityClasses: imbalanced.minorityClasses,
                              testCounts: test.classCounts(), dataDirectory: splits.directory),
            status: status, divergence: divergence, results: results, curves: curves,
            timings: Timings(wallSeconds: wall, trainSeconds: trainSeconds,
                             imagesPerSecond: Double(imagesTrained) / max(trainSeconds, 1e-9),
                             preprocessingSeconds: preprocessingSeconds,
                             evaluationSeconds: preprocessingSeconds == nil ? nil : evaluationSeconds,
                             metricSeconds: results.isEmpty ? nil : metricSeconds),
            curveSettings: CurveSettings(every: curveInterval, testLimit: curveTestLimit),
            provenance: .current(dataFiles: splits.sources?.digests ?? [],
                                 usedOpenBLAS: preprocessing == .gcnZCA))
        record.validation = validationResults
        let scoreFile = keepScores && !scoreSets.isEmpty
            ? ScoreFile(recordID: id, classCount: k, labels: test.labels, sets: scoreSets) : nil
        return Output(record: record, scores: scoreFile)
    }
}

public struct ExperimentError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

public enum ImbalanceBenchInfo {
    /// Recorded in every run record. Bumped whenever the engine's floating-point results
    /// change, so a record says which engine produced it (CHANGELOG.md lists what each
    /// version changed). 0.5.0 computes every GEMM with the engine's own fixed-order kernel
    /// (one sequential FMA chain per element, Sources/CGEMM) instead of OpenBLAS, and pins
    /// OpenBLAS's kernel family for the ZCA fit, so that its records are the same on every
    /// x86-64 CPU with AVX2 and FMA.
    public static let version = "0.5.0"
}

extension CurvePoint {
    init(_ p: CurvePointData) {
        self.init(iteration: p.iteration, trainLoss: p.trainLoss, trainAccuracy: p.trainAccuracy,
                  testLoss: p.testLoss, testAccuracy: p.testAccuracy)
    }
}

/// The input pipelines of a job: training (augmented when asked), test, and validation
/// when the data has a validation set; `fitted` when statistics were fitted (timed as
/// preprocessing in the record).
struct JobInputs {
    var train: any BatchSource
    var test: any BatchSource
    var validation: (any BatchSource)?
    var fitted: Bool
}

extension Experiment {
    /// In-memory data goes through `InputPipeline` exactly as before (Caffe's x/256 scale
    /// without augmentation converts bytes per batch; fitted transforms run once up front);
    /// streamed data (ILSVRC-2012) through `StreamedPipeline`, which decodes and crops per
    /// batch: random crops and mirroring in training with crop-mirror, centre crops
    /// otherwise, and only scale or standardize (ZCA on 150,528-value crops is refused).
    static func makeInputs(_ splits: DatasetSplits, preprocessing: Preprocessing,
                           augmentation: Augmentation, fitIndices: [Int]) throws -> JobInputs {
        if let s = splits.streamed {
            let fit: ChannelStandardization?
            switch preprocessing {
            case .scale: fit = nil
            case .standardize: fit = try StreamedPipeline.fitStandardization(s.train, indices: fitIndices)
            case .gcnZCA:
                throw ExperimentError("\(splits.name): gcn-zca needs the whole set in memory; use standardize (or scale) for streamed data")
            }
            return JobInputs(train: StreamedPipeline(images: s.train, crop: s.cropSize,
                                                     randomCrops: augmentation == .cropMirror, standardization: fit),
                             test: StreamedPipeline(images: s.test, crop: s.cropSize, randomCrops: false,
                                                    standardization: fit),
                             validation: nil, fitted: fit != nil)
        }
        if preprocessing == .scale && augmentation == .none {
            return JobInputs(train: InputPipeline.scaled(splits.train), test: InputPipeline.scaled(splits.test),
                             validation: splits.validation.map(InputPipeline.scaled), fitted: false)
        }
        let (train, test) = try InputPipeline.make(preprocessing, augmentation: augmentation, train: splits.train,
                                                   fitIndices: fitIndices, test: splits.test)
        let validation = splits.validation.map {
            InputPipeline(dataset: $0, preprocessing: train.preprocessing, augmentation: .none,
                          prepare: Array(0..<$0.count))
        }
        return JobInputs(train: train, test: test, validation: validation, fitted: true)
    }
}

extension DatasetSplits {
    /// The network's input: the images' shape, or the crop of streamed data.
    public var inputShape: (channels: Int, height: Int, width: Int) {
        if let s = streamed { return (s.train.channels, s.cropSize, s.cropSize) }
        return (train.channels, train.height, train.width)
    }
}
