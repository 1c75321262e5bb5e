import Foundation
import ImbalanceRecords
import ImbalanceTraining

/// The tables and figures of a setting in the paper's layout: AUC against ρ at fixed μ
/// (Fig. 3), against μ at fixed ρ (Fig. 4), linear and other profiles (Fig. 5), accuracy
/// with and without thresholding (Fig. 6), partial resampling (Fig. 7), learning curves
/// (Fig. 8), per-class AUC and recall of one cell, and the balanced reference.
extension Writer {
    /// "MNIST, LeNet-5".
    func words(_ g: GroupKey) -> String { Names.group(g, label: agg.groupLabel[g]!) }

    /// The y axis for AUC figures of `series` panels.
    func aucScale(_ panels: [ChartPanel]) -> YScale {
        switch options.aucAxis {
        case .linear: return .linear(ceiling: 1)
        case .error: return .errorLog
        case .auto:
            let means = panels.flatMap { $0.series.flatMap { $0.points.compactMap { $0?.mean } } }
            let errors = means.map { 1 - $0 }.filter { $0 > 0 }
            guard let lo = errors.min(), let hi = errors.max(), means.allSatisfy({ $0 >= 0.5 }),
                  hi / lo >= 10 else { return .linear(ceiling: 1) }
            return .errorLog
        }
    }

    static func axisNote(_ scale: YScale) -> String {
        switch scale {
        case .linear: return "linear AUC axis"
        case .errorLog: return "AUC axis on a log scale of 1 − AUC (the methods crowd near 1)"
        }
    }

    /// A panel from a table's rows: x positions `positions`, one point per column.
    func panel(_ title: String, table: Table, positions: [Double], labels: [String]) -> ChartPanel {
        ChartPanel(title: title, positions: positions, labels: labels, series: table.chartSeries())
    }

    static func letter(_ i: Int) -> String {
        let letters = Array("abcdefghijklmnopqrstuvwxyz")
        return "(\(i < letters.count ? String(letters[i]) : String(i + 1)))"
    }

    static func logPositions(_ values: [Double]) -> [Double] { values.map { $0 > 0 ? log10($0) : 0 } }

    // MARK: AUC (Fig. 3, 4, 5)

