import Foundation
import XCTest
@testable import ImbalanceReport

final class LongTailReportTests: XCTestCase {
    static var repoRoot: String {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }

    /// The committed reports regenerate byte for byte from their committed records: the
    /// report reads method order, labels and families from the registry, and for Buda's
    /// methods that must change nothing.
    func testCommittedReportsRegenerateUnchanged() throws {
        for study in ["buda-mnist-quick", "buda-cifar10-cpu-core"] {
            let dir = "\(Self.repoRoot)/reports"
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
            XCTAssertFalse(report.markdown.contains("Long-tail methods"))
            for chart in report.charts {
                let file = try String(contentsOfFile: "\(dir)/\(study)-charts/\(chart.fileName)", encoding: .utf8)
                XCTAssertEqual(chart.svg, file, "\(study)-charts/\(chart.fileName)")
            }
        }
    }

    /// Records with long-tail methods get their section: a table per setting with every
    /// method, the order by accuracy, and the published orderings counted.
    func testLongTailSection() {
        let lt = ProfileSpec(kind: "exponential", rho: 100)
        let step = Make.step(100, 0.5)
        var records: [RunRecord] = []
        for (i, p) in [lt, step].enumerated() {
            for rep in 0..<2 {
                let d = Double(rep) * 0.01 + Double(i) * 0.05
                func job(_ id: String, _ sampler: String, _ results: [String: (Double, Double)]) -> RunRecord {
                    Make.record(id: "\(id)-\(i)-\(rep)", profile: p, sampler: sampler, rep: rep, results: results)
                }
                records.append(job("a", "none", ["baseline": (0.90 - d, 0.60 - d), "baseline+thresholding": (0.90 - d, 0.66 - d),
                                                 "logit-adjustment": (0.90 - d, 0.66 - d), "cRT": (0.91 - d, 0.68 - d)]))
                records.append(job("b", "LDAM-DRW", ["LDAM-DRW": (0.93 - d, 0.72 - d)]))
                records.append(job("c", "class-balanced", ["class-balanced": (0.92 - d, i == 0 ? 0.74 - d : 0.70 - d)]))
                records.append(job("d", "logit-adjusted", ["logit-adjusted": (0.92 - d, 0.71 - d)]))
            }
        }
        let md = ReportBuilder.build(records: records, title: "LT", command: "imbench report x --out y",
                                     chartDirectoryName: "y-charts").markdown
        XCTAssertTrue(md.contains("## Long-tail methods (beyond Buda et al.)"), md)
        XCTAssertTrue(md.contains("#### exponential ρ=100"))
        XCTAssertTrue(md.contains("| LDAM-DRW | loss design | 0.7150 ± 0.0071 (n=2) |"), md)
        XCTAssertTrue(md.contains("| Class-balanced CE | loss re-weighting | **0.7350 ± 0.0071 (n=2)** |"), md)
        XCTAssertTrue(md.contains("By mean accuracy: Class-balanced CE > LDAM-DRW > Logit-adjusted loss > cRT > Thresholding "
                                  + "> Logit adjustment (post hoc) > Baseline."), md)
        XCTAssertTrue(md.contains("- LDAM-DRW above Baseline in 2 of 2 settings — as Cao et al. 2019"), md)
        XCTAssertTrue(md.contains("- LDAM-DRW above Class-balanced CE in 1 of 2 settings — split evenly (Cao et al. 2019"), md)
        XCTAssertTrue(md.contains("- Logit adjustment (post hoc) above Baseline in 2 of 2 settings — as Menon et al. 2021 (post hoc)"), md)
        // Post-hoc logit adjustment keeps the baseline's AUC: finding (v) checks it too.
        XCTAssertTrue(md.contains("verified: equal bit for bit in 4 of 4 records"), md)
        // The legend explains the new methods present, after Buda's.
        XCTAssertTrue(md.contains("| `LDAM-DRW` | LDAM-DRW |"))
        XCTAssertFalse(md.contains("| `SMOTE` |"), "only methods the records hold")
    }
}
