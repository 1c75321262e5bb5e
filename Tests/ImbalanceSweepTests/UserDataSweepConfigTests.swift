import XCTest
import ImbalanceData
import ImbalanceTraining
@testable import ImbalanceSweep

/// The `dataset:` mapping of sweep configs: parsed and checked with lines, resolved to an
/// absolute path and a format, and carried into every job.
final class UserDataSweepConfigTests: XCTestCase {
    func testMappingIsParsedResolvedAndReachesTheJobs() throws {
        let dir = FileManager.default.temporaryDirectory.path + "/imbench-sweep-data-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let train = ImageDataset(name: "t", channels: 1, height: 4, width: 4, pixels: [UInt8](repeating: 9, count: 4 * 16),
                                 labels: [0, 1, 0, 1], classNames: ["a", "b"])
        try DatasetWriter.writeNPZ([("train", train), ("test", train)], to: dir + ".npz")
        defer { try? FileManager.default.removeItem(atPath: dir + ".npz") }
        let yaml = """
        name: own
        dataset: {path: \(dir).npz, size: [8, 6], channels: 3, validationFraction: 0.5, splitSeed: 4}
        repetitions: 1
        iterations: 10
        methods: [baseline, ROS]
        step: {rho: [2], mu: [0.5]}
        """
        var config = try SweepConfig.parse(yaml: yaml, path: "own.yaml")
        XCTAssertEqual(config.dataset, (dir as NSString).lastPathComponent)
        XCTAssertNil(config.data, "resolved only on request")
        try config.resolveData(path: "own.yaml")
        let spec = try XCTUnwrap(config.data)
        XCTAssertEqual(spec, DataSpec(format: "npz", path: dir + ".npz", height: 8, width: 6, channels: 3,
                                      validationFraction: 0.5, splitSeed: 4))
        let jobs = SweepPlan.jobs(for: config)
        XCTAssertEqual(jobs.count, 2)
        XCTAssertTrue(jobs.allSatisfy { $0.data == spec && $0.dataset == config.dataset })
        let splits = try loadSplits(for: jobs[0], directory: "unused")
        XCTAssertTrue((splits.train.channels, splits.train.height, splits.train.width) == (3, 8, 6))
        XCTAssertEqual(splits.validation?.count, 2)
        XCTAssertTrue(SweepConfig.keys["dataset"]!.contains("validationFraction"))
    }

    func testMappingProblemsAreReportedWithLines() {
        let yaml = """
        name: bad
        dataset:
          format: tiff
          path: x.npz
          size: [0, 3, 4]
          channels: 2
          testFraction: 1.5
          colour: yes
        repetitions: 1
        iterations: 10
        methods: [baseline]
        step: {rho: [2], mu: [0.5]}
        """
        XCTAssertThrowsError(try SweepConfig.parse(yaml: yaml, path: "bad.yaml")) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("bad.yaml:3: unknown dataset.format 'tiff'"), text)
            XCTAssertTrue(text.contains("bad.yaml:5: 'dataset.size' must be [height, width]"), text)
            XCTAssertTrue(text.contains("bad.yaml:6: 'dataset.channels' must be 1 or 3"), text)
            XCTAssertTrue(text.contains("bad.yaml:7: 'dataset.testFraction' must be a number strictly between 0 and 1"), text)
            XCTAssertTrue(text.contains("bad.yaml:8: unknown key 'dataset.colour'"), text)
        }
        var missing = try? SweepConfig.parse(yaml: "name: m\ndataset: {path: /no/such/data.npz}\nrepetitions: 1\niterations: 5\nmethods: [baseline]\nstep: {rho: [2], mu: [0.5]}\n",
                                             path: "m.yaml")
        XCTAssertNotNil(missing)
        XCTAssertThrowsError(try missing!.resolveData(path: "m.yaml")) { error in
            XCTAssertTrue("\(error)".contains("m.yaml:2: dataset: /no/such/data.npz: no such file or directory"), "\(error)")
        }
        XCTAssertThrowsError(try SweepConfig.parse(yaml: "name: n\ndataset: imagenette\nrepetitions: 1\niterations: 5\nmethods: [baseline]\nstep: {rho: [2], mu: [0.5]}\n", path: "n.yaml")) { error in
            XCTAssertTrue("\(error)".contains("n.yaml:2: unknown dataset 'imagenette'"), "\(error)")
        }
    }
}
