import ArgumentParser
import Foundation
import ImbalanceData
import ImbalanceFetch
import ImbalanceSweep

/// The quick start: a small imbalance sweep on data that needs no download, then its report.
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a small imbalance sweep on Fashion-MNIST (or --dataset mnist) and print its report.",
        discussion: """
        Runs configs/demo.yaml: step imbalance rho in {10, 100} at mu = 0.5, baseline, ROS, \
        RUS, two-phase and thresholding, 1,000 iterations, 6 networks, into \
        OUT/DATASET/ (default results/demo/fashion-mnist/), then writes \
        OUT/DATASET/report.md and prints its main table. Fashion-MNIST comes from Debian's \
        dataset-fashion-mnist (installed by ./imbench on first use). Takes a few minutes \
        on 2 cores; rerunning it reuses the finished networks.
        """)

    @Option(help: "fashion-mnist (default, no download) or mnist.",
            transform: OptionValue.choice(["fashion-mnist", "mnist"]))
    var dataset: String = "fashion-mnist"
    @Option(help: "Directory holding the dataset files.") var dataDir: String?
    @Option(help: "Results directory; the sweep goes to OUT/DATASET/.") var out: String = "results/demo"
    @Option(parsing: .unconditional, help: "Trainings at once (1 to the cores; default: the number of cores).",
            transform: OptionValue.cores)
    var jobs: Int?
    @Flag(help: "Use OUT/DATASET even though it holds another config's records (they are moved to its set-aside/).")
    var force = false
    @Flag(help: "Train even if the data files are another dataset's official files (the records say so).")
    var allowMismatch = false

    func run() throws {
        let root = repositoryRoot()
        let presetPath = root + "/configs/demo.yaml"
        let preset = try String(contentsOfFile: presetPath, encoding: .utf8)
        // The preset with this run's dataset: what OUT/DATASET/sweep.yaml records.
        let text = preset.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix("dataset:") ? "dataset: \(dataset)" : String($0) }.joined(separator: "\n")
        let cfg = try SweepConfig.parse(yaml: text, path: presetPath)
        let kind = DatasetKind(rawValue: dataset)!
        let location = try DataLocation.resolve(kind, explicitDirectory: dataDir)
        let check = try checkData(kind, directory: location.directory, allowMismatch: allowMismatch)
        _ = try loadDataset(kind: kind, directory: location.directory)
        printError("demo: \(kind.displayName) from \(location.description); data check: \(check.result)")
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let layout = SweepLayout(root: absolute(out + "/" + dataset))
        try layout.create()
        for note in try ConfigClaim.claim(layout, config: cfg, text: text, force: force) { printError(note) }
        let runner = SweepRunner(
            layout: layout,
            options: .init(parallelJobs: jobs ?? cores, threadsPerJob: 1,
                           dataDirectory: location.directory, executable: selfExecutable(),
                           curveEvery: cfg.curveEvery, curveTestLimit: cfg.curveTestLimit,
                           bootstrapResamples: cfg.bootstrapResamples, saveScores: cfg.saveScores,
                           interactive: isatty(STDERR_FILENO) == 1, dataCheck: check),
            output: { printFlushed($0) })
        let summary = try runner.run(SweepPlan.jobs(for: cfg))
        guard summary.failed.isEmpty else { throw ExitCode(1) }
        let reportPath = layout.root + "/report.md"
        let note = try writeReport(recordsDirs: ["\(out)/\(dataset)"], out: "\(out)/\(dataset)/report.md",
                                   title: "Demo: step imbalance on \(kind.displayName)",
                                   command: ReportCommand.command(dirs: ["\(out)/\(dataset)"],
                                                                  out: "\(out)/\(dataset)/report.md",
                                                                  title: "Demo: step imbalance on \(kind.displayName)"))
        // Print the main table: the step-imbalance AUC section of the report.
        let md = (try? String(contentsOfFile: reportPath, encoding: .utf8)) ?? ""
        print(excerpt(of: md))
        print(note)
    }

    /// The table of AUC against rho (the paper's Fig. 4) and the findings' one-line verdicts.
    private func excerpt(of markdown: String) -> String {
        let lines = markdown.components(separatedBy: "\n")
        var out: [String] = []
        if let s = lines.firstIndex(where: { $0.hasPrefix("### Step imbalance: AUC vs imbalance ratio") }) {
            var i = s
            repeat {
                if !lines[i].hasPrefix("![") { out.append(lines[i]) }
                i += 1
            } while i < lines.count && !lines[i].hasPrefix("### ") && !lines[i].hasPrefix("## ")
        }
        if let f = lines.firstIndex(of: "## Findings") {
            out.append("Findings (see the report for the rules):")
            var i = f + 1
            while i < lines.count && !lines[i].hasPrefix("## ") {
                if lines[i].hasPrefix("- ") { out.append(lines[i]) }
                i += 1
            }
        }
        return out.isEmpty ? markdown : out.joined(separator: "\n")
    }
}

/// The repository this binary was built in (.build/<config>/imbench -> repo root), so the
/// presets are found whatever the working directory.
func repositoryRoot() -> String {
    var url = URL(fileURLWithPath: selfExecutable()).resolvingSymlinksInPath()
    for _ in 0..<4 {
        url.deleteLastPathComponent()
        if FileManager.default.fileExists(atPath: url.path + "/configs/demo.yaml") { return url.path }
    }
    return FileManager.default.currentDirectoryPath
}
