import Foundation
import XCTest
@testable import ImbalanceReport

final class LongTailReportTests: XCTestCase {
    static var repoRoot: String {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }

    /// Every committed report (reports/NAME.md beside its records in reports/NAME/records)
    /// regenerates byte for byte from its records: the report reads method order, labels and
    /// families from the registry, and for Buda's methods that must change nothing.
    func testCommittedReportsRegenerateUnchanged() throws {
        let dir = "\(Self.repoRoot)/reports"
        let studies = try FileManager.default.contentsOfDirectory(atPath: dir).filter {
            $0.hasSuffix(".md") && FileManager.default.fileExists(atPath: "\(dir)/\($0.dropLast(3))/records")
        }.map { String($0.dropLast(3)) }.sorted()
        XCTAssertTrue(Set(studies).isSuperset(of: ["buda-mnist-quick", "buda-mnist-study", "buda-cifar10-cpu-core"]), "\(studies)")
        for study in studies {
            let committed = try String(contentsOfFile: "\(dir)/\(study).md", encoding: .utf8)
            let lines = committed.components(separatedBy: "\n")
            let title = String(lines[0].dropFirst(2))
            let command = lines[lines.firstIndex(of: "```")! + 1]
            let (records, problems) = try ReportBuilder.loadRecords(directory: "\(dir)/\(study)/records")
            XCTAssertTrue(problems.isEmpty, "\(problems)")
            let report = ReportBuilder.build(records: records, title: title, command: command,
                                             chartDirectoryName: "\(study)-charts",
                                             options: ReportOptions(csvFileName: "\(study).csv"))
            XCTAssertEqual(report.markdown, committed, study)
            if study.hasPrefix("buda-") { XCTAssertFalse(report.markdown.contains("Long-tail methods"), study) }
            for chart in report.charts {
                let file = try String(contentsOfFile: "\(dir)/\(study)-charts/\(chart.fileName)", encoding: .utf8)
                XCTAssertEqual(chart.svg, file, "\(study)-charts/\(chart.fileName)")
            }
        }
    }

    /// One run of the synthetic grid: setting 0 is exponential ρ = 100, setting 1 step ρ = 100,
    /// μ = 0.5; `d` lowers every value a little per run so that runs differ.
    struct Run {
        var setting: Int
        var profile: ProfileSpec
        var rep: Int
        var d: Double { Double(rep) * 0.01 + Double(setting) * 0.05 }

        /// A finished record of this run; results are (AUC, accuracy) by method.
        func job(_ id: String, _ sampler: String, _ results: [String: (Double, Double)]) -> RunRecord {
            Make.record(id: "\(id)-\(setting)-\(rep)", profile: profile, sampler: sampler, rep: rep, results: results)
        }
    }

    /// The report of the records `records(run)` makes for each run of both settings.
    static func report(repetitions: Int, _ records: (Run) -> [RunRecord]) -> String {
        var all: [RunRecord] = []
        for (i, p) in [ProfileSpec(kind: "exponential", rho: 100), Make.step(100, 0.5)].enumerated() {
            for rep in 0..<repetitions { all += records(Run(setting: i, profile: p, rep: rep)) }
        }
        return ReportBuilder.build(records: all, title: "LT", command: "imbench report x --out y",
                                   chartDirectoryName: "y-charts").markdown
    }

