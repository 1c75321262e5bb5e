import Foundation
import XCTest
import ImbalanceMetrics
import ImbalanceStatistics
@testable import ImbalanceReport

/// Paired tests, rankings, figures and the tidy export, on hand-made records whose answers
/// are known.
final class ReportStatisticsTests: XCTestCase {
    func build(_ records: [RunRecord], options: ReportOptions = .init()) -> Report {
        ReportBuilder.build(records: records, title: "T", command: "imbench report r --out t.md",
                            chartDirectoryName: "t-charts", options: options)
    }

    /// Eight repetitions of two step cells: ROS above the baseline in every repetition by
    /// 0.01 + r/1000 (distinct, all positive), RUS alternating around the baseline.
    func pairedStudy(repetitions: Int = 8) -> [RunRecord] {
        var out: [RunRecord] = []
        for (ci, p) in [Make.step(10, 0.5), Make.step(100, 0.5)].enumerated() {
            for r in 0..<repetitions {
                let base = 0.90 - 0.05 * Double(ci) + 0.001 * Double(r)
                let ros = base + 0.01 + Double(r) / 1000
                let rus = base + (r % 2 == 0 ? 1 : -1) * (0.002 + Double(r) / 10_000)
                out.append(Make.baseline("b\(ci)-\(r)", p, rep: r, auc: base, acc: 0.8, thrAcc: 0.85))
                out.append(Make.sampler("o\(ci)-\(r)", "ROS", p, rep: r, auc: ros, acc: 0.82, thrAcc: 0.84))
                out.append(Make.sampler("u\(ci)-\(r)", "RUS", p, rep: r, auc: rus, acc: 0.7, thrAcc: 0.6))
            }
        }
        return out
    }

    func testPairedTablesAndFindingsUseWilcoxonWithHolm() throws {
        let md = build(pairedStudy()).markdown
        // All 8 differences positive and distinct: exact two-sided p = 2 / 2^8; Holm over 2 cells.
        XCTAssertEqual(SignedRankTest(differences: (0..<8).map { 0.01 + Double($0) / 1000 })?.pValue, 2.0 / 256)
        let diffs = (0..<8).map { 0.01 + Double($0) / 1000 }
        let t = try XCTUnwrap(PairedTTest(differences: diffs))
        let row = "| step ρ=10 μ=0.5 | 8 | +0.01350 [\(Fmt.signed(t.lower, 5)), \(Fmt.signed(t.upper, 5))] | 0.00781 | **0.0156** | \(Fmt.p(t.pValue)) | **\(Fmt.p(min(1, 2 * t.pValue)))** |"
        XCTAssertTrue(md.contains(row), row)
        XCTAssertTrue(md.contains("- ROS above the baseline in 2 of 2 cells, significantly in 2 (Wilcoxon signed-rank, Holm p < 0.05; paired t: 2), significantly the other way in 0 — consistent with the paper"))
        XCTAssertTrue(md.contains("- ROS significantly below the baseline in 0 of 2 cells — consistent with the paper"))
        XCTAssertTrue(md.contains("- ROS best or tied in 2 of 2 step-imbalance cells (highest mean in 2) — consistent with the paper"))
        // RUS alternates: no significant difference; its finding says so rather than a verdict.
        XCTAssertTrue(md.contains("- at μ = 0.5: RUS below the baseline in 2 of 2 cells, significantly in 0"), md)
        XCTAssertTrue(md.contains("— no significant difference either way"))
        // Baseline AUC falls from ρ = 10 to 100 by 0.05 in every repetition (constant
        // difference: Wilcoxon 2 / 2^8 on one pair; the t-test has zero variance).
        XCTAssertTrue(md.contains("- baseline AUC lower at the larger ρ (fixed μ) in 1 of 1 pair of cells, significantly in 1"))
    }

