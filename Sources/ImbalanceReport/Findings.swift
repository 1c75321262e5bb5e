import Foundation
import ImbalanceRecords
import ImbalanceTraining

/// The paper's findings checked against the records, each with a paired test across
/// repetitions (`PairedFamily`): a finding states how often the paper's direction holds in
/// the cell means, how often significantly (Wilcoxon signed-rank, Holm-adjusted over the
/// finding's cells; paired t beside it), and a verdict by the rule stated in its text, or
/// "too few repetitions to test" when no cell could reach significance.
struct Findings {
    let agg: Aggregate

    /// Finding (i) is "consistent" when ROS is best or tied in at least this share of cells
    /// (the paper: "in almost all of the situations").
    static let almostAllShare = 0.8

    func markdown(thresholdCheck: ThresholdCheck) -> String {
        var md = "## Findings\n\n"
        md += "Each finding of the paper, checked against these records with a paired test: runs of one repetition "
        md += "share their data draws and initial weights, so each comparison pairs them and tests the differences "
        md += "with the two-sided Wilcoxon signed-rank test, Holm-adjusted over the cells (or pairs of cells) of the "
        md += "finding; *significantly* means Holm p < 0.05, and the paired t-test's count follows in parentheses. A "
        md += "directional finding is *consistent with the paper* when at least one cell is significant in the "
        md += "paper's direction, none against it, and the means point the paper's way in more than half of the "
        md += "cells; it *differs* when at least as many cells are significant against it as for it (and at least "
        md += "one). Where no cell allows a comparison the finding is *not assessed*.\n\n"

        md += "### (0) Imbalance hurts, more with larger ρ and with more minority classes\n\n"
        md += "Tests: the baseline's AUC in adjacent step-imbalance cells, paired by repetition (the cells of a "
        md += "repetition share the base set and the initial weights), one family per direction.\n\n"
        md += perGroup { g in
            let steps = agg.profiles(g, kind: "step")
            var byRho: [(String, [RunKey: Double], [RunKey: Double])] = []
            for mu in Set(steps.compactMap(\.mu)).sorted() {
                let row = steps.filter { $0.mu == mu && agg.mean(g, $0, "baseline") != nil }
                for (a, b) in zip(row, row.dropFirst()) {
                    byRho.append(("μ = \(Fmt.number(mu)): ρ = \(Fmt.number(b.rho)) vs \(Fmt.number(a.rho))",
                                  agg.values(g, b, "baseline", .auc), agg.values(g, a, "baseline", .auc)))
                }
            }
            var byMu: [(String, [RunKey: Double], [RunKey: Double])] = []
            for rho in Set(steps.map(\.rho)).sorted() {
                let row = steps.filter { $0.rho == rho && agg.mean(g, $0, "baseline") != nil }
                for (a, b) in zip(row, row.dropFirst()) {
                    byMu.append(("ρ = \(Fmt.number(rho)): μ = \(Fmt.number(b.mu ?? .nan)) vs \(Fmt.number(a.mu ?? .nan))",
                                 agg.values(g, b, "baseline", .auc), agg.values(g, a, "baseline", .auc)))
                }
            }
            let f1 = PairedFamily(byRho.map { (label: $0.0, a: $0.1, b: $0.2) })
            let f2 = PairedFamily(byMu.map { (label: $0.0, a: $0.1, b: $0.2) })
            var out: [Block] = []
            out.append(f1.isEmpty ? Block("larger ρ at fixed μ: no pair of cells — not assessed")
                : Block(f1.claimLine("baseline AUC lower at the larger ρ (fixed μ)", direction: -1, unit: "pair of cells"),
                        table: f1.markdown(first: "Pair (larger − smaller)", decimals: 5)))
            out.append(f2.isEmpty ? Block("more minority classes at fixed ρ: no pair of cells — not assessed")
                : Block(f2.claimLine("baseline AUC lower with more minority classes (fixed ρ)", direction: -1, unit: "pair of cells"),
                        table: f2.markdown(first: "Pair (larger − smaller)", decimals: 5)))
            return out
        }

        md += "### (i) Oversampling is best or tied in almost every setting\n\n"
        md += "Tests: in every step-imbalance cell, ROS against each other method (baseline, two-phase, RUS, "
        md += "class-weighted; thresholding variants have the same AUC and are left out), one family per competitor. "
        md += "ROS is *best or tied* in a cell when no competitor is significantly above it; consistent when that holds "
        md += "in at least \(Int(Self.almostAllShare * 100))% of the cells. The paper also reports a notable gain over "
        md += "the baseline in most settings and no considerable decrease anywhere.\n\n"
        md += perGroup { g in
            let cells = agg.profiles(g, kind: "step").filter { agg.mean(g, $0, "ROS") != nil }
            // The paper's methods (and class weighting): the finding is about them; the
            // long-tail section ranks the others.
            let competitors = Methods.sorted(cells.flatMap { agg.cell(g, $0).keys })
                .filter { $0 != "ROS" && !Methods.isThresholding($0) && (MethodRegistry.named($0)?.inBuda2018 ?? true) }
            let families = competitors.map { c in
                (c, PairedFamily(cells.map { p in
                    (label: ProfileOrder.text(p), a: agg.values(g, p, "ROS", .auc), b: agg.values(g, p, c, .auc))
                }))
            }.filter { !$0.1.isEmpty }
            guard !families.isEmpty else {
                return [Block("no step-imbalance cell has ROS and another method — not assessed")]
            }
            var bestByMean = 0, bestOrTied = 0, judged = 0
            var table = "| Cell | ROS | Best other method (mean) | Significantly above ROS |\n|---|---:|---|---|\n"
            for p in cells {
                guard let ros = agg.mean(g, p, "ROS") else { continue }
                let others = competitors.compactMap { c in agg.mean(g, p, c).map { (c, $0) } }
                guard let best = others.max(by: { $0.1 < $1.1 }) else { continue }
                judged += 1
                if ros >= best.1 { bestByMean += 1 }
                let label = ProfileOrder.text(p)
                let above = families.filter { _, f in
                    f.rows.contains { $0.label == label && $0.significant && ($0.mean ?? 0) < 0 }
                }.map { Methods.label($0.0) }
                if above.isEmpty { bestOrTied += 1 }
                table += "| \(Fmt.cell(label)) | \(Fmt.fixed(ros, 4)) | \(Fmt.cell(Methods.label(best.0))) (\(Fmt.fixed(best.1, 4))) "
                table += "| \(above.isEmpty ? "none" : Fmt.cell(above.joined(separator: ", "))) |\n"
            }
            var out: [Block] = []
            let testable = families.allSatisfy { $0.1.testable }
            var line = "ROS best or tied in \(bestOrTied) of \(judged) step-imbalance \(judged == 1 ? "cell" : "cells") "
                + "(highest mean in \(bestByMean))"
            if testable {
                line += " — " + (Double(bestOrTied) >= Self.almostAllShare * Double(judged)
                                 ? "consistent with the paper" : "differs from the paper")
            } else {
                let worst = families.filter { !$0.1.testable }.map(\.1).first!
                line += " — " + worst.untestableText(unit: "cell")
            }
            out.append(Block(line, table: table))
            if let base = families.first(where: { $0.0 == "baseline" })?.1 {
                out.append(Block(base.claimLine("ROS above the baseline", direction: 1, unit: "cell")))
                if base.testable {
                    let worse = base.significant(direction: -1)
                    out.append(Block("ROS significantly below the baseline in \(worse) of \(base.rows.count) cells — "
                                     + (worse == 0 ? "consistent with the paper" : "differs from the paper")))
                }
            }
            return out
        }

        md += "### (ii) Undersampling is often worse than the baseline when few classes are minority\n\n"
        md += "Test: RUS against the baseline in the cells (one per ρ) of the smallest μ that has both.\n\n"
        md += perGroup { g in
            let steps = agg.profiles(g, kind: "step").filter {
                agg.mean(g, $0, "RUS") != nil && agg.mean(g, $0, "baseline") != nil
            }
            guard let mu = steps.compactMap(\.mu).min() else {
                return [Block("no step-imbalance cell has both RUS and baseline — not assessed")]
            }
            let cells = steps.filter { $0.mu == mu }
            let f = agg.family("RUS", "baseline", .auc, g: g, cells: cells)
            return [Block("at μ = \(Fmt.number(mu)): " + f.claimLine("RUS below the baseline", direction: -1, unit: "cell"),
                          table: f.markdown(first: "Cell (RUS − baseline)", decimals: 5))]
        }

        md += "### (iii) Two-phase training lands between the baseline and its sampling method\n\n"
        md += "Tests: in every imbalanced cell with all three, two-phase against its sampler and against the baseline "
        md += "(two families per sampler). Two-phase is *significantly outside* in a cell when it is significantly above "
        md += "both or significantly below both; consistent when that happens in no cell. *Between* counts the cell "
        md += "means with min(baseline, sampler) ≤ two-phase ≤ max(baseline, sampler).\n\n"
        md += perGroup { g in
            var out: [Block] = []
            var anyCell = false
            for s in ["ROS", "RUS"] {
                let cells = regularImbalancedProfiles(g).filter {
                    agg.mean(g, $0, "baseline") != nil && agg.mean(g, $0, s) != nil && agg.mean(g, $0, "two-phase-" + s) != nil
                }
                guard !cells.isEmpty else { continue }
                anyCell = true
                let vsSampler = agg.family("two-phase-" + s, s, .auc, g: g, cells: cells)
                let vsBase = agg.family("two-phase-" + s, "baseline", .auc, g: g, cells: cells)
                var between = 0, outside = 0
                for p in cells {
                    let b = agg.mean(g, p, "baseline")!, m = agg.mean(g, p, s)!, t = agg.mean(g, p, "two-phase-" + s)!
                    if min(b, m) <= t && t <= max(b, m) { between += 1 }
                    let label = ProfileOrder.text(p)
                    guard let r1 = vsSampler.rows.first(where: { $0.label == label }),
                          let r2 = vsBase.rows.first(where: { $0.label == label }) else { continue }
                    if r1.significant && r2.significant && ((r1.mean ?? 0) > 0) == ((r2.mean ?? 0) > 0) { outside += 1 }
                }
                var line = "two-phase \(s) between baseline and \(s) in \(between) of \(cells.count) cells"
                if vsSampler.testable && vsBase.testable {
                    line += ", significantly outside in \(outside) — " + (outside == 0 ? "consistent with the paper" : "differs from the paper")
                } else {
                    line += " — " + (vsSampler.testable ? vsBase : vsSampler).untestableText(unit: "cell")
                }
                out.append(Block(line, table: vsSampler.markdown(first: "Cell (two-phase \(s) − \(s))", decimals: 5)
                                 + "\n" + vsBase.markdown(first: "Cell (two-phase \(s) − baseline)", decimals: 5)))
            }
            if !anyCell { return [Block("no cell has baseline, a sampler and its two-phase result — not assessed")] }
            return out
        }

        md += "### (iv) Thresholding raises accuracy, with the baseline or oversampling (not after undersampling)\n\n"
        md += "Tests: accuracy with thresholding against without, in every step-imbalance cell, one family per method. "
        md += "For the baseline and ROS the paper's direction is up; for RUS (the paper reports the adjustment is "
        md += "usually harmful after undersampling) it is down.\n\n"
        md += perGroup { g in
            var out: [Block] = []
            for s in ["baseline", "ROS", "RUS"] {
                let cells = agg.profiles(g, kind: "step").filter {
                    agg.mean(g, $0, s, accuracy: true) != nil && agg.mean(g, $0, s + "+thresholding", accuracy: true) != nil
                }
                let name = Methods.label(s)
                guard !cells.isEmpty else { out.append(Block("\(name): no cell with both accuracies — not assessed")); continue }
                let f = agg.family(s + "+thresholding", s, .accuracy, g: g, cells: cells)
                let claim = s == "RUS" ? "thresholding lowers \(name) accuracy" : "thresholding raises \(name) accuracy"
                out.append(Block(f.claimLine(claim, direction: s == "RUS" ? -1 : 1, unit: "cell"),
                                 table: f.markdown(first: "Cell (\(name) with − without)", decimals: 4)))
            }
            return out
        }

        md += "### (v) Thresholding leaves AUC exactly unchanged\n\n"
        md += "Rule: in every record (finished or not), for every method m stored with m+thresholding, the two "
        md += "multi-class AUCs must be equal bit for bit; consistent only when all are. (An identity, so no test.)\n\n"
        if thresholdCheck.checked == 0 {
            md += "- no record holds a method together with its thresholding result — not assessed\n"
        } else {
            md += "- exactly equal in \(thresholdCheck.checked == thresholdCheck.equal ? "\(thresholdCheck.equal) of \(thresholdCheck.checked)" : "\(thresholdCheck.equal) of \(thresholdCheck.checked)") records — "
            md += (thresholdCheck.equal == thresholdCheck.checked ? "consistent with the paper" : "differs from the paper") + "\n"
            for d in thresholdCheck.differences { md += "  - differs: \(Fmt.inline(d))\n" }
        }
        md += "\n"

        md += "### (vi) Linear imbalance hurts less than step imbalance with μ = 0.5 at equal ρ\n\n"
        md += "Test: the baseline's AUC under linear imbalance against step imbalance with μ = 0.5 at the same ρ, paired "
        md += "by repetition (the two profiles keep the same number of training images).\n\n"
        md += perGroup { g in
            let steps = agg.profiles(g, kind: "step").filter { abs(($0.mu ?? -1) - 0.5) < 1e-9 }
            var items: [(label: String, a: [RunKey: Double], b: [RunKey: Double])] = []
            for lin in agg.profiles(g, kind: "linear") {
                guard agg.mean(g, lin, "baseline") != nil, let sp = steps.first(where: { $0.rho == lin.rho }),
                      agg.mean(g, sp, "baseline") != nil else { continue }
                items.append((label: "ρ = \(Fmt.number(lin.rho))", a: agg.values(g, lin, "baseline", .auc),
                              b: agg.values(g, sp, "baseline", .auc)))
            }
            let f = PairedFamily(items)
            if f.isEmpty { return [Block("no ρ has both linear and step (μ = 0.5) baseline results — not assessed")] }
            return [Block(f.claimLine("linear above step (μ = 0.5)", direction: 1, unit: "value of ρ"),
                          table: f.markdown(first: "ρ (linear − step μ = 0.5)", decimals: 5))]
        }
        return md
    }

