import Foundation
@_exported import ImbalanceRecords
import ImbalanceTraining

/// A generated report: the markdown text, the SVG charts it references and its table of
/// every (record, method) as CSV.
public struct Report: Sendable {
    public var markdown: String
    /// File names (no directory) and contents, in the order the markdown references them.
    public var charts: [(fileName: String, svg: String)]
    /// `TidyExport` CSV of the records the report was built from (the file the markdown
    /// links when `ReportOptions.csvFileName` is set).
    public var csv: String
    public init(markdown: String, charts: [(fileName: String, svg: String)], csv: String = "") {
        self.markdown = markdown; self.charts = charts; self.csv = csv
    }
}

/// Choices that change what a report shows (each one is part of the regenerate command).
public struct ReportOptions: Sendable, Equatable {
    /// How AUC charts draw their y axis.
    public enum AUCAxis: String, CaseIterable, Sendable {
        /// A log scale of 1 − AUC where every mean of a figure is above chance (0.5) and
        /// their distances to 1 span a factor of 10 or more (methods crowding near 1.0 beside
        /// others far from it); else linear.
        case auto
        /// Linear, fitted to the data, never past 1.
        case linear
        /// Always the log scale of 1 − AUC.
        case error
    }

    public var aucAxis: AUCAxis
    /// The CSV's file name relative to the markdown (e.g. "NAME.csv"), linked from the Runs
    /// section; nil links none.
    public var csvFileName: String?

    public init(aucAxis: AUCAxis = .auto, csvFileName: String? = nil) {
        self.aucAxis = aucAxis; self.csvFileName = csvFileName
    }
}

/// Builds the study's report (markdown tables, SVG charts, paired tests, rankings and
/// computed findings) from run records alone. The output is a pure function of the set of
/// records and the options: input order, timings, absolute paths and the host never reach it.
public enum ReportBuilder {
    /// Builds the report. `chartDirectoryName` is the directory, relative to the markdown
    /// file, the charts are written to (e.g. "NAME-charts"); the markdown links to
    /// `chartDirectoryName/<fileName>`. `command` is printed as the way to regenerate it.
    /// `unusable` lists the files that were read but could not be used, with the reason;
    /// the report names each (paths as given, so keep them relative).
    public static func build(records: [RunRecord], title: String, command: String,
                             chartDirectoryName: String, unusable: [UnusableFile] = [],
                             options: ReportOptions = .init()) -> Report {
        let search = BaseRateSearch.apply(records)
        var w = Writer(agg: Aggregate(search.records), chartDirectory: chartDirectoryName, options: options)
        w.searchSection = BaseRateSearch.markdown(search.choices)
        w.allRecordCount = records.count
        w.unusable = unusable
        var report = w.build(title: title, command: command)
        report.csv = TidyExport.render(records, format: .csv)
        return report
    }

    /// Reads the records of several directories (each a sweep's results directory, whose
    /// records/ is read, or any folder of record files), in the order given. A record whose
    /// id was already read is not used twice; it is listed in `unusable` with the files
    /// that cannot be read or are not records. Paths start with the directory as given.
    public static func loadRecords(directories: [String]) throws -> (records: [RunRecord], unusable: [UnusableFile]) {
        var records: [RunRecord] = [], unusable: [UnusableFile] = []
        var firstFile: [String: (file: String, record: RunRecord)] = [:]
        for given in directories {
            var dir = given.hasSuffix("/") && given.count > 1 ? String(given.dropLast()) : given
            if FileManager.default.fileExists(atPath: dir + "/records") { dir += "/records" }
            let (found, problems) = try loadRecordFiles(directory: dir)
            unusable += problems
            for (file, r) in found {
                if let first = firstFile[r.id] {
                    let same = first.record == r ? "the same record" : "a different record with the same id"
                    unusable.append(UnusableFile(file: file, reason: "\(same) as \(first.file), which is used"))
                    continue
                }
                firstFile[r.id] = (file, r)
                records.append(r)
            }
        }
        return (records, unusable)
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
        let (found, problems) = try loadRecordFiles(directory: directory)
        return (found.map(\.record), problems.map { "\($0.file): \($0.reason)" })
    }

