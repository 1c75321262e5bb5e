@_exported import ImbalanceDigest

/// The on-disk record of one training job: everything needed to reproduce it and every
/// metric derived from it. Reports are generated from these records alone.
///
/// A job trains one network from scratch with one sampler (none, ROS, RUS, ...). Methods
/// that reuse that network without training it again from scratch (thresholding, and the
/// second phase of two-phase training, which starts from the phase-1 network) are evaluated
/// inside the same job and stored under their own method names in `results`, so that a
/// record is the unit a sweep resumes on.
public struct RunRecord: Codable, Sendable, Equatable {
    /// Bumped when a field changes meaning or the record gains fields a reader should know
    /// about. 2: the metrics of `MetricSet` beyond the confusion matrix, bootstrap intervals,
    /// and the "bootstrap" seed. Records of schema 1 still load (their new fields are nil).
    public var schemaVersion: Int = RunRecord.currentSchemaVersion
    /// The schema this code writes.
    public static let currentSchemaVersion = 2
    /// Stable id derived from the full job configuration (see the sweep).
    public var id: String
    public var tool: ToolInfo
    public var config: JobConfig
    /// Derived seeds, by purpose ("subset", "imbalance", "init", "order", "dropout", ...).
    public var seeds: [String: UInt64]
    public var data: DataSummary
    /// "finished", "diverged", or "stopped" (a prefix run, `Experiment.run(stopAfter:)`).
    public var status: String
    public var divergence: Divergence?
    /// Metrics by method name: "baseline", "baseline+thresholding", "ROS", "ROS+thresholding",
    /// "two-phase-ROS", "RUS", "RUS+thresholding", "two-phase-RUS", "class-weighted", and
    /// every other name of the method registry (`imbench methods`).
    public var results: [String: MetricSet]
    /// Learning curves by phase name ("phase1", "phase2").
    public var curves: [String: [CurvePoint]]
    public var timings: Timings
    /// Metrics on the validation set by method name, for datasets that have one (stored
    /// with the data or split off the training set); absent otherwise.
    public var validation: [String: MetricSet]?
    /// How the learning curves were taken (they are part of the record but not of the job
    /// config, whose hash is the id). Absent in records written before engine 0.5.0.
    public var curveSettings: CurveSettings?
    /// Where the record came from: machine, libraries, data files. Like `timings`, it is
    /// left out of record equality (`withoutMachineFields`) and of `contentDigest`.
    /// Absent in records written before engine 0.5.0.
    public var provenance: Provenance?

    public init(id: String, tool: ToolInfo, config: JobConfig, seeds: [String: UInt64],
                data: DataSummary, status: String, divergence: Divergence?,
                results: [String: MetricSet], curves: [String: [CurvePoint]], timings: Timings,
                curveSettings: CurveSettings? = nil, provenance: Provenance? = nil) {
        self.id = id; self.tool = tool; self.config = config; self.seeds = seeds
        self.data = data; self.status = status; self.divergence = divergence
        self.results = results; self.curves = curves; self.timings = timings
        self.curveSettings = curveSettings; self.provenance = provenance
    }

    /// The record with the fields that describe the run rather than its result taken out:
    /// timings zeroed, provenance removed, the data directory (where this machine keeps
    /// the files; their digests are in the provenance) emptied. Two runs of one config and
    /// seed on any x86-64 machine with AVX2 and FMA give equal values (the reproducibility
    /// guarantee).
    public var withoutMachineFields: RunRecord {
        var r = self
        r.timings = Timings(wallSeconds: 0, trainSeconds: 0, imagesPerSecond: 0)
        r.provenance = nil
        r.data.dataDirectory = ""
        return r
    }

    /// SHA-256 of the canonical JSON of `withoutMachineFields`: equal digests mean equal
    /// results, bit for bit.
    public func contentDigest() throws -> String {
        var h = SHA256()
        h.update(Array(try RecordIO.encode(withoutMachineFields)))
        return h.hexDigest()
    }
}