    func testTooFewRepetitionsIsSaidNotJudged() {
        let md = build(pairedStudy(repetitions: 5)).markdown
        // 5 pairs: smallest exact p 2/32 = 0.0625, times 2 cells.
        XCTAssertTrue(md.contains("- ROS above the baseline in 2 of 2 cells — too few repetitions to test (5 paired repetitions per cell: the smallest Holm-adjusted Wilcoxon p over 2 cells is 0.125; 7 repetitions are needed to reach 0.05)"))
        XCTAssertFalse(md.contains("ROS above the baseline in 2 of 2 cells, significantly"))
    }

    func testFamilyTestabilityArithmetic() {
        func family(_ n: Int, rows: Int) -> PairedFamily {
            PairedFamily((0..<rows).map { i in
                (label: "\(i)", a: Dictionary(uniqueKeysWithValues: (0..<n).map { (RunKey(baseSeed: 1, repetition: $0), 1.0 + Double($0)) }),
                 b: Dictionary(uniqueKeysWithValues: (0..<n).map { (RunKey(baseSeed: 1, repetition: $0), 0.0) }))
            })
        }
        XCTAssertFalse(family(5, rows: 1).testable)   // 0.0625
        XCTAssertTrue(family(6, rows: 1).testable)    // 0.03125
        XCTAssertFalse(family(6, rows: 2).testable)   // 0.0625
        XCTAssertEqual(family(6, rows: 2).pairsNeeded, 7)
        XCTAssertEqual(family(10, rows: 25).pairsNeeded, 10)   // 25 · 2^-9 = 0.0488
        XCTAssertEqual(family(10, rows: 26).pairsNeeded, 11)
        XCTAssertEqual(family(8, rows: 3).directionalVerdict(direction: 1), .consistent)
        XCTAssertEqual(family(8, rows: 3).directionalVerdict(direction: -1), .differs)
    }

    /// Three cells, three methods, hand-ranked: ROS 1, 1, 2; baseline 2, 3, 1; RUS 3, 2, 3.
    func testRankingsFriedmanAndCriticalDifference() throws {
        let cells = [Make.step(10, 0.1), Make.step(10, 0.5), Make.step(10, 0.9)]
        let auc: [[Double]] = [[0.95, 0.97, 0.90], [0.93, 0.96, 0.94], [0.99, 0.97, 0.96]]   // baseline, ROS, RUS per cell
        var records: [RunRecord] = []
        for (i, p) in cells.enumerated() {
            records.append(Make.baseline("b\(i)", p, rep: 0, auc: auc[i][0], acc: 0.8, thrAcc: 0.8))
            records.append(Make.sampler("o\(i)", "ROS", p, rep: 0, auc: auc[i][1], acc: 0.8, thrAcc: 0.8))
            records.append(Make.sampler("u\(i)", "RUS", p, rep: 0, auc: auc[i][2], acc: 0.8, thrAcc: 0.8))
        }
        let report = build(records)
        // Ranks: baseline (2 + 3 + 1) / 3, ROS (1 + 1 + 2) / 3, RUS (3 + 2 + 3) / 3.
        // χ² = 12·3/(3·4) (2² + (4/3)² + (8/3)²) − 3·3·4 = 8/3, p = exp(−4/3); CD = 2.343 √(3·4/18).
        let cd = 2.343 * (12.0 / 18).squareRoot()
        // Iman–Davenport: F = (N − 1) χ² / (N (k − 1) − χ²) = 2 (8/3) / (6 − 8/3) = 1.6 on (2, 4).
        let row = "| all imbalanced cells | 3 | 3 | 2.00 | 1.33 | 2.67 | 2.67 (\(Fmt.p(exp(-4.0 / 3)))) | 1.60 (\(Fmt.p(Distributions.fSurvival(1.6, d1: 2, d2: 4)))) | \(Fmt.fixed(cd, 2)) |"
        XCTAssertTrue(report.markdown.contains(row), row)
        let diagram = try XCTUnwrap(report.charts.first { $0.fileName.contains("critical-difference") })
        XCTAssertTrue(diagram.svg.contains("ROS (1.33)"))
        XCTAssertTrue(diagram.svg.contains("CD = \(Fmt.fixed(cd, 2))"))
        XCTAssertEqual(CDDiagram.cliques([1.33, 2, 2.67], cd: cd), [0...2])
        XCTAssertEqual(CDDiagram.cliques([1, 1.5, 3, 3.2], cd: 1), [0...1, 2...3])
        XCTAssertEqual(CDDiagram.cliques([1, 2, 3], cd: nil), [])
    }

