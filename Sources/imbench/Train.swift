import ArgumentParser
import Foundation
import ImbalanceData
import ImbalanceKernels
import ImbalanceTraining

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train one network and report test accuracy, multi-class ROC AUC and wall time.",
        discussion: """
        Defaults follow the paper's LeNet-5 protocol (Caffe's solver: lr 0.01, inv policy, \
        momentum 0.9, weight decay 5e-4, batch 64, 10,000 iterations) on the balanced base \
        set (5,000 per class). Imbalance and methods can be set here for single runs; \
        `imbench sweep` runs whole grids.

        Your own data: --data PATH (an .npz file, a folder of class folders, a CSV list; \
        --format when it cannot be guessed), with --size, --channels, --test-fraction and \
        --validation-fraction; every other option works as for the built-in datasets. \
        Formats:
        \(DatasetReaders.help)
        """)

    @Option(help: "Built-in dataset: \(DatasetKind.allCases.map(\.rawValue).joined(separator: ", ")) (default fashion-mnist).")
    var dataset: String?
    @Option(help: "Your own data: an .npz file, an image folder or a CSV list (instead of --dataset).")
    var data: String?
    @Option(help: "Format of --data: \(DatasetReaders.names.joined(separator: ", ")) (default: guessed from the path).")
    var format: String?
    @Option(name: .customLong("name"), help: "Name of the --data dataset in the record (default: the file or folder name).")
    var dataName: String?
    @Option(parsing: .upToNextOption, help: "Resize every --data image to H W (or one number for square): area down, bilinear up.")
    var size: [Int] = []
    @Option(help: "Convert every --data image to 1 (grey) or 3 (RGB) channels.") var channels: Int?
    @Option(help: "For --data without a test split: stratified fraction held out as the test set.")
    var testFraction: Double?
    @Option(help: "Stratified fraction of the --data training set held out as a validation set.")
    var validationFraction: Double?
    @Option(help: "Seed of the --data test and validation splits (default 0).") var splitSeed: UInt64?
    @Option(help: "Network: lenet5, allcnn or resnet10.") var model: String = "lenet5"
    @Option(help: "CIFAR-100 label: fine (100 classes) or coarse (20 superclasses).")
    var cifarLabel: String = "fine"
    @Option(help: "Input preprocessing: scale (x/256), gcn-zca or standardize (default: the model's; allcnn gcn-zca, resnet10 standardize).")
    var preprocess: String?
    @Option(help: "Training augmentation: none or crop-mirror (default: the model's; resnet10 crop-mirror).")
    var augment: String?
    @Option(help: "SGD iterations.") var iterations: Int = 10_000
    @Option(help: "Mini-batch size.") var batch: Int = 64
    @Option(help: "Base seed; every random stream is derived from it.") var seed: UInt64 = 1
    @Option(help: "Repetition index (selects the repetition's seeds, as in a sweep).") var repetition: Int = 0
    @Option(help: "Directory holding the dataset files; else $IMBENCH_DATA_DIR, else the standard locations.")
    var dataDir: String?
    @Option(help: "Cap per class of the training base set, or 'all' for the original set.")
    var maxPerClass: String = "5000"
    @Option(help: "Imbalance: balanced, step, linear or exponential.") var profile: String = "balanced"
    @Option(help: "Imbalance ratio rho (max/min class size).") var rho: Double = 1
    @Option(help: "Fraction of minority classes mu (step imbalance).") var mu: Double?
    @Option(help: "Which classes are minority: random (MNIST rule) or lowest (CIFAR rule).")
    var minority: String = "random"
    @Option(help: "Sampler: none, ROS, RUS or class-weighted (or any training method of --method).") var sampler: String = "none"
    @Option(name: .customLong("method"),
            help: "Method to evaluate (repeatable), e.g. focal, LDAM-DRW, SMOTE, cRT; `imbench methods` lists them. Methods that reuse one network share the run (--method baseline --method cRT --method tau-norm).")
    var methods: [String] = []
    @Option(name: .customLong("param"),
            help: "A method hyperparameter, NAME.KEY=VALUE or KEY=VALUE (repeatable), e.g. --param gamma=1.")
    var params: [String] = []
    @Option(help: "Resample only to this max/min ratio (paper section 4.5).") var samplerRatio: Double?
    @Flag(help: "After ROS/RUS, fine-tune the last layer on the imbalanced set (two-phase training).")
    var twoPhase = false
    @Option(help: "Base learning rate (default: the model's).") var learningRate: Double?
    @Option(help: "Threads: each batch is split across them; results do not depend on it.") var threads: Int = 1
    @Option(help: "Learning-curve period in iterations (0 = none).") var curveEvery: Int = 0
    @Option(help: "Write the run record (JSON) here.") var output: String?
    @Option(help: "Stratified bootstrap resamples of the test set for the metrics' 95% intervals (0 = none).")
    var bootstrapResamples: Int = 1_000
    @Flag(help: "Also write the test-set softmax outputs beside the record (OUTPUT minus .json, plus .scores; docs/scores-format.md).")
    var saveScores = false
    @Flag(help: "No progress line.") var quiet = false

    func validate() throws {
        if saveScores && output == nil {
            throw ValidationError("--save-scores writes the scores beside the record: give --output too")
        }
        if bootstrapResamples < 0 {
            throw ValidationError("--bootstrap-resamples must be 0 (no intervals) or more, got \(bootstrapResamples)")
        }
    }

    func run() throws {
        Parallel.configure(threads: threads)
        var spec: DataSpec?
        var datasetName = dataset ?? "fashion-mnist"
        if let data {
            guard dataset == nil else { throw ValidationError("give either --dataset (a built-in dataset) or --data (your own), not both") }
            guard dataDir == nil else { throw ValidationError("--data-dir applies to built-in datasets; --data names the data itself") }
            guard cifarLabel == "fine" else { throw ValidationError("--cifar-label applies to CIFAR-100 only") }
            guard size.count <= 2 else { throw ValidationError("--size takes H W, or one number for square images") }
            let user = UserDataset(format: format, path: data, name: dataName, height: size.first,
                                   width: size.count == 2 ? size[1] : size.first, channels: channels,
                                   testFraction: testFraction, validationFraction: validationFraction,
                                   splitSeed: splitSeed ?? 0)
            spec = try user.resolvedSpec()
            datasetName = dataName ?? UserDataset.defaultName(data)
            if DatasetKind(rawValue: datasetName) != nil {
                throw ValidationError("--name: '\(datasetName)' is a built-in dataset's name; choose another (records tell datasets apart by name)")
            }
        } else {
            let given: [(String, Bool)] = [("--format", format != nil), ("--name", dataName != nil), ("--size", !size.isEmpty),
                                           ("--channels", channels != nil), ("--test-fraction", testFraction != nil),
                                           ("--validation-fraction", validationFraction != nil), ("--split-seed", splitSeed != nil)]
            if let option = given.first(where: { $0.1 }) {
                throw ValidationError("\(option.0) applies to --data (your own data) only")
            }
        }
        guard spec != nil || DatasetKind(rawValue: datasetName) != nil else {
            throw ValidationError("unknown dataset '\(datasetName)' (expected one of \(DatasetKind.allCases.map(\.rawValue).joined(separator: ", ")), or --data PATH for your own data)")
        }
        let cap = try BaseSet.parseMaxPerClass(maxPerClass)
        let defaults = ModelDefaults.forModel(model, iterations: iterations, batch: batch)
        guard let label = CIFARLabel(rawValue: cifarLabel) else {
            throw ValidationError("unknown CIFAR label '\(cifarLabel)' (expected fine or coarse)")
        }
        let chosen = try jobMethods(methods: methods, params: params, sampler: sampler, twoPhase: twoPhase)
        let config = JobConfig(
            dataset: datasetName, model: model,
            profile: ProfileSpec(kind: profile, rho: profile == "balanced" ? 1 : rho, mu: mu),
            minorityRule: minority, sampler: chosen.sampler, samplerRatio: samplerRatio,
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
        let directory: String, found: String, display: String
        if let spec {
            (directory, found, display) = (spec.path, "\(spec.path) (\(spec.format))", datasetName)
        } else {
            let kind = DatasetKind(rawValue: datasetName)!
            let location = try DataLocation.resolve(kind, explicitDirectory: dataDir)
            (directory, found, display) = (location.directory, location.description, kind.displayName)
        }
        let loadStart = Date()
        let splits = try loadSplits(for: config, directory: directory)
        if !quiet {
            printError(String(format: "%@ from %@ (%.1fs)", display, found,
                              Date().timeIntervalSince(loadStart)))
            printError(splits.sources?.summary ?? "\(splits.train.count) training and \(splits.test.count) test images")
        }
        let line = ProgressLine(enabled: !quiet)
        let out = try Experiment.runKeepingScores(config, id: RunID.make(config), splits: splits,
                                                  curveInterval: curveEvery,
                                                  bootstrap: .init(resamples: bootstrapResamples),
                                                  keepScores: saveScores) { p in
            line.update(prefix: p.phase == "phase2" ? "[phase 2] " : "", p.training)
        }
        let record = out.record
        line.finish()
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
