import XCTest
import ImbalanceTraining
@testable import ImbalanceSweep

/// The declarative key table is what validates configs: defaults are what an absent key
/// means, every key stores what it checked, and the generic checks apply to every entry.
final class ConfigKeyTableTests: XCTestCase {
    let minimal = SweepConfig.minimalExample

    func testTheMinimalExampleParses() throws {
        let c = try SweepConfig.parse(yaml: minimal, path: "m.yaml")
        XCTAssertEqual(SweepPlan.jobs(for: c).count, 2)
    }

    /// Writing a key's default explicitly gives the same config as leaving it out.
    func testDefaultsAreWhatAnAbsentKeyMeans() throws {
        let base = try SweepConfig.parse(yaml: minimal, path: "m.yaml")
        for key in SweepConfig.keyTable {
            guard case .value(let item) = key.defaultValue else { continue }
            let explicit = try SweepConfig.parse(yaml: minimal + "\n\(key.name): \(item.text)", path: "d.yaml")
            XCTAssertEqual(explicit, base, "\(key.name): \(item.text)")
        }
    }

    /// Every key, given a valid non-default value, changes the parsed config (so its store
    /// closure is wired to a field).
    func testEveryKeyStoresItsValue() throws {
        let values: [String: String] = [
            "name": "other", "dataset": "mnist", "model": "allcnn", "methods": "[RUS]", "repetitions": "3",
            "iterations": "300", "batchSize": "32", "baseSeed": "7", "maxPerClass": "all", "minorityRule": "lowest",
            "learningRate": "0.5", "learningRates": "[0.1, 0.2]", "preprocessing": "gcn-zca",
            "augmentation": "crop-mirror", "curveEvery": "10", "curveTestLimit": "100", "balanced": "true",
            "step": "{rho: [100], mu: [0.2]}", "linear": "{rho: [10]}", "exponential": "{rho: [10]}",
            "partial": "{rho: [100], mu: [0.5], ratios: [10]}", "bootstrapResamples": "0", "saveScores": "true",
        ]
        XCTAssertEqual(Set(values.keys), Set(SweepConfig.keyTable.map(\.name)), "a key without a case here")
        let base = try SweepConfig.parse(yaml: minimal, path: "m.yaml")
        for key in SweepConfig.keyTable {
            var lines = minimal.split(separator: "\n").map(String.init).filter { !$0.hasPrefix(key.name + ":") }
            if key.name == "learningRates" { lines.removeAll { $0.hasPrefix("learningRate:") } }
            lines.append("\(key.name): \(values[key.name]!)")
            let changed = try SweepConfig.parse(yaml: lines.joined(separator: "\n"), path: "k.yaml")
            XCTAssertNotEqual(changed, base, "\(key.name) was checked but not stored")
        }
    }

    /// The generic checks: repeated keys, wrong shapes, numbers out of range, unknown
    /// names, empty and repeated list items, unknown nested keys, each with its line.
    func testGenericChecksApplyToEveryEntry() {
        let yaml = """
        name: x
        dataset: mnist
        repetitions: 1
        iterations: [1, 2]
        methods: [baseline, baseline]
        step: {rho: [10], mu: [2], sigma: [1]}
        batchSize: 16
        curveEvery: -1
        maxPerClass: some
        balanced: maybe
        Model: lenet5
        """
        XCTAssertThrowsError(try SweepConfig.parse(yaml: yaml, path: "g.yaml")) { error in
            let text = "\(error)"
            for expected in [
                "g.yaml:4: 'iterations' must be a single value (whole number), not a list",
                "g.yaml:5: 'methods' lists baseline twice",
                "g.yaml:6: 'step.mu' must be a number >= 0 and <= 1, found '2'",
                "g.yaml:6: unknown key 'step.sigma'; known keys of 'step': mu, rho",
                "g.yaml:8: 'curveEvery' must be a whole number >= 0, found '-1'",
                "g.yaml:9: 'maxPerClass' must be >= 1, or all, found 'some'",
                "g.yaml:10: 'balanced' must be true or false, found 'maybe'",
                "g.yaml:11: unknown key 'Model' (did you mean 'model'?)",
            ] {
                XCTAssertTrue(text.contains(expected), "'\(expected)' not in:\n\(text)")
            }
        }
    }

    /// YAML itself refuses a key given twice; the message names it and its line.
    func testARepeatedKeyIsRefused() {
        let yaml = SweepConfig.minimalExample + "\niterations: 300"
        XCTAssertThrowsError(try SweepConfig.parse(yaml: yaml, path: "r.yaml")) { error in
            XCTAssertTrue("\(error)".contains("duplicated key(s): 'iterations'"), "\(error)")
        }
    }

    func testRowsListNestedKeysAndDerivedDefaults() {
        let rows = SweepConfig.keyRows
        XCTAssertEqual(rows.map(\.name).filter { $0.hasPrefix("partial.") },
                       ["partial.rho", "partial.mu", "partial.samplers", "partial.ratios"])
        let lr = rows.first { $0.name == "learningRate" }!
        XCTAssertEqual(lr.defaultText, "the model's: allcnn 0.01, lenet5 0.01, resnet10 0.1")
        XCTAssertEqual(rows.first { $0.name == "partial.samplers" }!.defaultText, "[ROS, RUS]")
        XCTAssertEqual(rows.first { $0.name == "methods" }!.type, "list of methods")
    }
}
