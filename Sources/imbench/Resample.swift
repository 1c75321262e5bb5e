import ArgumentParser
import Foundation
import ImbalanceData
import ImbalanceTraining

/// `imbench resample`: the exact training set a job would use, as NumPy's .npz.
struct Resample: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the imbalanced (and resampled) training set a job would use, as an .npz file NumPy loads.",
        discussion: """
        The same seeds and rules as `imbench train` with the same options, so another \
        framework can train on exactly the subsets (and synthetic images) this suite uses. \
        Arrays: x (uint8, N x C x H x W, the training list in order, repeats included), \
        y (int64 labels), source_index (int64: the image's index in the original training \
        file, -1 for a synthetic image), imbalanced_index (the imbalanced set before \
        resampling), class_counts (per class, before resampling), resampled_counts (after), \
        minority_classes. Load with numpy.load(FILE)["x"]. Methods that change batches or \
        the loss rather than the set (class-aware, focal, ...) train on the imbalanced set, \
        which is what the file then holds.
        """)

    @Option(help: "mnist, fashion-mnist, cifar10 or cifar100.") var dataset: String
    @Option(help: "Directory holding the dataset files; else $IMBENCH_DATA_DIR, else the standard locations.")
    var dataDir: String?
    @Option(help: "CIFAR-100 label: fine or coarse.") var cifarLabel: String = "fine"
    @Option(help: "Cap per class of the training base set, or 'all'.") var maxPerClass: String = "5000"
    @Option(help: "Imbalance: balanced, step, linear or exponential.") var profile: String
    @Option(help: "Imbalance ratio rho.") var rho: Double = 1
    @Option(help: "Fraction of minority classes mu (step imbalance).") var mu: Double?
    @Option(help: "Which classes are minority: random or lowest.") var minority: String = "random"
    @Option(help: "The method whose training set to write: none (the imbalanced set), ROS, RUS, SMOTE, borderline-SMOTE-1, borderline-SMOTE-2, ADASYN, ...")
    var sampler: String
    @Option(name: .customLong("param"), help: "A hyperparameter of the sampler, KEY=VALUE (repeatable), e.g. k=5.")
    var params: [String] = []
    @Option(help: "Resample only to this max/min ratio (ROS, RUS).") var samplerRatio: Double?
    @Option(help: "Base seed.") var seed: UInt64 = 1
    @Option(help: "Repetition index.") var repetition: Int = 0
    @Option(help: "The .npz file to write.") var out: String

    func run() throws {
        guard out.hasSuffix(".npz") else { throw ValidationError("--out must name a .npz file, found '\(out)'") }
        let kind = try builtInDataset(dataset)
        guard let label = CIFARLabel(rawValue: cifarLabel) else {
            throw ValidationError("unknown CIFAR label '\(cifarLabel)' (expected fine or coarse)")
        }
        let method: MethodDefinition
        do { method = try MethodRegistry.named(sampler) ?? MethodRegistry.training(recordedAs: sampler) ?? MethodRegistry.lookup(sampler) }
        catch { throw ValidationError("--sampler: \(error)") }
        guard let training = MethodRegistry.named(method.trainingMethod) else { throw ValidationError("--sampler \(sampler)") }
        let chosen = try jobMethods(methods: [training.name], params: params, sampler: "none", twoPhase: false)
        let cap = try BaseSet.parseMaxPerClass(maxPerClass)
        let defaults = ModelDefaults.forModel("lenet5", iterations: 1, batch: 64)
        let config = JobConfig(
            dataset: kind.rawValue, model: "lenet5",
            profile: ProfileSpec(kind: profile, rho: profile == "balanced" ? 1 : rho, mu: mu),
            minorityRule: minority, sampler: chosen.sampler, samplerRatio: samplerRatio, twoPhase: false,
            repetition: repetition, baseSeed: seed, maxPerClass: cap, iterations: 1, batchSize: 64,
            baseLearningRate: defaults.baseLearningRate, learningRatePolicy: defaults.policy.description,
            momentum: defaults.momentum, weightDecay: defaults.weightDecay, threads: 1,
            label: label.recordedName, parameters: chosen.parameters)
        try Experiment.validate(config)
        let directory = URL(fileURLWithPath: out).deletingLastPathComponent().path
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDir), isDir.boolValue else {
            throw ValidationError("--out: the directory \(directory) does not exist")
        }
        let location = try DataLocation.resolve(kind, explicitDirectory: dataDir)
        let splits = try loadDataset(kind: kind, directory: location.directory, cifarLabel: label)
        let start = Date()
        if splits.streamed != nil {
            throw ValidationError("\(splits.name) is decoded batch by batch; resample writes sets held in memory")
        }
        let prepared = try Experiment.prepareData(config, train: splits.train)
        let data = splits.train.appending(prepared.trainingSet.synthetic)
        let list = prepared.trainingSet.indices, k = data.classCount
        var resampled = [Int](repeating: 0, count: k)
        for i in list { resampled[data.labels[i]] += 1 }
        let original = splits.train.count
        try NPZWriter.write([
            ("x", NPYArray(uint8: data.subset(list).pixels, shape: [list.count, data.channels, data.height, data.width])),
            ("y", NPYArray(int64: list.map { data.labels[$0] })),
            ("source_index", NPYArray(int64: list.map { $0 < original ? $0 : -1 })),
            ("imbalanced_index", NPYArray(int64: prepared.imbalanced.indices)),
            ("class_counts", NPYArray(int64: prepared.imbalanced.classCounts)),
            ("resampled_counts", NPYArray(int64: resampled)),
            ("minority_classes", NPYArray(int64: prepared.imbalanced.minorityClasses)),
        ], to: out)
        let synthetic = prepared.trainingSet.synthetic.count
        print("\(out): \(list.count) images (\(synthetic) synthetic) of \(kind.displayName), "
              + "\(String(format: "%.1f", Date().timeIntervalSince(start))) s")
        print("  before resampling: \(prepared.imbalanced.classCounts.map(String.init).joined(separator: " "))")
        print("  after \(training.name): \(resampled.map(String.init).joined(separator: " "))")
        if case .training(let recipe) = training.role, recipe.trainingSet == nil {
            print("  note: \(method.name) trains on the imbalanced set itself (it changes \(training.name == "baseline" ? "nothing about the set" : "batches or the loss, not the set"))")
        }
    }
}
