import Foundation
import ImbalanceNN

/// Stable identifiers for jobs.
///
/// The id is a readable prefix (dataset, profile, sampler, repetition) plus a 64-bit FNV-1a
/// hash of the job's identity (`identity(of:engine:)`): its full configuration in canonical
/// JSON (sorted keys) and the engine version. Everything that changes the result changes
/// the id, so a record of another engine version is another job's record: a sweep reports
/// such records and retrains their jobs (or keeps them, when told to). The thread count,
/// which only changes speed, is left out, so a sweep can be resumed with a different
/// `--jobs`. The readable prefix does not depend on the engine, so the records of one job
/// under several engines sort together.
public enum RunID {
    public static func make(_ config: JobConfig) -> String { make(config, engine: ImbalanceBenchInfo.version) }

    /// The id the job had, or would have, under another engine version.
    public static func make(_ config: JobConfig, engine: String) -> String {
        "\(readablePrefix(config))-\(hash(config, engine: engine))"
    }

    /// What a job's id is a hash of: the configuration (threads excluded) and the engine
    /// version. The one place the engine enters a job's identity.
    public static func identity(of config: JobConfig, engine: String = ImbalanceBenchInfo.version) -> Data {
        var c = config
        c.threads = 0
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var data = (try? encoder.encode(c)) ?? Data()
        data.append(contentsOf: Array("\nengine \(engine)".utf8))
        return data
    }

    /// The 16-hex-digit hash of `identity(of:engine:)`.
    public static func hash(_ config: JobConfig) -> String { hash(config, engine: ImbalanceBenchInfo.version) }

    public static func hash(_ config: JobConfig, engine: String) -> String {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in identity(of: config, engine: engine) { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        return String(format: "%016llx", h)
    }

    /// The id without its hash: the same for a job under every engine version.
    public static func prefix(_ config: JobConfig) -> String { readablePrefix(config) }

    static func readablePrefix(_ c: JobConfig) -> String {
        var parts = [c.dataset + (c.label.map { "-\($0)" } ?? ""), c.model]
        switch c.profile.kind {
        case "step": parts.append("step-rho\(num(c.profile.rho))-mu\(num(c.profile.mu ?? 0))")
        case "balanced": parts.append("balanced")
        default: parts.append("\(c.profile.kind)-rho\(num(c.profile.rho))")
        }
        var s = c.sampler == "none" ? "baseline" : c.sampler
        if let r = c.samplerRatio { s += "-to\(num(r))" }
        if c.twoPhase { s += "-2phase" }
        parts.append(s)
        parts.append("rep\(c.repetition)")
        return parts.joined(separator: "_")
    }

    static func num(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(x)
    }
}

/// Per-model solver and input defaults, from the protocol.
public struct ModelDefaults: Sendable {
    public var baseLearningRate: Double
    public var policy: LearningRatePolicy
    public var momentum: Double
    public var weightDecay: Double
    /// nil = Caffe's x/256 scale (kept out of LeNet-5's configs so their run ids stay).
    public var preprocessing: String? = nil
    public var augmentation: String? = nil

    public static func forModel(_ model: String, iterations: Int, batch: Int) -> ModelDefaults {
        switch model {
        case "allcnn":
            // Springenberg et al.'s All-CNN-C solver as the paper ran it: momentum 0.9,
            // weight decay 1e-3, rate x0.1 at 40k, 50k and 60k of 70k iterations (the same
            // fractions of a shorter schedule), GCN + ZCA inputs. The base rate is the
            // paper's search range's workable middle for batch 64; `learning_rates` in a
            // sweep config searches it as the paper did.
            let steps = [4, 5, 6].map { iterations * $0 / 7 }
            return ModelDefaults(baseLearningRate: 0.01,
                                 policy: .multistep(milestones: steps, gamma: 0.1),
                                 momentum: 0.9, weightDecay: 1e-3, preprocessing: "gcn-zca")
        case "resnet10":
            // He et al.'s solver with the paper's linear decay to zero; CIFAR inputs
            // standardised per channel, with random crops and mirroring in training.
            return ModelDefaults(baseLearningRate: 0.1,
                                 policy: .polynomial(maxIterations: iterations, power: 1),
                                 momentum: 0.9, weightDecay: 1e-4, preprocessing: "standardize",
                                 augmentation: "crop-mirror")
        default:   // lenet5: Caffe's lenet_solver.prototxt
            return ModelDefaults(baseLearningRate: 0.01, policy: .inverse(gamma: 1e-4, power: 0.75),
                                 momentum: 0.9, weightDecay: 5e-4)
        }
    }
}

/// Human-readable summaries of records for the terminal.
public enum Summary {
    public static func describe(_ r: RunRecord) -> String {
        var lines: [String] = []
        let c = r.config
        lines.append("run \(r.id)")
        lines.append("  \(c.dataset) / \(c.model), profile \(c.profile.kind)"
                     + (c.profile.kind == "balanced" ? "" : " rho=\(RunID.num(c.profile.rho))")
                     + (c.profile.mu.map { " mu=\($0)" } ?? "")
                     + ", trained on \(r.data.trainedCounts.reduce(0, +)) images "
                     + "(per class \(r.data.trainedCounts.map(String.init).joined(separator: " ")))")
        if r.status != "finished" {
            let d = r.divergence
            lines.append("  DIVERGED in \(d?.phase ?? "?") at iteration \(d?.iteration ?? -1): \(d?.reason ?? "")")
        }
        for (name, m) in r.results.sorted(by: { $0.key < $1.key }) {
            lines.append("  " + name.padding(toLength: 22, withPad: " ", startingAt: 0)
                         + String(format: " accuracy %.4f  multi-class AUC %.6f  balanced acc %.4f  macro F1 %.4f",
                                  m.accuracy, m.multiClassAUC, m.balancedAccuracy, m.macroF1))
            var extra: [String] = []
            if let v = m.matthewsCorrelation { extra.append(String(format: "MCC %.4f", v)) }
            if let v = m.macroAveragePrecision { extra.append(String(format: "macro AP %.4f", v)) }
            if let v = m.geometricMeanRecall { extra.append(String(format: "G-mean %.4f", v)) }
            if let v = m.expectedCalibrationError { extra.append(String(format: "ECE %.4f", v)) }
            if let v = m.minorityRecall { extra.append(String(format: "minority recall %.4f", v)) }
            if let b = m.bootstrap, let a = b.multiClassAUC {
                extra.append(String(format: "AUC %.0f%% CI [%.6f, %.6f]", b.confidence * 100, a.lower, a.upper))
            }
            if !extra.isEmpty { lines.append(String(repeating: " ", count: 25) + extra.joined(separator: "  ")) }
        }
        var wall = String(format: "  wall time %.1f s (training %.1f s, %.0f images/s",
                          r.timings.wallSeconds, r.timings.trainSeconds, r.timings.imagesPerSecond)
        if let p = r.timings.preprocessingSeconds { wall += String(format: "; preprocessing %.1f s", p) }
        if let e = r.timings.evaluationSeconds { wall += String(format: "; test evaluation %.1f s", e) }
        if let e = r.timings.metricSeconds { wall += String(format: "; metrics and bootstrap %.2f s", e) }
        lines.append(wall + ")")
        return lines.joined(separator: "\n")
    }
}