/// Learning-curve settings of a job (`Trainer.curveInterval`, `curveTestLimit`).
public struct CurveSettings: Codable, Sendable, Equatable {
    /// Period in iterations (0 = no curves).
    public var every: Int
    /// Test images used for each curve point.
    public var testLimit: Int
    public init(every: Int, testLimit: Int) { self.every = every; self.testLimit = testLimit }
}

/// The machine, libraries and data behind a record.
public struct Provenance: Codable, Sendable, Equatable {
    public var engineVersion: String
    /// The Swift compiler that built the binary, e.g. "6.3.1".
    public var swiftCompiler: String
    /// e.g. "Linux 6.1.0-26-amd64".
    public var operatingSystem: String
    /// The C library (its libm computes exp and log), e.g. "glibc 2.36".
    public var cLibrary: String
    public var cpu: CPUInfo
    /// The engine GEMM's instruction-set path: "avx512", "avx2" or "scalar" (all give the
    /// same bits; recorded to show it).
    public var gemmPath: String
    /// OpenBLAS as loaded in this process; nil with `openBLASError` when it could not be.
    public var openBLAS: OpenBLASInfo?
    public var openBLASError: String?
    /// Whether the job's results went through OpenBLAS (the ZCA fit of gcn-zca).
    public var usedOpenBLAS: Bool
    /// SHA-256 of every data file parsed, in the order read.
    public var dataFiles: [DataFileDigest]
    /// What the data files were checked to be against the dataset manifests before
    /// training (`imbench train`, `sweep`, `demo`); nil when no check ran.
    public var dataCheck: DataCheck?

    public init(engineVersion: String, swiftCompiler: String, operatingSystem: String,
                cLibrary: String, cpu: CPUInfo, gemmPath: String, openBLAS: OpenBLASInfo?,
                openBLASError: String?, usedOpenBLAS: Bool, dataFiles: [DataFileDigest]) {
        self.engineVersion = engineVersion; self.swiftCompiler = swiftCompiler
        self.operatingSystem = operatingSystem; self.cLibrary = cLibrary; self.cpu = cpu
        self.gemmPath = gemmPath; self.openBLAS = openBLAS; self.openBLASError = openBLASError
        self.usedOpenBLAS = usedOpenBLAS; self.dataFiles = dataFiles
    }
}

public struct CPUInfo: Codable, Sendable, Equatable, Hashable {
    public var vendor: String
    /// The brand string, e.g. "AMD EPYC 9B14".
    public var model: String
    public var family: Int
    public var modelNumber: Int
    /// "AVX-512", "AVX2" (with FMA) or "baseline".
    public var isa: String
    public var logicalCores: Int
    public init(vendor: String, model: String, family: Int, modelNumber: Int, isa: String,
                logicalCores: Int) {
        self.vendor = vendor; self.model = model; self.family = family
        self.modelNumber = modelNumber; self.isa = isa; self.logicalCores = logicalCores
    }
}

public struct OpenBLASInfo: Codable, Sendable, Equatable, Hashable {
    public var version: String
    /// The kernel family running, e.g. "Haswell".
    public var core: String
    public var config: String
    /// The family ImbalanceBench pinned (nil: OpenBLAS chose for the CPU).
    public var pinned: String?
    public init(version: String, core: String, config: String, pinned: String?) {
        self.version = version; self.core = core; self.config = config; self.pinned = pinned
    }
}

public struct ToolInfo: Codable, Sendable, Equatable {
    public var name: String
    public var version: String
    public init(name: String, version: String) { self.name = name; self.version = version }
}

/// The imbalance applied to the balanced base set.
public struct ProfileSpec: Codable, Sendable, Equatable, Hashable {
    /// "balanced", "step", "linear" or "exponential".
    public var kind: String
    /// Imbalance ratio max/min (1 for balanced).
    public var rho: Double
    /// Fraction of minority classes (step only).
    public var mu: Double?
    public init(kind: String, rho: Double, mu: Double? = nil) {
        self.kind = kind; self.rho = rho; self.mu = mu
    }
}

