/// The on-disk record of one training job: everything needed to reproduce it and every
/// metric derived from it. Reports are generated from these records alone.
///
/// A job trains one network from scratch with one sampler (none, ROS, RUS, ...). Methods
/// that reuse that network without training it again from scratch (thresholding, and the
/// second phase of two-phase training, which starts from the phase-1 network) are evaluated
/// inside the same job and stored under their own method names in `results`, so that a
/// record is the unit a sweep resumes on.
public struct RunRecord: Codable, Sendable, Equatable {
    /// Bumped when a field changes meaning.
    public var schemaVersion: Int = 1
    /// Stable id derived from the full job configuration (see the sweep).
    public var id: String
    public var tool: ToolInfo
    public var config: JobConfig
    /// Derived seeds, by purpose ("subset", "imbalance", "init", "order", "dropout", ...).
    public var seeds: [String: UInt64]
    public var data: DataSummary
    /// "finished" or "diverged".
    public var status: String
    public var divergence: Divergence?
    /// Metrics by method name: "baseline", "baseline+thresholding", "ROS", "ROS+thresholding",
    /// "two-phase-ROS", "RUS", "RUS+thresholding", "two-phase-RUS", "class-weighted", and
    /// every other name of the method registry (`imbench methods`).
    public var results: [String: MetricSet]
    /// Learning curves by phase name ("phase1", "phase2").
    public var curves: [String: [CurvePoint]]
    public var timings: Timings

    public init(id: String, tool: ToolInfo, config: JobConfig, seeds: [String: UInt64],
                data: DataSummary, status: String, divergence: Divergence?,
                results: [String: MetricSet], curves: [String: [CurvePoint]], timings: Timings) {
        self.id = id; self.tool = tool; self.config = config; self.seeds = seeds
        self.data = data; self.status = status; self.divergence = divergence
        self.results = results; self.curves = curves; self.timings = timings
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
    public init(dataset: String, model: String, profile: ProfileSpec, minorityRule: String,
                sampler: String, samplerRatio: Double?, twoPhase: Bool, repetition: Int,
                baseSeed: UInt64, maxPerClass: Int?, iterations: Int, batchSize: Int,
                baseLearningRate: Double, learningRatePolicy: String, momentum: Double,
                weightDecay: Double, threads: Int, preprocessing: String? = nil,
                augmentation: String? = nil, label: String? = nil,
                parameters: [String: ParameterValue]? = nil,
                derivedMethods: [String: [String: ParameterValue]]? = nil) {
        self.preprocessing = preprocessing; self.augmentation = augmentation; self.label = label
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

public struct Divergence: Codable, Sendable, Equatable {
    public var phase: String
    public var iteration: Int
    public var reason: String
    public init(phase: String, iteration: Int, reason: String) {
        self.phase = phase; self.iteration = iteration; self.reason = reason
    }
}

/// Test-set metrics of one method.
public struct MetricSet: Codable, Sendable, Equatable {
    /// Mean over classes of the one-vs-rest ROC AUC (the paper's main metric).
    public var multiClassAUC: Double
    public var perClassAUC: [Double?]
    public var accuracy: Double
    public var balancedAccuracy: Double
    public var macroF1: Double
    /// confusion[true][predicted].
    public var confusion: [[Int]]
    public init(multiClassAUC: Double, perClassAUC: [Double?], accuracy: Double,
                balancedAccuracy: Double, macroF1: Double, confusion: [[Int]]) {
        self.multiClassAUC = multiClassAUC; self.perClassAUC = perClassAUC
        self.accuracy = accuracy; self.balancedAccuracy = balancedAccuracy
        self.macroF1 = macroF1; self.confusion = confusion
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
    public init(wallSeconds: Double, trainSeconds: Double, imagesPerSecond: Double,
                preprocessingSeconds: Double? = nil, evaluationSeconds: Double? = nil) {
        self.wallSeconds = wallSeconds; self.trainSeconds = trainSeconds
        self.imagesPerSecond = imagesPerSecond
        self.preprocessingSeconds = preprocessingSeconds; self.evaluationSeconds = evaluationSeconds
    }
}
