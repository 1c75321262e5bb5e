import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest
import ImbalanceRandom
@testable import ImbalanceReport

final class ReportTests: XCTestCase {
    func build(_ records: [RunRecord]) -> Report {
        ReportBuilder.build(records: records, title: "Test report", command: "imbench report runs -o out",
                            chartDirectoryName: "out-charts")
    }

    /// Lines of the first table after `heading` (up to the blank line).
    func table(after heading: String, in md: String, occurrence: Int = 0) -> [String] {
        let lines = md.components(separatedBy: "\n")
        var found = -1
        var seen = 0
        for (i, l) in lines.enumerated() where l == heading {
            if seen == occurrence { found = i; break }
            seen += 1
        }
        guard found >= 0 else { XCTFail("no heading \(heading)"); return [] }
        var i = found + 1
        while i < lines.count && !lines[i].hasPrefix("|") { i += 1 }
        var out: [String] = []
        while i < lines.count && lines[i].hasPrefix("|") { out.append(lines[i]); i += 1 }
        return out
    }

    /// A small hand-computed case: ρ = 10, μ = 0.2 and 0.5, N = 10.
    func handRecords() -> [RunRecord] {
        let a = Make.step(10, 0.2), b = Make.step(10, 0.5)
        return [
            Make.baseline("b-a-0", a, rep: 0, auc: 0.90, acc: 0.80, thrAcc: 0.85),
            Make.baseline("b-a-1", a, rep: 1, auc: 0.92, acc: 0.82, thrAcc: 0.87),
            Make.sampler("o-a-0", "ROS", a, rep: 0, auc: 0.95, acc: 0.83, thrAcc: 0.84),
            Make.sampler("o-a-1", "ROS", a, rep: 1, auc: 0.97, acc: 0.85, thrAcc: 0.86),
            Make.sampler("u-a-0", "RUS", a, rep: 0, auc: 0.905, acc: 0.70, thrAcc: 0.60),
            Make.baseline("b-b-0", b, rep: 0, auc: 0.88, acc: 0.75, thrAcc: 0.78),
            Make.sampler("o-b-0", "ROS", b, rep: 0, auc: 0.88, acc: 0.76, thrAcc: 0.77),
            Make.sampler("u-b-0", "RUS", b, rep: 0, auc: 0.86, acc: 0.70, thrAcc: 0.65),
        ]
    }

    func testHandComputedTableMeanStdAndBold() {
        let md = build(handRecords()).markdown
        XCTAssertEqual(table(after: "#### ρ = 10", in: md), [
            "| Method | μ = 0.2 (2 min.) | μ = 0.5 (5 min.) |",
            "|---|---:|---:|",
            "| Baseline | 0.9100 ± 0.0141 (n=2) | **0.8800 ± – (n=1)** |",
            "| ROS | **0.9600 ± 0.0141 (n=2)** | **0.8800 ± – (n=1)** |",
            "| RUS | 0.9050 ± – (n=1) | 0.8600 ± – (n=1) |",
        ])
        // Fixed-μ table: columns are ρ.
        XCTAssertEqual(table(after: "#### μ = 0.2 (2 of 10 classes minority)", in: md), [
            "| Method | ρ = 10 |",
            "|---|---:|",
            "| Baseline | 0.9100 ± 0.0141 (n=2) |",
            "| ROS | **0.9600 ± 0.0141 (n=2)** |",
            "| RUS | 0.9050 ± – (n=1) |",
        ])
        XCTAssertTrue(md.contains("Thresholding rows are omitted"))
        XCTAssertTrue(md.contains("verified: equal bit for bit in 8 of 8 records"))
        // Findings computed from these cells; one or two repetitions cannot be tested.
        XCTAssertTrue(md.contains("- ROS best or tied in 2 of 2 step-imbalance cells (highest mean in 2) — too few repetitions to test"))
        // Paired by repetition: RUS's one run (0.905) is above its repetition's baseline (0.90),
        // although below the baseline's mean over two repetitions.
        XCTAssertTrue(md.contains("- at μ = 0.2: RUS below the baseline in 0 of 1 cell — too few repetitions to test"))
        XCTAssertTrue(md.contains("- baseline AUC lower with more minority classes (fixed ρ) in 1 of 1 pair of cells — too few repetitions to test"))
        XCTAssertTrue(md.contains("- no ρ has both linear and step (μ = 0.5) baseline results — not assessed"))
    }

