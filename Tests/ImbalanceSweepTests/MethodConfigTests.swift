import XCTest
import ImbalanceTraining
@testable import ImbalanceSweep

final class MethodConfigTests: XCTestCase {
    /// The committed Buda studies were planned before the method registry: the plan made
    /// through the registry must give the very same jobs (the same configurations, so the
    /// same ids under the records' engine version), and every committed record's
    /// configuration must encode as it did.
    func testCommittedStudiesKeepTheirJobIds() throws {
        let root = SweepConfigTests.repoRoot
        // A configuration as its id hashes it, under one engine for all (the records span two).
        func canonical(_ c: JobConfig) -> Data { RunID.identity(of: c, engine: "") }
        for study in ["buda-mnist-quick", "buda-cifar10-cpu-core"] {
            let config = try SweepConfig.load(path: "\(root)/configs/\(study).yaml")
            let planned = SweepPlan.jobs(for: config)
            let dir = "\(root)/reports/\(study)/records"
            let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".json") }
            XCTAssertFalse(files.isEmpty, study)
            let records = try files.map { f in
                try RecordIO.decoder().decode(RunRecord.self, from: XCTUnwrap(FileManager.default.contents(atPath: "\(dir)/\(f)")))
            }
            XCTAssertEqual(Set(planned.map(canonical)), Set(records.map { canonical($0.config) }), study)
            for (f, record) in zip(files, records) {
                // Ids include the engine version from engine 0.6.0 on (RunID.identity).
                if !record.tool.version.split(separator: ".").compactMap({ Int($0) }).lexicographicallyPrecedes([0, 6, 0]) {
                    XCTAssertEqual(RunID.make(record.config, engine: record.tool.version), record.id, f)
                    XCTAssertEqual(f, record.id + ".json")
                } else {
                    XCTAssertEqual(RunID.prefix(record.config), String(record.id.split(separator: "-").dropLast().joined(separator: "-")), f)
                }
                XCTAssertNil(record.config.parameters)
                XCTAssertNil(record.config.derivedMethods)
                XCTAssertNoThrow(try Experiment.validate(record.config), f)
                XCTAssertEqual(Set(record.results.keys),
                               Set(MethodRegistry.resultNames(sampler: record.config.sampler, twoPhase: record.config.twoPhase,
                                                              derived: [])), f)
            }
        }
    }

    func testMethodsWithHyperparameters() throws {
        let yaml = """
        name: lt
        dataset: fashion-mnist
        repetitions: 1
        iterations: 10
        methods: [baseline, {focal: {gamma: 1}}, cRT, {tau-norm: {tau: 0.5}}, SMOTE, {LDAM-DRW: {classifier: linear, scale: 1}}]
        exponential: {rho: [100]}
        """
        let config = try SweepConfig.parse(yaml: yaml, path: "lt.yaml")
        XCTAssertEqual(config.methods, ["baseline", "focal", "cRT", "tau-norm", "SMOTE", "LDAM-DRW"])
        let jobs = SweepPlan.jobs(for: config)
        XCTAssertEqual(jobs.map(\.sampler), ["none", "SMOTE", "focal", "LDAM-DRW"], "registry order")
        XCTAssertEqual(jobs[0].derivedMethods?["tau-norm"], ["tau": .number(0.5)])
        XCTAssertEqual(jobs[0].derivedMethods?["cRT"]?["learningRate"], .number(1))
        XCTAssertEqual(jobs[1].parameters, ["k": .number(5)])
        XCTAssertEqual(jobs[2].parameters, ["gamma": .number(1)])
        XCTAssertEqual(jobs[3].parameters?["classifier"], .text("linear"))
        XCTAssertEqual(jobs[3].parameters?["drwStart"], .number(0.8))
        for job in jobs { XCTAssertNoThrow(try Experiment.validate(job)) }
        XCTAssertEqual(Set(jobs.map(RunID.make)).count, 4)
        XCTAssertTrue(RunID.make(jobs[2]).contains("_focal_rep0-"), RunID.make(jobs[2]))
    }

    func testMethodErrorsNameTheLineAndWhatIsValid() {
        let yaml = """
        name: bad
        dataset: mnist
        repetitions: 1
        iterations: 10
        methods:
          - {focal: {gama: 1}}
          - {class-balanced: {beta: 2}}
          - {SMOTE: 3}
          - {focal: {gamma: 1}, cRT: {}}
          - LDAM
        step: {rho: [10], mu: [0.5]}
        """
        XCTAssertThrowsError(try SweepConfig.parse(yaml: yaml, path: "bad.yaml")) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("bad.yaml:6: method 'focal' has no hyperparameter 'gama'; expected gamma"), text)
            XCTAssertTrue(text.contains("bad.yaml:7: method 'class-balanced': 'beta' must be a number in [0, 1), found '2'"), text)
            XCTAssertTrue(text.contains("bad.yaml:8: the hyperparameters of 'SMOTE' must be a mapping like {k: value}"), text)
            XCTAssertTrue(text.contains("bad.yaml:9: a method with hyperparameters is written {NAME: {KEY: VALUE, ...}}"), text)
            XCTAssertTrue(text.contains("bad.yaml:10: unknown method 'LDAM'"), text)
        }
    }
}
