import Foundation
@_exported import ImbalanceRecords
import ImbalanceTraining

/// A generated report: the markdown text and the SVG charts it references.
public struct Report: Sendable {
    public var markdown: String
    /// File names (no directory) and contents, in the order the markdown references them.
    public var charts: [(fileName: String, svg: String)]
    public init(markdown: String, charts: [(fileName: String, svg: String)]) {
        self.markdown = markdown; self.charts = charts
    }
}

/// Builds the study's report (markdown tables, SVG charts and computed findings) from run
/// records alone. The output is a pure function of the set of records: input order,
/// timings, absolute paths and the host never reach it.
public enum ReportBuilder {
    /// Finding (i): ROS is "tied" with the best other method within this much mean AUC.
    public static var tieTolerance: Double { Findings.tieTolerance }

    /// Builds the report. `chartDirectoryName` is the directory, relative to the markdown
    /// file, the charts are written to (e.g. "NAME-charts"); the markdown links to
    /// `chartDirectoryName/<fileName>`. `command` is printed as the way to regenerate it.
    public static func build(records: [RunRecord], title: String, command: String,
                             chartDirectoryName: String) -> Report {
        let search = BaseRateSearch.apply(records)
        var w = Writer(agg: Aggregate(search.records), chartDirectory: chartDirectoryName)
        w.searchSection = BaseRateSearch.markdown(search.choices)
        w.allRecordCount = records.count
        return w.build(title: title, command: command)
    }

    /// Sum of `timings.trainSeconds` (the only non-deterministic field of a record, so it is
    /// left out of the report; print it separately).
    public static func totalTrainingSeconds(_ records: [RunRecord]) -> Double {
        records.map(\.timings.trainSeconds).sorted().reduce(0, +)
    }

    /// Reads every `*.json` file under `directory` (recursively, sorted by path). Files that
    /// cannot be read or are not run records are reported in `problems`, one line each,
    /// starting with the file's path; they do not stop the others.
    public static func loadRecords(directory: String) throws -> (records: [RunRecord], problems: [String]) {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDir), isDir.boolValue else {
            throw RecordError("no records directory at \(directory)")
        }
        guard let walker = FileManager.default.enumerator(atPath: directory) else {
            throw RecordError("cannot list \(directory)")
        }
        var files: [String] = []
        while let rel = walker.nextObject() as? String {
            if rel.hasSuffix(".json") { files.append(rel) }
        }
        files.sort()
        let base = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        var records: [RunRecord] = [], problems: [String] = []
        for rel in files {
            let path = base + "/" + rel
            var d: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &d), d.boolValue { continue }
            guard let data = FileManager.default.contents(atPath: path) else {
                problems.append("\(path): cannot be read"); continue
            }
            do {
                records.append(try RecordIO.decoder().decode(RunRecord.self, from: data))
            } catch {
                problems.append("\(path): not a valid run record (\(describe(error)))")
            }
        }
        return (records, problems)
    }

    static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let c):
            return "malformed JSON" + (c.codingPath.isEmpty ? "" : " at \(path(c.codingPath))")
        case DecodingError.keyNotFound(let key, let c):
            return "missing field \(path(c.codingPath + [key]))"
        case DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c):
            return "wrong type at \(path(c.codingPath))"
        default:
            return "\(error)"
        }
    }

    static func path(_ keys: [CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }
}

/// Writes the report section by section.
struct Writer {
    let agg: Aggregate
    let chartDirectory: String
    var md = ""
    var charts: [(fileName: String, svg: String)] = []
    var usedNames = Set<String>()
    var thresholdCheck: ThresholdCheck
    /// The group whose section is being written (names its charts).
    var currentGroup: GroupKey?
    /// The base-rate search's choices (empty without a search) and the record count before it.
    var searchSection = ""
    var allRecordCount = 0

    init(agg: Aggregate, chartDirectory: String) {
        self.agg = agg
        self.chartDirectory = chartDirectory
        thresholdCheck = ThresholdCheck(agg.records)
    }