    func testStatisticsAreExact() {
        let s = Stat([0.92, 0.90, .nan])
        XCTAssertEqual(s.n, 2)
        XCTAssertEqual(s.undefined, 1)
        XCTAssertEqual(s.mean, 0.91, accuracy: 1e-15)
        XCTAssertEqual(s.std!, 0.0002.squareRoot(), accuracy: 1e-15)
        XCTAssertNil(Stat([0.5]).std)
        XCTAssertEqual(Stat([]).n, 0)
    }

    func testAccuracyTableWithAndWithoutThresholding() {
        let md = build(handRecords()).markdown
        // Paper Fig. 6 layout: one table per number of minority classes, columns ρ (the first
        // table under this heading is Fig. 3's AUC table).
        let lines = table(after: "#### μ = 0.2 (2 of 10 classes minority)", in: md, occurrence: 1)
        XCTAssertEqual(lines, [
            "| Method | ρ = 10 |",
            "|---|---:|",
            "| Baseline | 0.8100 ± 0.0141 (n=2) |",
            "| Thresholding | **0.8600 ± 0.0141 (n=2)** |",
            "| ROS | 0.8400 ± 0.0141 (n=2) |",
            "| ROS + thr. | 0.8500 ± 0.0141 (n=2) |",
            "| RUS | 0.7000 ± – (n=1) |",
            "| RUS + thr. | 0.6000 ± – (n=1) |",
        ])
        XCTAssertTrue(md.contains("- thresholding raises Baseline accuracy in 2 of 2 cells — too few repetitions to test"))
        XCTAssertTrue(md.contains("- thresholding raises ROS accuracy in 2 of 2 cells — too few repetitions to test"))
        XCTAssertTrue(md.contains("- thresholding lowers RUS accuracy in 2 of 2 cells — too few repetitions to test"))
    }

    func testOrderIndependentAndFreeOfTimingsAndPaths() {
        let records = Make.study()
        let reference = build(records)
        var rng = RandomStream(seed: 7)
        for round in 0..<4 {
            var shuffled = records
            rng.shuffle(&shuffled)
            // Timings differ on every regeneration; they must not reach the report.
            for i in shuffled.indices {
                shuffled[i].timings = Timings(wallSeconds: Double(round * 1000 + i), trainSeconds: Double(round + i) * 7.25,
                                              imagesPerSecond: Double(i))
            }
            let r = build(shuffled)
            XCTAssertEqual(r.markdown, reference.markdown)
            XCTAssertEqual(r.charts.map(\.fileName), reference.charts.map(\.fileName))
            XCTAssertEqual(r.charts.map(\.svg), reference.charts.map(\.svg))
        }
        XCTAssertFalse(reference.markdown.contains("/abs/secret"))
        XCTAssertTrue(reference.markdown.hasPrefix("# Test report\n"))
        XCTAssertTrue(reference.markdown.contains("```\nimbench report runs -o out\n```"))
    }

