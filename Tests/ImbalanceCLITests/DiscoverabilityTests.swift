import Foundation
import XCTest
import ImbalanceRecords
@testable import ImbalanceSweep

/// What a newcomer finds from the command line alone: a config that runs at the end of
/// `sweep --help`, every config key with `config keys`, a record with `show`.
final class DiscoverabilityTests: XCTestCase {
    /// The help's last lines are a config, and it runs.
    func testSweepHelpEndsWithAMinimalConfigThatRuns() throws {
        try CLI.requireBinary()
        guard FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist") else {
            throw XCTSkip("needs Debian's dataset-fashion-mnist (scripts/bootstrap.sh installs it)")
        }
        let help = try CLI.run(["sweep", "--help"])
        XCTAssertEqual(help.status, 0)
        let lines = help.stdout.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        let start = try XCTUnwrap(lines.lastIndex { $0.hasPrefix("name:") }, help.stdout)
        let yaml = lines[start...].prefix { !$0.isEmpty }.joined(separator: "\n")
        XCTAssertEqual(yaml, SweepConfig.minimalExample)
        XCTAssertTrue(lines[start...].dropFirst(yaml.split(separator: "\n").count).allSatisfy(\.isEmpty),
                      "the config is not the end of the help")
        let example = try CLI.run(["config", "example"])
        XCTAssertEqual(example.stdout, SweepConfig.minimalExample + "\n")

        let dir = try CLI.temporaryDirectory("minimal")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try CLI.write(yaml, to: dir + "/my.yaml")
        // As the README runs it: the data found by the location rule.
        let r = try CLI.run(["sweep", dir + "/my.yaml", "--out", dir + "/out"])
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertTrue(r.stdout.contains("2/2 jobs finished"), r.stdout)
    }

    /// Every key of the validating table is printed, with its type, default and meaning,
    /// and docs/config.md is the markdown form of the same output.
    func testConfigKeysPrintsTheValidatingTable() throws {
        try CLI.requireBinary()
        let r = try CLI.run(["config", "keys"])
        XCTAssertEqual(r.status, 0)
        let printed = r.stdout.split(separator: "\n").filter { !$0.hasPrefix(" ") && !$0.isEmpty }.map(String.init)
        for row in SweepConfig.keyRows {
            XCTAssertTrue(printed.contains(row.name), "\(row.name) not printed")
            XCTAssertTrue(r.stdout.contains("    default: \(row.defaultText)\n"), row.name)
            XCTAssertTrue(r.stdout.contains("    meaning: \(row.meaning)\n"), row.name)
        }
        XCTAssertTrue(SweepConfig.keyRows.contains { $0.name == "step.rho" })
        let md = try CLI.run(["config", "keys", "--markdown"])
        let committed = try String(contentsOfFile: CLI.repoRoot + "/docs/config.md", encoding: .utf8)
        XCTAssertEqual(md.stdout, committed,
                       "docs/config.md is stale: regenerate it with `imbench config keys --markdown > docs/config.md`")
    }

    func testShowPrintsConfigCountsAndEveryMethodsMetrics() throws {
        try CLI.requireBinary()
        let path = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: CLI.repoRoot + "/reports/buda-mnist-quick/records")
            .sorted().first { $0.contains("_ROS-2phase_") })
        let file = CLI.repoRoot + "/reports/buda-mnist-quick/records/" + path
        let record = try RecordIO.read(file)
        let r = try CLI.run(["show", file])
        XCTAssertEqual(r.status, 0, r.output)
        for text in ["id:      \(record.id)", "engine:  imbench \(record.tool.version)", "profile",
                     "iterations          \(record.config.iterations)", "sampler             ROS",
                     "imbalanced", "trained on"] {
            XCTAssertTrue(r.stdout.contains(text), "'\(text)' not in:\n\(r.stdout)")
        }
        for (method, m) in record.results {
            let line = try XCTUnwrap(r.stdout.split(separator: "\n").first { $0.hasPrefix("  \(method) ") }, method)
            XCTAssertTrue(line.contains(String(format: "%.6f", m.multiClassAUC)), String(line))
            XCTAssertTrue(line.contains(String(format: "%.6f", m.macroF1)), String(line))
        }
        // Per-class counts: the minority classes are marked.
        for c in record.data.minorityClasses {
            XCTAssertTrue(r.stdout.split(separator: "\n").contains { $0.hasPrefix("  \(c) ") && $0.hasSuffix("yes") }, "\(c)")
        }
        let details = try CLI.run(["show", "--details", file])
        XCTAssertTrue(details.stdout.contains("confusion matrix"), details.stdout)
        XCTAssertTrue(details.stdout.contains("Learning curve, phase1"), details.stdout)

        let missing = try CLI.run(["show", "/nonexistent.json"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("/nonexistent.json"), missing.stderr)
    }
}
