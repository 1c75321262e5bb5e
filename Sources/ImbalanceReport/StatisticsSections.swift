import Foundation
import ImbalanceRecords
import ImbalanceStatistics

/// The statistical sections of a setting: paired comparisons of methods within cells,
/// rankings across cells (Friedman, Nemenyi, critical-difference diagram) and the
/// imbalance metrics of every cell and method.
extension Writer {
    /// Regular imbalanced cells of a group (every profile but balanced, no partial
    /// resampling), in table order.
    func imbalancedCells(_ g: GroupKey) -> [ProfileSpec] {
        agg.cells.keys.filter { $0.group == g && $0.ratio == nil && $0.profile.kind != "balanced" }
            .map(\.profile).sorted(by: ProfileOrder.ordered)
    }

    /// The family of one comparison over `cells`.
    func family(_ g: GroupKey, _ c: Comparison, cells: [ProfileSpec]) -> PairedFamily {
        agg.family(c.method, c.reference, c.metric, g: g, cells: cells)
    }

    // MARK: Paired comparisons

    mutating func pairedSection(_ g: GroupKey) {
        let cells = imbalancedCells(g)
        let present = Set(cells.flatMap { agg.cell(g, $0).keys })
        let comparisons = Methods.comparisons(present: present)
        let families = comparisons.map { ($0, family(g, $0, cells: cells)) }.filter { !$0.1.isEmpty }
        guard !families.isEmpty else { return }
        md += "### Paired comparisons across repetitions\n\n"
        md += "Each table compares two methods cell by cell: the mean of the per-repetition differences with its 95% "
        md += "t interval, the two-sided Wilcoxon signed-rank and paired t p-values, and both Holm-adjusted over the "
        md += "rows of the table. Differences are in AUC (accuracy for thresholding); positive means the first method "
        md += "is higher.\n\n"
        for (c, f) in families {
            md += "#### \(Fmt.inline(c.title))\n\n"
            md += f.markdown(first: "Cell", decimals: c.metric == .auc ? 5 : 4) + "\n"
            if f.testable {
                md += "Above in \(f.count(direction: 1)) of \(f.rows.count) cells, \(f.significanceText(direction: 1)); "
                md += "below in \(f.count(direction: -1)), \(f.significanceText(direction: -1, namingTheTest: false)).\n\n"
            } else {
                md += "Wilcoxon: \(f.untestableText(unit: "cell")).\n\n"
            }
        }
    }

    // MARK: Rankings

    /// Average ranks of the methods over `cells` (by mean AUC per cell), with the Friedman
    /// test and the Nemenyi critical difference. Methods enter only when every cell has a
    /// finished run of them (Friedman needs complete blocks); the others are listed.
    struct Ranking {
        var title: String
        var cells: [ProfileSpec]
        var methods: [String]
        var excluded: [String]
        var friedman: FriedmanTest?
        var criticalDifference: Double?
    }

    func ranking(_ g: GroupKey, title: String, cells: [ProfileSpec]) -> Ranking? {
        guard cells.count >= 2 else { return nil }
        let all = Methods.sorted(cells.flatMap { agg.cell(g, $0).keys }).filter { !Methods.isThresholding($0) }
        let complete = all.filter { m in cells.allSatisfy { agg.mean(g, $0, m).map(\.isFinite) ?? false } }
        guard complete.count >= 2 else { return nil }
        let blocks = cells.map { p in complete.map { agg.mean(g, p, $0)! } }
        let test = FriedmanTest(blocks)
        return Ranking(title: title, cells: cells, methods: complete, excluded: all.filter { !complete.contains($0) },
                       friedman: test,
                       criticalDifference: Nemenyi.criticalDifference(methods: complete.count, blocks: cells.count))
    }

