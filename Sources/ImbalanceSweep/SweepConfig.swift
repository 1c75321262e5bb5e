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
/// `SweepConfig.keyTable` (SweepConfigKeys.swift) lists every key; `imbench config keys`
/// prints it. configs/ holds the presets.
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
    static var methodAliases: [String: String] { MethodRegistry.aliases }
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
        // Every key's check comes from the table (SweepConfigKeys.swift); what follows are
        // the rules that tie keys together.
        var checker = ConfigChecker()
        guard let values = checker.mapping(root, keys: keyTable, label: "") else {
            throw ConfigErrors(path: path, problems: checker.problems)
        }
        var config = SweepConfig(name: "", dataset: "", model: "lenet5", methods: [], repetitions: 1, iterations: 1)
        for key in keyTable {
            if let item = values[key.name] { key.store?(&config, item) }
        }
        var valueNodes: [String: Node] = [:]
        for (k, v) in root.mapping.map(Array.init) ?? [] where k.string.map({ valueNodes[$0] == nil }) ?? false {
            valueNodes[k.string!] = v
        }
        var problems = checker.problems
        func fail(_ node: Node?, _ message: String) { problems.append((node?.mark?.line, message)) }
        if config.userData != nil, let m = valueNodes["dataset"]?.mapping {
            config.userDataLine = (m.first { $0.key.string == "path" }?.value ?? valueNodes["dataset"])?.mark?.line
        }

        if let m = valueNodes["methods"], values["methods"] != nil {
            parseMethods(m, into: &config, fail: fail)
        }
        if valueNodes["learningRate"] != nil && valueNodes["learningRates"] != nil {
            fail(valueNodes["learningRates"], "give either learningRate or learningRates, not both")
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
                    fail(profileNode(profile, valueNodes), "\(error)")
                }
            }
            if let p = config.partial {
                for rho in p.rhos { for mu in p.mus {
                    let prof = ImbalanceProfile.step(rho: rho, mu: mu)
                    guard let counts = try? prof.classCounts(classes: n, nMax: nMax) else {
                        fail(valueNodes["partial"], "partial: \(prof) is not a valid profile for \(n) classes"); continue
                    }
                    for s in p.samplers { for r in p.ratios {
                        do {
                            _ = try resampledCounts(counts, sampler: s == "ROS" ? .randomOversampling : .randomUndersampling,
                                                    target: .ratio(r))
                        } catch { fail(valueNodes["partial"], "partial: \(error)") }
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
        if items.isEmpty { fail(node, "'methods' is empty: give at least one method"); return }
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
                fail(item, "'methods' lists \(method.name) twice"); continue
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
