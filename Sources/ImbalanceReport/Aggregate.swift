import Foundation
import ImbalanceRecords
import ImbalanceTraining

/// The settings that must agree for runs to be averaged together: everything in a job's
/// configuration except the imbalance profile, the sampler (and its ratio and two-phase
/// flag), the repetition and base seed (which make repetitions) and the thread count.
struct GroupKey: Hashable {
    var dataset: String
    var model: String
    var minorityRule: String
    var maxPerClass: Int?
    var iterations: Int
    var batchSize: Int
    var baseLearningRate: Double
    var learningRatePolicy: String
    var momentum: Double
    var weightDecay: Double
    var preprocessing: String?
    var augmentation: String?

    init(_ c: JobConfig) {
        preprocessing = c.preprocessing; augmentation = c.augmentation
        dataset = c.dataset + (c.label.map { " (\($0) labels)" } ?? ""); model = c.model; minorityRule = c.minorityRule
        maxPerClass = c.maxPerClass; iterations = c.iterations; batchSize = c.batchSize
        baseLearningRate = c.baseLearningRate; learningRatePolicy = c.learningRatePolicy
        momentum = c.momentum; weightDecay = c.weightDecay
    }

    static func ordered(_ a: GroupKey, _ b: GroupKey) -> Bool {
        lexLess(cmp(a.dataset, b.dataset), cmp(a.model, b.model),
                cmp(a.iterations, b.iterations), cmp(a.batchSize, b.batchSize),
                cmp(a.baseLearningRate, b.baseLearningRate),
                cmp(a.learningRatePolicy, b.learningRatePolicy),
                cmp(a.momentum, b.momentum), cmp(a.weightDecay, b.weightDecay),
                cmpOptional(a.maxPerClass, b.maxPerClass), cmp(a.minorityRule, b.minorityRule),
                cmpOptional(a.preprocessing, b.preprocessing), cmpOptional(a.augmentation, b.augmentation))
    }

    var baseLearningRateText: String {
        baseLearningRate == BaseRateSearch.searchedRate ? "searched (see Base-rate search)" : Fmt.number(baseLearningRate)
    }

    var settingsText: String {
        "iterations \(iterations), batch \(batchSize), base learning rate "
            + "\(baseLearningRateText) (\(learningRatePolicy)), momentum "
            + "\(Fmt.number(momentum)), weight decay \(Fmt.number(weightDecay)), "
            + "max per class \(maxPerClass.map(String.init) ?? "all"), minority rule \(minorityRule)"
            + (preprocessing.map { ", preprocessing \($0)" } ?? "")
            + (augmentation.map { ", augmentation \($0)" } ?? "")
    }
}

enum ProfileOrder {
    static func kindRank(_ kind: String) -> Int {
        switch kind {
        case "balanced": return 0
        case "step": return 1
        case "linear": return 2
        case "exponential": return 3
        default: return 4
        }
    }

    static func ordered(_ a: ProfileSpec, _ b: ProfileSpec) -> Bool {
        lexLess(cmp(kindRank(a.kind), kindRank(b.kind)), cmp(a.kind, b.kind),
                cmp(a.rho, b.rho), cmpOptional(a.mu, b.mu))
    }

    static func text(_ p: ProfileSpec) -> String {
        var s = p.kind
        if p.kind != "balanced" || p.rho != 1 { s += " ρ=\(Fmt.number(p.rho))" }
        if let mu = p.mu { s += " μ=\(Fmt.number(mu))" }
        return s
    }
}

/// One repetition: the runs of all methods with the same base seed and repetition index
/// share their data draws and initial weights.
struct RunKey: Hashable, Comparable {
    var baseSeed: UInt64
    var repetition: Int

    static func < (a: RunKey, b: RunKey) -> Bool {
        a.baseSeed != b.baseSeed ? a.baseSeed < b.baseSeed : a.repetition < b.repetition
    }
}

/// A table cell before the method is chosen: one setting, one profile, one sampler ratio
/// (nil = the regular, fully balancing samplers).
struct CellKey: Hashable {
    var group: GroupKey
    var profile: ProfileSpec
    var ratio: Double?
}

/// Mean and sample standard deviation (n - 1) of the finite values; `undefined` counts the
/// non-finite values left out (an AUC is NaN when a class has no test example).
struct Stat {
    var n: Int
    var mean: Double
    var std: Double?
    var undefined: Int

