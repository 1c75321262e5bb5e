import ArgumentParser
import Foundation
import ImbalanceReport

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write run records as one tidy table: a row per (record, method), for pandas or R.",
        discussion: """
        Each DIR is a sweep's results directory (its records/ subfolder is read) or any \
        folder of record files; records from all of them go into one table. Columns: every \
        configuration field, seed, per-class count and metric, the bootstrap intervals, and \
        per-class AUC, average precision, precision and recall (docs/export.md). The same \
        records always give the same bytes; --timings adds the machine's timings.

          pandas.read_csv("runs.csv")          for --format csv
          pandas.read_json("runs.jsonl", lines=True)   for --format jsonl
        """)

    @Argument(help: "Directories of run records, or sweep results directories.") var dirs: [String]
    @Option(help: "csv or jsonl.") var format: String = "csv"
    @Option(help: "File to write (default: standard output).") var out: String?
    @Flag(help: "Add wall_seconds, train_seconds, images_per_second and metric_seconds.") var timings = false

    func validate() throws {
        guard TidyExport.Format(rawValue: format) != nil else {
            throw ValidationError("--format must be csv or jsonl, got '\(format)'")
        }
        guard !dirs.isEmpty else { throw ValidationError("give at least one records directory") }
    }

    func run() throws {
        var records: [RunRecord] = []
        for d in dirs {
            var dir = d
            if FileManager.default.fileExists(atPath: dir + "/records") { dir += "/records" }
            let (found, problems) = try ReportBuilder.loadRecords(directory: dir)
            for p in problems { printError("skipped \(p)") }
            records += found
        }
        guard !records.isEmpty else { throw ValidationError("no run records found in \(dirs.joined(separator: ", "))") }
        let text = TidyExport.render(records, format: TidyExport.Format(rawValue: format)!, timings: timings)
        if let out {
            try RecordIO.writeAtomically(Data(text.utf8), to: out)
            printError("\(records.count) records written to \(out)")
        } else {
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    }
}