    mutating func aucSections(_ g: GroupKey) {
        let steps = agg.profiles(g, kind: "step")
        let n = agg.classCount[g]
        let mus = Set(steps.compactMap(\.mu)).sorted()
        let rhos = Set(steps.map(\.rho)).sorted()

        if !mus.isEmpty {
            md += "### Step imbalance: AUC vs imbalance ratio ρ, at fixed numbers of minority classes (paper Fig. 3)\n\n"
            var panels: [ChartPanel] = []
            for (i, mu) in mus.enumerated() {
                let ps = steps.filter { $0.mu == mu }
                let cols = ps.map { TableColumn(header: "ρ = \(Fmt.number($0.rho))", chartLabel: Fmt.number($0.rho), metric: .auc) }
                var heading = "#### μ = \(Fmt.number(mu))"
                if let n { heading += " (\(Int((mu * Double(n)).rounded())) of \(n) classes minority)" }
                let table = aucTable(g, ps, cols)
                emitTable(heading: heading, table: table, thresholdingNote: true)
                panels.append(panel("\(Self.letter(i)) \(Names.minority(mu: mu, classes: n))", table: table,
                                    positions: Self.logPositions(ps.map(\.rho)), labels: ps.map { Fmt.number($0.rho) }))
            }
            figure(slug: "fig3-step-auc-vs-rho",
                   title: "\(words(g)): multi-class ROC AUC against the imbalance ratio ρ under step imbalance, one panel per number of minority classes (paper Fig. 3)",
                   xTitle: "imbalance ratio ρ (log scale)", yTitle: "multi-class ROC AUC", panels: panels, scale: aucScale(panels))
        }
        if !rhos.isEmpty {
            md += "### Step imbalance: AUC vs fraction of minority classes μ, at fixed ρ (paper Fig. 4)\n\n"
            var panels: [ChartPanel] = []
            for (i, rho) in rhos.enumerated() {
                let ps = steps.filter { $0.rho == rho }
                let cols = ps.map { p -> TableColumn in
                    let mu = p.mu ?? .nan
                    var h = "μ = \(Fmt.number(mu))"
                    if let n, mu.isFinite { h += " (\(Int((mu * Double(n)).rounded())) min.)" }
                    return TableColumn(header: h, chartLabel: Fmt.number(mu), metric: .auc)
                }
                let table = aucTable(g, ps, cols)
                emitTable(heading: "#### ρ = \(Fmt.number(rho))", table: table, thresholdingNote: true)
                panels.append(panel("\(Self.letter(i)) ρ = \(Fmt.number(rho))", table: table,
                                    positions: ps.map { $0.mu ?? 0 }, labels: ps.map { Fmt.number($0.mu ?? .nan) }))
            }
            figure(slug: "fig4-step-auc-vs-mu",
                   title: "\(words(g)): multi-class ROC AUC against the fraction of minority classes μ under step imbalance, one panel per imbalance ratio ρ (paper Fig. 4)",
                   xTitle: "fraction of minority classes μ", yTitle: "multi-class ROC AUC", panels: panels, scale: aucScale(panels))
        }
        let kinds = Set(agg.cells.keys.filter { $0.group == g && $0.ratio == nil }.map(\.profile.kind))
            .subtracting(["step", "balanced"])
            .sorted { lexLess(cmp(ProfileOrder.kindRank($0), ProfileOrder.kindRank($1)), cmp($0, $1)) }
        for kind in kinds {
            let ps = agg.profiles(g, kind: kind)
            let cols = ps.map { p -> TableColumn in
                var h = "ρ = \(Fmt.number(p.rho))"
                if let mu = p.mu { h += ", μ = \(Fmt.number(mu))" }
                return TableColumn(header: h, chartLabel: Fmt.number(p.rho), metric: .auc)
            }
            let name = kind.prefix(1).uppercased() + kind.dropFirst()
            let fig = kind == "linear" ? " (paper Fig. 5)" : ""
            let table = aucTable(g, ps, cols)
            emitTable(heading: "### \(Fmt.inline(name)) imbalance: AUC vs ρ\(fig)", table: table, thresholdingNote: true)
            let panels = [panel("\(name) imbalance", table: table, positions: Self.logPositions(ps.map(\.rho)),
                                labels: ps.map { Fmt.number($0.rho) })]
            figure(slug: "\(kind)-auc-vs-rho",
                   title: "\(words(g)): multi-class ROC AUC against the imbalance ratio ρ under \(kind) imbalance\(fig)",
                   xTitle: "imbalance ratio ρ (log scale)", yTitle: "multi-class ROC AUC", panels: panels, scale: aucScale(panels))
        }
    }

    /// Writes a figure and links it.
    mutating func figure(slug: String, title: String, xTitle: String, yTitle: String, panels: [ChartPanel],
                         scale: YScale, note: String? = nil, dodge: Bool = true) {
        guard panels.contains(where: { $0.series.contains { $0.points.contains { $0 != nil } } }) else { return }
        var subtitle = "Mean ± 1 std over repetitions" + (dodge ? "; methods offset sideways at each x" : "")
        if yTitle.contains("AUC") { subtitle += "; " + Self.axisNote(scale) }
        subtitle += "."
        if let note { subtitle += " " + note }
        let svg = LineFigure(title: title, subtitle: subtitle, xTitle: xTitle, yTitle: yTitle, panels: panels,
                             yScale: scale, dodge: dodge).svg()
        addChart(slug: slug, title: title, svg: svg)
    }

    // MARK: Accuracy (Fig. 6)