    mutating func rankingSection(_ g: GroupKey) {
        let steps = agg.profiles(g, kind: "step")
        var rankings: [Ranking] = []
        for mu in Set(steps.compactMap(\.mu)).sorted() {
            if let r = ranking(g, title: "step, μ = \(Fmt.number(mu)) (Fig. 3 panel)", cells: steps.filter { $0.mu == mu }) {
                rankings.append(r)
            }
        }
        for rho in Set(steps.map(\.rho)).sorted() {
            if let r = ranking(g, title: "step, ρ = \(Fmt.number(rho)) (Fig. 4 panel)", cells: steps.filter { $0.rho == rho }) {
                rankings.append(r)
            }
        }
        for kind in Set(imbalancedCells(g).map(\.kind)).subtracting(["step"]).sorted() {
            if let r = ranking(g, title: "\(kind)", cells: agg.profiles(g, kind: kind)) { rankings.append(r) }
        }
        let overall = ranking(g, title: "all imbalanced cells", cells: imbalancedCells(g))
        if let overall { rankings.append(overall) }
        guard !rankings.isEmpty else { return }
        md += "### Rankings across cells (Friedman test, Nemenyi critical difference)\n\n"
        md += "In each cell the methods are ranked by mean AUC (1 = best, ties share the mean rank); a row averages the "
        md += "ranks over its cells (the blocks), tests them with the Friedman test (χ² with SciPy's tie correction, and "
        md += "Iman and Davenport's F), and gives the Nemenyi critical difference CD = q₀.₀₅ √(k(k+1)/(6N)) with q from "
        md += "Demšar (2006), Table 5: two methods whose average ranks differ by at least CD differ significantly. "
        md += "With few cells the CD is wide: a row of 3 cells cannot separate most pairs. Thresholding variants share "
        md += "their method's AUC and are left out; a method missing from some cell of a row is left out of that row.\n\n"
        let methods = Methods.sorted(rankings.flatMap(\.methods))
        md += "| Cells | N | k |" + methods.map { " \(Fmt.cell(Methods.label($0))) |" }.joined()
        md += " Friedman χ² (p) | Iman–Davenport F (p) | CD |\n"
        md += "|---|---:|---:|" + String(repeating: "---:|", count: methods.count) + "---:|---:|---:|\n"
        for r in rankings {
            var cols = [Fmt.cell(r.title), "\(r.cells.count)", "\(r.methods.count)"]
            for m in methods {
                if let i = r.methods.firstIndex(of: m), let f = r.friedman { cols.append(Fmt.fixed(f.averageRanks[i], 2)) }
                else { cols.append("–") }
            }
            if let f = r.friedman {
                cols.append("\(Fmt.fixed(f.chiSquare, 2)) (\(Fmt.p(f.pValue)))")
                cols.append(f.imanDavenportF.isFinite ? "\(Fmt.fixed(f.imanDavenportF, 2)) (\(Fmt.p(f.imanDavenportPValue)))"
                            : "∞ (0)")
            } else {
                cols += ["– (every value tied)", "–"]
            }
            cols.append(r.criticalDifference.map { Fmt.fixed($0, 2) } ?? "–")
            md += "|" + cols.map { " \($0) |" }.joined() + "\n"
        }
        md += "\n"
        let excluded = Set(rankings.flatMap(\.excluded))
        if !excluded.isEmpty {
            md += "Left out of some rows for missing cells: \(Fmt.inline(Methods.sorted(excluded).map(Methods.label).joined(separator: ", "))).\n\n"
        }
        if let o = overall, let f = o.friedman {
            let verdict = f.pValue < 0.05 ? "the Friedman test rejects equal ranks (p = \(Fmt.p(f.pValue)))"
                : "the Friedman test does not reject equal ranks (p = \(Fmt.p(f.pValue))), so the Nemenyi groups below are not to be read as differences"
            md += "Over all \(o.cells.count) imbalanced cells \(verdict). Thick lines join methods whose average ranks "
            md += "differ by less than CD = \(Fmt.fixed(o.criticalDifference ?? 0, 2)).\n\n"
            let svg = CDDiagram.svg(
                title: "\(words(g)): average ranks by multi-class ROC AUC over \(o.cells.count) imbalanced cells",
                subtitle: "Friedman χ² = \(Fmt.fixed(f.chiSquare, 2)), p = \(Fmt.p(f.pValue)); Nemenyi CD at α = 0.05 "
                    + "(k = \(o.methods.count), N = \(o.cells.count)) = \(Fmt.fixed(o.criticalDifference ?? 0, 2))",
                methods: zip(o.methods, f.averageRanks).map { (Methods.label($0), $1) },
                cd: o.criticalDifference, k: o.methods.count)
            addChart(slug: "critical-difference", title: "Critical-difference diagram over all imbalanced cells", svg: svg)
        }
    }

    // MARK: Imbalance metrics

    mutating func metricsSection(_ g: GroupKey) {
        let cells = imbalancedCells(g) + agg.profiles(g, kind: "balanced")
        guard !cells.isEmpty else { return }
        md += "### Imbalance metrics\n\n"
        md += "Means over repetitions (finished runs). AUC CI: the median over runs of the half-width of the 95% "
        md += "stratified-bootstrap interval of the run's AUC on the test set, beside the std of the AUC across "
        md += "repetitions: when the first is comparable to the second, test-set noise alone could move a method by "
        md += "its spread. Minority/majority: means over each run's minority classes and over the others. ECE: "
        md += "top-label expected calibration error, 15 bins (of the prior-corrected probabilities for thresholding). "
        md += "Decision metrics (accuracy to ECE) differ between a method and its thresholded variant; ranking metrics "
        md += "(AUC, AP) do not.\n\n"
        md += "| Cell | Method | n | AUC | AUC std | AUC CI ± | Accuracy | Balanced acc. | MCC | Macro AP | G-mean "
        md += "| Minority recall | Majority recall | Minority AUC | ECE |\n"
        md += "|---|---|---:|" + String(repeating: "---:|", count: 12) + "\n"
        func mean(_ s: Stat) -> String { s.n > 0 ? Fmt.fixed(s.mean, 4) : "–" }
        for p in cells {
            let cell = agg.cell(g, p)
            for m in Methods.sorted(cell.keys) {
                guard let c = cell[m], !c.runs.isEmpty else { continue }
                let halves = c.runs.values.compactMap { v in v.bootstrap?.multiClassAUC.map { ($0.upper - $0.lower) / 2 } }
                let halfText = halves.isEmpty ? "–" : Fmt.fixed(median(halves), 4)
                let cols = [
                    Fmt.cell(ProfileOrder.text(p)), Fmt.cell(Methods.label(m)), "\(c.runs.count)",
                    mean(c.stat { $0.auc }), c.stat { $0.auc }.std.map { Fmt.fixed($0, 4) } ?? "–", halfText,
                    mean(c.stat { $0.accuracy }), mean(c.stat { $0.balancedAccuracy }), mean(c.stat { $0.mcc }),
                    mean(c.stat { $0.macroAveragePrecision }), mean(c.stat { $0.gMean }),
                    mean(c.stat { $0.minorityRecall }), mean(c.stat { $0.majorityRecall }),
                    mean(c.stat { $0.minorityAUC }), mean(c.stat { $0.ece }),
                ]
                md += "|" + cols.map { " \($0) |" }.joined() + "\n"
            }
        }
        md += "\n"
    }
}

/// Median of a non-empty list (mean of the middle two for an even count).
func median(_ values: [Double]) -> Double {
    let s = values.sorted()
    guard !s.isEmpty else { return .nan }
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}
