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

    /// Method names a config may list (aliases in parentheses are accepted):
    public static let methodNames = [
        "baseline", "baseline+thresholding", "ROS", "ROS+thresholding", "two-phase-ROS",
        "RUS", "RUS+thresholding", "two-phase-RUS", "class-weighted",
    ]
    static let methodAliases = ["thresholding": "baseline+thresholding"]
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