    mutating func accuracySection(_ g: GroupKey) {
        let steps = agg.profiles(g, kind: "step")
        let n = agg.classCount[g]
        // Buda's thresholding variants and the methods whose networks they read.
        let accMethods = Methods.thresholdingComparison
        let mus = Set(steps.compactMap(\.mu)).sorted().filter { mu in
            steps.contains { $0.mu == mu && !Set(agg.cell(g, $0).keys).isDisjoint(with: accMethods) }
        }
        guard !mus.isEmpty else { return }
        md += "### Step imbalance: accuracy with and without thresholding (paper Fig. 6)\n\n"
        md += "Cells are overall test accuracy (not AUC), mean ± std (n), at fixed numbers of minority classes.\n\n"
        var panels: [ChartPanel] = []
        for (i, mu) in mus.enumerated() {
            let ps = steps.filter { $0.mu == mu }
            let cols = ps.map { TableColumn(header: "ρ = \(Fmt.number($0.rho))", chartLabel: Fmt.number($0.rho), metric: .accuracy) }
            let present = accMethods.filter { m in ps.contains { agg.cell(g, $0)[m] != nil } }
            let rows = present.map { m in TableRow(method: m, label: Methods.label(m), cells: ps.map { agg.cell(g, $0)[m] }) }
            var heading = "#### μ = \(Fmt.number(mu))"
            if let n { heading += " (\(Int((mu * Double(n)).rounded())) of \(n) classes minority)" }
            let table = Table(columns: cols, rows: rows)
            emitTable(heading: heading, table: table, thresholdingNote: false)
            panels.append(panel("\(Self.letter(i)) \(Names.minority(mu: mu, classes: n))", table: table,
                                positions: Self.logPositions(ps.map(\.rho)), labels: ps.map { Fmt.number($0.rho) }))
        }
        figure(slug: "fig6-step-accuracy-vs-rho",
               title: "\(words(g)): test accuracy with and without thresholding against the imbalance ratio ρ under step imbalance (paper Fig. 6)",
               xTitle: "imbalance ratio ρ (log scale)", yTitle: "accuracy", panels: panels, scale: .linear(ceiling: 1))
    }

    // MARK: Partial resampling (Fig. 7)

    mutating func partialSection(_ g: GroupKey) {
        let partialProfiles = Set(agg.cells.keys.filter { $0.group == g && $0.ratio != nil }.map(\.profile))
            .sorted(by: ProfileOrder.ordered)
        guard !partialProfiles.isEmpty else { return }
        md += "### Partial resampling to a reduced ratio ρ′ (paper Fig. 7)\n\n"
        md += "Columns: the ratio max/min after resampling, from the least to the most resampling; ρ′ = 1 "
        md += "(full balance) comes from the regular ROS/RUS runs of the same profile unless partial runs with "
        md += "ratio 1 exist. The baseline row repeats the baseline of the profile (no resampling) as a reference.\n\n"
        var panels: [ChartPanel] = []
        for (i, p) in partialProfiles.enumerated() {
            let partialKeys = agg.cells.keys.filter { $0.group == g && $0.ratio != nil && $0.profile == p }
            let regular = agg.cell(g, p)
            var ratios = Set(partialKeys.compactMap(\.ratio))
            let samplerNames = Set(partialKeys.flatMap { agg.cells[$0]!.keys })
                .filter { !Methods.isThresholding($0) && Methods.family($0) != .twoStage }
            let samplers = Methods.sorted(samplerNames)
            if samplers.contains(where: { regular[$0] != nil }) { ratios.insert(1) }
            let sortedRatios = ratios.sorted(by: >)
            let cols = sortedRatios.map { r in
                TableColumn(header: "ρ′ = \(Fmt.number(r))" + (r == 1 ? " (full)" : ""), chartLabel: Fmt.number(r), metric: .auc)
            }
            var rows = samplers.map { s in
                TableRow(method: s, label: Methods.label(s), cells: sortedRatios.map { r in
                    if let c = agg.cell(g, p, ratio: r)[s] { return c }
                    return r == 1 ? regular[s] : nil
                })
            }
            if let b = regular["baseline"] {
                rows.append(TableRow(method: "baseline", label: "Baseline (reference)", cells: sortedRatios.map { _ in b }))
            }
            let table = Table(firstHeader: "Sampler", columns: cols, rows: rows)
            emitTable(heading: "#### \(Fmt.inline(ProfileOrder.text(p)))", table: table, thresholdingNote: false)
            panels.append(panel("\(Self.letter(i)) \(ProfileOrder.text(p))", table: table,
                                positions: Self.logPositions(sortedRatios), labels: sortedRatios.map { Fmt.number($0) }))
        }
        figure(slug: "fig7-partial-resampling",
               title: "\(words(g)): multi-class ROC AUC after resampling only to the ratio ρ′ (paper Fig. 7)",
               xTitle: "ratio after resampling ρ′ (log scale)", yTitle: "multi-class ROC AUC", panels: panels,
               scale: aucScale(panels))
    }

    // MARK: Learning curves (Fig. 8)

