import Foundation
import ImbalanceKernels

/// One line of the results: a timed pass, or the difference of two passes timed in pairs.
public struct Row: Codable, Sendable {
    /// The case name benchmarks and filters use ("conv/allcnn.conv2.b64/forward").
    public let name: String
    public let family: Family
    public let network: String
    public let layer: String
    public let shape: String
    public let pass: String
    /// Backward-data is the full backward pass minus the weights-only one, timed in pairs
    /// of neighbouring runs: the engine has no input-gradient-only path, and the difference
    /// is exactly what asking for the input gradient costs.
    public let derived: Bool
    public let flops: Double
    public let bytes: Double
    public let runs: Int
    public let milliseconds: Double
    public let minMilliseconds: Double
    public let gflops: Double?
    public let gigabytesPerSecond: Double?
    /// The 1024³ sgemm runs interleaved with this pass's runs (convolution and sgemm
    /// passes only): their median GFLOP/s, and the median of the per-run ratios
    /// pass / yardstick, in percent.
    public let sgemmGFLOPS: Double?
    public let percentOfSgemm: Double?
    /// For convolution passes: the same sequence of sgemm calls timed alone, and the share
    /// of the pass it accounts for (the rest is im2col/col2im, transposes and bias).
    public let gemmAloneGFLOPS: Double?
    public let gemmShare: Double?
}

/// The spread of the yardstick over the run: the median, lowest and highest of the
/// per-pass yardstick medians, which shows how much the machine's speed drifted.
public struct Yardstick: Codable, Sendable {
    public let shape: String
    public let passes: Int
    public let median: Double
    public let min: Double
    public let max: Double
}

public struct Machine: Codable, Sendable {
    public let cpu: String
    public let logicalCores: Int
    public let openblasCore: String
    public let openblasConfig: String
    public let openblasThreads: Int
    /// /proc/loadavg before and after: a reader can see whether the machine was shared.
    public let loadAverageAtStart: String
    public let loadAverageAtEnd: String

    static func read(_ path: String) -> String {
        (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }

    static var cpuModel: String {
        for line in read("/proc/cpuinfo").split(separator: "\n") where line.hasPrefix("model name") {
            return line.split(separator: ":", maxSplits: 1).last.map {
                $0.trimmingCharacters(in: .whitespaces)
            } ?? "unknown"
        }
        return "unknown"
    }

    static var loadAverage: String {
        read("/proc/loadavg").split(separator: " ").prefix(3).joined(separator: " ")
    }
}

public struct TargetCheck: Codable, Sendable {
    public let layer: String
    public let shape: String
    public let gflops: Double
    public let sgemmGFLOPS: Double
    public let percentOfSgemm: Double
    public let meets70Percent: Bool
}

public struct KernelReport: Codable, Sendable {
    public var tool = "kernel-report"
    public var date: String
    public var command: String
    public var machine: Machine
    public var verificationTolerance: Double
    public var timing: TimingPolicy
    public var yardstick: Yardstick
    public var rows: [Row]
    public var checks: [String: [Check]]
    /// Issue 5: forward of each All-CNN 3×3 layer with >= 96 input channels at >= 70% of
    /// the same run's sgemm.
    public var allCNNTarget: [TargetCheck]
}

/// Runs the selected workloads one at a time: build, verify against the references, measure
/// the yardstick, time every selected pass, release.
public struct KernelRunner {
    public var policy: TimingPolicy
    public var log: (String) -> Void

    public init(policy: TimingPolicy, log: @escaping (String) -> Void) {
        self.policy = policy; self.log = log
    }

    /// Whole-match semantics, as package-benchmark's `--filter`, so one pattern selects the
    /// same cases in both tools.
    public static func selected(_ specs: [WorkloadSpec], filter: String?) throws
        -> [(WorkloadSpec, [String])] {
        guard let filter else { return specs.map { ($0, $0.passNames) } }
        let regex = try Regex(filter)
        return try specs.compactMap { spec in
            let passes = try spec.passNames.filter {
                try regex.wholeMatch(in: spec.caseName($0)) != nil
            }
            return passes.isEmpty ? nil : (spec, passes)
        }
    }

