import ImbalanceData
import ImbalanceNN
import ImbalanceRandom

/// Everything the suite knows about one method for class imbalance, declared in the
/// method's own file (Methods/NAME.swift) and listed once in `MethodRegistry.all`. The YAML
/// and CLI method lists, config validation, the sweep plan, the report's order, labels and
/// families, and `imbench methods` all read these declarations, so a method is one file plus
/// one registry line (docs/adding-a-method.md walks through one).
///
/// A method either trains a network of its own (`MethodRole.training`: one job of a sweep),
/// or reuses the network another method trained (`phase`: continues training it, as
/// two-phase training and cRT do; `postHoc`: re-reads its outputs or weights at test time,
/// as thresholding, logit adjustment and tau-norm do). Reusing methods are evaluated inside
/// the job of their base method, so they cost little and are paired with it exactly.
public struct MethodDefinition: Sendable {
    /// The name in YAML configs, `imbench train --method`, record results and reports.
    public let name: String
    /// The report's label.
    public let label: String
    public let family: MethodFamily
    /// One line for `imbench methods` and the docs.
    public let summary: String
    /// The paper (and, where it decides details, the reference code) followed.
    public let reference: String
    /// The hyperparameters, keys of the method in YAML (`{focal: {gamma: 1}}`) and
    /// `--param focal.gamma=1` on the command line, with the published defaults.
    public let parameters: [MethodParameter]
    public let role: MethodRole
    /// One of the methods of Buda et al. 2018 (and class weighting, the common alternative
    /// of the related studies): the report's paper findings are about these.
    public let inBuda2018: Bool
    /// How a job records that it evaluates this (reusing) method.
    public let recording: Recording

    /// How a reusing method gets into a job (training methods are the job's `sampler`).
    public enum Recording: Sendable, Equatable {
        /// Listed in `JobConfig.derivedMethods`, with its hyperparameters.
        case listed
        /// Evaluated in every job of its base, listed or not (thresholding: free, and every
        /// record of Buda's methods before the registry holds it).
        case always
        /// `JobConfig.twoPhase` (two-phase training, as before the registry).
        case twoPhaseFlag
    }

    public init(name: String, label: String, family: MethodFamily, summary: String, reference: String,
                parameters: [MethodParameter] = [], inBuda2018: Bool = false,
                recording: Recording = .listed, role: MethodRole) {
        self.name = name; self.label = label; self.family = family; self.summary = summary
        self.reference = reference; self.parameters = parameters; self.role = role
        self.inBuda2018 = inBuda2018; self.recording = recording
    }

    /// The method whose job computes this one: itself when it trains, else its base.
    public var trainingMethod: String {
        switch role {
        case .training: return name
        case .phase(let base, _), .postHoc(let base, _, _): return base
        }
    }

    /// True when the method changes decisions only: its AUCs are its base's, bit for bit
    /// (each class's scores are moved by one constant), so AUC tables leave it out.
    public var decidesOnly: Bool {
        if case .postHoc(_, let onlyDecisions, _) = role { return onlyDecisions }
        return false
    }

    public func parameter(_ key: String) -> MethodParameter? { parameters.first { $0.key == key } }
}

/// What kind of remedy a method is; the report groups and orders methods by it.
public enum MethodFamily: String, Sendable, CaseIterable {
    case baseline = "baseline"
    case resampling = "random resampling"
    case synthetic = "synthetic oversampling"
    case batchSampling = "batch sampling"
    case reweighting = "loss re-weighting"
    case loss = "loss design"
    case twoStage = "two-stage training"
    case postHoc = "post-hoc adjustment"
}

/// How a method uses a network.
public enum MethodRole: Sendable {
    /// Trains its own network (the job's method).
    case training(TrainingRecipe)
    /// Continues training the network of `base` after it has been evaluated.
    case phase(base: String, PhaseRecipe)
    /// Evaluates the trained network of `base` differently. `decidesOnly`: only the arg-max
    /// decisions change (see `MethodDefinition.decidesOnly`).
    case postHoc(base: String, decidesOnly: Bool, PostHocRecipe)
}

/// What a method's declarations are given: its resolved hyperparameters and the facts of
/// the job they may depend on.
public struct MethodContext: Sendable {
    public var parameters: MethodParameters
    /// n_j of the imbalanced training set, before any resampling: the counts every
    /// count-based method (class weights, margins, logit offsets, priors) uses.
    public var classCounts: [Int]
    /// Iterations of the phase being set up.
    public var iterations: Int
    public var model: String
    /// Partial resampling's target ratio (ROS and RUS only).
    public var samplerRatio: Double?

    public init(parameters: MethodParameters, classCounts: [Int], iterations: Int, model: String,
                samplerRatio: Double? = nil) {
        self.parameters = parameters; self.classCounts = classCounts; self.iterations = iterations
        self.model = model; self.samplerRatio = samplerRatio
    }
}

