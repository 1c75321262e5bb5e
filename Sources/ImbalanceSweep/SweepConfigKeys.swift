import ImbalanceData
import ImbalanceNN
import ImbalancePreprocessing
import ImbalanceTraining

extension SweepConfig {
    /// Every key a sweep config may hold, in the order `imbench config keys` prints them.
    /// `parse` checks files against this table; ConfigKeys.swift says how to add a key.
    public static let keyTable: [ConfigKey] = [
        ConfigKey("name", .text, default: .required,
                  "sweep name, used in reports and in the file names of `imbench slurm`") { c, v in
            c.name = v.string!
        },
        ConfigKey("dataset", .either([.choice(DatasetKind.allCases.map(\.rawValue)), .mapping(datasetKeyTable)]),
                  default: .required,
                  "the dataset every job trains and tests on: a built-in one, or your own data as a mapping "
                  + "(docs/your-own-data.md)", store: storeDataset),
        ConfigKey("model", .choice(Models.known.sorted()), default: .value(.text("lenet5")),
                  "the network") { c, v in c.model = v.string! },
        // Names with optional hyperparameters; `parse` checks each item against the method
        // registry (with a line per problem), so the table only describes the key.
        ConfigKey("methods", .custom(type: "list of methods",
                                     values: methodNames.joined(separator: ", ")
                                        + " (or " + methodAliases.keys.sorted().joined(separator: ", ") + "); "
                                        + "an item may carry hyperparameters, {NAME: {KEY: VALUE}} (`imbench methods` lists them)",
                                     check: { _, _ in .item(.list([])) }),
                  default: .required,
                  "methods to evaluate; one job trains one network per training recipe, and the "
                  + "decision rules (thresholding, logit adjustment), tau-norm and second phases "
                  + "(two-phase training, cRT) reuse it", noun: "method"),
        ConfigKey("repetitions", .integer(min: 1), default: .required,
                  "repetitions of every grid cell (each with its own seeds)") { c, v in c.repetitions = v.int! },
        ConfigKey("iterations", .integer(min: 1), default: .required,
                  "SGD iterations of every network (phase 2 of two-phase training runs as many again)") { c, v in
            c.iterations = v.int!
        },
        ConfigKey("batchSize", .integer(min: 1), default: .value(.integer(64)), "mini-batch size") { c, v in
            c.batchSize = v.int!
        },
        ConfigKey("baseSeed", .unsigned, default: .value(.unsigned(1)),
                  "base seed; every random stream derives from it and the repetition") { c, v in
            c.baseSeed = v.uint64!
        },
        ConfigKey("maxPerClass", .either([.integer(min: 1), .choice(["all"])]), default: .value(.integer(5_000)),
                  "cap per class of the balanced base set, or all for the whole training set") { c, v in
            c.maxPerClass = v.int
        },
        ConfigKey("minorityRule", .choice(MinorityRule.allCases.map(\.rawValue)), default: .value(.text("random")),
                  "which classes are minority: random (a fresh draw per repetition, the paper's MNIST rule) "
                  + "or lowest (the lowest labels, the paper's CIFAR-10 rule)", noun: "minority rule") { c, v in
            c.minorityRule = v.string!
        },
        ConfigKey("learningRate", .number(min: 0, aboveMin: true),
                  default: .absent("the model's: " + modelDefaultsText { String($0.baseLearningRate) }),
                  "base learning rate (excludes learningRates)") { c, v in c.learningRate = v.double! },
        ConfigKey("learningRates", .list(.number(min: 0, aboveMin: true)), default: .absent("no search"),
                  "base-rate search: every job is trained once per rate, and reports keep, per cell and "
                  + "method, the rate with the best mean AUC (excludes learningRate)", noun: "rate") { c, v in
            c.learningRates = v.numbers
        },
        ConfigKey("preprocessing", .choice(Preprocessing.allCases.map(\.rawValue)),
                  default: .absent("the model's: " + modelDefaultsText { $0.preprocessing ?? "scale" }),
                  "input preprocessing, fitted on each imbalanced training set") { c, v in c.preprocessing = v.string! },
        ConfigKey("augmentation", .choice(Augmentation.allCases.map(\.rawValue)),
                  default: .absent("the model's: " + modelDefaultsText { $0.augmentation ?? "none" }),
                  "training-time augmentation") { c, v in c.augmentation = v.string! },
        ConfigKey("curveEvery", .integer(min: 0), default: .value(.integer(0)),
                  "learning-curve period in iterations (0: no curves)") { c, v in c.curveEvery = v.int! },
        ConfigKey("curveTestLimit", .integer(min: 1), default: .value(.integer(2_000)),
                  "test images evaluated at each learning-curve point") { c, v in c.curveTestLimit = v.int! },
        ConfigKey("bootstrapResamples", .integer(min: 0), default: .value(.integer(1_000)),
                  "stratified bootstrap resamples of the test set for every metric's interval (0: none)") { c, v in
            c.bootstrapResamples = v.int!
        },
        ConfigKey("saveScores", .boolean, default: .value(.boolean(false)),
                  "also write each job's test-set softmax outputs to records/ID.scores (docs/scores-format.md)") { c, v in
            c.saveScores = v.bool!
        },
        ConfigKey("balanced", .boolean, default: .value(.boolean(false)),
                  "also train one reference network on the balanced base set") { c, v in c.balanced = v.bool! },
        ConfigKey("step", .mapping([
            ConfigKey("rho", .list(.number(min: 1)), default: .required, "imbalance ratios ρ (largest / smallest class)"),
            ConfigKey("mu", .list(.number(min: 0, max: 1)), default: .required, "fractions μ of minority classes"),
        ]), default: .absent("no step imbalance"), "step imbalance: every ρ with every μ") { c, v in
            c.stepRhos = v["rho"]!.numbers
            c.stepMus = v["mu"]!.numbers
        },
        ConfigKey("linear", .mapping([
            ConfigKey("rho", .list(.number(min: 1)), default: .required, "imbalance ratios ρ"),
        ]), default: .absent("no linear imbalance"),
                  "linear imbalance: class sizes fall linearly from the largest to largest / ρ") { c, v in
            c.linearRhos = v["rho"]!.numbers
        },
        ConfigKey("exponential", .mapping([
            ConfigKey("rho", .list(.number(min: 1)), default: .required, "imbalance ratios ρ"),
        ]), default: .absent("no exponential imbalance"),
                  "exponential (long-tail) imbalance: class sizes fall geometrically to largest / ρ") { c, v in
            c.exponentialRhos = v["rho"]!.numbers
        },
        ConfigKey("partial", .mapping([
            ConfigKey("rho", .list(.number(min: 1)), default: .required, "step imbalance ratios ρ"),
            ConfigKey("mu", .list(.number(min: 0, max: 1)), default: .required, "fractions μ of minority classes"),
            ConfigKey("samplers", .list(.choice(ratioMethods)), default: .value(.list([.text("ROS"), .text("RUS")])),
                      "samplers resampled part of the way", noun: "sampler"),
            ConfigKey("ratios", .list(.number(min: 1)), default: .required, "ratios ρ′ (largest / smallest) after resampling"),
        ]), default: .absent("no partial resampling"),
                  "partial resampling (the paper's section 4.5): step imbalance resampled only to ρ′") { c, v in
            c.partial = PartialGrid(rhos: v["rho"]!.numbers, mus: v["mu"]!.numbers,
                                    samplers: v["samplers"]!.strings, ratios: v["ratios"]!.numbers)
        },
    ]

    /// Training methods that resample part of the way (`partial.samplers`).
    static var ratioMethods: [String] {
        MethodRegistry.all.filter {
            if case .training(let r) = $0.role { return r.supportsRatio }; return false
        }.map(\.name)
    }

    /// "lenet5 X, allcnn Y, resnet10 Z" for a per-model default.
    static func modelDefaultsText(_ value: (ModelDefaults) -> String) -> String {
        Models.known.sorted().map { "\($0) \(value(ModelDefaults.forModel($0, iterations: 1, batch: 1)))" }
            .joined(separator: ", ")
    }

    /// Every key, nested keys dotted (`step.rho`), for `imbench config keys`.
    public static var keyRows: [ConfigKeyRow] { keyTable.flatMap { $0.rows() } }

    /// The smallest config that runs (`imbench sweep --help` ends with it; a test runs it).
    /// Fashion-MNIST, because the quick start installs it (Debian's dataset-fashion-mnist).
    public static let minimalExample = """
        name: my-first-sweep
        dataset: fashion-mnist
        repetitions: 1
        iterations: 200
        methods: [baseline, ROS]
        step: {rho: [10], mu: [0.5]}
        """
}