    init(_ values: [Double]) {
        // Sorting first makes the floating-point sums independent of the input order.
        let finite = values.filter { $0.isFinite }.sorted()
        undefined = values.count - finite.count
        n = finite.count
        guard n > 0 else { mean = .nan; std = nil; return }
        var sum = 0.0
        for v in finite { sum += v }
        let m = sum / Double(n)
        mean = m
        if n > 1 {
            var ss = 0.0
            for v in finite { ss += (v - m) * (v - m) }
            std = (ss / Double(n - 1)).squareRoot()
        } else {
            std = nil
        }
    }
}

/// One method in one cell.
struct MethodCell {
    var auc: Stat
    var accuracy: Stat
    /// Repetitions of this cell and method whose run diverged and that no finished record
    /// covers.
    var divergedRuns: Int
    /// Every metric of each finished repetition, for paired tests and the other metrics.
    var runs: [RunKey: MetricView] = [:]

    /// Mean and std over repetitions of any metric (`nil` values left out).
    func stat(_ value: (MetricView) -> Double?) -> Stat {
        Stat(runs.values.compactMap(value))
    }
}

/// Records sorted, deduplicated and grouped into cells.
struct Aggregate {
    var records: [RunRecord]          // every record, sorted by id
    var finished: [RunRecord]
    var unfinished: [RunRecord]       // diverged (or any other non-finished status)
    var groups: [GroupKey]
    var groupLabel: [GroupKey: String]
    var groupSlug: [GroupKey: String]
    /// N (number of classes) of a group when all its records agree on len(trainCounts).
    var classCount: [GroupKey: Int]
    var cells: [CellKey: [String: MethodCell]]
    /// Method results skipped because another record already gave that method for the same
    /// cell and repetition (e.g. the ROS result of a ROS job with and one without two-phase).
    var duplicates: Int
    var runKeysByGroup: [GroupKey: Set<RunKey>]
    /// Phase-1 learning curves by cell, trained method and repetition.
    var curves: [CellKey: [String: [RunKey: [CurvePoint]]]]
    /// The distinct minority-class sets of each cell's finished runs (one set when the
    /// rule picks the same classes every repetition, as CIFAR's "lowest").
    var minorityClassSets: [CellKey: Set<[Int]>]