    func testDivergedRunsAreExcludedMarkedAndListed() {
        var records = handRecords()
        records.append(Make.record(id: "b-a-2-diverged", profile: Make.step(10, 0.2), sampler: "none", rep: 2,
                                   results: ["baseline": (0.1, 0.1), "baseline+thresholding": (0.1, 0.5)],
                                   status: "diverged",
                                   divergence: Divergence(phase: "phase1", iteration: 1234, reason: "loss is not finite")))
        // A cell with diverged runs only.
        records.append(Make.record(id: "c-only-diverged", profile: Make.step(10, 0.5), sampler: "class-weighted", rep: 0,
                                   results: [:], status: "diverged",
                                   divergence: Divergence(phase: "phase1", iteration: 7, reason: "loss exploded")))
        let md = build(records).markdown
        XCTAssertEqual(table(after: "#### ρ = 10", in: md), [
            "| Method | μ = 0.2 (2 min.) | μ = 0.5 (5 min.) |",
            "|---|---:|---:|",
            "| Baseline | 0.9100 ± 0.0141 (n=2) † | **0.8800 ± – (n=1)** |",
            "| ROS | **0.9600 ± 0.0141 (n=2)** | **0.8800 ± – (n=1)** |",
            "| RUS | 0.9050 ± – (n=1) | 0.8600 ± – (n=1) |",
            "| Class-weighted |  | – (n=0) † |",
        ])
        XCTAssertTrue(md.contains("† diverged runs excluded; n counts finished runs only"))
        XCTAssertTrue(md.contains("- Records: 10 (8 finished, 2 diverged)"))
        XCTAssertTrue(md.contains("| b-a-2-diverged | mnist · lenet5 | step ρ=10 μ=0.2 | none | 2 | diverged | phase1 | 1234 | loss is not finite |"))
        XCTAssertTrue(md.contains("| c-only-diverged | mnist · lenet5 | step ρ=10 μ=0.5 | class-weighted | 0 | diverged | phase1 | 7 | loss exploded |"))
        // The diverged record's thresholding accuracy did not make the accuracy table.
        XCTAssertTrue(md.contains("| Thresholding | **0.8600 ± 0.0141 (n=2)** † |"))
    }

    func testThresholdingAUCMismatchIsDetectedAndNamed() {
        var records = handRecords()
        let p = Make.step(10, 0.2)
        records.append(Make.record(id: "bad-thresholding", profile: p, sampler: "none", rep: 5,
                                   results: ["baseline": (0.9, 0.8), "baseline+thresholding": (0.9.nextUp, 0.85)]))
        let md = build(records).markdown
        XCTAssertTrue(md.contains("- exactly equal in 8 of 9 records — differs from the paper"))
        XCTAssertTrue(md.contains("differs: bad-thresholding: baseline AUC 0.9 vs baseline+thresholding 0.9000000000000001"))
        XCTAssertTrue(md.contains("equal in only 8 of 9 records"))
        XCTAssertEqual(ThresholdCheck(handRecords()).differences, [])
    }