    /// The AUC axis never runs past 1 and, where methods crowd near 1, switches to a log
    /// scale of 1 − AUC (or when asked to).
    func testAUCAxesStayBelowOneAndSpreadCrowdedValues() throws {
        let near = ChartPanel(title: "a", positions: [0, 1], labels: ["10", "100"], series: [
            ChartSeries(label: "A", style: 0, points: [ChartPoint(mean: 0.9995, std: 0.002), ChartPoint(mean: 0.99, std: 0.01)]),
        ])
        let linear = LineFigure(title: "t", subtitle: nil, xTitle: "x", yTitle: "AUC", panels: [near],
                                yScale: .linear(ceiling: 1)).yAxis()
        XCTAssertEqual(linear.ticks.last?.value, 1)
        XCTAssertTrue(linear.ticks.allSatisfy { $0.value <= 1 })
        XCTAssertEqual(linear.map(1.2), 1)   // clamped
        let log = LineFigure(title: "t", subtitle: nil, xTitle: "x", yTitle: "AUC", panels: [near], yScale: .errorLog).yAxis()
        XCTAssertTrue(log.ticks.allSatisfy { $0.value < 1 })
        XCTAssertGreaterThan(log.map(0.9995), log.map(0.99))    // higher AUC higher up
        XCTAssertEqual(log.map(1), 1)                             // AUC 1 at the top edge

        // Report level: an MNIST-like study (AUC 0.999 at ρ = 10, about 0.85 at ρ = 100, so
        // the distances to 1 span a factor of 100) gets the log axis, and says so.
        let crowded = pairedStudy().map { r -> RunRecord in
            var r = r
            guard r.config.profile.rho == 10 else { return r }
            for k in r.results.keys { r.results[k]!.multiClassAUC = 1 - (1 - r.results[k]!.multiClassAUC) / 100 }
            return r
        }
        let auto = build(crowded)
        let fig3 = try XCTUnwrap(auto.charts.first { $0.fileName.contains("fig3") })
        XCTAssertTrue(words(fig3.svg).contains("log scale of 1 − AUC"), words(fig3.svg))
        let forced = build(crowded, options: ReportOptions(aucAxis: .linear))
        XCTAssertTrue(words(try XCTUnwrap(forced.charts.first { $0.fileName.contains("fig3") }).svg).contains("linear AUC axis"))
    }