    func regularImbalancedProfiles(_ g: GroupKey) -> [ProfileSpec] {
        agg.cells.keys.filter { $0.group == g && $0.ratio == nil && $0.profile.kind != "balanced" }
            .map(\.profile).sorted(by: ProfileOrder.ordered)
    }

    /// A finding's line and, optionally, the table of its tests.
    struct Block {
        var line: String
        var table: String?
        init(_ line: String, table: String? = nil) { self.line = line; self.table = table }
    }

    /// One bullet per block, prefixed with the group's label when there are several
    /// groups; each block's table follows its bullet.
    func perGroup(_ blocks: (GroupKey) -> [Block]) -> String {
        var md = ""
        for g in agg.groups {
            let prefix = agg.groups.count > 1 ? "\(Fmt.inline(agg.groupLabel[g]!)): " : ""
            for b in blocks(g) {
                md += "- \(prefix)\(b.line)\n"
                if let t = b.table { md += "\n" + t + "\n" }
            }
        }
        if md.isEmpty { md = "- no records — not assessed\n" }
        return md + "\n"
    }
}

extension Aggregate {
    /// Per-repetition AUC (or accuracy) of a method in a regular cell.
    func values(_ g: GroupKey, _ p: ProfileSpec, _ method: String, _ metric: Metric) -> [RunKey: Double] {
        (cell(g, p)[method]?.runs ?? [:]).mapValues { metric == .auc ? $0.auc : $0.accuracy }
    }