public struct JobConfig: Codable, Sendable, Equatable {
    public var dataset: String
    public var model: String
    public var profile: ProfileSpec
    /// How minority classes are chosen: "random" (MNIST rule) or "lowest" (CIFAR rule).
    public var minorityRule: String
    /// The training method of the job, by its registry name ("none" for the baseline, the
    /// name it had before the method registry): "ROS", "RUS", "class-weighted", "focal",
    /// "LDAM-DRW", "SMOTE", ... (`imbench methods` lists them).
    public var sampler: String
    /// Target ratio after partial resampling (nil = full balance).
    public var samplerRatio: Double?
    /// Also run the phase-2 fine-tuning (two-phase training) after this job's training.
    public var twoPhase: Bool
    public var repetition: Int
    public var baseSeed: UInt64
    public var maxPerClass: Int?
    public var iterations: Int
    public var batchSize: Int
    public var baseLearningRate: Double
    public var learningRatePolicy: String
    public var momentum: Double
    public var weightDecay: Double
    public var threads: Int
    /// Input preprocessing ("gcn-zca", "standardize"); nil = Caffe's x/256 scale. Absent
    /// from the JSON when nil, so LeNet-5 configs (and their run ids) are as before.
    public var preprocessing: String?
    /// Training-time augmentation ("crop-mirror"); nil = none.
    public var augmentation: String?
    /// CIFAR-100's label when it is not the default fine one ("coarse": 20 superclasses).
    /// nil for the fine label and for single-label datasets, and then absent from the JSON,
    /// so existing ids are unchanged; recorded because it changes the task.
    public var label: String?
    /// The training method's hyperparameters, every key it declares with the value used;
    /// nil for methods without any, and then absent from the JSON (so the jobs of Buda's
    /// methods and their ids are as before the method registry).
    public var parameters: [String: ParameterValue]?
    /// Methods evaluated on this job's network besides the job's own result, the
    /// thresholding every job of its method stores, and two-phase training (`twoPhase`):
    /// post-hoc evaluations ("logit-adjustment", "tau-norm") and extra phases ("cRT"), by
    /// name, with their hyperparameters. nil (absent from the JSON) when there are none.
    public var derivedMethods: [String: [String: ParameterValue]]?
    /// A user's own dataset (format, path, shape, splits); nil for built-in datasets, and
    /// then absent from the JSON, so existing ids are unchanged.
    public var data: DataSpec?
    public init(dataset: String, model: String, profile: ProfileSpec, minorityRule: String,
                sampler: String, samplerRatio: Double?, twoPhase: Bool, repetition: Int,
                baseSeed: UInt64, maxPerClass: Int?, iterations: Int, batchSize: Int,
                baseLearningRate: Double, learningRatePolicy: String, momentum: Double,
                weightDecay: Double, threads: Int, preprocessing: String? = nil,
                augmentation: String? = nil, label: String? = nil, data: DataSpec? = nil,
                parameters: [String: ParameterValue]? = nil,
                derivedMethods: [String: [String: ParameterValue]]? = nil) {
        self.preprocessing = preprocessing; self.augmentation = augmentation; self.label = label
        self.data = data
        self.parameters = parameters; self.derivedMethods = derivedMethods
        self.dataset = dataset; self.model = model; self.profile = profile
        self.minorityRule = minorityRule; self.sampler = sampler; self.samplerRatio = samplerRatio
        self.twoPhase = twoPhase; self.repetition = repetition; self.baseSeed = baseSeed
        self.maxPerClass = maxPerClass; self.iterations = iterations; self.batchSize = batchSize
        self.baseLearningRate = baseLearningRate; self.learningRatePolicy = learningRatePolicy
        self.momentum = momentum; self.weightDecay = weightDecay; self.threads = threads
    }
}

