import Foundation
import XCTest
import ImbalanceRecords

/// `imbench report`: unusable files are listed in the markdown, the regenerate line is a
/// valid shell command for any title, only the charts it wrote are removed, and several
/// directories make one report.
final class ReportCommandTests: CLITestCase {

    /// A synthetic record of one job (the report reads records alone).
    func record(_ id: String, rho: Double, mu: Double, sampler: String, rep: Int, auc: Double) -> RunRecord {
        let config = JobConfig(dataset: "mnist", model: "lenet5", profile: ProfileSpec(kind: "step", rho: rho, mu: mu),
                               minorityRule: "random", sampler: sampler, samplerRatio: nil, twoPhase: false,
                               repetition: rep, baseSeed: 1, maxPerClass: 100, iterations: 30, batchSize: 16,
                               baseLearningRate: 0.01, learningRatePolicy: "inv(gamma=0.0001,power=0.75)",
                               momentum: 0.9, weightDecay: 0.0005, threads: 1)
        let m = MetricSet(multiClassAUC: auc, perClassAUC: [auc, auc], accuracy: auc - 0.1, balancedAccuracy: auc - 0.1,
                          macroF1: auc - 0.1, confusion: [[1, 0], [0, 1]])
        let name = sampler == "none" ? "baseline" : sampler
        return RunRecord(id: id, tool: ToolInfo(name: "imbench", version: "0.4.0"), config: config, seeds: ["init": 1],
                         data: DataSummary(trainCounts: [10, 100], trainedCounts: [10, 100], minorityClasses: [0],
                                           testCounts: [5, 5], dataDirectory: "/data"),
                         status: "finished", divergence: nil,
                         results: [name: m, name + "+thresholding": m], curves: [:],
                         timings: Timings(wallSeconds: 2, trainSeconds: 1, imagesPerSecond: 100))
    }

