import Foundation
import ImbalanceRecords
import ImbalanceStatistics
import ImbalanceTraining

/// The report's section for the methods beyond Buda et al. (long-tail losses, batch
/// sampling, synthetic oversampling, cRT, post-hoc adjustments), present only when the
/// records hold any: per imbalanced setting, every method's accuracy (the long-tail
/// literature's top-1 accuracy on a balanced test set), balanced accuracy, AUC and macro F1,
/// the order of the methods, and the published orderings checked against it.
struct LongTailSection {
    let agg: Aggregate

    /// A published claim "`better` above `worse`" and where it comes from.
    struct Claim {
        var better: String
        var worse: String
        var source: String
    }

    static let claims = [
        Claim(better: "LDAM-DRW", worse: "baseline", source: "Cao et al. 2019"),
        Claim(better: "LDAM-DRW", worse: "class-balanced", source: "Cao et al. 2019 (deferred vs from-the-start re-weighting)"),
        Claim(better: "LDAM-DRW", worse: "class-weighted", source: "Cao et al. 2019 (deferred vs from-the-start re-weighting)"),
        Claim(better: "logit-adjustment", worse: "baseline", source: "Menon et al. 2021 (post hoc)"),
        Claim(better: "logit-adjusted", worse: "baseline", source: "Menon et al. 2021 (loss)"),
        Claim(better: "logit-adjusted", worse: "class-balanced", source: "Menon et al. 2021"),
        Claim(better: "cRT", worse: "baseline", source: "Kang et al. 2020"),
    ]

    /// Every finished result by cell (regular profiles only), method and repetition (the
    /// record with the smallest id, as in the tables).
    private var results: [CellKey: [String: [RunKey: MetricSet]]] {
        var out: [CellKey: [String: [RunKey: MetricSet]]] = [:]
        for r in agg.finished where r.config.samplerRatio == nil {
            let key = CellKey(group: GroupKey(r.config), profile: r.config.profile, ratio: nil)
            let run = RunKey(baseSeed: r.config.baseSeed, repetition: r.config.repetition)
            for (method, m) in r.results.sorted(by: { $0.key < $1.key }) where out[key]?[method]?[run] == nil {
                out[key, default: [:]][method, default: [:]][run] = m
            }
        }
        return out
    }

    static func isLongTail(_ method: String) -> Bool {
        MethodRegistry.named(method).map { !$0.inBuda2018 } ?? false
    }

    func markdown() -> String {
        let all = results
        let cells = all.keys.filter { key in
            key.profile.kind != "balanced" && all[key]!.keys.contains(where: Self.isLongTail)
        }
        guard !cells.isEmpty else { return "" }
        var md = "## Long-tail methods (beyond Buda et al.)\n\n"
        md += "Per imbalanced setting, every method on the same repetitions (shared data draws and initial weights). "
        md += "Accuracy is top-1 accuracy on the test set, which the long-tail literature reports on balanced test "
        md += "sets (Fashion-MNIST and CIFAR-10 test sets are balanced); balanced accuracy is the mean per-class recall. "
        md += "Cells are `mean ± std (n)`, bold the highest mean of the column at the displayed decimals. Methods that "
        md += "change decisions only (thresholding, post-hoc logit adjustment) have their base's AUC.\n\n"
        for g in agg.groups {
            let mine = cells.filter { $0.group == g }.sorted { ProfileOrder.ordered($0.profile, $1.profile) }
            guard !mine.isEmpty else { continue }
            md += "### \(Fmt.inline(agg.groupLabel[g]!))\n\n"
            for key in mine { md += table(key, all[key]!) }
            md += orderChecks(g, mine, all)
        }
        return md
    }

    private func stat(_ ms: [RunKey: MetricSet], _ f: (MetricSet) -> Double) -> Stat {
        Stat(ms.sorted { $0.key < $1.key }.map { f($0.value) })
    }

    private func text(_ s: Stat, bold: Bool) -> String {
        guard s.n > 0 else { return "– (n=0)" }
        let t = "\(Fmt.fixed(s.mean, 4)) ± \(s.std.map { Fmt.fixed($0, 4) } ?? "–") (n=\(s.n))"
        return bold ? "**\(t)**" : t
    }

