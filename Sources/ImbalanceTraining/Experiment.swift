import Foundation
import ImbalanceData
import ImbalanceMetrics
import ImbalanceNN
import ImbalancePreprocessing
import ImbalanceRandom
@_exported import ImbalanceRecords

/// Runs one job of the study end to end: base set -> imbalance -> the training method's
/// training set, batches and loss -> training -> evaluation, plus the methods that reuse
/// the trained network (thresholding and the other post-hoc evaluations, two-phase training
/// and cRT), and returns its record. What each method does is declared in its own file
/// under Methods/ and found through `MethodRegistry`.
///
/// Seeds: every stream is derived from (base seed, repetition) and a purpose label, never
/// from the method. All methods of one repetition therefore see the same base set, the
/// same imbalanced set and the same initial weights, which makes the comparison between
/// methods paired (their difference is the method, not the draw).
public enum Experiment {
    /// The seeds a job uses, by purpose. A phase beyond two-phase training (cRT) adds its
    /// own streams, only to the jobs that run it.
    public static func seeds(for config: JobConfig) -> [String: UInt64] {
        let rep = RandomStream.mix(config.baseSeed, "repetition-\(config.repetition)")
        var seeds: [String: UInt64] = ["repetition": rep]
        let augments = config.augmentation.map { $0 != Augmentation.none.rawValue } ?? false
        // "bootstrap" resamples the test set for the metrics' intervals (schema 2); it is
        // derived like the others and touches no training stream.
        var purposes = ["subset", "imbalance", "sampler", "init", "order", "dropout",
                        "order-phase2", "dropout-phase2", "bootstrap"]
        // Only jobs that augment get (and record) augmentation streams.
        if augments { purposes += ["augment", "augment-phase2"] }
        for name in (config.derivedMethods ?? [:]).keys.sorted() {
            guard let m = MethodRegistry.named(name), case .phase(_, let phase) = m.role else { continue }
            purposes += [phase.orderPurpose, phase.dropoutPurpose] + (phase.initPurpose.map { [$0] } ?? [])
            if augments { purposes.append(phase.augmentPurpose) }
        }
        for purpose in purposes { seeds[purpose] = RandomStream.mix(rep, purpose) }
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
        do { try MethodRegistry.validate(config) } catch let e as MethodError {
            throw ExperimentError(e.description)
        }
        guard Models.known.contains(config.model) else {
            throw ExperimentError("unknown model '\(config.model)' (expected one of \(Models.known.sorted().joined(separator: ", ")))")
        }
        guard config.iterations > 0 else {
            throw ExperimentError("iterations must be at least 1, found \(config.iterations)")
        }
        guard config.batchSize > 0 else {
            throw ExperimentError("batch size must be at least 1, found \(config.batchSize)")
        }
        _ = try LearningRatePolicy(parsing: config.learningRatePolicy)
        if let p = config.preprocessing, Preprocessing(rawValue: p) == nil {
            throw ExperimentError("unknown preprocessing '\(p)' (expected one of \(Preprocessing.names))")
        }
        if let a = config.augmentation, Augmentation(rawValue: a) == nil {
            throw ExperimentError("unknown augmentation '\(a)' (expected one of \(Augmentation.names))")
        }
        let training = MethodRegistry.training(recordedAs: config.sampler)!
        if case .training(let recipe) = training.role,
           recipe.classifier(context(training, config, counts: [])) == .cosine,
           !["lenet5", "resnet10"].contains(config.model) {
            throw ExperimentError("\(training.name): the cosine classifier replaces the last fully connected layer, and \(config.model) has none (its last layer is a convolution); set classifier: linear")
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
        MethodRegistry.training(recordedAs: sampler)?.name ?? sampler
    }

    public struct Progress: Sendable {
        public var phase: String
        public var training: TrainingProgress
    }

    static func context(_ method: MethodDefinition, _ config: JobConfig, counts: [Int],
                        parameters: [String: ParameterValue]? = nil, iterations: Int? = nil) -> MethodContext {
        MethodContext(parameters: MethodParameters(parameters ?? config.parameters ?? [:]), classCounts: counts,
                      iterations: iterations ?? config.iterations, model: config.model,
                      samplerRatio: config.samplerRatio)
    }


    /// The data a job trains on: the imbalanced set (indices into the training split, and
    /// its counts) and the training method's set (indices into `dataset`: the training split,
    /// followed by the method's synthetic images when it makes any). Deterministic in the
    /// job's seeds; `imbench resample` writes exactly this.
    public struct PreparedData {
        public var imbalanced: ImbalancedSet
        public var trainingSet: TrainingSet
        /// Labels of the training images and of the synthetic ones after them: indexed as
        /// `trainingSet.indices`.
        public var labels: [Int]
    }

    public static func prepareData(_ config: JobConfig, train: any LabelledImages) throws -> PreparedData {
        let seeds = seeds(for: config)
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
        let training = MethodRegistry.training(recordedAs: config.sampler)!
        guard case .training(let recipe) = training.role else { preconditionFailure("\(training.name) does not train") }
        var samplerRNG = RandomStream(seed: seeds["sampler"]!)
        let set = try recipe.trainingSet?(context(training, config, counts: imbalanced.classCounts), train,
                                          imbalanced.indices, &samplerRNG)
            ?? TrainingSet(indices: imbalanced.indices)
        return PreparedData(imbalanced: imbalanced, trainingSet: set, labels: train.labels + set.synthetic.labels)
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
        let training = MethodRegistry.training(recordedAs: config.sampler)!
        guard case .training(let recipe) = training.role else { preconditionFailure("\(training.name) does not train") }

        let prepared = try prepareData(config, train: train)
        let imbalanced = prepared.imbalanced
        let trainIndices = prepared.trainingSet.indices, synthetic = prepared.trainingSet.synthetic
        let trainingContext = context(training, config, counts: imbalanced.classCounts)
        var trainedCounts = [Int](repeating: 0, count: k)
        for i in trainIndices { trainedCounts[prepared.labels[i]] += 1 }
        // Synthetic images join the training set after its own images (in memory only:
        // synthetic samplers refuse streamed data).
        var data = splits
        if synthetic.count > 0 { data.train = splits.train.appending(synthetic) }

        let shape = splits.inputShape
        var network = try Models.make(config.model, classes: k, inputChannels: shape.channels,
                                      inputHeight: shape.height, inputWidth: shape.width)
        if recipe.classifier(trainingContext) == .cosine {
            network = try withCosineClassifier(network, model: config.model)
        }
        // Fitted preprocessing learns from the imbalanced set (each image once), never from
        // the test set, from resampling's duplicates or from synthetic images.
        var preprocessingSeconds: Double?
        var evaluationSeconds = 0.0
        func seconds(since t: UInt64) -> Double { Double(DispatchTime.now().uptimeNanoseconds - t) / 1e9 }
        let preprocessing = Preprocessing(rawValue: config.preprocessing ?? "scale") ?? .scale
        let augmentation = Augmentation(rawValue: config.augmentation ?? "none") ?? .none
        let t0 = DispatchTime.now().uptimeNanoseconds
        let inputs = try makeInputs(data, preprocessing: preprocessing, augmentation: augmentation,
                                    fitIndices: imbalanced.indices,
                                    prepareIndices: synthetic.count > 0 ? imbalanced.indices + trainIndices : nil)
        if inputs.fitted { preprocessingSeconds = seconds(since: t0) }
        if let s = seeds["augment"] { inputs.train.augmentationStream = RandomStream(seed: s) }
        var initRNG = RandomStream(seed: seeds["init"]!)
        network.initialize(using: &initRNG)
        let trainer = Trainer(network: network, classCount: k)
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
                                   batches: recipe.batches(trainingContext),
                                   loss: try recipe.loss(trainingContext),
                                   test: inputs.test) { p in
            progress?(Progress(phase: "phase1", training: p))
        }
        if let failure = inputs.train.failure ?? inputs.test.failure { throw failure }
        var validationResults: [String: MetricSet]?
        let validationLabels = splits.validation?.labels ?? []
        let priors = try ImbalanceMetrics.priors(fromCounts: imbalanced.classCounts)
        /// Validation metrics of `methods` from the network as it is now (its validation
        /// outputs, or `scores` when given).
        func evaluateValidation(_ methods: [MethodEvaluation.Method], scores given: [Float]? = nil) throws {
            guard let v = inputs.validation else { return }
            let scores = given ?? trainer.predict(v)
            validationResults = validationResults ?? [:]
            for m in methods {
                validationResults![m.name] = try MetricSet(m.decision.report(
                    scores: scores, labels: validationLabels, classCount: k, priors: priors,
                    minorityClasses: imbalanced.minorityClasses))
            }
        }

        var results: [String: MetricSet] = [:]
        var curves: [String: [CurvePoint]] = ["phase1": phase1.curve.map(CurvePoint.init)]
        var status = "finished"
        var divergence: Divergence?
        var trainSeconds = phase1.seconds
        var imagesTrained = phase1.iterationsRun * config.batchSize
        let listed = config.derivedMethods ?? [:]
        let derived = MethodRegistry.derived(from: training.name).filter { m in
            switch m.recording {
            case .always: return true
            case .twoPhaseFlag: return config.twoPhase
            case .listed: return listed[m.name] != nil
            }
        }
        func methodContext(_ m: MethodDefinition) -> MethodContext {
            context(m, config, counts: imbalanced.classCounts, parameters: listed[m.name] ?? [:])
        }
        /// Restores every parameter of the network from `values` (a copy of them).
        func restore(_ values: [[Float]]) {
            for (p, v) in zip(network.parameters, values) {
                v.withUnsafeBufferPointer { p.value.pointer.update(from: $0.baseAddress!, count: $0.count) }
            }
        }

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
            // The job's own result and the post-hoc methods that only re-read these scores
            // (thresholding, logit adjustment), in registry order: one pass, one bootstrap.
            var methods = [MethodEvaluation.Method(name: training.name, decision: .argmax)]
            var reweighing: [(MethodDefinition, PostHocRecipe)] = []
            for m in derived {
                guard case .postHoc(_, _, let r) = m.role else { continue }
                if r.reweigh == nil {
                    methods.append(.init(name: m.name, decision: r.decision(methodContext(m))))
                } else {
                    reweighing.append((m, r))
                }
            }
            try evaluateMethods(scores, phase: "phase1", methods)
            try evaluateValidation(methods)

            // Post-hoc methods that change the weights first (tau-norm) run the test set
            // again; every parameter is restored afterwards.
            for (m, r) in reweighing {
                let saved = network.parameters.map(\.value.array)
                r.reweigh!(methodContext(m), network)
                let t = DispatchTime.now().uptimeNanoseconds
                let rescored = trainer.predict(inputs.test)
                if let failure = inputs.test.failure { throw failure }
                evaluationSeconds += seconds(since: t)
                let method = MethodEvaluation.Method(name: m.name, decision: r.decision(methodContext(m)))
                try evaluateMethods(rescored, phase: m.name, [method])
                try evaluateValidation([method])
                restore(saved)
            }

            // Phases continue training the network; each starts from the network phase 1
            // left (saved and restored when a job runs more than one).
            let phases = derived.compactMap { m -> (MethodDefinition, PhaseRecipe)? in
                if case .phase(_, let p) = m.role { return (m, p) }
                return nil
            }
            let snapshot = phases.count > 1 ? network.parameters.map(\.value.array) : nil
            for (index, (m, phase)) in phases.enumerated() {
                if index > 0, let snapshot { restore(snapshot) }
                let phaseContext = methodContext(m)
                // Only the phase's layers train (re-initialised when it says so); momentum
                // restarts, as a new solver would.
                let trainable = phase.trainableLayers(config.model)
                network.freezeAll(except: trainable)
                if let purpose = phase.initPurpose {
                    var rng = RandomStream(seed: seeds[purpose]!)
                    for layer in network.layers where trainable.contains(layer.name) { layer.initialize(using: &rng) }
                }
                var settings2 = settings
                settings2.baseLearningRate = config.baseLearningRate * phase.learningRateFactor(phaseContext)
                let fraction = phase.iterationFraction(phaseContext)
                if fraction != 1 {
                    settings2.iterations = max(1, Int((Double(config.iterations) * fraction).rounded()))
                    settings2.policy = policy.stretched(from: config.iterations, to: settings2.iterations)
                }
                var phaseContext2 = phaseContext
                phaseContext2.iterations = settings2.iterations
                var order2 = RandomStream(seed: seeds[phase.orderPurpose]!)
                var dropout2 = RandomStream(seed: seeds[phase.dropoutPurpose]!)
                if let s = seeds[phase.augmentPurpose] {
                    inputs.train.augmentationStream = RandomStream(seed: s)
                }
                let outcome = trainer.train(on: inputs.train, indices: imbalanced.indices,
                                            settings: settings2, orderRNG: &order2, dropoutRNG: &dropout2,
                                            batches: phase.batches(phaseContext2),
                                            loss: try phase.loss(phaseContext2),
                                            test: inputs.test) { p in
                    progress?(Progress(phase: phase.phaseName, training: p))
                }
                if let failure = inputs.train.failure ?? inputs.test.failure { throw failure }
                curves[phase.phaseName] = outcome.curve.map(CurvePoint.init)
                trainSeconds += outcome.seconds
                imagesTrained += outcome.iterationsRun * config.batchSize
                network.unfreezeAll()
                if let at = outcome.divergedAt {
                    status = "diverged"
                    divergence = Divergence(phase: phase.phaseName, iteration: at,
                                            reason: outcome.divergenceReason ?? "non-finite values")
                    break
                }
                let t2 = DispatchTime.now().uptimeNanoseconds
                let scores2 = trainer.predict(inputs.test)
                if let failure = inputs.test.failure { throw failure }
                evaluationSeconds += seconds(since: t2)
                let method = MethodEvaluation.Method(name: m.name, decision: .argmax)
                try evaluateMethods(scores2, phase: phase.phaseName, [method])
                try evaluateValidation([method])
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

    /// `network` with `CosineClassifier` in place of its last layer, which must be the fully
    /// connected classifier layer of the model.
    static func withCosineClassifier(_ network: Network, model: String) throws -> Network {
        let name = Models.classifierLayer(model: model)
        guard let last = network.layers.last as? FullyConnected, last.name == name else {
            throw ExperimentError("the cosine classifier replaces a fully connected last layer; \(model)'s last layer is '\(network.layers.last?.name ?? "none")'")
        }
        return Network(name: network.name, inputShape: network.inputShape,
                       layers: Array(network.layers.dropLast()) + [CosineClassifier(name: name, inputs: last.inputs, outputs: last.outputs)])
    }
}

extension LearningRatePolicy {
    /// The schedule of `from` steps stretched (or shrunk) to `to` steps, so that a shorter
    /// phase decays as far as the full one: inv's gamma scaled by from/to, multistep's
    /// milestones by to/from (rounded), poly's maximum set to `to`.
    public func stretched(from: Int, to: Int) -> LearningRatePolicy {
        let f = Double(from) / Double(max(1, to))
        switch self {
        case .fixed: return .fixed
        case let .inverse(gamma, power): return .inverse(gamma: gamma * f, power: power)
        case let .multistep(milestones, gamma):
            return .multistep(milestones: milestones.map { Int((Double($0) / f).rounded()) }, gamma: gamma)
        case let .polynomial(_, power): return .polynomial(maxIterations: to, power: power)
        }
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
    public static let version = "0.6.0"
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
                           augmentation: Augmentation, fitIndices: [Int],
                           prepareIndices: [Int]? = nil) throws -> JobInputs {
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
                                                   fitIndices: fitIndices, prepareIndices: prepareIndices,
                                                   test: splits.test)
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