    /// The text of an SVG with tags and line breaks turned into single spaces (wrapped titles
    /// read as one line).
    func words(_ svg: String) -> String {
        svg.replacing(#/<[^>]*>/#, with: " ").split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    /// Series at one x are drawn at different x so their error bars stay apart.
    func testMarkersAreOffsetSideways() {
        let p = ChartPanel(title: "a", positions: [0], labels: ["10"], series: [
            ChartSeries(label: "A", style: 0, points: [ChartPoint(mean: 0.9, std: 0.01)]),
            ChartSeries(label: "B", style: 4, points: [ChartPoint(mean: 0.9, std: 0.01)]),
        ])
        let svg = LineFigure(title: "t", subtitle: nil, xTitle: "x", yTitle: "y", panels: [p, p], yScale: .linear(ceiling: 1)).svg()
        let xs = svg.matches(of: #/<circle cx="([0-9.]+)"/#).map { String($0.1) }
        XCTAssertEqual(xs.count, 6)   // 2 series x 2 panels, and 2 legend markers
        XCTAssertNotEqual(xs[0], xs[1])
    }

    /// Schema-1 records (the committed ones) still load; what follows from their confusion
    /// matrices is derived, the rest is marked unavailable.
    func testSchemaOneRecordsLoadAndReportWhatTheyHave() throws {
        // Six records of engine 0.1.0 (schema 1), copied from reports/buda-mnist-quick.
        let dir = try XCTUnwrap(Bundle.module.url(forResource: "Records", withExtension: nil)).path
        let (records, problems) = try ReportBuilder.loadRecords(directory: dir)
        XCTAssertEqual(problems, [])
        XCTAssertEqual(records.count, 6)
        XCTAssertTrue(records.allSatisfy { $0.schemaVersion == 1 })
        let r = records[0]
        let m = try XCTUnwrap(r.results.values.first)
        XCTAssertNil(m.matthewsCorrelation)
        let view = MetricView(m, minorityClasses: r.data.minorityClasses)
        XCTAssertEqual(view.mcc, try matthewsCorrelation(confusion: m.confusion))
        XCTAssertEqual(view.gMean, try geometricMeanRecall(confusion: m.confusion))
        XCTAssertNil(view.macroAveragePrecision)
        XCTAssertTrue(view.derived)
        let md = build(records).markdown
        XCTAssertTrue(md.contains("6 record(s) of schema 1: MCC, G-mean, precision, recall"))
        XCTAssertTrue(md.contains("| step ρ=1000 μ=0.5 | Baseline | 2 |"))
    }

    func testExportHasOneRowPerRecordAndMethod() throws {
        var records = Make.study()
        records[0].seeds = ["init": 18_446_744_073_709_551_615, "bootstrap": 3]
        records.append(Make.record(id: "zz-no-results", profile: Make.step(10, 0.2), sampler: "class-weighted", rep: 0,
                                   results: [:], status: "diverged",
                                   divergence: Divergence(phase: "phase1", iteration: 7, reason: "loss exploded")))
        let csv = TidyExport.render(records, format: .csv)
        let lines = csv.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        let expected = records.map { max(1, $0.results.count) }.reduce(0, +)
        XCTAssertEqual(lines.count, expected + 1)
        let header = lines[0].split(separator: ",").map(String.init)
        for column in ["record_id", "method", "rho", "mu", "sampler", "repetition", "seed_init", "seed_bootstrap",
                       "auc", "mcc", "minority_recall", "train_count_0", "auc_9", "confusion", "data_format",
                       "validation_auc"] {
            XCTAssertTrue(header.contains(column), column)
        }
        XCTAssertEqual(Set(header).count, header.count, "unique column names")
        // Seeds are written in full (no rounding through a double).
        XCTAssertTrue(csv.contains("18446744073709551615"))
        // JSON lines: every line an object with the same keys.
        let jsonl = TidyExport.render(records, format: .jsonl)
        let objects = try jsonl.split(separator: "\n").map {
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        XCTAssertEqual(objects.count, expected)
        XCTAssertEqual(Set(objects[0].keys), Set(header))
        // A diverged record without results keeps one row, method empty.
        let diverged = objects.filter { ($0["status"] as? String) == "diverged" }
        XCTAssertTrue(diverged.contains { $0["method"] is NSNull })
        // Same records in another order: same bytes; no timings unless asked for.
        XCTAssertEqual(TidyExport.render(records.reversed(), format: .csv), csv)
        XCTAssertFalse(csv.contains("train_seconds"))
        XCTAssertTrue(TidyExport.render(records, format: .csv, timings: true).contains("train_seconds"))
        XCTAssertEqual(TidyExport.csvField("a,\"b\""), "\"a,\"\"b\"\"\"")
    }
}
