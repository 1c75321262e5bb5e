import Foundation
import ImbalanceData
import ImbalanceNN
import ImbalancePreprocessing
import ImbalanceTraining
import Yams

/// A sweep as written in its YAML file: the dataset and model, the imbalance grid, the
/// methods and the solver. Experiments are data, not code (as Caffe's prototxt files).
///
/// ```yaml
/// name: buda-mnist-quick
/// dataset: mnist            # or fashion-mnist
/// model: lenet5
/// repetitions: 2
/// iterations: 10000
/// methods: [baseline, thresholding, ROS, ROS+thresholding, two-phase-ROS,
///           RUS, RUS+thresholding, two-phase-RUS]
/// step: {rho: [10, 100, 1000], mu: [0.1, 0.5, 0.9]}
/// linear: {rho: [10, 100]}
/// ```
/// See `SweepConfig.keys` for every key, and configs/ for the presets.
public struct SweepConfig: Sendable, Equatable {
    public var name: String
    /// A built-in dataset's name, or the user's dataset's name (`userData`).
    public var dataset: String
    /// The user's own data as the config gives it (`dataset: {format:, path:, ...}`); nil
    /// for a built-in dataset.
    public var userData: UserDataset?
    /// The config line of `dataset.path`, for errors found when resolving it.
    public var userDataLine: Int?
    /// `userData` resolved (absolute path, format): what the jobs record. Set by
    /// `resolveData(path:)`.
    public var data: DataSpec?
    public var model: String
    public var methods: [String]
    /// Hyperparameters given in the config, by method (`{focal: {gamma: 1}}`); every other
    /// hyperparameter takes its method's published default.
    public var methodParameters: [String: [String: ParameterValue]] = [:]
    public var repetitions: Int
    public var iterations: Int
    public var batchSize: Int = 64
    public var baseSeed: UInt64 = 1
    /// nil = the whole training set ("all").
    public var maxPerClass: Int? = 5_000
    public var minorityRule: String = "random"
    public var learningRate: Double?
    /// The paper's base-rate search: every job is trained once per rate (repetitions
    /// still apply); reports keep, per cell and method, the rate with the best mean AUC.
    public var learningRates: [Double] = []
    public var preprocessing: String?
    public var augmentation: String?
    public var curveEvery: Int = 0
    public var curveTestLimit: Int = 2_000
    /// Stratified bootstrap resamples of the test set per evaluation (0 = no intervals).
    public var bootstrapResamples: Int = 1_000
    /// Keep each job's test-set scores in records/ID.scores beside its record.
    public var saveScores = false
    public var balanced = false
    public var stepRhos: [Double] = []
    public var stepMus: [Double] = []
    public var linearRhos: [Double] = []
    public var exponentialRhos: [Double] = []
    public var partial: PartialGrid?

    /// Section 4.5 of the paper: resampling only part of the way, to ratios rho'.
    public struct PartialGrid: Sendable, Equatable {
        public var rhos: [Double]
        public var mus: [Double]
        public var samplers: [String]
        public var ratios: [Double]
    }

    /// Method names a config may list: the method registry's (aliases such as
    /// `thresholding` are accepted too).
    public static var methodNames: [String] { MethodRegistry.names }

    public static let keys: [String: String] = [
        "name": "sweep name (used in reports)",
        "dataset": "a built-in dataset (" + DatasetKind.allCases.map(\.rawValue).joined(separator: ", ") + ") or your own data: {" + datasetKeys.map(\.key).joined(separator: ", ") + "}",
        "model": "lenet5, allcnn or resnet10",
        "learningRates": "base-rate search: a list of base rates, each trained for every job (reports keep the best per cell)",
        "preprocessing": "scale, gcn-zca or standardize (default: the model's)",
        "augmentation": "none or crop-mirror (default: the model's)",
        "methods": "list of method names, each optionally with hyperparameters ({focal: {gamma: 1}}): "
            + methodNames.joined(separator: ", ") + " (thresholding = baseline+thresholding; `imbench methods` lists the hyperparameters)",
        "repetitions": "repetitions per grid cell (seeds differ by repetition)",
        "iterations": "SGD iterations of every network (phase 2 of two-phase training runs as many again)",
        "batchSize": "mini-batch size (default 64)",
        "baseSeed": "base seed (default 1)",
        "maxPerClass": "cap per class of the balanced base set, or all (default 5000)",
        "minorityRule": "random (MNIST rule) or lowest (CIFAR rule)",
        "learningRate": "base learning rate (default: the model's)",
        "curveEvery": "learning-curve period in iterations (0 = none)",
        "curveTestLimit": "test images used for learning-curve points (default 2000)",
        "bootstrapResamples": "stratified bootstrap resamples of the test set for each metric's interval (default 1000, 0 = none)",
        "saveScores": "also write each job's test-set softmax outputs to records/ID.scores (true/false, default false)",
        "balanced": "also train on the balanced base set (true/false)",
        "step": "{rho: [...], mu: [...]} step-imbalance grid",
        "linear": "{rho: [...]} linear-imbalance ratios",
        "exponential": "{rho: [...]} exponential (long-tail) ratios",
        "partial": "{rho: [...], mu: [...], samplers: [ROS, RUS], ratios: [...]} partial resampling grid",
    ]
}