    func writeRecords(_ folder: String, _ records: [RunRecord]) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for r in records { try RecordIO.write(r, to: "\(folder)/\(r.id).json") }
    }

    func testUnusableRecordsAreListedInTheMarkdown() throws {
        let records = dir + "/runs/records"
        try writeRecords(records, [record("a", rho: 10, mu: 0.5, sampler: "none", rep: 0, auc: 0.9),
                                   record("b", rho: 10, mu: 0.5, sampler: "ROS", rep: 0, auc: 0.95)])
        let good = try Data(contentsOf: URL(fileURLWithPath: records + "/b.json"))
        try good.prefix(100).write(to: URL(fileURLWithPath: records + "/c.json"))
        try "{}".write(toFile: records + "/d.json", atomically: true, encoding: .utf8)
        let r = try CLI.run(["report", "runs", "--out", "out/report.md"], in: dir)
        XCTAssertEqual(r.status, 0, r.output)
        let md = try String(contentsOfFile: dir + "/out/report.md", encoding: .utf8)
        XCTAssertTrue(md.contains("**Files not used: 2**"), md)
        XCTAssertTrue(md.contains("## Files not used"), md)
        XCTAssertTrue(md.contains("| runs/records/c.json | not a valid run record (malformed JSON) |"), md)
        XCTAssertTrue(md.contains("| runs/records/d.json | not a valid run record (missing field"), md)
        XCTAssertTrue(md.contains("- Records: 2 (2 finished"), md)
        XCTAssertTrue(r.stdout.contains("2 files not used"), r.stdout)
    }

    func testRegenerateLineQuotesAnyTitleAndReproducesTheReport() throws {
        try writeRecords(dir + "/my runs/records", [record("a", rho: 10, mu: 0.5, sampler: "none", rep: 0, auc: 0.9)])
        for title in ["it's", "a \"quoted\" $HOME `x` title", "semi; colon && ampersand", "back\\slash 'two' 'quotes'"] {
            let r = try CLI.run(["report", "my runs", "--out", "out/report.md", "--title", title], in: dir)
            XCTAssertEqual(r.status, 0, r.output)
            let md = try String(contentsOfFile: dir + "/out/report.md", encoding: .utf8)
            let lines = md.split(separator: "\n", omittingEmptySubsequences: false)
            let command = try XCTUnwrap(lines.first { $0.hasPrefix("imbench report ") }).description
            let check = try bash(["-n", "-c", command])
            XCTAssertEqual(check.status, 0, "bash -n rejects: \(command)\n\(check.output)")
            // Run it as written, with this build's imbench first on PATH: the same bytes.
            try FileManager.default.removeItem(atPath: dir + "/out/report.md")
            let binDir = URL(fileURLWithPath: CLI.executable).deletingLastPathComponent().path
            let rerun = try bash(["-c", command], in: dir, path: binDir)
            XCTAssertEqual(rerun.status, 0, rerun.output)
            XCTAssertEqual(try String(contentsOfFile: dir + "/out/report.md", encoding: .utf8), md, title)
        }
    }

    func testOnlyChartsTheReportWroteAreRemoved() throws {
        try writeRecords(dir + "/runs", [record("a", rho: 10, mu: 0.5, sampler: "none", rep: 0, auc: 0.9),
                                         record("b", rho: 100, mu: 0.5, sampler: "none", rep: 0, auc: 0.8),
                                         record("c", rho: 100, mu: 0.1, sampler: "none", rep: 0, auc: 0.85)])
        XCTAssertEqual(try CLI.run(["report", "runs", "--out", "r.md"], in: dir).status, 0)
        let charts = dir + "/r-charts"
        let before = Set(try FileManager.default.contentsOfDirectory(atPath: charts))
        XCTAssertFalse(before.isEmpty)
        try "mine".write(toFile: charts + "/notes.txt", atomically: true, encoding: .utf8)
        try "<svg/>".write(toFile: charts + "/my-own.svg", atomically: true, encoding: .utf8)
        // A chart the previous report linked to and the next one does not write (as when
        // records are removed): the previous report is given one more chart line.
        try "<svg/>".write(toFile: charts + "/gone.svg", atomically: true, encoding: .utf8)
        let previous = try String(contentsOfFile: dir + "/r.md", encoding: .utf8)
        try (previous + "\n![gone](r-charts/gone.svg)\n").write(toFile: dir + "/r.md", atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(atPath: dir + "/runs/b.json")
        try FileManager.default.removeItem(atPath: dir + "/runs/c.json")
        let r = try CLI.run(["report", "runs", "--out", "r.md"], in: dir)
        XCTAssertEqual(r.status, 0, r.output)
        let after = Set(try FileManager.default.contentsOfDirectory(atPath: charts))
        let md = try String(contentsOfFile: dir + "/r.md", encoding: .utf8)
        XCTAssertFalse(after.contains("gone.svg"), "a stale chart of its own was kept")
        for f in before.filter({ !md.contains("r-charts/\($0)") }) {
            XCTAssertFalse(after.contains(f), "a stale chart of its own was kept: \(f)")
        }
        for f in after.subtracting(["notes.txt", "my-own.svg"]) {
            XCTAssertTrue(md.contains("r-charts/\(f)"), "\(f) is neither the report's nor the user's")
        }
        XCTAssertTrue(after.contains("notes.txt") && after.contains("my-own.svg"), "a user's file was removed: \(after)")
        XCTAssertTrue(r.stdout.contains("2 other file(s) in r-charts/ left alone"), r.stdout)
    }

    func testSeveralDirectoriesMakeOneReport() throws {
        try writeRecords(dir + "/one/records", [record("a", rho: 10, mu: 0.5, sampler: "none", rep: 0, auc: 0.9)])
        try writeRecords(dir + "/two/records", [record("b", rho: 10, mu: 0.5, sampler: "none", rep: 1, auc: 0.92),
                                                record("a", rho: 10, mu: 0.5, sampler: "none", rep: 0, auc: 0.9)])
        let r = try CLI.run(["report", "one", "two", "--out", "both.md"], in: dir)
        XCTAssertEqual(r.status, 0, r.output)
        let md = try String(contentsOfFile: dir + "/both.md", encoding: .utf8)
        XCTAssertTrue(md.contains("imbench report one two --out both.md"), md)
        XCTAssertTrue(md.contains("- Records: 2 (2 finished"), md)
        XCTAssertTrue(md.contains("0.9100 ± 0.0141 (n=2)"), "the two repetitions are averaged: \(md)")
        XCTAssertTrue(md.contains("| two/records/a.json | the same record as one/records/a.json, which is used |"), md)
    }

    private func bash(_ args: [String], in directory: String? = nil, path: String? = nil) throws -> CLI.Result {
        var env: [String: String] = [:]
        if let path { env["PATH"] = path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin") }
        return try CLI.run(args, in: directory, environment: env, program: "/bin/bash")
    }
}
