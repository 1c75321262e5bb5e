import ArgumentParser
import Foundation
import ImbalanceData
import ImbalanceSweep

/// The quick start: a small imbalance sweep on data that needs no download, then its report.
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a small imbalance sweep on Fashion-MNIST (or --dataset mnist) and print its report.",
        discussion: """
        Runs configs/demo.yaml: step imbalance rho in {10, 100} at mu = 0.5, baseline, ROS, \
        RUS, two-phase and thresholding, 1,000 iterations, into results/demo/, then writes \
        results/demo/report.md. Fashion-MNIST comes from Debian's dataset-fashion-mnist \
        (installed by ./imbench on first use). Takes a few minutes on 2 cores.
        """)

    @Option(help: "fashion-mnist (default, no download) or mnist.") var dataset: String = "fashion-mnist"
    @Option(help: "Directory holding the dataset files.") var dataDir: String?
    @Option(help: "Results directory.") var out: String = "results/demo"
    @Option(help: "Trainings at once (default: cores).") var jobs: Int?

    func run() throws {
        let root = repositoryRoot()
        var cfg = try SweepConfig.load(path: root + "/configs/demo.yaml")
        cfg.dataset = dataset
        guard let kind = DatasetKind(rawValue: dataset) else { throw ValidationError("unknown dataset '\(dataset)'") }
        let location = try DataLocation.resolve(kind, explicitDirectory: dataDir)
        _ = try loadDataset(kind: kind, directory: location.directory)
        printError("demo: \(kind.displayName) from \(location.description)")
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let layout = SweepLayout(root: absolute(out + "/" + dataset))
        let runner = SweepRunner(
            layout: layout,
            options: .init(parallelJobs: jobs ?? cores, threadsPerJob: 1,
                           dataDirectory: location.directory, executable: selfExecutable(),
                           curveEvery: cfg.curveEvery, curveTestLimit: cfg.curveTestLimit,
                           bootstrapResamples: cfg.bootstrapResamples, saveScores: cfg.saveScores,
                           interactive: isatty(STDERR_FILENO) == 1),
            output: { printFlushed($0) })
        let summary = try runner.run(SweepPlan.jobs(for: cfg))
        guard summary.failed.isEmpty else { throw ExitCode(1) }
        let reportPath = layout.root + "/report.md"
        let note = try writeReport(recordsDir: layout.root, out: reportPath,
                                   title: "Demo: step imbalance on \(kind.displayName)",
                                   command: "imbench report \(out)/\(dataset) --out \(out)/\(dataset)/report.md")
        // Print the main table: the step-imbalance AUC section of the report.
        let text = (try? String(contentsOfFile: reportPath, encoding: .utf8)) ?? ""
        print(excerpt(of: text))
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