public struct DataSummary: Codable, Sendable, Equatable {
    /// Per-class counts of the imbalanced training set, before any resampling (these give
    /// the priors used by thresholding).
    public var trainCounts: [Int]
    /// Per-class counts the network was trained on, after resampling.
    public var trainedCounts: [Int]
    public var minorityClasses: [Int]
    public var testCounts: [Int]
    public var dataDirectory: String
    public init(trainCounts: [Int], trainedCounts: [Int], minorityClasses: [Int],
                testCounts: [Int], dataDirectory: String) {
        self.trainCounts = trainCounts; self.trainedCounts = trainedCounts
        self.minorityClasses = minorityClasses; self.testCounts = testCounts
        self.dataDirectory = dataDirectory
    }
}

/// The data files' identity, established from their content digests against the dataset
/// manifests (datasets/*.json) before training.
public struct DataCheck: Codable, Sendable, Equatable {
    /// "official": every manifest file present is the official content of the dataset asked
    /// for; "differs": some differ from it and match no other dataset (modified or own
    /// data); "other-dataset": they are another dataset's official content, used anyway
    /// (--allow-mismatch); "not-checked": no manifest was available.
    public var result: String
    /// The manifest of the dataset asked for (e.g. "fashion-mnist").
    public var manifest: String?
    /// Manifests whose official content the files match.
    public var matches: [String]
    public var detail: String
    public init(result: String, manifest: String?, matches: [String], detail: String) {
        self.result = result; self.manifest = manifest; self.matches = matches; self.detail = detail
    }
}

public struct Divergence: Codable, Sendable, Equatable {
    public var phase: String
    public var iteration: Int
    public var reason: String
    public init(phase: String, iteration: Int, reason: String) {
        self.phase = phase; self.iteration = iteration; self.reason = reason
    }
}

/// Test-set metrics of one method.
///
/// Schema 1 records hold the first six fields only; schema 2 adds the optional ones below
/// (absent from the JSON when nil, and nil when a schema-1 record is read). Ranking metrics
/// (AUCs, average precision) come from the raw scores, decision metrics from the method's
/// decisions (thresholded ones for `+thresholding`).
public struct MetricSet: Codable, Sendable, Equatable {
    /// Mean over classes of the one-vs-rest ROC AUC (the paper's main metric).
    public var multiClassAUC: Double
    public var perClassAUC: [Double?]
    public var accuracy: Double
    public var balancedAccuracy: Double
    public var macroF1: Double
    /// confusion[true][predicted].
    public var confusion: [[Int]]
    /// Multi-class Matthews correlation (scikit-learn's `matthews_corrcoef`). Schema 2.
    public var matthewsCorrelation: Double?
    /// Mean one-vs-rest average precision over the classes present (scikit-learn's
    /// `average_precision_score`, macro). Schema 2.
    public var macroAveragePrecision: Double?
    public var perClassAveragePrecision: [Double?]?
    /// Top-label expected calibration error, 15 equal-width bins. Schema 2.
    public var expectedCalibrationError: Double?
    /// Geometric mean of the per-class recalls (0 if one is 0). Schema 2.
    public var geometricMeanRecall: Double?
    /// Per-class precision and recall (0 where the ratio is 0/0). Schema 2.
    public var precision: [Double]?
    public var recall: [Double]?
    /// Mean recall and AUC over the record's minority classes and over the others (nil when
    /// there is no class on that side). Schema 2.
    public var minorityRecall: Double?
    public var majorityRecall: Double?
    public var minorityAUC: Double?
    public var majorityAUC: Double?
    /// Stratified bootstrap intervals over the test set. Schema 2, when the job ran them.
    public var bootstrap: BootstrapSummary?

    public init(multiClassAUC: Double, perClassAUC: [Double?], accuracy: Double,
                balancedAccuracy: Double, macroF1: Double, confusion: [[Int]]) {
        self.multiClassAUC = multiClassAUC; self.perClassAUC = perClassAUC
        self.accuracy = accuracy; self.balancedAccuracy = balancedAccuracy
        self.macroF1 = macroF1; self.confusion = confusion
    }
}

