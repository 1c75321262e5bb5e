import XCTest
import ImbalanceTraining
@testable import ImbalanceSweep

final class CIFARSweepConfigTests: XCTestCase {
    func testPaperCIFARPresetSearchesFourRatesTwice() throws {
        let config = try SweepConfig.load(path: SweepConfigTests.repoRoot + "/configs/buda-cifar10.yaml")
        XCTAssertEqual(config.model, "allcnn")
        XCTAssertEqual(config.learningRates, [0.05, 0.005, 0.0005, 0.00005])
        let jobs = SweepPlan.jobs(for: config)
        // 16 settings x (baseline, ROS + two-phase, RUS + two-phase) x 4 rates x 2 repetitions
        XCTAssertEqual(jobs.count, 16 * 3 * 4 * 2)
        XCTAssertEqual(Set(jobs.map(\.baseLearningRate)), [0.05, 0.005, 0.0005, 0.00005])
        XCTAssertEqual(Set(jobs.map(RunID.make)).count, jobs.count, "ids are unique across rates")
        XCTAssertTrue(jobs.allSatisfy { $0.preprocessing == "gcn-zca" && $0.minorityRule == "lowest" })
        XCTAssertEqual(jobs[0].learningRatePolicy, "multistep(40000,50000,60000,gamma=0.1)")
    }

    /// The CPU preset must be the paper's grid with only the schedule changed, and the
    /// core preset (whose report is committed) that schedule on part of the grid.
    func testCPUPresetsKeepThePaperGridAndShareOneSchedule() throws {
        let root = SweepConfigTests.repoRoot + "/configs/"
        let paper = SweepPlan.jobs(for: try SweepConfig.load(path: root + "buda-cifar10.yaml"))
        let cpu = SweepPlan.jobs(for: try SweepConfig.load(path: root + "buda-cifar10-cpu.yaml"))
        let core = SweepPlan.jobs(for: try SweepConfig.load(path: root + "buda-cifar10-cpu-core.yaml"))
        func cell(_ j: JobConfig) -> String { "\(j.profile.kind) \(j.profile.rho) \(j.profile.mu ?? -1) \(j.sampler) \(j.twoPhase)" }
        XCTAssertEqual(Set(cpu.map(cell)), Set(paper.map(cell)), "same settings and samplers as the paper")
        XCTAssertEqual(cpu.count, 16 * 3)
        // rho {10, 50} x mu {0.2, 0.8} x (baseline, ROS, RUS), plus one balanced reference.
        XCTAssertEqual(core.count, 2 * 2 * 3 + 1)
        func setting(_ j: JobConfig) -> String { "\(j.profile.kind) \(j.profile.rho) \(j.profile.mu ?? -1) \(j.sampler)" }
        let imbalancedCore = core.filter { $0.profile.kind != "balanced" }
        XCTAssertEqual(imbalancedCore.count, 12)
        XCTAssertTrue(Set(imbalancedCore.map(setting)).isSubset(of: Set(cpu.map(setting))))
        func schedule(_ j: JobConfig) -> String {
            "\(j.model) \(j.dataset) \(j.iterations) \(j.batchSize) \(j.baseLearningRate) \(j.learningRatePolicy) "
                + "\(j.momentum) \(j.weightDecay) \(j.preprocessing ?? "-") \(j.minorityRule) \(j.maxPerClass.map(String.init) ?? "all") \(j.baseSeed)"
        }
        XCTAssertEqual(Set(cpu.map(schedule)).count, 1)
        XCTAssertEqual(Set(cpu.map(schedule)), Set(core.map(schedule)))
        XCTAssertEqual(cpu[0].iterations, 500)
        XCTAssertEqual(cpu[0].batchSize, 64)
        XCTAssertEqual(cpu[0].learningRatePolicy, "multistep(285,357,428,gamma=0.1)")
    }

    func testModelPreprocessingAndRateProblemsAreReported() {
        let yaml = """
        name: bad
        dataset: cifar10
        model: vgg16
        repetitions: 1
        iterations: 100
        methods: [baseline]
        preprocessing: whiten
        augmentation: rotate
        learningRate: 0.1
        learningRates: [0.1, 0.1, 0]
        step: {rho: [10], mu: [0.5]}
        """
        XCTAssertThrowsError(try SweepConfig.parse(yaml: yaml, path: "bad.yaml")) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("bad.yaml:3: unknown model 'vgg16'; expected allcnn, lenet5, resnet10"), text)
            XCTAssertTrue(text.contains("bad.yaml:7: unknown preprocessing 'whiten'"), text)
            XCTAssertTrue(text.contains("bad.yaml:8: unknown augmentation 'rotate'"), text)
            XCTAssertTrue(text.contains("bad.yaml:10: 'learningRates' must be a number > 0, found '0'"), text)
            XCTAssertTrue(text.contains("bad.yaml:10: 'learningRates' lists 0.1 twice"), text)
            XCTAssertTrue(text.contains("bad.yaml:10: give either learningRate or learningRates"), text)
        }
    }

    func testResNetDefaultsReachTheJobs() throws {
        let yaml = """
        name: r
        dataset: cifar10
        model: resnet10
        repetitions: 1
        iterations: 500
        methods: [baseline]
        step: {rho: [10], mu: [0.5]}
        """
        let jobs = SweepPlan.jobs(for: try SweepConfig.parse(yaml: yaml, path: "r.yaml"))
        XCTAssertEqual(jobs.count, 1)
        XCTAssertEqual(jobs[0].preprocessing, "standardize")
        XCTAssertEqual(jobs[0].augmentation, "crop-mirror")
        XCTAssertEqual(jobs[0].learningRatePolicy, "poly(max=500,power=1.0)")
    }
}
