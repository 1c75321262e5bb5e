import Foundation
import ImbalanceReport

/// Builds synthetic run records in code.
enum Make {
    static func metrics(auc: Double, acc: Double) -> MetricSet {
        MetricSet(multiClassAUC: auc, perClassAUC: [auc, auc], accuracy: acc, balancedAccuracy: acc,
                  macroF1: acc, confusion: [[1, 0], [0, 1]])
    }

    /// `results`: method -> (AUC, accuracy).
    static func record(id: String, dataset: String = "mnist", model: String = "lenet5",
                       profile: ProfileSpec, sampler: String, ratio: Double? = nil, twoPhase: Bool = false,
                       rep: Int, results: [String: (Double, Double)], status: String = "finished",
                       divergence: Divergence? = nil, classes: Int = 10, trainSeconds: Double = 1.5)
        -> RunRecord {
        let config = JobConfig(dataset: dataset, model: model, profile: profile, minorityRule: "random",
                               sampler: sampler, samplerRatio: ratio, twoPhase: twoPhase, repetition: rep,
                               baseSeed: 42, maxPerClass: 500, iterations: 1000, batchSize: 64,
                               baseLearningRate: 0.01, learningRatePolicy: "inv", momentum: 0.9,
                               weightDecay: 0.0005, threads: 1)
        return RunRecord(id: id, tool: ToolInfo(name: "imbench", version: "0.1.0"), config: config,
                         seeds: ["init": 1], data: DataSummary(trainCounts: Array(repeating: 100, count: classes),
                                                               trainedCounts: Array(repeating: 100, count: classes),
                                                               minorityClasses: [0], testCounts: Array(repeating: 10, count: classes),
                                                               dataDirectory: "/abs/secret/datasets/mnist"),
                         status: status, divergence: divergence,
                         results: results.mapValues { metrics(auc: $0.0, acc: $0.1) },
                         curves: [:], timings: Timings(wallSeconds: trainSeconds + 1, trainSeconds: trainSeconds,
                                                       imagesPerSecond: 1000))
    }

    static func step(_ rho: Double, _ mu: Double) -> ProfileSpec { ProfileSpec(kind: "step", rho: rho, mu: mu) }

    /// A baseline job: baseline and baseline+thresholding (same AUC).
    static func baseline(_ id: String, _ p: ProfileSpec, rep: Int, auc: Double, acc: Double, thrAcc: Double,
                         dataset: String = "mnist") -> RunRecord {
        record(id: id, dataset: dataset, profile: p, sampler: "none", rep: rep,
               results: ["baseline": (auc, acc), "baseline+thresholding": (auc, thrAcc)])
    }

    static func sampler(_ id: String, _ s: String, _ p: ProfileSpec, rep: Int, auc: Double, acc: Double,
                        thrAcc: Double, twoPhase: Double? = nil, ratio: Double? = nil,
                        dataset: String = "mnist") -> RunRecord {
        var r: [String: (Double, Double)] = [s: (auc, acc)]
        if ratio == nil { r[s + "+thresholding"] = (auc, thrAcc) }
        if let t = twoPhase { r["two-phase-" + s] = (t, acc) }
        return record(id: id, dataset: dataset, profile: p, sampler: s, ratio: ratio, twoPhase: twoPhase != nil,
                      rep: rep, results: r)
    }

    /// A small but complete study: step (2 rho x 2 mu), linear, exponential, balanced,
    /// partial resampling, two repetitions, plus a second dataset.
    static func study() -> [RunRecord] {
        var out: [RunRecord] = []
        var k = 0
        func id() -> String { k += 1; return String(format: "r%03d", k) }
        for (pi, p) in [step(10, 0.2), step(10, 0.5), step(100, 0.2), step(100, 0.5),
                        ProfileSpec(kind: "linear", rho: 10), ProfileSpec(kind: "linear", rho: 100),
                        ProfileSpec(kind: "exponential", rho: 100), ProfileSpec(kind: "balanced", rho: 1)].enumerated() {
            for rep in 0..<2 {
                let d = Double(pi) * 0.01 + Double(rep) * 0.003
                out.append(baseline(id(), p, rep: rep, auc: 0.95 - d, acc: 0.90 - d, thrAcc: 0.92 - d))
                out.append(sampler(id(), "ROS", p, rep: rep, auc: 0.97 - d, acc: 0.93 - d, thrAcc: 0.94 - d,
                                   twoPhase: 0.96 - d))
                out.append(sampler(id(), "RUS", p, rep: rep, auc: 0.94 - d, acc: 0.88 - d, thrAcc: 0.85 - d,
                                   twoPhase: 0.945 - d))
                out.append(record(id: id(), profile: p, sampler: "class-weighted", rep: rep,
                                  results: ["class-weighted": (0.955 - d, 0.91 - d)]))
            }
        }
        for rep in 0..<2 {
            for ratio in [10.0, 100.0] {
                let d = Double(rep) * 0.002 + ratio / 10_000
                out.append(sampler(id(), "ROS", step(100, 0.5), rep: rep, auc: 0.95 - d, acc: 0.9, thrAcc: 0.9, ratio: ratio))
                out.append(sampler(id(), "RUS", step(100, 0.5), rep: rep, auc: 0.93 - d, acc: 0.9, thrAcc: 0.9, ratio: ratio))
            }
            out.append(baseline(id(), step(50, 0.5), rep: rep, auc: 0.8, acc: 0.7, thrAcc: 0.75, dataset: "cifar10 & <co>"))
            out.append(sampler(id(), "ROS", step(50, 0.5), rep: rep, auc: 0.85, acc: 0.75, thrAcc: 0.76,
                               dataset: "cifar10 & <co>"))
        }
        out.append(record(id: "zz-diverged", profile: step(100, 0.2), sampler: "ROS", twoPhase: true, rep: 2,
                          results: ["ROS": (0.1, 0.1), "ROS+thresholding": (0.1, 0.1)], status: "diverged",
                          divergence: Divergence(phase: "phase2", iteration: 321, reason: "loss is NaN")))
        return out
    }
}