    private func table(_ key: CellKey, _ byMethod: [String: [RunKey: MetricSet]]) -> String {
        var md = "#### \(Fmt.inline(ProfileOrder.text(key.profile)))\n\n"
        // Runs that diverged have no metrics: their methods are marked, and listed even
        // when no run of theirs finished.
        let diverged = (agg.cells[key] ?? [:]).filter { $0.value.divergedRuns > 0 }.mapValues(\.divergedRuns)
        let methods = Methods.sorted(Set(byMethod.keys).union(diverged.keys))
        let metrics: [(String, (MetricSet) -> Double)] = [
            ("Accuracy", \.accuracy), ("Balanced accuracy", \.balancedAccuracy),
            ("AUC", \.multiClassAUC), ("Macro F1", \.macroF1),
        ]
        var best: [Double] = []
        for (_, f) in metrics {
            let means = methods.compactMap { m -> Double? in
                let s = stat(byMethod[m] ?? [:], f)
                return s.n > 0 && s.mean.isFinite ? Double(Fmt.fixed(s.mean, 4)) : nil
            }
            best.append(means.max() ?? .nan)
        }
        md += "| Method | Family |" + metrics.map { " \($0.0) |" }.joined() + "\n"
        md += "|---|---|" + String(repeating: "---:|", count: metrics.count) + "\n"
        for m in methods {
            let family = Methods.family(m)?.rawValue ?? "–"
            md += "| \(Fmt.cell(Methods.label(m)))\(diverged[m] != nil ? " †" : "") | \(family) |"
            for (j, (_, f)) in metrics.enumerated() {
                let s = stat(byMethod[m] ?? [:], f)
                md += " \(text(s, bold: s.n > 0 && Double(Fmt.fixed(s.mean, 4)) == best[j])) |"
            }
            md += "\n"
        }
        if !diverged.isEmpty {
            md += "\n† " + Methods.sorted(diverged.keys)
                .map { "\(Fmt.inline(Methods.label($0))): \(diverged[$0]!) \(PairedFamily.plural("run", diverged[$0]!)) diverged" }
                .joined(separator: "; ")
            md += " (see Diverged runs); n counts the finished runs, and the orderings below pair finished runs only.\n"
        }
        let ranked = methods.compactMap { m -> (String, Double)? in
            let s = stat(byMethod[m] ?? [:], \.accuracy)
            return s.n > 0 ? (m, s.mean) : nil
        }.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : Methods.sorted([$0.0, $1.0]).first == $0.0 }
        md += "\nBy mean accuracy: " + ranked.map { Fmt.inline(Methods.label($0.0)) }.joined(separator: " > ") + ".\n\n"
        return md
    }

    /// Each published claim checked two ways over the group's settings: in how many settings
    /// the better method's mean accuracy is higher, and one paired test over every run the
    /// two methods share (each setting's repetitions: same data draws and initial weights
    /// within a setting, independent draws across settings), so that two settings of three
    /// repetitions give six pairs, enough for the exact two-sided Wilcoxon signed-rank test
    /// to reach 0.05 (2 / 2^6). Each claim is a hypothesis of its own, stated in advance by
    /// its paper, so the p-values are not adjusted across claims.
    private func orderChecks(_ g: GroupKey, _ keys: [CellKey], _ all: [CellKey: [String: [RunKey: MetricSet]]]) -> String {
        var lines: [String] = []
        for c in Self.claims {
            var x = 0, y = 0
            var better: [Double] = [], worse: [Double] = []
            for key in keys {
                guard let a = all[key]?[c.better], let b = all[key]?[c.worse] else { continue }
                let sa = stat(a, \.accuracy), sb = stat(b, \.accuracy)
                guard sa.n > 0, sb.n > 0 else { continue }
                y += 1
                if sa.mean > sb.mean { x += 1 }
                for run in Set(a.keys).intersection(b.keys).sorted()
                where a[run]!.accuracy.isFinite && b[run]!.accuracy.isFinite {
                    better.append(a[run]!.accuracy)
                    worse.append(b[run]!.accuracy)
                }
            }
            guard y > 0 else { continue }
            let pairs = PairedComparison(better, worse)
            let p = pairs.signedRank?.pValue
            let higher = pairs.differences.filter { $0 > 0 }.count
            let testable = SignedRankTest.smallestPValue(pairs: pairs.count) < PairedFamily.alpha
            let verdict: String
            if let p, p < PairedFamily.alpha, let mean = pairs.meanDifference, mean != 0 {
                verdict = mean > 0 ? "as \(c.source), significantly" : "unlike \(c.source), significantly"
            } else {
                let means = 2 * x > y ? "as \(c.source) by the means" : 2 * x == y ? "split evenly (\(c.source): above)"
                    : "unlike \(c.source) by the means"
                verdict = means + (testable ? ", not significant" : ", too few pairs to test")
            }
            var line = "\(Fmt.inline(Methods.label(c.better))) above \(Fmt.inline(Methods.label(c.worse))) in "
                + "\(x) of \(y) \(PairedFamily.plural("setting", y))"
            if let mean = pairs.meanDifference {
                line += "; over \(pairs.count) paired \(PairedFamily.plural("run", pairs.count)) higher in \(higher), "
                    + "mean difference \(Fmt.signed(mean, 4))"
                    + (p.map { ", Wilcoxon p = \(Fmt.p($0))" } ?? "")
            }
            lines.append(line + " — " + verdict)
        }
        guard !lines.isEmpty else { return "" }
        var md = "Published orderings, by accuracy: the settings where the first method's mean is higher, and one "
        md += "paired test over every run the two methods share across those settings (runs of one setting and "
        md += "repetition share their data draws and initial weights; two-sided exact Wilcoxon signed-rank test, "
        md += "which can reach 0.05 from 6 pairs on; each claim is its paper's hypothesis, tested once, so p is not "
        md += "adjusted across claims):\n\n"
        for l in lines { md += "- \(l)\n" }
        return md + "\n"
    }
}