    /// The step cell closest to the paper's Fig. 8 cell (μ = 0.5, ρ = 50): μ nearest 0.5,
    /// then ρ nearest 50 on a log scale, then the larger ρ.
    func showcaseCell(_ g: GroupKey, needsCurves: Bool) -> ProfileSpec? {
        let candidates = agg.profiles(g, kind: "step").filter { p in
            !needsCurves || !(agg.curves[CellKey(group: g, profile: p, ratio: nil)] ?? [:]).isEmpty
        }
        return candidates.min { a, b in
            let da = abs((a.mu ?? 0) - 0.5), db = abs((b.mu ?? 0) - 0.5)
            if da != db { return da < db }
            let ra = abs(log10(a.rho / 50)), rb = abs(log10(b.rho / 50))
            if ra != rb { return ra < rb }
            return a.rho > b.rho
        }
    }

    mutating func curvesSection(_ g: GroupKey) {
        guard let p = showcaseCell(g, needsCurves: true) else { return }
        let key = CellKey(group: g, profile: p, ratio: nil)
        let byMethod = agg.curves[key] ?? [:]
        let methods = Methods.sorted(byMethod.keys)
        md += "### Learning curves (paper Fig. 8)\n\n"
        md += "Cell: \(Fmt.inline(Names.profile(p, classes: agg.classCount[g]))), the step cell closest to the paper's "
        md += "Fig. 8 (μ = 0.5, ρ = 50). Training accuracy is over the batches since the previous point (the resampled "
        md += "distribution the network sees); test accuracy is on the first test images (`curveTestLimit`). Means over "
        md += "the repetitions that recorded the point; phase 1 only.\n\n"
        var panels: [ChartPanel] = []
        md += "| Method | Repetitions | Iterations | Final training accuracy | Final test accuracy | Gap |\n"
        md += "|---|---:|---:|---:|---:|---:|\n"
        for (i, m) in methods.enumerated() {
            let runs = byMethod[m]!
            let iterations = Set(runs.values.flatMap { $0.map(\.iteration) }).sorted()
            func series(_ label: String, _ style: Int, _ value: (CurvePoint) -> Double) -> ChartSeries {
                ChartSeries(label: label, style: style, points: iterations.map { it in
                    let s = Stat(runs.values.compactMap { $0.first { $0.iteration == it }.map(value) })
                    return s.n > 0 && s.mean.isFinite ? ChartPoint(mean: s.mean, std: s.std) : nil
                }, markers: iterations.count <= 12)
            }
            let train = series("training accuracy", 0, \.trainAccuracy)
            let test = series("test accuracy", 1, \.testAccuracy)
            let ticks = LineFigure.ticks(lo: Double(iterations.first ?? 0), hi: Double(iterations.last ?? 1)).values
                .filter { $0 >= Double(iterations.first ?? 0) && $0 <= Double(iterations.last ?? 0) }
                .map { (position: $0, label: Fmt.number($0)) }
            panels.append(ChartPanel(title: "\(Self.letter(i)) \(Methods.label(m))", positions: iterations.map(Double.init),
                                     labels: iterations.map(String.init), ticks: ticks, series: [train, test]))
            let lastTrain = train.points.last.flatMap { $0?.mean }, lastTest = test.points.last.flatMap { $0?.mean }
            let cols = [Methods.label(m), "\(runs.count)", "\(iterations.last ?? 0)",
                        lastTrain.map { Fmt.fixed($0, 4) } ?? "–", lastTest.map { Fmt.fixed($0, 4) } ?? "–",
                        (lastTrain != nil && lastTest != nil) ? Fmt.signed(lastTrain! - lastTest!, 4) : "–"]
            md += "|" + cols.map { " \(Fmt.cell($0)) |" }.joined() + "\n"
        }
        md += "\n"
        figure(slug: "fig8-learning-curves",
               title: "\(words(g)): training and test accuracy during training, \(Names.profile(p, classes: agg.classCount[g])) (paper Fig. 8)",
               xTitle: "iteration", yTitle: "accuracy", panels: panels, scale: .linear(ceiling: 1), dodge: false)
    }

    // MARK: Per-class AUC and recall

