import Foundation
import ImbalanceRecords
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

    /// Every finished result by cell (regular profiles only) and method, one per repetition
    /// (the record with the smallest id, as in the tables).
    private struct Seen: Hashable {
        var cell: CellKey
        var method: String
        var run: RunKey
    }

    private var results: [CellKey: [String: [MetricSet]]] {
        var seen = Set<Seen>()
        var out: [CellKey: [String: [MetricSet]]] = [:]
        for r in agg.finished where r.config.samplerRatio == nil {
            let key = CellKey(group: GroupKey(r.config), profile: r.config.profile, ratio: nil)
            let run = RunKey(baseSeed: r.config.baseSeed, repetition: r.config.repetition)
            for (method, m) in r.results.sorted(by: { $0.key < $1.key }) {
                guard seen.insert(Seen(cell: key, method: method, run: run)).inserted else { continue }
                out[key, default: [:]][method, default: []].append(m)
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

    private func stat(_ ms: [MetricSet], _ f: (MetricSet) -> Double) -> Stat { Stat(ms.map(f)) }

    private func text(_ s: Stat, bold: Bool) -> String {
        guard s.n > 0 else { return "– (n=0)" }
        let t = "\(Fmt.fixed(s.mean, 4)) ± \(s.std.map { Fmt.fixed($0, 4) } ?? "–") (n=\(s.n))"
        return bold ? "**\(t)**" : t
    }

    private func table(_ key: CellKey, _ byMethod: [String: [MetricSet]]) -> String {
        var md = "#### \(Fmt.inline(ProfileOrder.text(key.profile)))\n\n"
        let methods = Methods.sorted(byMethod.keys)
        let metrics: [(String, (MetricSet) -> Double)] = [
            ("Accuracy", \.accuracy), ("Balanced accuracy", \.balancedAccuracy),
            ("AUC", \.multiClassAUC), ("Macro F1", \.macroF1),
        ]
        var best: [Double] = []
        for (_, f) in metrics {
            let means = methods.compactMap { m -> Double? in
                let s = stat(byMethod[m]!, f)
                return s.n > 0 && s.mean.isFinite ? Double(Fmt.fixed(s.mean, 4)) : nil
            }
            best.append(means.max() ?? .nan)
        }
        md += "| Method | Family |" + metrics.map { " \($0.0) |" }.joined() + "\n"
        md += "|---|---|" + String(repeating: "---:|", count: metrics.count) + "\n"
        for m in methods {
            let family = Methods.family(m)?.rawValue ?? "–"
            md += "| \(Fmt.cell(Methods.label(m))) | \(family) |"
            for (j, (_, f)) in metrics.enumerated() {
                let s = stat(byMethod[m]!, f)
                md += " \(text(s, bold: s.n > 0 && Double(Fmt.fixed(s.mean, 4)) == best[j])) |"
            }
            md += "\n"
        }
        let ranked = methods.compactMap { m -> (String, Double)? in
            let s = stat(byMethod[m]!, \.accuracy)
            return s.n > 0 ? (m, s.mean) : nil
        }.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : Methods.sorted([$0.0, $1.0]).first == $0.0 }
        md += "\nBy mean accuracy: " + ranked.map { Fmt.inline(Methods.label($0.0)) }.joined(separator: " > ") + ".\n\n"
        return md
    }

    private func orderChecks(_ g: GroupKey, _ keys: [CellKey], _ all: [CellKey: [String: [MetricSet]]]) -> String {
        var lines: [String] = []
        for c in Self.claims {
            var x = 0, y = 0
            for key in keys {
                guard let a = all[key]?[c.better], let b = all[key]?[c.worse] else { continue }
                let sa = stat(a, \.accuracy), sb = stat(b, \.accuracy)
                guard sa.n > 0, sb.n > 0 else { continue }
                y += 1
                if sa.mean > sb.mean { x += 1 }
            }
            guard y > 0 else { continue }
            let verdict = 2 * x > y ? "as \(c.source)" : 2 * x == y ? "split evenly (\(c.source): above)"
                : "unlike \(c.source)"
            lines.append("\(Fmt.inline(Methods.label(c.better))) above \(Fmt.inline(Methods.label(c.worse))) in "
                         + "\(x) of \(y) settings — " + verdict)
        }
        guard !lines.isEmpty else { return "" }
        var md = "Published orderings, by mean accuracy per setting (no test of significance; a setting counts when "
        md += "both methods have results):\n\n"
        for l in lines { md += "- \(l)\n" }
        return md + "\n"
    }
}