    public func run(_ selection: [(WorkloadSpec, [String])], command: String) throws
        -> KernelReport {
        let loadStart = Machine.loadAverage
        let yardstick = try GemmWorkload(Catalogue.yardstick, seed: 99).verified().passes[0]
        var rows: [Row] = []
        var checks: [String: [Check]] = [:]
        for (spec, wanted) in selection {
            let workload = spec.make()
            let (passChecks, passes) = try workload.verified()
            checks[spec.id] = passChecks
            let worst = passChecks.map(\.relativeError).max() ?? 0
            log("\(spec.family.rawValue)/\(spec.id): \(passChecks.count) checks against the naive "
                + "references passed (worst relative error \(String(format: "%.1e", worst)))")
            // Only GEMM-bound kernels are compared with the GEMM yardstick.
            let paired = spec.family == .conv || spec.family == .sgemm
            var timings: [String: (Pass, Timing)] = [:]
            for pass in passes where wanted.contains(pass.name) {
                let t = measure(pass, policy: policy, yardstick: paired ? yardstick : nil)
                timings[pass.name] = (pass, t)
                var line = "  \(pass.name): " + String(format: "%.3f ms, median of %d", t.median * 1e3, t.runs)
                if let y = t.yardstickGFLOPS, let p = t.percentOfYardstick {
                    line += String(format: "; %.0f%% of sgemm 1024³ (%.1f GFLOP/s)", p, y)
                }
                log(line)
            }
            if let (full, _) = timings["backward"], let (weights, _) = timings["backward-weights"] {
                let t = measure(full, policy: policy, yardstick: yardstick, baseline: weights)
                let data = Pass(name: "backward-data", flops: full.flops - weights.flops, bytes: 0,
                                prepare: {}, run: {})
                timings[data.name] = (data, t)
                log("  backward-data (backward minus backward-weights, run in pairs): "
                    + String(format: "%.3f ms, median of %d; %.0f%% of sgemm 1024³", t.median * 1e3,
                             t.runs, t.percentOfYardstick ?? 0))
            }
            rows += Self.rows(spec, timings)
        }
        let sorted = rows.filter { !$0.derived }.compactMap(\.sgemmGFLOPS).sorted()
        let yardstickSummary = Yardstick(
            shape: Catalogue.yardstick.description, passes: sorted.count,
            median: roundTo(sorted.isEmpty ? 0 : sorted[sorted.count / 2], 2),
            min: roundTo(sorted.first ?? 0, 2), max: roundTo(sorted.last ?? 0, 2))
        let machine = Machine(
            cpu: Machine.cpuModel, logicalCores: ProcessInfo.processInfo.activeProcessorCount,
            openblasCore: (try? OpenBLAS.load())?.core ?? "unavailable",
            openblasConfig: (try? OpenBLAS.load())?.config ?? "unavailable",
            openblasThreads: OpenBLAS.threads, loadAverageAtStart: loadStart,
            loadAverageAtEnd: Machine.loadAverage)
        return KernelReport(
            date: ISO8601DateFormatter().string(from: Date()), command: command, machine: machine,
            verificationTolerance: verificationTolerance, timing: policy, yardstick: yardstickSummary,
            rows: rows, checks: checks, allCNNTarget: Self.targets(rows))
    }

    /// Rows for one workload's timings in catalogue order, backward-data (when it was
    /// timed) right after the full backward pass it is taken from.
    public static func rows(_ spec: WorkloadSpec, _ timings: [String: (Pass, Timing)]) -> [Row] {
        func gemmAlone(_ pass: String) -> Double? {
            switch pass {
            case "forward": return timings["gemm-forward"]?.1.median
            case "backward-weights": return timings["gemm-weights"]?.1.median
            case "backward-data": return timings["gemm-data"]?.1.median
            case "backward":
                guard let w = timings["gemm-weights"], let d = timings["gemm-data"] else { return nil }
                return w.1.median + d.1.median
            default: return nil
            }
        }
        func row(_ pass: String, flops: Double, bytes: Double, seconds: Double, timing: Timing,
                 derived: Bool = false, sgemm: Double?, percent: Double?) -> Row {
            let gflops = flops > 0 ? flops / seconds / 1e9 : nil
            let gemm = gemmAlone(pass)
            return Row(
                name: spec.caseName(pass), family: spec.family, network: spec.network,
                layer: spec.layer, shape: spec.shape, pass: pass, derived: derived,
                flops: flops, bytes: bytes, runs: timing.runs,
                milliseconds: roundTo(seconds * 1e3, 4),
                minMilliseconds: roundTo(timing.min * 1e3, 4),
                gflops: gflops.map { roundTo($0, 2) },
                gigabytesPerSecond: bytes > 0 ? roundTo(bytes / seconds / 1e9, 2) : nil,
                sgemmGFLOPS: sgemm.map { roundTo($0, 2) },
                percentOfSgemm: percent.map { roundTo($0, 1) },
                gemmAloneGFLOPS: gemm.map { roundTo(flops / $0 / 1e9, 2) },
                gemmShare: gemm.map { roundTo($0 / seconds, 3) })
        }
        var out: [Row] = []
        for name in spec.passNames {
            guard let (pass, t) = timings[name] else { continue }
            out.append(row(name, flops: pass.flops, bytes: pass.bytes, seconds: t.median, timing: t,
                           sgemm: t.yardstickGFLOPS, percent: t.percentOfYardstick))
            if name == "backward", let (data, d) = timings["backward-data"] {
                out.append(row(data.name, flops: data.flops, bytes: 0, seconds: d.median,
                               timing: d, derived: true, sgemm: d.yardstickGFLOPS,
                               percent: d.percentOfYardstick))
            }
        }
        return out
    }

    static func targets(_ rows: [Row]) -> [TargetCheck] {
        let wanted = Set(Catalogue.allCNN.filter(Catalogue.isAllCNNTarget).map(\.id))
        return rows.compactMap { r in
            guard r.family == .conv, r.pass == "forward",
                  let id = r.name.split(separator: "/").dropFirst().first,
                  wanted.contains(String(id)), let p = r.percentOfSgemm, let g = r.gflops,
                  let y = r.sgemmGFLOPS else { return nil }
            return TargetCheck(layer: String(id), shape: r.shape, gflops: g, sgemmGFLOPS: y,
                               percentOfSgemm: p, meets70Percent: p >= 70)
        }
    }
}

/// Figures in the JSON keep the digits that mean something on a drifting machine.
func roundTo(_ x: Double, _ digits: Int) -> Double {
    let p = pow(10, Double(digits))
    return (x * p).rounded() / p
}