    mutating func build(title: String, command: String) -> Report {
        md += "# \(title.map { $0 == "\n" || $0 == "\r" ? " " : $0 }.map(String.init).joined())\n\n"
        md += "*Generated from run records by ImbalanceBench; do not edit by hand. Regenerate with:*\n\n"
        md += fence(command)
        runsSection()
        md += searchSection
        md += Findings(agg: agg).markdown(thresholdCheck: thresholdCheck)
        legendSection()
        for g in agg.groups { groupSection(g) }
        md += LongTailSection(agg: agg).markdown()
        divergedSection()
        return Report(markdown: md, charts: charts)
    }

    func fence(_ text: String) -> String {
        var ticks = "```"
        while text.contains(ticks) { ticks += "`" }
        return "\(ticks)\n\(text)\n\(ticks)\n\n"
    }

    // MARK: Runs

    mutating func runsSection() {
        let finished = agg.finished.count, total = agg.records.count
        let diverged = agg.unfinished.filter { $0.status == "diverged" }.count
        let other = agg.unfinished.count - diverged
        md += "## Runs\n\n"
        md += "- Records: \(total) (\(finished) finished, \(diverged) diverged"
        md += other > 0 ? ", \(other) with another status)\n" : ")\n"
        if allRecordCount > total {
            md += "- Not averaged in: \(allRecordCount - total) record(s) at base rates the search did not choose "
            md += "(see Base-rate search)\n"
        }
        let tools = Set(agg.records.map { "\($0.tool.name) \($0.tool.version)" }).sorted()
        if !tools.isEmpty { md += "- Written by: \(Fmt.inline(tools.joined(separator: ", ")))\n" }
        let schemas = Set(agg.records.map(\.schemaVersion)).sorted().map(String.init)
        if !schemas.isEmpty { md += "- Record schema versions: \(schemas.joined(separator: ", "))\n" }
        md += ProvenanceLines.markdown(agg.records)
        let samplers = Set(agg.records.map(\.config.sampler)).sorted()
        if !samplers.isEmpty { md += "- Samplers: \(Fmt.inline(samplers.joined(separator: ", ")))\n" }
        let methods = Methods.sorted(agg.records.flatMap { $0.results.keys })
        if !methods.isEmpty { md += "- Methods with results: \(Fmt.inline(methods.joined(separator: ", ")))\n" }
        if agg.duplicates > 0 {
            md += "- \(agg.duplicates) method result(s) repeat a result of another record for the same cell, method and "
            md += "repetition (same base seed and repetition index, e.g. a ROS job with and one without two-phase); "
            md += "each repetition is counted once, from the record with the smallest id.\n"
        }
        md += "- Training times are left out so that the report is byte-identical when the records are regenerated.\n\n"
        guard !agg.groups.isEmpty else { md += "No records.\n\n"; return }
        md += "| Setting | Dataset | Model | Classes | Iterations | Batch | Base LR (policy) | Momentum | Weight decay "
        md += "| Max per class | Minority rule | Records | Repetitions | Profiles |\n"
        md += "|---|---|---|---:|---:|---:|---|---:|---:|---:|---|---:|---:|---|\n"
        for g in agg.groups {
            let recs = agg.records.filter { GroupKey($0.config) == g }
            var kinds: [String: Int] = [:]
            for k in agg.cells.keys where k.group == g && k.ratio == nil { kinds[k.profile.kind, default: 0] += 1 }
            let profiles = kinds.sorted {
                lexLess(cmp(ProfileOrder.kindRank($0.key), ProfileOrder.kindRank($1.key)), cmp($0.key, $1.key))
            }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", ")
            let partial = Set(agg.cells.keys.filter { $0.group == g && $0.ratio != nil }).count
            let cols: [String] = [
                agg.groupLabel[g]!, g.dataset, g.model, agg.classCount[g].map(String.init) ?? "–",
                "\(g.iterations)", "\(g.batchSize)",
                "\(g.baseLearningRateText) (\(g.learningRatePolicy))", Fmt.number(g.momentum),
                Fmt.number(g.weightDecay), g.maxPerClass.map(String.init) ?? "all", g.minorityRule,
                "\(recs.count)", "\(agg.runKeysByGroup[g]?.count ?? 0)",
                profiles + (partial > 0 ? (profiles.isEmpty ? "" : ", ") + "partial resampling ×\(partial)" : ""),
            ]
            md += "|" + cols.map { " \(Fmt.cell($0)) |" }.joined() + "\n"
        }
        md += "\nRepetitions counts distinct (base seed, repetition) pairs; profiles counts distinct imbalance settings.\n\n"
    }

    // MARK: Legend

    mutating func legendSection() {
        md += "## How to read the tables\n\n"
        md += "- A cell is `mean ± std (n=k)` over repetitions: AUC is the multi-class ROC AUC (mean of one-vs-rest "
        md += "AUCs), 4 decimals; std is the sample standard deviation (n − 1 in the denominator), shown as `–` "
        md += "when n = 1; n counts finished runs only.\n"
        md += "- **Bold**: the highest mean in the column, compared at the 4 displayed decimals; all tied rows are bold.\n"
        md += "- †: at least one run of this cell diverged; it is not averaged in (see Diverged runs).\n"
        md += "- ‡: at least one finished run had an undefined (non-finite) value, left out of the mean.\n"
        md += "- An empty cell has no record; `– (n=0)` has only diverged runs.\n"
        md += "- Charts: mean per column, error bars ± 1 std; x values are categories, evenly spaced.\n\n"
        md += "| Method name in records | Label |\n|---|---|\n"
        // Buda's methods always (the paper's findings are about them); any other method
        // of the registry when the records hold it.
        let present = Set(agg.records.flatMap { $0.results.keys })
        for m in Methods.order where Methods.budaOrder.contains(m) || present.contains(m) {
            md += "| `\(m)` | \(Methods.label(m)) |\n"
        }
        md += "\nOther method names are shown unchanged, after these, in alphabetical order.\n\n"
    }

    // MARK: Groups

    mutating func groupSection(_ g: GroupKey) {
        currentGroup = g
        let label = agg.groupLabel[g]!
        md += "## \(Fmt.inline(label))\n\n"
        md += "Settings: \(Fmt.inline(g.settingsText)).\n\n"
        let steps = agg.profiles(g, kind: "step")
        let n = agg.classCount[g]

        // (a) Fixed rho, columns mu.
        let rhos = Set(steps.map(\.rho)).sorted()
        if !rhos.isEmpty {
            md += "### Step imbalance: AUC vs fraction of minority classes μ, at fixed ρ (paper Fig. 3)\n\n"
            for rho in rhos {
                let ps = steps.filter { $0.rho == rho }
                let cols = ps.map { p -> TableColumn in
                    let mu = p.mu ?? .nan
                    var h = "μ = \(Fmt.number(mu))"
                    if let n, mu.isFinite { h += " (\(Int((mu * Double(n)).rounded())) min.)" }
                    return TableColumn(header: h, chartLabel: Fmt.number(mu), metric: .auc)
                }
                let title = "\(label): step, ρ = \(Fmt.number(rho)), AUC vs μ"
                emit(heading: "#### ρ = \(Fmt.number(rho))", table: aucTable(g, ps, cols), title: title,
                     xTitle: "μ (fraction of minority classes)", slug: "step-rho-\(Fmt.number(rho))", thresholdingNote: true)
            }
        }
        // (b) Fixed mu, columns rho.
        let mus = Set(steps.compactMap(\.mu)).sorted()
        if !mus.isEmpty {
            md += "### Step imbalance: AUC vs imbalance ratio ρ, at fixed μ (paper Fig. 4)\n\n"
            for mu in mus {
                let ps = steps.filter { $0.mu == mu }
                let cols = ps.map { TableColumn(header: "ρ = \(Fmt.number($0.rho))", chartLabel: Fmt.number($0.rho), metric: .auc) }
                var heading = "#### μ = \(Fmt.number(mu))"
                if let n { heading += " (\(Int((mu * Double(n)).rounded())) of \(n) classes minority)" }
                emit(heading: heading, table: aucTable(g, ps, cols), title: "\(label): step, μ = \(Fmt.number(mu)), AUC vs ρ",
                     xTitle: "ρ (imbalance ratio)", slug: "step-mu-\(Fmt.number(mu))", thresholdingNote: true)
            }
        }
        // (c) Linear, exponential and any other kind: columns rho.
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
            emit(heading: "### \(Fmt.inline(name)) imbalance: AUC vs ρ\(fig)", table: aucTable(g, ps, cols),
                 title: "\(label): \(kind) imbalance, AUC vs ρ", xTitle: "ρ (imbalance ratio)", slug: kind, thresholdingNote: true)
        }
        // (d) Accuracy with and without thresholding.
        // Buda's thresholding variants and the methods whose networks they read.
        let accMethods = Methods.thresholdingComparison
        let accRhos = rhos.filter { rho in
            steps.contains { $0.rho == rho && !Set(agg.cell(g, $0).keys).isDisjoint(with: accMethods) }
        }
        if !accRhos.isEmpty {
            md += "### Step imbalance: accuracy with and without thresholding (paper Fig. 6)\n\n"
            md += "Cells are overall test accuracy (not AUC), mean ± std (n).\n\n"
            for rho in accRhos {
                let ps = steps.filter { $0.rho == rho }
                let cols = ps.map { p -> TableColumn in
                    let mu = p.mu ?? .nan
                    var h = "μ = \(Fmt.number(mu))"
                    if let n, mu.isFinite { h += " (\(Int((mu * Double(n)).rounded())) min.)" }
                    return TableColumn(header: h, chartLabel: Fmt.number(mu), metric: .accuracy)
                }
                let present = accMethods.filter { m in ps.contains { agg.cell(g, $0)[m] != nil } }
                let rows = present.map { m in
                    TableRow(method: m, label: Methods.label(m), cells: ps.map { agg.cell(g, $0)[m] })
                }
                emit(heading: "#### ρ = \(Fmt.number(rho))", table: Table(columns: cols, rows: rows), title: nil,
                     xTitle: "", slug: "", thresholdingNote: false)
            }
        }
        // (e) Partial resampling.
        let partialProfiles = Set(agg.cells.keys.filter { $0.group == g && $0.ratio != nil }.map(\.profile))
            .sorted(by: ProfileOrder.ordered)
        if !partialProfiles.isEmpty {
            md += "### Partial resampling to a reduced ratio ρ′ (paper Fig. 7)\n\n"
            md += "Columns: the ratio max/min after resampling, from the least to the most resampling; ρ′ = 1 "
            md += "(full balance) comes from the regular ROS/RUS runs of the same profile unless partial runs with "
            md += "ratio 1 exist. The baseline row repeats the baseline of the profile (no resampling) as a reference.\n\n"
            for p in partialProfiles { partialTable(g, p) }
        }
        // Balanced reference.
        let balanced = agg.profiles(g, kind: "balanced")
        for p in balanced {
            let c = agg.cell(g, p)
            let rows = Methods.sorted(c.keys).map { m in
                TableRow(method: m, label: Methods.label(m), cells: [c[m], c[m]])
            }
            let extra = p.rho != 1 ? " (ρ = \(Fmt.number(p.rho)))" : ""
            emit(heading: "### Balanced reference runs\(extra)",
                 table: Table(columns: [TableColumn(header: "AUC", chartLabel: "", metric: .auc),
                                        TableColumn(header: "Accuracy", chartLabel: "", metric: .accuracy)],
                              rows: rows),
                 title: nil, xTitle: "", slug: "", thresholdingNote: false)
        }
    }

    /// Methods of the cells as rows (thresholding variants left out), cells as columns.
    func aucTable(_ g: GroupKey, _ ps: [ProfileSpec], _ cols: [TableColumn]) -> Table {
        let methods = Methods.sorted(ps.flatMap { agg.cell(g, $0).keys }).filter { !Methods.isThresholding($0) }
        let rows = methods.map { m in TableRow(method: m, label: Methods.label(m), cells: ps.map { agg.cell(g, $0)[m] }) }
        return Table(columns: cols, rows: rows)
    }

    mutating func partialTable(_ g: GroupKey, _ p: ProfileSpec) {
        let label = agg.groupLabel[g]!
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
        emit(heading: "#### \(Fmt.inline(ProfileOrder.text(p)))", table: Table(firstHeader: "Sampler", columns: cols, rows: rows),
             title: "\(label): partial resampling, \(ProfileOrder.text(p))", xTitle: "ρ′ (ratio after resampling)",
             slug: "partial-\(p.kind)-rho-\(Fmt.number(p.rho))" + (p.mu.map { "-mu-\(Fmt.number($0))" } ?? ""),
             thresholdingNote: false)
    }

    /// Writes a heading, the table, its notes and (when `title` is set) its chart.
    mutating func emit(heading: String, table: Table, title: String?, xTitle: String, slug: String, thresholdingNote: Bool) {
        md += heading + "\n\n"
        let r = table.render()
        md += r.markdown + "\n"
        var notes: [String] = []
        if thresholdingNote {
            let c = thresholdCheck
            var s = "Thresholding rows are omitted: thresholding rescales each class's scores by a positive "
            s += "constant, which leaves AUC unchanged"
            if c.checked == 0 {
                s += " (no record holds both results to verify this)."
            } else if c.equal == c.checked {
                s += " (verified: equal bit for bit in \(c.equal) of \(c.checked) records, Findings (v))."
            } else {
                s += " in theory, but here it is equal in only \(c.equal) of \(c.checked) records (Findings (v))."
            }
            notes.append(s)
        }
        if r.hasDiverged { notes.append("† diverged runs excluded; n counts finished runs only (see Diverged runs).") }
        if r.hasUndefined { notes.append("‡ undefined (non-finite) values left out of the mean.") }
        for n in notes { md += n + "\n\n" }
        if let title {
            var name = "\(currentGroup.flatMap { agg.groupSlug[$0] } ?? "x")-\(Fmt.slug(slug))"
            var k = 2
            while usedNames.contains(name + ".svg") { name = "\(name)-\(k)"; k += 1 }
            let file = name + ".svg"
            usedNames.insert(file)
            let svg = LineChart.svg(title: title, xTitle: xTitle, yTitle: "Multi-class ROC AUC",
                                    categories: table.columns.map(\.chartLabel), series: table.chartSeries())
            charts.append((fileName: file, svg: svg))
            let alt = title.filter { $0 != "[" && $0 != "]" && $0 != "\n" }
            md += "![\(alt)](\(chartDirectory)/\(file))\n\n"
        }
    }


    // MARK: Diverged runs

    mutating func divergedSection() {
        md += "## Diverged runs\n\n"
        guard !agg.unfinished.isEmpty else { md += "None.\n"; return }
        md += "Not averaged into any table; the cells of their methods are marked †.\n\n"
        md += "| Run id | Setting | Profile | Sampler | Repetition | Status | Phase | Iteration | Reason |\n"
        md += "|---|---|---|---|---:|---|---|---:|---|\n"
        for r in agg.unfinished {
            let c = r.config
            var sampler = c.sampler
            if let ratio = c.samplerRatio { sampler += " (ρ′ = \(Fmt.number(ratio)))" }
            if c.twoPhase { sampler += ", two-phase" }
            let cols = [
                r.id, agg.groupLabel[GroupKey(c)] ?? "", ProfileOrder.text(c.profile), sampler,
                "\(c.repetition)", r.status, r.divergence?.phase ?? "–",
                r.divergence.map { "\($0.iteration)" } ?? "–", r.divergence?.reason ?? "–",
            ]
            md += "|" + cols.map { " \(Fmt.cell($0)) |" }.joined() + "\n"
        }
    }
}