    init(_ input: [RunRecord]) {
        var encodedCache: [Int: String] = [:]
        func encoded(_ i: Int) -> String {
            if let s = encodedCache[i] { return s }
            let s = (try? RecordIO.encode(input[i])).map { String(decoding: $0, as: UTF8.self) } ?? ""
            encodedCache[i] = s
            return s
        }
        let order = input.indices.sorted { a, b in
            if input[a].id != input[b].id { return input[a].id < input[b].id }
            return encoded(a) < encoded(b)
        }
        records = order.map { input[$0] }
        finished = records.filter { $0.status == "finished" }
        unfinished = records.filter { $0.status != "finished" }

        var groupSet = Set<GroupKey>()
        var counts: [GroupKey: Set<Int>] = [:]
        var runKeys: [GroupKey: Set<RunKey>] = [:]
        for r in records {
            let g = GroupKey(r.config)
            groupSet.insert(g)
            counts[g, default: []].insert(r.data.trainCounts.count)
            runKeys[g, default: []].insert(RunKey(baseSeed: r.config.baseSeed, repetition: r.config.repetition))
        }
        groups = groupSet.sorted(by: GroupKey.ordered)
        runKeysByGroup = runKeys
        classCount = [:]
        for (g, c) in counts where c.count == 1 && c.first! > 0 { classCount[g] = c.first! }

        // Labels: "dataset · model", numbered when several settings share one.
        var labels: [GroupKey: String] = [:]
        var slugs: [GroupKey: String] = [:]
        var seen: [String: Int] = [:]
        let base = groups.map { "\($0.dataset) · \($0.model)" }
        let total = Dictionary(base.map { ($0, 1) }, uniquingKeysWith: +)
        for (g, b) in zip(groups, base) {
            seen[b, default: 0] += 1
            let k = seen[b]!
            labels[g] = total[b]! > 1 ? "\(b) (setting \(k))" : b
            slugs[g] = Fmt.slug("\(g.dataset)-\(g.model)") + (total[b]! > 1 ? "-s\(k)" : "")
        }
        // Different labels can still slug alike ("a b" / "a-b"): make slugs unique.
        var usedSlugs = Set<String>()
        for g in groups {
            var s = slugs[g]!
            var k = 2
            while usedSlugs.contains(s) { s = slugs[g]! + "-\(k)"; k += 1 }
            usedSlugs.insert(s); slugs[g] = s
        }
        groupLabel = labels
        groupSlug = slugs

        // Finished results, first record (by id) per cell, method and repetition.
        var values: [CellKey: [String: [RunKey: MetricSet]]] = [:]
        var views: [CellKey: [String: [RunKey: MetricView]]] = [:]
        var curveRuns: [CellKey: [String: [RunKey: [CurvePoint]]]] = [:]
        var minoritySets: [CellKey: Set<[Int]>] = [:]
        var dup = 0
        for r in finished {
            let key = CellKey(group: GroupKey(r.config), profile: r.config.profile, ratio: r.config.samplerRatio)
            let run = RunKey(baseSeed: r.config.baseSeed, repetition: r.config.repetition)
            minoritySets[key, default: []].insert(r.data.minorityClasses.sorted())
            for method in r.results.keys.sorted() {
                if values[key]?[method]?[run] != nil { dup += 1; continue }
                values[key, default: [:]][method, default: [:]][run] = r.results[method]!
                views[key, default: [:]][method, default: [:]][run] =
                    MetricView(r.results[method]!, minorityClasses: r.data.minorityClasses)
            }
            // Phase-1 curves belong to the trained method (its thresholded variant shares them).
            let trained = r.config.sampler == "none" ? "baseline" : r.config.sampler
            if let c = r.curves["phase1"], !c.isEmpty, curveRuns[key]?[trained]?[run] == nil {
                curveRuns[key, default: [:]][trained, default: [:]][run] = c
            }
        }
        curves = curveRuns
        minorityClassSets = minoritySets
        duplicates = dup
        var divergedKeys: [CellKey: [String: Set<RunKey>]] = [:]
        for r in unfinished {
            let key = CellKey(group: GroupKey(r.config), profile: r.config.profile, ratio: r.config.samplerRatio)
            let run = RunKey(baseSeed: r.config.baseSeed, repetition: r.config.repetition)
            for method in Methods.expected(sampler: r.config.sampler, twoPhase: r.config.twoPhase,
                                           derived: (r.config.derivedMethods ?? [:]).keys.sorted())
                + r.results.keys.sorted() {
                divergedKeys[key, default: [:]][method, default: []].insert(run)
            }
        }
        var cells: [CellKey: [String: MethodCell]] = [:]
        for key in Set(values.keys).union(divergedKeys.keys) {
            let byMethod = values[key] ?? [:]
            let div = divergedKeys[key] ?? [:]
            var out: [String: MethodCell] = [:]
            for method in Set(byMethod.keys).union(div.keys) {
                let runs = byMethod[method] ?? [:]
                let uncovered = (div[method] ?? []).subtracting(runs.keys)
                out[method] = MethodCell(auc: Stat(runs.values.map(\.multiClassAUC)),
                                         accuracy: Stat(runs.values.map(\.accuracy)),
                                         divergedRuns: uncovered.count,
                                         runs: views[key]?[method] ?? [:])
            }
            cells[key] = out
        }
        self.cells = cells
    }

    /// Regular (ratio nil) profiles of a group, sorted.
    func profiles(_ g: GroupKey, kind: String) -> [ProfileSpec] {
        cells.keys.filter { $0.group == g && $0.ratio == nil && $0.profile.kind == kind }
            .map(\.profile).sorted(by: ProfileOrder.ordered)
    }

    func cell(_ g: GroupKey, _ p: ProfileSpec, ratio: Double? = nil) -> [String: MethodCell] {
        cells[CellKey(group: g, profile: p, ratio: ratio)] ?? [:]
    }

    /// Mean AUC (or accuracy) of a method in a cell, when at least one finished run has it.
    func mean(_ g: GroupKey, _ p: ProfileSpec, _ method: String, accuracy: Bool = false) -> Double? {
        guard let c = cell(g, p)[method] else { return nil }
        let s = accuracy ? c.accuracy : c.auc
        return s.n > 0 ? s.mean : nil
    }
}