    /// Records with long-tail methods get their section: a table per setting with every
    /// method, the order by accuracy, and the published orderings counted.
    func testLongTailSection() {
        let md = Self.report(repetitions: 2) { s in
            [s.job("a", "none", ["baseline": (0.90 - s.d, 0.60 - s.d), "baseline+thresholding": (0.90 - s.d, 0.66 - s.d),
                                 "logit-adjustment": (0.90 - s.d, 0.66 - s.d), "cRT": (0.91 - s.d, 0.68 - s.d)]),
             s.job("b", "LDAM-DRW", ["LDAM-DRW": (0.93 - s.d, 0.72 - s.d)]),
             s.job("c", "class-balanced", ["class-balanced": (0.92 - s.d, s.setting == 0 ? 0.74 - s.d : 0.70 - s.d)]),
             s.job("d", "logit-adjusted", ["logit-adjusted": (0.92 - s.d, 0.71 - s.d)])]
        }
        XCTAssertTrue(md.contains("## Long-tail methods (beyond Buda et al.)"), md)
        XCTAssertTrue(md.contains("#### exponential ρ=100"))
        XCTAssertTrue(md.contains("| LDAM-DRW | loss design | 0.7150 ± 0.0071 (n=2) |"), md)
        XCTAssertTrue(md.contains("| Class-balanced CE | loss re-weighting | **0.7350 ± 0.0071 (n=2)** |"), md)
        XCTAssertTrue(md.contains("By mean accuracy: Class-balanced CE > LDAM-DRW > Logit-adjusted loss > cRT > Thresholding "
                                  + "> Logit adjustment (post hoc) > Baseline."), md)
        // 2 settings x 2 repetitions: 4 pairs, whose smallest two-sided Wilcoxon p is 2 / 2^4.
        XCTAssertTrue(md.contains("- LDAM-DRW above Baseline in 2 of 2 settings; over 4 paired runs higher in 4, mean difference "
                                  + "+0.1200, Wilcoxon p = 0.125 — as Cao et al. 2019 by the means, too few pairs to test"), md)
        XCTAssertTrue(md.contains("- LDAM-DRW above Class-balanced CE in 1 of 2 settings; over 4 paired runs higher in 2, "), md)
        XCTAssertTrue(md.contains("— split evenly (Cao et al. 2019 (deferred vs from-the-start re-weighting): above), too few pairs to test"), md)
        XCTAssertTrue(md.contains("- Logit adjustment (post hoc) above Baseline in 2 of 2 settings; over 4 paired runs higher in 4, "
                                  + "mean difference +0.0600, Wilcoxon p = 0.125 — as Menon et al. 2021 (post hoc) by the means"), md)
        // Post-hoc logit adjustment keeps the baseline's AUC: finding (v) checks it too.
        XCTAssertTrue(md.contains("verified: equal bit for bit in 4 of 4 records"), md)
        // The legend explains the new methods present, after Buda's.
        XCTAssertTrue(md.contains("| `LDAM-DRW` | LDAM-DRW |"))
        XCTAssertFalse(md.contains("| `SMOTE` |"), "only methods the records hold")
    }

    /// Two settings of three repetitions pool into six pairs, from which the exact Wilcoxon
    /// test can reach 0.05 (2 / 2^6 = 0.03125): a claim the runs support, or contradict, in
    /// every pair is called significant either way.
    func testPublishedOrderingsAreTestedOverEveryPairedRun() {
        let md = Self.report(repetitions: 3) { s in
            let (rep, i) = (Double(s.rep), Double(s.setting))
            var out = [s.job("a", "none", ["baseline": (0.90 - s.d, 0.60 - s.d)]),
                       s.job("b", "LDAM-DRW", ["LDAM-DRW": (0.93 - s.d, 0.62 - s.d + 0.001 * rep + 0.0004 * i)]),
                       s.job("d", "logit-adjusted", ["logit-adjusted": (0.92 - s.d, 0.55 - s.d - 0.001 * rep - 0.0004 * i)])]
            if s.setting == 1 {
                out.append(Make.record(id: "e-1-\(s.rep)", profile: s.profile, sampler: "class-weighted", rep: s.rep, results: [:],
                                       status: "diverged", divergence: Divergence(phase: "phase1", iteration: 300, reason: "loss is -nan")))
            }
            return out
        }
        XCTAssertTrue(md.contains("- LDAM-DRW above Baseline in 2 of 2 settings; over 6 paired runs higher in 6, mean difference "
                                  + "+0.0212, Wilcoxon p = 0.0312 — as Cao et al. 2019, significantly"), md)
        XCTAssertTrue(md.contains("- Logit-adjusted loss above Baseline in 0 of 2 settings; over 6 paired runs higher in 0, "
                                  + "mean difference −0.0512, Wilcoxon p = 0.0312 — unlike Menon et al. 2021 (loss), significantly"), md)
        // A method whose every run diverged is still listed, marked, and said why.
        XCTAssertTrue(md.contains("| Class-weighted † | loss re-weighting | – (n=0) |"), md)
        XCTAssertTrue(md.contains("† Class-weighted: 3 runs diverged (see Diverged runs)"), md)
        XCTAssertFalse(md.contains("LDAM-DRW above Class-weighted"), "no finished pairs, no claim line")
    }
}
