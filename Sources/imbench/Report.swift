import ArgumentParser
import Foundation
import ImbalanceReport

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Regenerate the markdown report and SVG charts from run records alone.",
        discussion: """
        RECORDS_DIR is a sweep's results directory (its records/ subfolder is read) or any \
        folder of record files. Charts go to NAME-charts/ beside NAME.md. The same records \
        always give the same bytes.
        """)

    @Argument(help: "Directory of run records, or a sweep's results directory.") var recordsDir: String
    @Option(help: "Markdown file to write, e.g. reports/buda-mnist-quick.md.") var out: String
    @Option(help: "Title (default: the file name).") var title: String?
    @Option(help: "AUC axis of the figures: auto (a log scale of 1 - AUC where the methods crowd near 1), linear or error.")
    var aucAxis: String = "auto"

    func validate() throws {
        guard ReportOptions.AUCAxis(rawValue: aucAxis) != nil else {
            throw ValidationError("--auc-axis must be auto, linear or error, got '\(aucAxis)'")
        }
    }

    func run() throws {
        let axis = ReportOptions.AUCAxis(rawValue: aucAxis)!
        let summary = try writeReport(recordsDir: recordsDir, out: out, title: title,
                                      command: "imbench report \(recordsDir) --out \(out)"
                                        + (title.map { " --title '\($0)'" } ?? "")
                                        + (axis == .auto ? "" : " --auc-axis \(aucAxis)"),
                                      aucAxis: axis)
        print(summary)
    }
}

/// Writes NAME.md and NAME-charts/*.svg; returns a one-paragraph summary for the terminal.
func writeReport(recordsDir: String, out: String, title: String?, command: String,
                 aucAxis: ReportOptions.AUCAxis = .auto) throws -> String {
    var dir = recordsDir
    if FileManager.default.fileExists(atPath: dir + "/records") { dir += "/records" }
    let (records, problems) = try ReportBuilder.loadRecords(directory: dir)
    for p in problems { printError("skipped \(p)") }
    guard !records.isEmpty else { throw ValidationError("no run records found in \(dir)") }
    let url = URL(fileURLWithPath: out)
    let name = url.deletingPathExtension().lastPathComponent
    let chartDirName = name + "-charts"
    let chartDir = url.deletingLastPathComponent().appendingPathComponent(chartDirName).path
    let csvName = name + ".csv"
    let report = ReportBuilder.build(records: records, title: title ?? name, command: command,
                                     chartDirectoryName: chartDirName,
                                     options: ReportOptions(aucAxis: aucAxis, csvFileName: csvName))
    try FileManager.default.createDirectory(atPath: url.deletingLastPathComponent().path,
                                            withIntermediateDirectories: true)
    // Stale charts from an earlier report would otherwise linger beside the new ones.
    try? FileManager.default.removeItem(atPath: chartDir)
    if !report.charts.isEmpty {
        try FileManager.default.createDirectory(atPath: chartDir, withIntermediateDirectories: true)
    }
    for chart in report.charts {
        try RecordIO.writeAtomically(Data(chart.svg.utf8), to: chartDir + "/" + chart.fileName)
    }
    try RecordIO.writeAtomically(Data(report.csv.utf8),
                                 to: url.deletingLastPathComponent().appendingPathComponent(csvName).path)
    try RecordIO.writeAtomically(Data(report.markdown.utf8), to: out)
    let training = ReportBuilder.totalTrainingSeconds(records)
    return "report written to \(out) (\(records.count) records, \(report.charts.count) charts"
        + (problems.isEmpty ? "" : ", \(problems.count) files skipped")
        + String(format: "; the records hold %.1f CPU-minutes of training)", training / 60)
}
