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
            XCTAssertTrue(text.contains("bad.yaml:10: learningRates must be positive"), text)
            XCTAssertTrue(text.contains("bad.yaml:10: learningRates lists a rate twice"), text)
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
