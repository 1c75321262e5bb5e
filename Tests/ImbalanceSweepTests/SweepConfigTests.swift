import XCTest
import ImbalanceTraining
@testable import ImbalanceSweep

final class SweepConfigTests: XCTestCase {
    static var repoRoot: String {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }

    func testQuickPresetIsTheIssuesGrid() throws {
        let config = try SweepConfig.load(path: Self.repoRoot + "/configs/buda-mnist-quick.yaml")
        XCTAssertEqual(config.stepRhos, [10, 100, 1000])
        XCTAssertEqual(config.stepMus, [0.1, 0.5, 0.9])
        XCTAssertEqual(config.repetitions, 2)
        let jobs = SweepPlan.jobs(for: config)
        // 9 cells x 2 repetitions x (baseline, ROS + two-phase, RUS + two-phase)
        XCTAssertEqual(jobs.count, 54)
        XCTAssertEqual(jobs.filter { $0.twoPhase }.count, 36)
        XCTAssertEqual(Set(jobs.map(RunID.make)).count, 54, "ids are unique")
    }

    /// The tested study: 10 cells, 10 repetitions, enough for the Wilcoxon signed-rank test
    /// with Holm over 10 cells to reach 0.05 (10 * 2^(1-10) < 0.05).
    func testStudyPresetCanShowSignificance() throws {
        let config = try SweepConfig.load(path: Self.repoRoot + "/configs/buda-mnist-study.yaml")
        XCTAssertEqual(config.stepRhos, [10, 100, 1000])
        XCTAssertEqual(config.stepMus, [0.1, 0.5, 0.9])
        XCTAssertEqual(config.linearRhos, [1000])
        XCTAssertGreaterThanOrEqual(config.repetitions, 6)
        XCTAssertEqual(config.iterations, 3000)
        XCTAssertEqual(config.bootstrapResamples, 1000)
        XCTAssertFalse(config.saveScores)
        let cells = config.stepRhos.count * config.stepMus.count + config.linearRhos.count
        XCTAssertLessThan(Double(cells) * 2 / Double(1 << config.repetitions), 0.05)
        XCTAssertEqual(SweepPlan.jobs(for: config).count, cells * config.repetitions * 3)
    }

    func testEvaluationKeysAreValidated() throws {
        let base = "name: e\ndataset: mnist\nrepetitions: 1\niterations: 10\nmethods: [baseline]\nstep: {rho: [10], mu: [0.5]}\n"
        let ok = try SweepConfig.parse(yaml: base + "bootstrapResamples: 0\nsaveScores: true\n", path: "e.yaml")
        XCTAssertEqual(ok.bootstrapResamples, 0)
        XCTAssertTrue(ok.saveScores)
        let defaults = try SweepConfig.parse(yaml: base, path: "e.yaml")
        XCTAssertEqual(defaults.bootstrapResamples, 1000)
        XCTAssertFalse(defaults.saveScores)
        XCTAssertThrowsError(try SweepConfig.parse(yaml: base + "bootstrapResamples: -1\nsaveScores: maybe\n", path: "e.yaml")) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("e.yaml:7: 'bootstrapResamples' must be a whole number >= 0"), text)
            XCTAssertTrue(text.contains("e.yaml:8: 'saveScores' must be true or false, found 'maybe'"), text)
        }
    }

    func testEveryPresetParses() throws {
        let dir = Self.repoRoot + "/configs"
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".yaml") }
        XCTAssertGreaterThanOrEqual(files.count, 3)
        for f in files {
            XCTAssertNoThrow(try SweepConfig.load(path: dir + "/" + f), f)
        }
        XCTAssertTrue(files.contains { $0.contains("smoke") })
    }

    func testAllProblemsAreReportedAtOnceWithLines() {
        let yaml = """
        name: bad
        dataset: mnist
        model: lenet6
        repetitions: 0
        iterations: 100
        methods: [baseline, smote]
        step: {rho: [10, 0.5], mu: [0.5]}
        colour: blue
        """
        XCTAssertThrowsError(try SweepConfig.parse(yaml: yaml, path: "bad.yaml")) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("bad.yaml:3: unknown model 'lenet6'"), text)
            XCTAssertTrue(text.contains("bad.yaml:4: 'repetitions' must be a whole number >= 1"), text)
            XCTAssertTrue(text.contains("bad.yaml:6: unknown method 'smote' (did you mean 'SMOTE'?)"), text)
            XCTAssertTrue(text.contains("bad.yaml:7: 'step.rho' must be a number >= 1, found '0.5'"), text)
            XCTAssertTrue(text.contains("bad.yaml:8: unknown key 'colour'"), text)
        }
    }

    func testImpossibleGridIsRejectedBeforeTraining() {
        let yaml = """
        name: impossible
        dataset: mnist
        repetitions: 1
        iterations: 10
        methods: [baseline]
        step: {rho: [10000], mu: [0.25]}
        """
        XCTAssertThrowsError(try SweepConfig.parse(yaml: yaml, path: "i.yaml")) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("i.yaml:6"), text)
            XCTAssertTrue(text.contains("mu"), text)
        }
    }

    func testShardsPartitionTheGrid() throws {
        let config = try SweepConfig.load(path: Self.repoRoot + "/configs/buda-mnist-quick.yaml")
        let all = SweepPlan.jobs(for: config).map(RunID.make)
        for n in [1, 2, 3, 7, 54, 60] {
            var union: [String] = []
            for i in 1...n { union += SweepPlan.shard(all, index: i, count: n) }
            XCTAssertEqual(union.count, all.count, "no overlap for \(n) shards")
            XCTAssertEqual(Set(union), Set(all), "union is the grid for \(n) shards")
        }
        XCTAssertThrowsError(try SweepPlan.parseShard("0/4"))
        XCTAssertThrowsError(try SweepPlan.parseShard("5/4"))
        XCTAssertEqual(try SweepPlan.parseShard("2/4").index, 2)
    }

    func testPartialResamplingJobs() throws {
        let yaml = """
        name: partial
        dataset: mnist
        repetitions: 1
        iterations: 10
        methods: [baseline, ROS, RUS]
        partial: {rho: [1000], mu: [0.5], samplers: [ROS, RUS], ratios: [1, 10, 100]}
        """
        let config = try SweepConfig.parse(yaml: yaml, path: "p.yaml")
        let jobs = SweepPlan.jobs(for: config)
        XCTAssertEqual(jobs.count, 6)
        XCTAssertEqual(Set(jobs.compactMap(\.samplerRatio)), [1, 10, 100])
    }
}