    /// `method` − `reference` over `cells`, one row per cell.
    func family(_ method: String, _ reference: String, _ metric: Metric, g: GroupKey, cells: [ProfileSpec]) -> PairedFamily {
        PairedFamily(cells.map { p in
            (label: ProfileOrder.text(p), a: values(g, p, method, metric), b: values(g, p, reference, metric))
        })
    }
}

/// Finding (v), computed over every record.
struct ThresholdCheck {
    var checked = 0
    var equal = 0
    var differences: [String] = []

    /// Every method that changes decisions only (thresholding, post-hoc logit adjustment:
    /// `Methods.isThresholding`) against the method whose network it reads.
    init(_ records: [RunRecord]) {
        for r in records {
            var pairs = 0, same = true
            for d in r.results.keys.sorted() where Methods.isThresholding(d) {
                let m = MethodRegistry.named(d)?.trainingMethod ?? String(d.dropLast("+thresholding".count))
                guard let base = r.results[m] else { continue }
                pairs += 1
                let a = base.multiClassAUC, b = r.results[d]!.multiClassAUC
                if a.bitPattern != b.bitPattern {
                    same = false
                    differences.append("\(r.id): \(m) AUC \(a) vs \(d) \(b)")
                }
            }
            if pairs > 0 { checked += 1; if same { equal += 1 } }
        }
    }
}
