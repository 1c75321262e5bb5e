import ArgumentParser
import Foundation
import ImbalanceData
import ImbalanceKernels
import ImbalanceNN
import ImbalancePreprocessing
import ImbalanceTraining

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train one network and report test accuracy, multi-class ROC AUC and wall time.",
        discussion: """
        Defaults follow the paper's LeNet-5 protocol (Caffe's solver: lr 0.01, inv policy, \
        momentum 0.9, weight decay 5e-4, batch 64, 10,000 iterations) on the balanced base \
        set (5,000 per class). Imbalance and methods can be set here for single runs; \
        `imbench sweep` runs whole grids.

        Options that do not apply are refused (exit status 2), never ignored. The rule: \
        --profile step needs --rho and --mu; linear and exponential need --rho and refuse \
        --mu; balanced (the default) refuses both. Without --profile, --rho with --mu means \
        step; --rho alone is refused (say --profile linear or exponential). --minority needs \
        an imbalanced profile; --sampler-ratio and --two-phase need --sampler ROS or RUS; \
        --cifar-label needs --dataset cifar100. --output's directory is checked before \
        training starts.

        The data files of a built-in dataset are checked against the dataset manifests \
        (datasets/*.json) by content: files that are another dataset's (MNIST's given as \
        Fashion-MNIST, say) are refused unless --allow-mismatch; the record says what was \
        found.

        Your own data: --data PATH (an .npz file, a folder of class folders, a CSV list; \
        --format when it cannot be guessed), with --size, --channels, --test-fraction and \
        --validation-fraction, which apply to --data only; every other option works as for \
        the built-in datasets. Formats:
        \(DatasetReaders.help)
        """)

    @Option(help: "Built-in dataset: \(DatasetKind.allCases.map(\.rawValue).joined(separator: ", ")) (default fashion-mnist).",
            transform: OptionValue.choice(DatasetKind.allCases.map(\.rawValue)))
    var dataset: String?
    @Option(help: "Your own data: an .npz file, an image folder or a CSV list (instead of --dataset).")
    var data: String?
    @Option(help: "Format of --data: \(DatasetReaders.names.joined(separator: ", ")) (default: guessed from the path).",
            transform: OptionValue.choice(DatasetReaders.names))
    var format: String?
    @Option(name: .customLong("name"), help: "Name of the --data dataset in the record (default: the file or folder name).")
    var dataName: String?
    @Option(parsing: .upToNextOption, help: "Resize every --data image to H W (or one number for square), 1 to 4096 each: area down, bilinear up.",
            transform: OptionValue.integer(1...4096))
    var size: [Int] = []
    @Option(parsing: .unconditional, help: "Convert every --data image to 1 (grey) or 3 (RGB) channels.",
            transform: { text in
                guard text == "1" || text == "3" else { throw OptionValue.Invalid(description: "expected 1 or 3") }
                return Int(text)!
            })
    var channels: Int?
    @Option(parsing: .unconditional, help: "For --data without a test split: stratified fraction held out as the test set (0 to 1, exclusive).",
            transform: OptionValue.fraction)
    var testFraction: Double?
    @Option(parsing: .unconditional, help: "Stratified fraction of the --data training set held out as a validation set (0 to 1, exclusive).",
            transform: OptionValue.fraction)
    var validationFraction: Double?
    @Option(parsing: .unconditional, help: "Seed of the --data test and validation splits (0 to 2^64-1; default 0).",
            transform: OptionValue.seed)
    var splitSeed: UInt64?
    @Option(help: "Network: lenet5, allcnn or resnet10.", transform: OptionValue.choice(Models.known.sorted()))
    var model: String = "lenet5"
    @Option(help: "CIFAR-100 label: fine (100 classes, the default) or coarse (20 superclasses).",
            transform: OptionValue.choice(CIFARLabel.allCases.map(\.rawValue)))
    var cifarLabel: String?
    @Option(help: "Input preprocessing: scale (x/256), gcn-zca or standardize (default: the model's; allcnn gcn-zca, resnet10 standardize).",
            transform: OptionValue.choice(Preprocessing.allCases.map(\.rawValue)))
    var preprocess: String?
    @Option(help: "Training augmentation: none or crop-mirror (default: the model's; resnet10 crop-mirror).",
            transform: OptionValue.choice(Augmentation.allCases.map(\.rawValue)))
    var augment: String?
    @Option(parsing: .unconditional, help: "SGD iterations (>= 1).", transform: OptionValue.integer(atLeast: 1))
    var iterations: Int = 10_000
    @Option(parsing: .unconditional, help: "Mini-batch size (>= 1).", transform: OptionValue.integer(atLeast: 1))
    var batch: Int = 64
    @Option(parsing: .unconditional, help: "Base seed (0 to 2^64-1); every random stream is derived from it.",
            transform: OptionValue.seed)
    var seed: UInt64 = 1
    @Option(parsing: .unconditional, help: "Repetition index (>= 0; selects the repetition's seeds, as in a sweep).",
            transform: OptionValue.integer(atLeast: 0))
    var repetition: Int = 0
    @Option(help: "Directory holding the dataset files; else $IMBENCH_DATA_DIR, else the standard locations.")
    var dataDir: String?
    @Option(parsing: .unconditional, help: "Cap per class of the training base set (>= 1), or 'all' for the original set.", transform: { text in
                do { return try BaseSet.parseMaxPerClass(text).map(String.init) ?? "all" } catch {
                    throw OptionValue.Invalid(description: "expected a whole number >= 1 or all")
                }
            })
    var maxPerClass: String = "5000"
    @Option(help: "Imbalance: balanced, step, linear or exponential (see the rule above).",
            transform: OptionValue.choice(["balanced", "step", "linear", "exponential"]))
    var profile: String?
    @Option(parsing: .unconditional, help: "Imbalance ratio rho (max/min class size, >= 1).",
            transform: OptionValue.number(min: 1))
    var rho: Double?
    @Option(parsing: .unconditional, help: "Fraction of minority classes mu (step imbalance; 0 to 1).",
            transform: OptionValue.number(min: 0, max: 1))
    var mu: Double?
    @Option(help: "Which classes are minority: random (MNIST rule, the default) or lowest (CIFAR rule).",
            transform: OptionValue.choice(MinorityRule.allCases.map(\.rawValue)))
    var minority: String?
    @Option(help: "Sampler: none, ROS, RUS or class-weighted (every other method: --method).",
            transform: OptionValue.choice(["none", "ROS", "RUS", "class-weighted"]))
    var sampler: String = "none"
    @Option(name: .customLong("method"),
            help: "Method to evaluate (repeatable), e.g. focal, LDAM-DRW, SMOTE, cRT; `imbench methods` lists them. Methods that reuse one network share the run (--method baseline --method cRT --method tau-norm).")
    var methods: [String] = []
    @Option(name: .customLong("param"),
            help: "A method hyperparameter, NAME.KEY=VALUE or KEY=VALUE (repeatable), e.g. --param gamma=1.")
    var params: [String] = []
    @Option(parsing: .unconditional, help: "Resample only to this max/min ratio (>= 1; paper section 4.5; needs --sampler ROS or RUS).", transform: OptionValue.number(min: 1))
    var samplerRatio: Double?
    @Flag(help: "After ROS/RUS, fine-tune the last layer on the imbalanced set (two-phase training).")
    var twoPhase = false
    @Option(parsing: .unconditional, help: "Base learning rate (> 0; default: the model's).",
            transform: OptionValue.number(min: 0, above: true))
    var learningRate: Double?
    @Option(parsing: .unconditional, help: "Threads (1 to the cores of this machine): each batch is split across them; results do not depend on it.", transform: OptionValue.cores)
    var threads: Int = 1
    @Option(parsing: .unconditional, help: "Learning-curve period in iterations (>= 0; 0 = none).",
            transform: OptionValue.integer(atLeast: 0))
    var curveEvery: Int = 0
    @Option(help: "Write the run record (JSON) here; its directory must exist.") var output: String?
    @Option(parsing: .unconditional, help: "Stratified bootstrap resamples of the test set for the metrics' 95% intervals (>= 0; 0 = none).",
            transform: OptionValue.integer(atLeast: 0))
    var bootstrapResamples: Int = 1_000
    @Flag(help: "Also write the test-set softmax outputs beside the record (OUTPUT minus .json, plus .scores; docs/scores-format.md).")
    var saveScores = false
    @Flag(help: "Train even if the data files are another dataset's official files (the record says so).")
    var allowMismatch = false
    @Flag(help: "No progress line.") var quiet = false

    /// The imbalance profile the options ask for (the rule in the help text).
    func resolvedProfile() throws -> ProfileSpec {
        let kind: String
        if let profile { kind = profile } else if rho != nil && mu != nil { kind = "step" } else if rho != nil {
            throw ValidationError("--rho without --profile: say --profile linear or --profile exponential, "
                                  + "or add --mu for step imbalance")
        } else if mu != nil {
            throw ValidationError("--mu applies to step imbalance, which also needs --rho")
        } else {
            kind = "balanced"
        }
        switch kind {
        case "balanced":
            if rho != nil { throw ValidationError("--rho does not apply to --profile balanced; give --profile step, linear or exponential") }
            if mu != nil { throw ValidationError("--mu does not apply to --profile balanced; it is the fraction of minority classes of --profile step") }
            if minority != nil { throw ValidationError("--minority does not apply to a balanced set; it chooses the minority classes of --profile step, linear or exponential") }
            return ProfileSpec(kind: kind, rho: 1, mu: nil)
        case "step":
            guard let rho else { throw ValidationError("--profile step needs --rho (the imbalance ratio)") }
            guard let mu else { throw ValidationError("--profile step needs --mu (the fraction of minority classes)") }
            return ProfileSpec(kind: kind, rho: rho, mu: mu)
        default:
            guard let rho else { throw ValidationError("--profile \(kind) needs --rho (the imbalance ratio)") }
            if mu != nil { throw ValidationError("--mu does not apply to --profile \(kind); it belongs to --profile step") }
            return ProfileSpec(kind: kind, rho: rho, mu: nil)
        }
    }

    func validate() throws {
        _ = try resolvedProfile()
        if data != nil {
            if dataset != nil { throw ValidationError("give either --dataset (a built-in dataset) or --data (your own), not both") }
            if dataDir != nil { throw ValidationError("--data-dir applies to built-in datasets; --data names the data itself") }
            if allowMismatch { throw ValidationError("--allow-mismatch applies to built-in datasets, whose files are checked against their manifests") }
            if size.count > 2 { throw ValidationError("--size takes H W, or one number for square images") }
        } else {
            let given: [(String, Bool)] = [("--format", format != nil), ("--name", dataName != nil), ("--size", !size.isEmpty),
                                           ("--channels", channels != nil), ("--test-fraction", testFraction != nil),
                                           ("--validation-fraction", validationFraction != nil), ("--split-seed", splitSeed != nil)]
            if let option = given.first(where: { $0.1 }) {
                throw ValidationError("\(option.0) applies to --data (your own data) only")
            }
        }
        let resampling = sampler == "ROS" || sampler == "RUS"
        if samplerRatio != nil && !resampling {
            throw ValidationError("--sampler-ratio applies to --sampler ROS or RUS (partial resampling), not to --sampler \(sampler)")
        }
        if twoPhase && !resampling {
            throw ValidationError("--two-phase fine-tunes after --sampler ROS or RUS; add one of them (--sampler is \(sampler))")
        }
        if cifarLabel != nil && dataset != DatasetKind.cifar100.rawValue {
            throw ValidationError("--cifar-label applies to --dataset cifar100 only (\(dataset ?? data.map { "--data \($0)" } ?? "fashion-mnist") has one label per image)")
        }
        if curveEvery > iterations {
            throw ValidationError("--curve-every \(curveEvery) is longer than the run (--iterations \(iterations)), "
                                  + "so it would record no point; give at most \(iterations), or 0 for no curve")
        }
        if saveScores && output == nil {
            throw ValidationError("--save-scores writes the scores beside the record: give --output too")
        }
        if !methods.isEmpty && (sampler != "none" || twoPhase || samplerRatio != nil) {
            throw ValidationError("give the methods either with --method or with --sampler/--two-phase/--sampler-ratio, not both")
        }
        if !params.isEmpty && methods.isEmpty && sampler == "none" {
            throw ValidationError("--param sets a hyperparameter of a --method; give the method too")
        }
        if let output { try checkOutputPath(output) }
    }

    func run() throws {
        Parallel.configure(threads: threads)
        var spec: DataSpec?
        var datasetName = dataset ?? DatasetKind.fashionMNIST.rawValue
        if let data {
            let user = UserDataset(format: format, path: data, name: dataName, height: size.first,
                                   width: size.count == 2 ? size[1] : size.first, channels: channels,
                                   testFraction: testFraction, validationFraction: validationFraction,
                                   splitSeed: splitSeed ?? 0)
            spec = try user.resolvedSpec()
            datasetName = dataName ?? UserDataset.defaultName(data)
            if DatasetKind(rawValue: datasetName) != nil {
                throw ValidationError("--name: '\(datasetName)' is a built-in dataset's name; choose another (records tell datasets apart by name)")
            }
        }
        let kind = DatasetKind(rawValue: datasetName)
        let cap = try BaseSet.parseMaxPerClass(maxPerClass)
        let defaults = ModelDefaults.forModel(model, iterations: iterations, batch: batch)
        let label = CIFARLabel(rawValue: cifarLabel ?? CIFARLabel.fine.rawValue)!
        let chosen = try jobMethods(methods: methods, params: params, sampler: sampler, twoPhase: twoPhase)
        let config = JobConfig(
            dataset: datasetName, model: model,
            profile: try resolvedProfile(),
            minorityRule: minority ?? MinorityRule.random.rawValue, sampler: chosen.sampler, samplerRatio: samplerRatio,
            twoPhase: chosen.twoPhase, repetition: repetition, baseSeed: seed, maxPerClass: cap,
            iterations: iterations, batchSize: batch,
            baseLearningRate: learningRate ?? defaults.baseLearningRate,
            learningRatePolicy: defaults.policy.description, momentum: defaults.momentum,
            weightDecay: defaults.weightDecay, threads: threads,
            preprocessing: preprocess ?? defaults.preprocessing,
            augmentation: augment ?? defaults.augmentation,
            label: label.recordedName, data: spec, parameters: chosen.parameters,
            derivedMethods: chosen.derivedMethods)
        try Experiment.validate(config)
        if spec == nil, let kind {
            // The profile's class counts, checked before the data is read.
            let nMax = cap ?? kind.protocolMaxPerClass ?? 5_000
            do { _ = try Experiment.profile(of: config).classCounts(classes: kind.expectedClassCount, nMax: nMax) } catch {
                throw ValidationError("--rho/--mu: \(error)")
            }
        }
        let data = try JobData.locate(dataset: datasetName, spec: spec, dataDir: dataDir, allowMismatch: allowMismatch)
        let (directory, found, display, check) = (data.directory, data.found, data.display, data.check)
        let loadStart = Date()
        let splits = try loadSplits(for: config, directory: directory)
        if !quiet {
            printError(String(format: "%@ from %@ (%.1fs)", display, found,
                              Date().timeIntervalSince(loadStart)))
            if let check { printError("data check: \(check.result): \(check.detail)") }
            printError(splits.sources?.summary ?? "\(splits.train.count) training and \(splits.test.count) test images")
        }
        let line = ProgressLine(enabled: !quiet)
        let out = try Experiment.runKeepingScores(config, id: RunID.make(config), splits: splits,
                                                  curveInterval: curveEvery,
                                                  bootstrap: .init(resamples: bootstrapResamples),
                                                  keepScores: saveScores) { p in
            line.update(prefix: p.phase == "phase2" ? "[phase 2] " : "", p.training)
        }
        var record = out.record
        line.finish()
        record.provenance?.dataCheck = check
        print(Summary.describe(record))
        if let output {
            if let scores = out.scores {
                let path = ScoreFile.path(forRecord: output)
                try scores.write(to: path)
                print("scores written to \(path)")
            }
            try RecordIO.write(record, to: output)
            print("record written to \(output)")
        }
        if record.status != "finished" { throw ExitCode(3) }
    }
}