extension RunRecord {
    /// The record as schema `version` writes it. For 1: without what schema 2 added (the
    /// metrics beyond the confusion matrix, the bootstrap intervals, the "bootstrap" seed,
    /// `timings.metricSeconds`), so that a record made today compares field for field with
    /// one made before: `imbench reproduce` of a schema-1 record compares this view, and the
    /// cross-CPU test checks that the engine's numbers are unchanged through it.
    public func asSchema(_ version: Int) -> RunRecord {
        guard version < 2 else { return self }
        var r = self
        r.schemaVersion = version
        r.seeds["bootstrap"] = nil
        r.timings.metricSeconds = nil
        func schema1(_ m: MetricSet) -> MetricSet {
            MetricSet(multiClassAUC: m.multiClassAUC, perClassAUC: m.perClassAUC, accuracy: m.accuracy,
                      balancedAccuracy: m.balancedAccuracy, macroF1: m.macroF1, confusion: m.confusion)
        }
        r.results = results.mapValues(schema1)
        r.validation = validation?.mapValues(schema1)
        return r
    }
}

/// Percentile intervals from a stratified bootstrap of the test set (resampling within
/// each class), all from the same resamples.
public struct BootstrapSummary: Codable, Sendable, Equatable {
    /// Resamples drawn and the intervals' nominal coverage (0.95).
    public var resamples: Int
    public var confidence: Double
    /// The record's seed key the resampling stream was made from ("bootstrap").
    public var seed: String
    /// nil when the AUC was undefined on every resample.
    public var multiClassAUC: IntervalEstimate?
    public var accuracy: IntervalEstimate
    public var balancedAccuracy: IntervalEstimate
    public var matthewsCorrelation: IntervalEstimate

    public init(resamples: Int, confidence: Double, seed: String, multiClassAUC: IntervalEstimate?,
                accuracy: IntervalEstimate, balancedAccuracy: IntervalEstimate,
                matthewsCorrelation: IntervalEstimate) {
        self.resamples = resamples; self.confidence = confidence; self.seed = seed
        self.multiClassAUC = multiClassAUC; self.accuracy = accuracy
        self.balancedAccuracy = balancedAccuracy; self.matthewsCorrelation = matthewsCorrelation
    }
}

/// One metric's bootstrap interval.
public struct IntervalEstimate: Codable, Sendable, Equatable {
    public var lower: Double
    public var upper: Double
    /// Standard deviation of the resampled values (the bootstrap standard error).
    public var standardError: Double
    /// Resamples on which the metric was defined.
    public var definedResamples: Int
    public init(lower: Double, upper: Double, standardError: Double, definedResamples: Int) {
        self.lower = lower; self.upper = upper
        self.standardError = standardError; self.definedResamples = definedResamples
    }
}

public struct CurvePoint: Codable, Sendable, Equatable {
    public var iteration: Int
    public var trainLoss: Double
    public var trainAccuracy: Double
    public var testLoss: Double
    public var testAccuracy: Double
    public init(iteration: Int, trainLoss: Double, trainAccuracy: Double, testLoss: Double,
                testAccuracy: Double) {
        self.iteration = iteration; self.trainLoss = trainLoss
        self.trainAccuracy = trainAccuracy; self.testLoss = testLoss
        self.testAccuracy = testAccuracy
    }
}

public struct Timings: Codable, Sendable, Equatable {
    public var wallSeconds: Double
    public var trainSeconds: Double
    public var imagesPerSecond: Double
    /// Fitting and applying fitted preprocessing (GCN + ZCA, standardisation); absent for
    /// plain scaling.
    public var preprocessingSeconds: Double?
    /// Test-set inference for every evaluation of the job.
    public var evaluationSeconds: Double?
    /// Computing every method's metrics from the test scores, bootstrap intervals included
    /// (schema 2).
    public var metricSeconds: Double?
    public init(wallSeconds: Double, trainSeconds: Double, imagesPerSecond: Double,
                preprocessingSeconds: Double? = nil, evaluationSeconds: Double? = nil,
                metricSeconds: Double? = nil) {
        self.wallSeconds = wallSeconds; self.trainSeconds = trainSeconds
        self.imagesPerSecond = imagesPerSecond
        self.preprocessingSeconds = preprocessingSeconds; self.evaluationSeconds = evaluationSeconds
        self.metricSeconds = metricSeconds
    }
}
