import ArgumentParser
import Foundation
import ImbalanceReport

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Regenerate the markdown report and SVG charts from run records alone.",
        discussion: """
        Each RECORDS_DIR is a sweep's results directory (its records/ subfolder is read) or \
        any folder of record files; the records of all of them make one report (a record \
        found twice is used once). Files that cannot be used (damaged, not records, repeats) \
        are listed in the report with the reason. Charts go to NAME-charts/ beside NAME.md; \
        regenerating removes only the charts the previous NAME.md linked to, never other \
        files. The same records always give the same bytes.
        """)

    @Argument(help: "Directories of run records, or sweeps' results directories.") var recordsDirs: [String]
    @Option(help: "Markdown file to write, e.g. reports/buda-mnist-quick.md.") var out: String
    @Option(help: "Title (default: the file name).") var title: String?
    @Option(help: "AUC axis of the figures: auto (a log scale of 1 - AUC where the methods crowd near 1), linear or error.")
    var aucAxis: String = "auto"

    func validate() throws {
        guard ReportOptions.AUCAxis(rawValue: aucAxis) != nil else {
            throw ValidationError("--auc-axis must be auto, linear or error, got '\(aucAxis)'")
        }
        if out.hasSuffix("/") { throw ValidationError("--out \(out): give a file name, e.g. \(out)report.md") }
    }

    func run() throws {
        let summary = try writeReport(recordsDirs: recordsDirs, out: out, title: title,
                                      command: Self.command(dirs: recordsDirs, out: out, title: title,
                                                            aucAxis: aucAxis),
                                      aucAxis: ReportOptions.AUCAxis(rawValue: aucAxis)!)
        print(summary)
    }

    /// The command that regenerates a report, as printed in it: every word shell-quoted
    /// (the title always in single quotes), so it can be pasted into a shell as it is.
    static func command(dirs: [String], out: String, title: String?, aucAxis: String = "auto") -> String {
        (["imbench", "report"] + dirs.map(shellQuote) + ["--out", shellQuote(out)]).joined(separator: " ")
            + (title.map { " --title " + singleQuoted($0) } ?? "")
            + (aucAxis == "auto" ? "" : " --auc-axis " + aucAxis)
    }
}

/// Writes NAME.md and NAME-charts/*.svg; returns a one-paragraph summary for the terminal.
func writeReport(recordsDirs: [String], out: String, title: String?, command: String,
                 aucAxis: ReportOptions.AUCAxis = .auto) throws -> String {
    let (records, unusable) = try ReportBuilder.loadRecords(directories: recordsDirs)
    for u in unusable { printError("not used: \(u.file): \(u.reason)") }
    guard !records.isEmpty else {
        throw ValidationError("no run records found in \(recordsDirs.joined(separator: ", "))")
    }
    let url = URL(fileURLWithPath: out)
    let name = url.deletingPathExtension().lastPathComponent
    let chartDirName = name + "-charts"
    let chartDir = url.deletingLastPathComponent().appendingPathComponent(chartDirName).path
    let csvName = name + ".csv"
    let report = ReportBuilder.build(records: records, title: title ?? name, command: command,
                                     chartDirectoryName: chartDirName, unusable: unusable,
                                     options: ReportOptions(aucAxis: aucAxis, csvFileName: csvName))
    try FileManager.default.createDirectory(atPath: url.deletingLastPathComponent().path,
                                            withIntermediateDirectories: true)
    // Charts of the previous report that this one does not write again would linger: remove
    // those (the previous NAME.md says which they were), and nothing else.
    let previous = previousCharts(markdownPath: out, chartDirectoryName: chartDirName)
    let current = Set(report.charts.map(\.fileName))
    for file in previous.subtracting(current) { try? FileManager.default.removeItem(atPath: chartDir + "/" + file) }
    if !report.charts.isEmpty {
        try FileManager.default.createDirectory(atPath: chartDir, withIntermediateDirectories: true)
    } else if (try? FileManager.default.contentsOfDirectory(atPath: chartDir))?.isEmpty == true {
        try? FileManager.default.removeItem(atPath: chartDir)
    }
    for chart in report.charts {
        try RecordIO.writeAtomically(Data(chart.svg.utf8), to: chartDir + "/" + chart.fileName)
    }
    try RecordIO.writeAtomically(Data(report.csv.utf8),
                                 to: url.deletingLastPathComponent().appendingPathComponent(csvName).path)
    try RecordIO.writeAtomically(Data(report.markdown.utf8), to: out)
    let others = ((try? FileManager.default.contentsOfDirectory(atPath: chartDir)) ?? []).filter { !current.contains($0) }
    let training = ReportBuilder.totalTrainingSeconds(records)
    return "report written to \(out) (\(records.count) records, \(report.charts.count) charts"
        + (unusable.isEmpty ? "" : ", \(unusable.count) files not used (listed in the report)")
        + (others.isEmpty ? "" : "; \(others.count) other file(s) in \(chartDirName)/ left alone")
        + String(format: "; the records hold %.1f CPU-minutes of training)", training / 60)
}

/// The chart files an earlier report at `markdownPath` linked to: the files this tool
/// wrote there. Empty when there is no such report or it was not generated by imbench.
func previousCharts(markdownPath: String, chartDirectoryName: String) -> Set<String> {
    guard let text = try? String(contentsOfFile: markdownPath, encoding: .utf8),
          text.contains("*Generated from run records by ImbalanceBench") else { return [] }
    var files = Set<String>()
    let marker = "](\(chartDirectoryName)/"
    for line in text.split(separator: "\n") where line.hasPrefix("![") {
        guard let r = line.range(of: marker), line.hasSuffix(")") else { continue }
        let file = String(line[r.upperBound..<line.index(before: line.endIndex)])
        if !file.contains("/") && file.hasSuffix(".svg") { files.insert(file) }
    }
    return files
}