/// Method names, their display order, labels and families: the method registry's
/// (`MethodRegistry` of ImbalanceTraining), so a new method is shown in its place without
/// touching the report.
public enum Methods {
    /// The display order; names not in the registry come after, sorted.
    public static var order: [String] { MethodRegistry.names }

    /// Buda et al.'s methods and class weighting: the legend always explains them (they are
    /// what the paper's findings are about); other methods when records hold them.
    public static var budaOrder: [String] { MethodRegistry.all.filter(\.inBuda2018).map(\.name) }

    /// Display labels; names not in the registry are shown as they are.
    public static func label(_ method: String) -> String { MethodRegistry.named(method)?.label ?? method }

    public static func family(_ method: String) -> MethodFamily? { MethodRegistry.named(method)?.family }

    /// Sorts method names into the display order.
    public static func sorted<S: Sequence>(_ methods: S) -> [String] where S.Element == String {
        let order = self.order
        return Array(Set(methods)).sorted { a, b in
            let ia = order.firstIndex(of: a) ?? order.count
            let ib = order.firstIndex(of: b) ?? order.count
            return ia != ib ? ia < ib : a < b
        }
    }

    /// Position in the display order (unknown names after, in the order given by `sorted`);
    /// used to give a method the same colour in every chart.
    static func styleIndex(_ method: String) -> Int {
        let order = self.order
        if let i = order.firstIndex(of: method) { return i }
        var h = 0
        for b in method.utf8 { h = (h &* 31 &+ Int(b)) & 0xFFFF }
        return order.count + h % 7
    }

    /// True for methods that change decisions only (thresholding, post-hoc logit
    /// adjustment): their AUCs are their base's, so AUC tables leave them out. Names the
    /// registry does not know count as thresholding when they end in "+thresholding".
    static func isThresholding(_ method: String) -> Bool {
        MethodRegistry.named(method)?.decidesOnly ?? method.hasSuffix("+thresholding")
    }

    /// Buda et al.'s thresholding methods and their bases, in display order (the paper's
    /// Fig. 6: accuracy with and without thresholding).
    static var thresholdingComparison: [String] {
        MethodRegistry.all.filter { m in
            m.inBuda2018 && (m.recording == .always
                || MethodRegistry.derived(from: m.name).contains { $0.recording == .always })
        }.map(\.name)
    }

    /// The method names a job with this sampler stores (used to place diverged runs).
    static func expected(sampler: String, twoPhase: Bool, derived: [String] = []) -> [String] {
        MethodRegistry.resultNames(sampler: sampler, twoPhase: twoPhase, derived: derived)
    }
}

/// A paired comparison the report tests in every cell: `method` minus `reference` on
/// `metric`, paired by repetition.
struct Comparison: Hashable {
    var method: String
    var reference: String
    var metric: Metric

    var title: String { "\(Methods.label(method)) − \(Methods.label(reference)), \(metric.name)" }
}

extension Methods {
    /// The comparisons of the paired-tests section, among the methods present: every
    /// trained method and two-phase variant against the baseline, ROS against RUS, each
    /// two-phase variant against its sampler (AUC), and each thresholded variant against
    /// its method (accuracy, which thresholding changes and AUC cannot). Kept in one list
    /// so that a method registry can supply it.
    static func comparisons(present: Set<String>) -> [Comparison] {
        var out: [Comparison] = []
        let trained = sorted(present).filter { !isThresholding($0) }
        if present.contains("baseline") {
            for m in trained where m != "baseline" { out.append(Comparison(method: m, reference: "baseline", metric: .auc)) }
        }
        if present.contains("ROS") && present.contains("RUS") {
            out.append(Comparison(method: "ROS", reference: "RUS", metric: .auc))
        }
        // Phases against the network they continue (the baseline's are compared above).
        for m in sorted(present) {
            guard let d = MethodRegistry.named(m), case .phase(let base, _) = d.role, base != "baseline",
                  present.contains(base) else { continue }
            out.append(Comparison(method: m, reference: base, metric: .auc))
        }
        for m in sorted(present) where isThresholding(m) {
            let plain = MethodRegistry.named(m)?.trainingMethod ?? String(m.dropLast("+thresholding".count))
            if present.contains(plain) { out.append(Comparison(method: m, reference: plain, metric: .accuracy)) }
        }
        return out
    }
}