    mutating func perClassSection(_ g: GroupKey) {
        guard let p = showcaseCell(g, needsCurves: false), let k = agg.classCount[g] else { return }
        let key = CellKey(group: g, profile: p, ratio: nil)
        let cell = agg.cell(g, p)
        let methods = Methods.sorted(cell.keys).filter { !(cell[$0]?.runs.isEmpty ?? true) }
        guard !methods.isEmpty else { return }
        let sets = agg.minorityClassSets[key] ?? []
        let fixedMinority = sets.count == 1 ? Set(sets.first!) : nil
        md += "### Per-class AUC and recall\n\n"
        md += "Cell: \(Fmt.inline(Names.profile(p, classes: k))). Mean over repetitions of each class's one-vs-rest AUC "
        md += "and recall. "
        if let fixed = fixedMinority {
            md += "The minority classes are the same in every repetition: \(fixed.sorted().map(String.init).joined(separator: ", ")) "
            md += "(shaded in the figure).\n\n"
        } else {
            md += "The minority classes are drawn anew in every repetition (the MNIST rule), so a class's mean mixes "
            md += "repetitions where it was minority and where it was not; the minority and majority means of the "
            md += "Imbalance metrics table are computed per run and do not have this problem.\n\n"
        }
        func perClass(_ m: String, _ value: (MetricView) -> [Double?]) -> [Stat] {
            let runs = cell[m]!.runs.values
            return (0..<k).map { c in Stat(runs.compactMap { v in let a = value(v); return c < a.count ? a[c] : nil }) }
        }
        var panels: [ChartPanel] = []
        for (name, metric, includeThresholding) in [("AUC", { (v: MetricView) in v.perClassAUC }, false),
                                                    ("recall", { (v: MetricView) in v.recall }, true)] {
            // Thresholding changes recall (not AUC); the baseline's is shown, the others' are in the table.
            let ms = methods.filter { !Methods.isThresholding($0) || (includeThresholding && $0 == "baseline+thresholding") }
            let tableMethods = methods.filter { includeThresholding || !Methods.isThresholding($0) }
            md += "#### Per-class \(name)\n\n"
            md += "| Method |" + (0..<k).map { " \($0) |" }.joined() + "\n|---|" + String(repeating: "---:|", count: k) + "\n"
            var series: [ChartSeries] = []
            for m in tableMethods {
                let stats = perClass(m, metric)
                md += "| \(Fmt.cell(Methods.label(m))) |" + stats.map { " \($0.n > 0 ? Fmt.fixed($0.mean, 4) : "–") |" }.joined() + "\n"
                guard ms.contains(m) else { continue }
                series.append(ChartSeries(label: Methods.label(m), style: Methods.styleIndex(m), points: stats.map {
                    $0.n > 0 && $0.mean.isFinite ? ChartPoint(mean: $0.mean, std: $0.std) : nil
                }, connect: false))
            }
            md += "\n"
            panels.append(ChartPanel(title: "per-class \(name)", positions: (0..<k).map(Double.init),
                                     labels: (0..<k).map(String.init), series: series,
                                     shaded: Set((fixedMinority ?? []).filter { $0 < k })))
        }
        // Two panels of different metrics: each gets its own figure so each axis fits its data.
        figure(slug: "per-class-auc", title: "\(words(g)): per-class one-vs-rest AUC, \(Names.profile(p, classes: k))",
               xTitle: "class", yTitle: "one-vs-rest ROC AUC", panels: [panels[0]], scale: aucScale([panels[0]]),
               note: fixedMinority == nil ? nil : "Minority classes shaded.")
        figure(slug: "per-class-recall", title: "\(words(g)): per-class recall, \(Names.profile(p, classes: k))",
               xTitle: "class", yTitle: "recall", panels: [panels[1]], scale: .linear(ceiling: 1),
               note: fixedMinority == nil ? nil : "Minority classes shaded.")
    }

    // MARK: Balanced reference

    mutating func balancedSection(_ g: GroupKey) {
        for p in agg.profiles(g, kind: "balanced") {
            let c = agg.cell(g, p)
            let rows = Methods.sorted(c.keys).map { m in
                TableRow(method: m, label: Methods.label(m), cells: [c[m], c[m]])
            }
            let extra = p.rho != 1 ? " (ρ = \(Fmt.number(p.rho)))" : ""
            emitTable(heading: "### Balanced reference runs\(extra)",
                      table: Table(columns: [TableColumn(header: "AUC", chartLabel: "", metric: .auc),
                                             TableColumn(header: "Accuracy", chartLabel: "", metric: .accuracy)],
                                   rows: rows),
                      thresholdingNote: false)
        }
    }
}