/// Every problem found in a config, reported together, each with the file and line.
public struct ConfigErrors: Error, CustomStringConvertible {
    public var path: String
    public var problems: [(line: Int?, message: String)]
    public var description: String {
        "\(path): \(problems.count) problem\(problems.count == 1 ? "" : "s")\n" + problems.map {
            "  \(path)\($0.line.map { ":\($0)" } ?? ""): \($0.message)"
        }.joined(separator: "\n")
    }
}

extension SweepConfig {
    /// Reads and validates a YAML config; every problem is collected before throwing.
    public static func load(path: String) throws -> SweepConfig {
        guard let data = FileManager.default.contents(atPath: path),
              let text = String(data: data, encoding: .utf8) else {
            throw ConfigErrors(path: path, problems: [(nil, "cannot read the file")])
        }
        return try parse(yaml: text, path: path)
    }

    public static func parse(yaml text: String, path: String) throws -> SweepConfig {
        var problems: [(line: Int?, message: String)] = []
        func fail(_ node: Node?, _ message: String) { problems.append((node?.mark?.line, message)) }

        let root: Node
        do {
            guard let r = try Yams.compose(yaml: text) else {
                throw ConfigErrors(path: path, problems: [(nil, "the file is empty")])
            }
            root = r
        } catch let e as ConfigErrors {
            throw e
        } catch {
            throw ConfigErrors(path: path, problems: [(nil, "not valid YAML: \(error)")])
        }
        guard let mapping = root.mapping else {
            throw ConfigErrors(path: path, problems: [(root.mark?.line, "the top level must be a mapping of keys")])
        }
        var values: [String: Node] = [:]
        for (k, v) in mapping {
            guard let key = k.string else { fail(k, "keys must be strings"); continue }
            if keys[key] == nil {
                let close = keys.keys.filter { $0.lowercased() == key.lowercased() }.first
                fail(k, "unknown key '\(key)'" + (close.map { " (did you mean '\($0)'?)" } ?? "")
                     + "; known keys: \(keys.keys.sorted().joined(separator: ", "))")
            }
            values[key] = v
        }
        func string(_ key: String, required: Bool = false) -> String? {
            guard let n = values[key] else {
                if required { fail(root, "missing required key '\(key)'") }
                return nil
            }
            guard let s = n.scalar?.string else { fail(n, "'\(key)' must be a single value"); return nil }
            return s
        }
        func int(_ key: String, required: Bool = false, min: Int = 1) -> Int? {
            guard let s = string(key, required: required) else { return nil }
            guard let v = Int(s), v >= min else {
                fail(values[key], "'\(key)' must be a whole number >= \(min), found '\(s)'"); return nil
            }
            return v
        }
        func numbers(_ node: Node?, _ label: String, min: Double) -> [Double] {
            guard let node else { return [] }
            let items: [Node] = node.sequence.map { Array($0) } ?? [node]
            var out: [Double] = []
            for item in items {
                guard let s = item.scalar?.string, let v = Double(s), v.isFinite else {
                    fail(item, "\(label) must be numbers, found '\(item.scalar?.string ?? "a nested value")'"); continue
                }
                if v < min { fail(item, "\(label) must be >= \(min), found \(s)"); continue }
                out.append(v)
            }
            return out
        }
        func subMapping(_ key: String, allowed: Set<String>) -> [String: Node]? {
            guard let n = values[key] else { return nil }
            guard let m = n.mapping else { fail(n, "'\(key)' must be a mapping like {rho: [...]}"); return nil }
            var out: [String: Node] = [:]
            for (k, v) in m {
                let name = k.string ?? ""
                if !allowed.contains(name) {
                    fail(k, "unknown key '\(key).\(name)'; expected \(allowed.sorted().joined(separator: ", "))")
                }
                out[name] = v
            }
            return out
        }

        var config = SweepConfig(name: string("name", required: true) ?? "",
                                 dataset: "",
                                 model: string("model") ?? "lenet5", methods: [],
                                 repetitions: int("repetitions", required: true) ?? 1,
                                 iterations: int("iterations", required: true) ?? 1)
        if values["dataset"] == nil { fail(root, "missing required key 'dataset'") }
        parseDataset(values["dataset"], into: &config, fail: fail)
        if !Models.known.contains(config.model) {
            fail(values["model"], "unknown model '\(config.model)'; expected \(Models.known.sorted().joined(separator: ", "))")
        }
        if let s = string("preprocessing") {
            if Preprocessing(rawValue: s) == nil { fail(values["preprocessing"], "unknown preprocessing '\(s)'; expected \(Preprocessing.names)") }
            config.preprocessing = s
        }
        if let s = string("augmentation") {
            if Augmentation(rawValue: s) == nil { fail(values["augmentation"], "unknown augmentation '\(s)'; expected \(Augmentation.names)") }
            config.augmentation = s
        }
        if let node = values["learningRates"] {
            config.learningRates = numbers(node, "learningRates", min: 0)
            if config.learningRates.contains(0) { fail(node, "learningRates must be positive") }
            if Set(config.learningRates).count != config.learningRates.count { fail(node, "learningRates lists a rate twice") }
            if values["learningRate"] != nil { fail(node, "give either learningRate or learningRates, not both") }
        }
        if let m = values["methods"] {
            parseMethods(m, into: &config, fail: fail)
        } else {
            fail(root, "missing required key 'methods'")
        }
        config.batchSize = int("batchSize") ?? 64
        if let s = string("baseSeed") {
            if let v = UInt64(s) { config.baseSeed = v } else { fail(values["baseSeed"], "'baseSeed' must be a non-negative whole number, found '\(s)'") }
        }
        if let s = string("maxPerClass") {
            if s == "all" { config.maxPerClass = nil }
            else if let v = Int(s), v > 0 { config.maxPerClass = v }
            else { fail(values["maxPerClass"], "'maxPerClass' must be a positive whole number or all, found '\(s)'") }
        }
        if let s = string("minorityRule") {
            if MinorityRule(rawValue: s) == nil { fail(values["minorityRule"], "'minorityRule' must be random or lowest, found '\(s)'") }
            config.minorityRule = s
        }
        if let s = string("learningRate") {
            if let v = Double(s), v > 0 { config.learningRate = v } else { fail(values["learningRate"], "'learningRate' must be a positive number, found '\(s)'") }
        }
        config.curveEvery = int("curveEvery", min: 0) ?? 0
        config.curveTestLimit = int("curveTestLimit") ?? 2_000
        config.bootstrapResamples = int("bootstrapResamples", min: 0) ?? 1_000
        if let s = string("saveScores") {
            switch s.lowercased() {
            case "true", "yes": config.saveScores = true
            case "false", "no": config.saveScores = false
            default: fail(values["saveScores"], "'saveScores' must be true or false, found '\(s)'")
            }
        }
        if let s = string("balanced") {
            switch s.lowercased() {
            case "true", "yes": config.balanced = true
            case "false", "no": config.balanced = false
            default: fail(values["balanced"], "'balanced' must be true or false, found '\(s)'")
            }
        }
        if let step = subMapping("step", allowed: ["rho", "mu"]) {
            config.stepRhos = numbers(step["rho"], "step.rho", min: 1)
            config.stepMus = numbers(step["mu"], "step.mu", min: 0)
            if step["rho"] == nil || step["mu"] == nil { fail(values["step"], "'step' needs both rho and mu lists") }
        }
        if let lin = subMapping("linear", allowed: ["rho"]) {
            config.linearRhos = numbers(lin["rho"], "linear.rho", min: 1)
        }
        if let exp = subMapping("exponential", allowed: ["rho"]) {
            config.exponentialRhos = numbers(exp["rho"], "exponential.rho", min: 1)
        }
        if let p = subMapping("partial", allowed: ["rho", "mu", "samplers", "ratios"]) {
            var samplers: [String] = []
            let items: [Node] = p["samplers"].map { $0.sequence.map { Array($0) } ?? [$0] } ?? []
            let ratioMethods = MethodRegistry.all.filter {
                if case .training(let r) = $0.role { return r.supportsRatio }; return false
            }.map(\.name)
            for item in items {
                let s = item.scalar?.string ?? ""
                if ratioMethods.contains(s) { samplers.append(s) }
                else { fail(item, "partial.samplers must be \(ratioMethods.joined(separator: " or ")), found '\(s)'") }
            }
            config.partial = PartialGrid(rhos: numbers(p["rho"], "partial.rho", min: 1),
                                         mus: numbers(p["mu"], "partial.mu", min: 0),
                                         samplers: samplers.isEmpty ? ["ROS", "RUS"] : samplers,
                                         ratios: numbers(p["ratios"], "partial.ratios", min: 1))
            if p["rho"] == nil || p["mu"] == nil || p["ratios"] == nil {
                fail(values["partial"], "'partial' needs rho, mu and ratios lists")
            }
        }
        if config.stepRhos.isEmpty && config.linearRhos.isEmpty && config.exponentialRhos.isEmpty
            && !config.balanced && config.partial == nil && problems.isEmpty {
            fail(root, "the grid is empty: give at least one of step, linear, exponential, partial or balanced: true")
        }

        // The grid's arithmetic, checked now rather than after hours of training.
        if problems.isEmpty, let kind = DatasetKind(rawValue: config.dataset) {
            let n = kind.expectedClassCount
            // The grid is checked against the protocol's base-set size; the real smallest
            // class is checked again when a job reads its data.
            let nMax = config.maxPerClass ?? kind.protocolMaxPerClass ?? 5_000
            for profile in config.profiles() {
                do { _ = try profile.classCounts(classes: n, nMax: nMax) } catch {
                    fail(profileNode(profile, values), "\(error)")
                }
            }
            if let p = config.partial {
                for rho in p.rhos { for mu in p.mus {
                    let prof = ImbalanceProfile.step(rho: rho, mu: mu)
                    guard let counts = try? prof.classCounts(classes: n, nMax: nMax) else {
                        fail(values["partial"], "partial: \(prof) is not a valid profile for \(n) classes"); continue
                    }
                    for s in p.samplers { for r in p.ratios {
                        do {
                            _ = try resampledCounts(counts, sampler: s == "ROS" ? .randomOversampling : .randomUndersampling,
                                                    target: .ratio(r))
                        } catch { fail(values["partial"], "partial: \(error)") }
                    } }
                } }
            }
        }
        if !problems.isEmpty { throw ConfigErrors(path: path, problems: problems) }
        return config
    }