    static func loadRecordFiles(directory: String) throws -> (records: [(file: String, record: RunRecord)], problems: [UnusableFile]) {
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
        var records: [(file: String, record: RunRecord)] = [], problems: [UnusableFile] = []
        for rel in files {
            let path = base + "/" + rel
            var d: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &d), d.boolValue { continue }
            guard let data = FileManager.default.contents(atPath: path) else {
                problems.append(UnusableFile(file: path, reason: "cannot be read")); continue
            }
            do {
                records.append((path, try RecordIO.decoder().decode(RunRecord.self, from: data)))
            } catch {
                problems.append(UnusableFile(file: path, reason: "not a valid run record (\(describe(error)))"))
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

/// A file a report read but could not use, and why.
public struct UnusableFile: Sendable, Equatable {
    public var file: String
    public var reason: String
    public init(file: String, reason: String) { self.file = file; self.reason = reason }
}

/// Writes the report section by section (figures, statistics and findings are extensions
/// in their own files).
struct Writer {
    let agg: Aggregate
    let chartDirectory: String
    let options: ReportOptions
    var md = ""
    var charts: [(fileName: String, svg: String)] = []
    var usedNames = Set<String>()
    var thresholdCheck: ThresholdCheck
    /// The group whose section is being written (names its charts).
    var currentGroup: GroupKey?
    /// The base-rate search's choices (empty without a search) and the record count before it.
    var searchSection = ""
    var allRecordCount = 0
    var unusable: [UnusableFile] = []

    init(agg: Aggregate, chartDirectory: String, options: ReportOptions = .init()) {
        self.agg = agg
        self.chartDirectory = chartDirectory
        self.options = options
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
        unusableSection()
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
        if !unusable.isEmpty {
            md += "- **Files not used: \(unusable.count)** (unreadable, not run records, or repeats; see Files not used)\n"
        }
        let withIntervals = agg.records.filter { $0.results.values.contains { $0.bootstrap != nil } }.count
        let schema1 = agg.records.filter { $0.schemaVersion < 2 }.count
        if schema1 > 0 {
            md += "- \(schema1) record(s) of schema 1: MCC, G-mean, precision, recall and their minority/majority means are "
            md += "derived from their confusion matrices and minority classes; average precision, calibration error and "
            md += "bootstrap intervals need the test scores and are not available for them.\n"
        }
        if withIntervals > 0 {
            md += "- Test-set bootstrap intervals (stratified by class) in \(withIntervals) of \(agg.records.count) records.\n"
        }
        if let csv = options.csvFileName {
            md += "- Every (record, method) as one table row: [\(Fmt.inline(csv))](\(csv)) (`imbench export`, columns in docs/export.md).\n"
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
        md += "- Figures: mean per point, error bars ± 1 std over repetitions; points of different methods at one x are "
        md += "offset sideways so that their bars stay apart; ρ axes are logarithmic. Where every mean AUC of a figure is "
        md += "above 0.5 and their distances to 1 span a factor of ten or more, the AUC axis is a log scale of 1 − AUC "
        md += "(ticks still read as AUC, best at the top); the figure's subtitle says which.\n"
        md += "- Paired comparisons: runs of one cell and one repetition share their data draws and initial weights, so "
        md += "methods are compared by the differences within repetitions. Each table is one family: its p-values are "
        md += "Holm-adjusted within it. **Bold** Holm values are below 0.05. Significance in the findings uses the "
        md += "two-sided Wilcoxon signed-rank test (exact for small n, zero differences dropped, as SciPy's default); "
        md += "the paired t-test is shown beside it. The smallest exact Wilcoxon p is 2 / 2^n, so with Holm over m "
        md += "rows no row can reach 0.05 unless m · 2^(1−n) < 0.05: such families say *too few repetitions to test*.\n"
        md += "- The repetitions are the sample: the tests ask whether a difference persists over new draws of the "
        md += "training data and initialisation on this test set; the bootstrap intervals of the Imbalance metrics "
        md += "tables measure the test set's own sampling noise.\n\n"
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
        md += "## \(Fmt.inline(agg.groupLabel[g]!))\n\n"
        md += "Settings: \(Fmt.inline(g.settingsText)).\n\n"
        aucSections(g)
        accuracySection(g)
        partialSection(g)
        curvesSection(g)
        pairedSection(g)
        rankingSection(g)
        metricsSection(g)
        perClassSection(g)
        balancedSection(g)
    }

    /// Methods of the cells as rows (thresholding variants left out), cells as columns.
    func aucTable(_ g: GroupKey, _ ps: [ProfileSpec], _ cols: [TableColumn]) -> Table {
        let methods = Methods.sorted(ps.flatMap { agg.cell(g, $0).keys }).filter { !Methods.isThresholding($0) }
        let rows = methods.map { m in TableRow(method: m, label: Methods.label(m), cells: ps.map { agg.cell(g, $0)[m] }) }
        return Table(columns: cols, rows: rows)
    }

    /// Writes a heading, the table and its notes.
    mutating func emitTable(heading: String, table: Table, thresholdingNote: Bool) {
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
    }

    /// Adds a chart file named after the group and `slug` and links it from the markdown.
    mutating func addChart(slug: String, title: String, svg: String) {
        var name = "\(currentGroup.flatMap { agg.groupSlug[$0] } ?? "x")-\(Fmt.slug(slug))"
        let base = name
        var k = 2
        while usedNames.contains(name + ".svg") { name = "\(base)-\(k)"; k += 1 }
        let file = name + ".svg"
        usedNames.insert(file)
        charts.append((fileName: file, svg: svg))
        let alt = title.filter { $0 != "[" && $0 != "]" && $0 != "\n" }
        md += "![\(alt)](\(chartDirectory)/\(file))\n\n"
    }

    // MARK: Files not used

    /// Only when there are such files, so a clean set of records gives the same report as
    /// before this section existed.
    mutating func unusableSection() {
        guard !unusable.isEmpty else { return }
        md += "\n## Files not used\n\n"
        md += "Read but left out of every table above:\n\n"
        md += "| File | Reason |\n|---|---|\n"
        for u in unusable.sorted(by: { $0.file < $1.file }) {
            md += "| \(Fmt.cell(u.file)) | \(Fmt.cell(u.reason)) |\n"
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