/// The training set a method trains on: indices into the dataset (repeats allowed), and
/// synthetic images appended to the dataset (their indices start at the dataset's count).
public struct TrainingSet: Sendable {
    public var indices: [Int]
    public var synthetic: SyntheticImages
    public init(indices: [Int], synthetic: SyntheticImages = .empty) {
        self.indices = indices; self.synthetic = synthetic
    }
}

/// Which layer gives the logits.
public enum ClassifierKind: String, Sendable {
    /// The model's own last layer.
    case model
    /// `CosineClassifier` in place of the model's last fully connected layer (LDAM).
    case cosine
}

/// How a training method trains: its training set, its batches and its loss. Every part
/// defaults to the baseline's (the imbalanced set, shuffled epochs, cross-entropy).
public struct TrainingRecipe: Sendable {
    public typealias SetPreparation = @Sendable (MethodContext, _ data: any LabelledImages, _ imbalanced: [Int],
                                                 _ rng: inout RandomStream) throws -> TrainingSet
    /// Resamples the imbalanced set (indices into the dataset), drawing from the job's
    /// "sampler" stream; nil trains on the imbalanced set as it is. Samplers that need the
    /// pixels (synthetic oversampling) get an `ImageDataset` when the images sit in memory.
    public var trainingSet: SetPreparation?
    public var batches: @Sendable (MethodContext) -> BatchSampling
    public var loss: @Sendable (MethodContext) throws -> LossSchedule
    public var classifier: @Sendable (MethodContext) -> ClassifierKind
    /// Accepts partial resampling to a ratio (`samplerRatio`, the paper's section 4.5).
    public var supportsRatio: Bool
    /// The name under which jobs of this method record it in `JobConfig.sampler`
    /// (the baseline's is "none", as before the registry).
    public var recordedName: String?

    public init(trainingSet: SetPreparation? = nil,
                batches: @escaping @Sendable (MethodContext) -> BatchSampling = { _ in .epochs },
                loss: @escaping @Sendable (MethodContext) throws -> LossSchedule = { _ in .crossEntropy },
                classifier: @escaping @Sendable (MethodContext) -> ClassifierKind = { _ in .model },
                supportsRatio: Bool = false, recordedName: String? = nil) {
        self.trainingSet = trainingSet; self.batches = batches; self.loss = loss
        self.classifier = classifier; self.supportsRatio = supportsRatio; self.recordedName = recordedName
    }
}

/// A further training phase on the base method's network.
public struct PhaseRecipe: Sendable {
    /// Key of its learning curve in the record, phase name in progress lines and
    /// divergence reports ("phase2" for two-phase training, as before the registry).
    public var phaseName: String
    /// Seed purposes of its batch-order, dropout and augmentation streams; `initPurpose`
    /// for re-initialised layers (nil: none are).
    public var orderPurpose: String
    public var dropoutPurpose: String
    public var augmentPurpose: String
    public var initPurpose: String?
    /// The layers that train; all others are frozen.
    public var trainableLayers: @Sendable (_ model: String) -> Set<String>
    /// Base learning rate of the phase as a multiple of the job's.
    public var learningRateFactor: @Sendable (MethodContext) -> Double
    /// Iterations of the phase as a fraction of the job's (the schedule stretched to it).
    public var iterationFraction: @Sendable (MethodContext) -> Double
    public var batches: @Sendable (MethodContext) -> BatchSampling
    public var loss: @Sendable (MethodContext) throws -> LossSchedule

    public init(phaseName: String, orderPurpose: String, dropoutPurpose: String, augmentPurpose: String,
                initPurpose: String? = nil, trainableLayers: @escaping @Sendable (String) -> Set<String>,
                learningRateFactor: @escaping @Sendable (MethodContext) -> Double,
                iterationFraction: @escaping @Sendable (MethodContext) -> Double = { _ in 1 },
                batches: @escaping @Sendable (MethodContext) -> BatchSampling = { _ in .epochs },
                loss: @escaping @Sendable (MethodContext) throws -> LossSchedule = { _ in .crossEntropy }) {
        self.phaseName = phaseName; self.orderPurpose = orderPurpose; self.dropoutPurpose = dropoutPurpose
        self.augmentPurpose = augmentPurpose; self.initPurpose = initPurpose
        self.trainableLayers = trainableLayers; self.learningRateFactor = learningRateFactor
        self.iterationFraction = iterationFraction; self.batches = batches; self.loss = loss
    }
}

/// A post-hoc method: how it decides from softmax outputs and, when it changes the network's
/// weights first (tau-norm), the change (applied to a copy of the state, which is restored
/// after the test set has been run again). Without a change it re-reads its base's scores,
/// and is evaluated with them in one pass (one bootstrap, one score set).
public struct PostHocRecipe: Sendable {
    public var decision: @Sendable (MethodContext) -> DecisionRule
    public var reweigh: (@Sendable (MethodContext, Network) -> Void)?

    public init(decision: @escaping @Sendable (MethodContext) -> DecisionRule,
                reweigh: (@Sendable (MethodContext, Network) -> Void)? = nil) {
        self.decision = decision; self.reweigh = reweigh
    }
}