    /// `methods:` is a list whose items are a method name or a one-key mapping from a name
    /// to its hyperparameters: `[baseline, {focal: {gamma: 1}}, cRT]`.
    private static func parseMethods(_ node: Node, into config: inout SweepConfig,
                                     fail: (Node?, String) -> Void) {
        let items: [Node] = node.sequence.map { Array($0) } ?? [node]
        for item in items {
            var nameNode: Node? = item
            var parameterNode: Node?
            if let mapping = item.mapping {
                guard mapping.count == 1, let first = mapping.first else {
                    fail(item, "a method with hyperparameters is written {NAME: {KEY: VALUE, ...}}, one method per item")
                    continue
                }
                nameNode = first.key
                parameterNode = first.value
            }
            guard let raw = nameNode?.scalar?.string else {
                fail(item, "methods must be names or {NAME: {KEY: VALUE}} items"); continue
            }
            let method: MethodDefinition
            do { method = try MethodRegistry.lookup(raw) } catch { fail(nameNode, "\(error)"); continue }
            if config.methods.contains(method.name) {
                if parameterNode != nil { fail(item, "method '\(method.name)' is listed twice") }
                continue
            }
            config.methods.append(method.name)
            guard let parameterNode else { continue }
            guard let pm = parameterNode.mapping else {
                fail(parameterNode, "the hyperparameters of '\(method.name)' must be a mapping like {\(method.parameters.first?.key ?? "key"): value}")
                continue
            }
            var given: [String: ParameterValue] = [:]
            for (k, v) in pm {
                let key = k.string ?? ""
                guard let declared = method.parameter(key) else {
                    let keys = method.parameters.map(\.key)
                    fail(k, "method '\(method.name)' has no hyperparameter '\(key)'; "
                         + (keys.isEmpty ? "it takes none" : "expected \(keys.joined(separator: ", "))"))
                    continue
                }
                guard let text = v.scalar?.string else { fail(v, "'\(method.name).\(key)' must be a single value"); continue }
                switch declared.parse(text) {
                case .success(let value): given[key] = value
                case .failure(let e): fail(v, "method '\(method.name)': \(e.description)")
                }
            }
            config.methodParameters[method.name] = given
        }
    }

    private static func profileNode(_ p: ImbalanceProfile, _ values: [String: Node]) -> Node? {
        switch p {
        case .step: return values["step"]
        case .linear: return values["linear"]
        case .exponential: return values["exponential"]
        case .balanced: return values["balanced"]
        }
    }

    /// The imbalance profiles of the main grid, in order.
    public func profiles() -> [ImbalanceProfile] {
        var out: [ImbalanceProfile] = []
        if balanced { out.append(.balanced) }
        for rho in stepRhos { for mu in stepMus { out.append(.step(rho: rho, mu: mu)) } }
        for rho in linearRhos { out.append(.linear(rho: rho)) }
        for rho in exponentialRhos { out.append(.exponential(rho: rho)) }
        return out
    }
}
