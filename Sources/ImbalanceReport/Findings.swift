import Foundation
import ImbalanceRecords
import ImbalanceTraining

/// The paper's findings checked against the records. Every sentence is computed; the rules
/// (tolerances, what counts as "consistent") are stated in the text they produce.
struct Findings {
    let agg: Aggregate

    /// "Tied" for finding (i): within this much mean AUC of the best other method.
    static let tieTolerance = 0.001
    /// Finding (i) is "consistent" when ROS is best or tied in at least this share of cells
    /// (the paper: "in almost all of the situations").
    static let almostAllShare = 0.8

    static func verdict(_ consistent: Bool) -> String {
        consistent ? "consistent with the paper" : "differs from the paper"
    }

    static func share(_ x: Int, _ y: Int) -> String { "\(x) of \(y)" }

    func markdown(thresholdCheck: ThresholdCheck) -> String {
        var md = "## Findings\n\n"
        md += "Each finding of the paper, checked against these records. Comparisons use the cell means "
        md += "of the tables below (finished runs only). Where no cell allows a comparison the finding "
        md += "is marked *not assessed*.\n\n"

        md += "### (0) Imbalance hurts, more with larger ρ and with more minority classes\n\n"
        md += "Rule: count adjacent pairs of step-imbalance cells (baseline AUC) where the cell with more imbalance "
        md += "has the lower mean; consistent when that holds in more than half of the pairs.\n\n"
        md += perGroup { g in
            var lines: [String] = []
            let steps = agg.profiles(g, kind: "step")
            var x = 0, y = 0
            for mu in Set(steps.compactMap(\.mu)).sorted() {
                let row = steps.filter { $0.mu == mu }.compactMap { p in agg.mean(g, p, "baseline") }
                for (a, b) in zip(row, row.dropFirst()) { y += 1; if b < a { x += 1 } }
            }
            lines.append(y == 0 ? "larger ρ at fixed μ: no pair of cells — not assessed"
                : "baseline AUC falls as ρ grows (fixed μ) in \(Self.share(x, y)) adjacent pairs — \(Self.verdict(2 * x > y))")
            x = 0; y = 0
            for rho in Set(steps.map(\.rho)).sorted() {
                let row = steps.filter { $0.rho == rho }.compactMap { p in agg.mean(g, p, "baseline") }
                for (a, b) in zip(row, row.dropFirst()) { y += 1; if b < a { x += 1 } }
            }
            lines.append(y == 0 ? "more minority classes at fixed ρ: no pair of cells — not assessed"
                : "baseline AUC falls as μ grows (fixed ρ) in \(Self.share(x, y)) adjacent pairs — \(Self.verdict(2 * x > y))")
            return lines
        }

        md += "### (i) Oversampling is best or tied in almost every setting\n\n"
        md += "Rule: in a step-imbalance cell, ROS is *best or tied* when its mean AUC is at least the highest mean "
        md += "of the other methods (baseline, two-phase, RUS, class-weighted; thresholding variants have the same AUC "
        md += "and are left out) minus \(Fmt.number(Self.tieTolerance)); consistent when that holds in at least "
        md += "\(Int(Self.almostAllShare * 100))% of the cells. *Clearly worse* means a mean more than "
        md += "\(Fmt.number(Self.tieTolerance)) below the baseline's; the paper reports no considerable decrease.\n\n"
        md += perGroup { g in
            var x = 0, y = 0, worse = 0, vsBase = 0
            for p in agg.profiles(g, kind: "step") {
                guard let ros = agg.mean(g, p, "ROS") else { continue }
                // The paper's methods (and class weighting): the finding is about them; the
                // long-tail section ranks the others.
                let others = agg.cell(g, p).keys.filter {
                    $0 != "ROS" && !Methods.isThresholding($0) && (MethodRegistry.named($0)?.inBuda2018 ?? true)
                }
                    .compactMap { agg.mean(g, p, $0) }
                if let best = others.max() {
                    y += 1
                    if ros >= best - Self.tieTolerance { x += 1 }
                }
                if let base = agg.mean(g, p, "baseline") {
                    vsBase += 1
                    if ros < base - Self.tieTolerance { worse += 1 }
                }
            }
            if y == 0 { return ["no step-imbalance cell has ROS and another method — not assessed"] }
            return ["ROS best or tied in \(Self.share(x, y)) step-imbalance cells — "
                    + Self.verdict(Double(x) >= Self.almostAllShare * Double(y)),
                    "ROS clearly worse than the baseline in \(Self.share(worse, vsBase)) cells — "
                    + (vsBase == 0 ? "not assessed" : Self.verdict(worse == 0))]
        }

        md += "### (ii) Undersampling is often worse than the baseline when few classes are minority\n\n"
        md += "Rule: at the smallest μ with both RUS and baseline results, count the cells (one per ρ) where RUS has "
        md += "the lower mean AUC; consistent when that holds in more than half of them.\n\n"
        md += perGroup { g in
            let steps = agg.profiles(g, kind: "step").filter {
                agg.mean(g, $0, "RUS") != nil && agg.mean(g, $0, "baseline") != nil
            }
            guard let mu = steps.compactMap(\.mu).min() else {
                return ["no step-imbalance cell has both RUS and baseline — not assessed"]
            }
            let cells = steps.filter { $0.mu == mu }
            let x = cells.filter { agg.mean(g, $0, "RUS")! < agg.mean(g, $0, "baseline")! }.count
            return ["at μ = \(Fmt.number(mu)): RUS below baseline in \(Self.share(x, cells.count)) cells — "
                    + Self.verdict(2 * x > cells.count)]
        }

        md += "### (iii) Two-phase training lands between the baseline and its sampling method\n\n"
        md += "Rule: in every imbalanced cell with all three means, count min(baseline, sampler) ≤ two-phase ≤ "
        md += "max(baseline, sampler) (AUC, no tolerance); consistent when that holds in more than half of them.\n\n"
        md += perGroup { g in
            var lines: [String] = []
            var tx = 0, ty = 0
            for s in ["ROS", "RUS"] {
                var x = 0, y = 0
                for p in regularImbalancedProfiles(g) {
                    guard let b = agg.mean(g, p, "baseline"), let m = agg.mean(g, p, s),
                          let t = agg.mean(g, p, "two-phase-" + s) else { continue }
                    y += 1
                    if min(b, m) <= t && t <= max(b, m) { x += 1 }
                }
                if y > 0 { lines.append("two-phase \(s) between baseline and \(s) in \(Self.share(x, y)) cells") }
                tx += x; ty += y
            }
            if ty == 0 { return ["no cell has baseline, a sampler and its two-phase result — not assessed"] }
            lines.append("overall \(Self.share(tx, ty)) cells — \(Self.verdict(2 * tx > ty))")
            return lines
        }

        md += "### (iv) Thresholding raises accuracy, with the baseline or oversampling (not after undersampling)\n\n"
        md += "Rule: in step-imbalance cells, count where the mean accuracy with thresholding is higher than without. "
        md += "For baseline and ROS consistent when that holds in more than half of the cells; for RUS (the paper "
        md += "reports the adjustment is usually harmful after undersampling) consistent when it holds in fewer than half.\n\n"
        md += perGroup { g in
            var lines: [String] = []
            for s in ["baseline", "ROS", "RUS"] {
                var x = 0, y = 0
                for p in agg.profiles(g, kind: "step") {
                    guard let plain = agg.mean(g, p, s, accuracy: true),
                          let thr = agg.mean(g, p, s + "+thresholding", accuracy: true) else { continue }
                    y += 1
                    if thr > plain { x += 1 }
                }
                let name = Methods.label(s)
                if y == 0 { lines.append("\(name): no cell with both accuracies — not assessed"); continue }
                let ok = s == "RUS" ? 2 * x < y : 2 * x > y
                lines.append("thresholding raises \(name) accuracy in \(Self.share(x, y)) cells — \(Self.verdict(ok))")
            }
            return lines
        }

        md += "### (v) Thresholding leaves AUC exactly unchanged\n\n"
        md += "Rule: in every record (finished or not), for every method m stored with m+thresholding, the two "
        md += "multi-class AUCs must be equal bit for bit; consistent only when all are.\n\n"
        if thresholdCheck.checked == 0 {
            md += "- no record holds a method together with its thresholding result — not assessed\n"
        } else {
            md += "- exactly equal in \(Self.share(thresholdCheck.equal, thresholdCheck.checked)) records — "
            md += Self.verdict(thresholdCheck.equal == thresholdCheck.checked) + "\n"
            for d in thresholdCheck.differences { md += "  - differs: \(Fmt.inline(d))\n" }
        }
        md += "\n"

        md += "### (vi) Linear imbalance hurts less than step imbalance with μ = 0.5 at equal ρ\n\n"
        md += "Rule: for each ρ with both a linear and a step (μ = 0.5) cell, count where the baseline's mean AUC is "
        md += "higher under linear imbalance; consistent when that holds in more than half of them.\n\n"
        md += perGroup { g in
            var x = 0, y = 0
            let steps = agg.profiles(g, kind: "step").filter { abs(($0.mu ?? -1) - 0.5) < 1e-9 }
            for lin in agg.profiles(g, kind: "linear") {
                guard let l = agg.mean(g, lin, "baseline"),
                      let sp = steps.first(where: { $0.rho == lin.rho }),
                      let s = agg.mean(g, sp, "baseline") else { continue }
                y += 1
                if l > s { x += 1 }
            }
            if y == 0 { return ["no ρ has both linear and step (μ = 0.5) baseline results — not assessed"] }
            return ["linear above step (μ = 0.5) in \(Self.share(x, y)) values of ρ — \(Self.verdict(2 * x > y))"]
        }
        return md
    }

    func regularImbalancedProfiles(_ g: GroupKey) -> [ProfileSpec] {
        agg.cells.keys.filter { $0.group == g && $0.ratio == nil && $0.profile.kind != "balanced" }
            .map(\.profile).sorted(by: ProfileOrder.ordered)
    }

    /// One bullet list, lines prefixed with the group's label when there are several groups.
    func perGroup(_ lines: (GroupKey) -> [String]) -> String {
        var md = ""
        for g in agg.groups {
            let prefix = agg.groups.count > 1 ? "\(Fmt.inline(agg.groupLabel[g]!)): " : ""
            for l in lines(g) { md += "- \(prefix)\(l)\n" }
        }
        if md.isEmpty { md = "- no records — not assessed\n" }
        return md + "\n"
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