    func testChartsAreWellFormedSVGAndReferenced() throws {
        let report = build(Make.study())
        // Paper figures per setting, then the critical-difference diagram and the per-class charts.
        XCTAssertEqual(report.charts.map(\.fileName), [
            "cifar10-co-lenet5-fig3-step-auc-vs-rho.svg", "cifar10-co-lenet5-fig4-step-auc-vs-mu.svg",
            "cifar10-co-lenet5-fig6-step-accuracy-vs-rho.svg", "cifar10-co-lenet5-per-class-auc.svg",
            "cifar10-co-lenet5-per-class-recall.svg",
            "mnist-lenet5-fig3-step-auc-vs-rho.svg", "mnist-lenet5-fig4-step-auc-vs-mu.svg",
            "mnist-lenet5-linear-auc-vs-rho.svg", "mnist-lenet5-exponential-auc-vs-rho.svg",
            "mnist-lenet5-fig6-step-accuracy-vs-rho.svg", "mnist-lenet5-fig7-partial-resampling.svg",
            "mnist-lenet5-critical-difference.svg", "mnist-lenet5-per-class-auc.svg", "mnist-lenet5-per-class-recall.svg",
        ])
        for chart in report.charts {
            XCTAssertTrue(report.markdown.contains("](out-charts/\(chart.fileName))\n"), chart.fileName)
            let checker = SVGChecker()
            let parser = XMLParser(data: Data(chart.svg.utf8))
            parser.delegate = checker
            XCTAssertTrue(parser.parse(), "\(chart.fileName): \(String(describing: parser.parserError))")
            XCTAssertEqual(checker.root, "svg")
            XCTAssertEqual(checker.rootNamespace, "http://www.w3.org/2000/svg")
            XCTAssertGreaterThan(checker.counts["text", default: 0], 5)
            // Titles in words, never the internal ids.
            XCTAssertFalse(checker.text.contains("lenet5"), chart.fileName)
            XCTAssertTrue(checker.text.contains("LeNet-5"), chart.fileName)
            if chart.fileName.contains("critical-difference") {
                XCTAssertGreaterThan(checker.counts["path", default: 0], 2)
                continue
            }
            XCTAssertGreaterThan(checker.counts["circle", default: 0], 0, chart.fileName)
            let connected = !chart.fileName.hasPrefix("cifar10") && !chart.fileName.contains("exponential")
                && !chart.fileName.contains("per-class")
            if connected { XCTAssertGreaterThan(checker.counts["polyline", default: 0], 0, chart.fileName) }
            if chart.fileName.hasPrefix("cifar10") {
                XCTAssertTrue(checker.text.contains("CIFAR-10 & <co>, LeNet-5"), "escaped title round-trips")
            }
        }
        XCTAssertTrue(report.charts[5].svg.contains("(paper Fig. 3)"))
        XCTAssertTrue(report.charts[5].svg.contains("(a) 2 of 10 classes minority (μ = 0.2)"))
        // The group label from the records is escaped in the markdown.
        XCTAssertTrue(report.markdown.contains("## cifar10 & \\<co\\> · lenet5"))
        // Coordinates carry at most two decimals.
        let svg = report.charts[5].svg
        XCTAssertNil(svg.range(of: #"\d\.\d{3}"#, options: .regularExpression))
    }

    func testPartialResamplingTable() {
        let md = build(Make.study()).markdown
        XCTAssertEqual(table(after: "#### step ρ=100 μ=0.5", in: md), [
            "| Sampler | ρ′ = 100 | ρ′ = 10 | ρ′ = 1 (full) |",
            "|---|---:|---:|---:|",
            "| ROS | **0.9390 ± 0.0014 (n=2)** | **0.9480 ± 0.0014 (n=2)** | **0.9385 ± 0.0021 (n=2)** |",
            "| RUS | 0.9190 ± 0.0014 (n=2) | 0.9280 ± 0.0014 (n=2) | 0.9085 ± 0.0021 (n=2) |",
            "| Baseline (reference) | 0.9185 ± 0.0021 (n=2) | 0.9185 ± 0.0021 (n=2) | 0.9185 ± 0.0021 (n=2) |",
        ])
        // Partial runs are not mixed into the regular tables: ROS at ρ = 100, μ = 0.5 is the full-balance value.
        XCTAssertTrue(md.contains("| ROS | **0.9685 ± 0.0021 (n=2)** | **0.9585 ± 0.0021 (n=2)** |"))
        XCTAssertTrue(md.contains("| ROS | **0.9585 ± 0.0021 (n=2)** | **0.9385 ± 0.0021 (n=2)** |"))
    }

    func testStudyFindingsAreComputedNotFixed() {
        let md = build(Make.study()).markdown
        XCTAssertTrue(md.contains("- mnist · lenet5: two-phase ROS between baseline and ROS in 7 of 7 cells — too few repetitions to test"))
        XCTAssertTrue(md.contains("- mnist · lenet5: linear above step (μ = 0.5) in 0 of 2 values of ρ — too few repetitions to test"))
        XCTAssertTrue(md.contains("- cifar10 & \\<co\\> · lenet5: no cell has baseline, a sampler and its two-phase result — not assessed"))
        XCTAssertTrue(md.contains("### Linear imbalance: AUC vs ρ (paper Fig. 5)"))
        XCTAssertTrue(md.contains("### Exponential imbalance: AUC vs ρ"))
        XCTAssertTrue(md.contains("### Balanced reference runs"))
    }

    func testRepeatedRepetitionIsCountedOnce() {
        let p = Make.step(10, 0.2)
        let records = [
            Make.baseline("a", p, rep: 0, auc: 0.9, acc: 0.8, thrAcc: 0.85),
            Make.sampler("b", "ROS", p, rep: 0, auc: 0.95, acc: 0.8, thrAcc: 0.8),
            Make.sampler("c", "ROS", p, rep: 0, auc: 0.95, acc: 0.8, thrAcc: 0.8, twoPhase: 0.93),
        ]
        let md = build(records).markdown
        XCTAssertTrue(md.contains("| ROS | **0.9500 ± – (n=1)** |"))
        XCTAssertTrue(md.contains("| Two-phase ROS | 0.9300 ± – (n=1) |"))
        XCTAssertTrue(md.contains("- 2 method result(s) repeat a result of another record"))
    }

    func testMethodOrderAndLabels() {
        XCTAssertEqual(Methods.sorted(["zeta", "class-weighted", "two-phase-RUS", "ROS", "alpha", "baseline",
                                       "RUS+thresholding", "baseline+thresholding"]),
                       ["baseline", "baseline+thresholding", "ROS", "RUS+thresholding", "two-phase-RUS",
                        "class-weighted", "alpha", "zeta"])
        XCTAssertEqual(Methods.label("baseline+thresholding"), "Thresholding")
        XCTAssertEqual(Methods.label("two-phase-ROS"), "Two-phase ROS")
        XCTAssertEqual(Methods.label("focal"), "Focal loss", "labels come from the method registry")
        XCTAssertEqual(Methods.label("focal-2030"), "focal-2030", "names the registry does not know are shown as they are")
        XCTAssertEqual(Methods.sorted(["cRT", "focal", "SMOTE", "ROS"]), ["ROS", "SMOTE", "focal", "cRT"])
    }

    func testEmptyInputAndTotalTrainingTime() {
        let r = build([])
        XCTAssertTrue(r.markdown.contains("No records."))
        XCTAssertTrue(r.charts.isEmpty)
        let records = handRecords()
        XCTAssertEqual(ReportBuilder.totalTrainingSeconds(records), 1.5 * Double(records.count))
    }

    func testLoaderReadsRecursivelyAndNamesCorruptFiles() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("imbalance-report-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir + "/sub/deeper", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let recs = handRecords()
        try RecordIO.write(recs[0], to: dir + "/sub/deeper/z.json")
        try RecordIO.write(recs[1], to: dir + "/a.json")
        try Data("{ \"id\": \"broken\", ".utf8).write(to: URL(fileURLWithPath: dir + "/sub/corrupt.json"))
        try Data("{\"id\": \"x\"}".utf8).write(to: URL(fileURLWithPath: dir + "/sub/notarecord.json"))
        try Data("ignored".utf8).write(to: URL(fileURLWithPath: dir + "/notes.txt"))
        let (records, problems) = try ReportBuilder.loadRecords(directory: dir)
        XCTAssertEqual(records.map(\.id), [recs[1].id, recs[0].id]) // a.json, then sub/deeper/z.json
        XCTAssertEqual(records[0], recs[1])
        XCTAssertEqual(problems.count, 2)
        XCTAssertTrue(problems[0].hasPrefix(dir + "/sub/corrupt.json: not a valid run record"), problems[0])
        XCTAssertTrue(problems[1].hasPrefix(dir + "/sub/notarecord.json: not a valid run record (missing field"), problems[1])
        XCTAssertThrowsError(try ReportBuilder.loadRecords(directory: dir + "/missing"))
    }
}

/// Collects what the XML parser saw.
final class SVGChecker: NSObject, XMLParserDelegate {
    var root: String?
    var rootNamespace: String?
    var counts: [String: Int] = [:]
    var text = ""

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
        if root == nil { root = elementName; rootNamespace = attributeDict["xmlns"] }
        counts[elementName, default: 0] += 1
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }
}
