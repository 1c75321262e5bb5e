import Foundation
import XCTest
import ImbalanceRecords

/// `imbench reproduce RECORD` trains the record's job again with this build and compares:
/// exit 0 when the records are byte-identical apart from timings and machine fields, 3 when
/// every number is within `--tolerance`, 4 otherwise, naming the fields that differ.
final class ReproduceCommandTests: XCTestCase {
    func testIdenticalWithinToleranceAndDifferent() throws {
        try CLI.requireBinaryAndMNIST()
        let dir = try CLI.temporaryDirectory("reproduce")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // A two-phase ROS job (both phases, thresholding, bootstrap intervals): every part of
        // a record that reproduce compares.
        let record = dir + "/r.json"
        let train = try CLI.run(["train", "--dataset", "mnist", "--data-dir", CLI.mnist, "--iterations", "30",
                                 "--batch", "16", "--max-per-class", "60", "--rho", "10", "--mu", "0.5",
                                 "--sampler", "ROS", "--two-phase", "--bootstrap-resamples", "50",
                                 "--output", record, "--quiet"])
        XCTAssertEqual(train.status, 0, train.output)

        let same = try CLI.run(["reproduce", record, "--data-dir", CLI.mnist, "--quiet"])
        XCTAssertEqual(same.status, 0, same.output)
        XCTAssertTrue(same.output.contains("identical"), same.output)

        // Threads change speed only: the same bits on 2 threads.
        let threads = try CLI.run(["reproduce", record, "--data-dir", CLI.mnist, "--threads", "2", "--quiet"])
        XCTAssertEqual(threads.status, 0, threads.output)

        // A metric nudged by less than the tolerance: "within tolerance" (3), the field named.
        var r = try RecordIO.read(record)
        let method = try XCTUnwrap(r.results.keys.sorted().first)
        r.results[method]!.accuracy += 1e-9
        try RecordIO.write(r, to: dir + "/nudged.json")
        let nudged = try CLI.run(["reproduce", dir + "/nudged.json", "--data-dir", CLI.mnist, "--quiet"])
        XCTAssertEqual(nudged.status, 3, nudged.output)
        XCTAssertTrue(nudged.output.contains("results.\(method).accuracy"), nudged.output)

        // Beyond the tolerance: different (4).
        r.results[method]!.accuracy += 0.01
        try RecordIO.write(r, to: dir + "/changed.json")
        let changed = try CLI.run(["reproduce", dir + "/changed.json", "--data-dir", CLI.mnist, "--quiet"])
        XCTAssertEqual(changed.status, 4, changed.output)
        XCTAssertTrue(changed.output.contains("results.\(method).accuracy"), changed.output)

        // A file that is not a record is an error naming it (1), not a comparison.
        try CLI.write("{}", to: dir + "/bad.json")
        let bad = try CLI.run(["reproduce", dir + "/bad.json", "--data-dir", CLI.mnist, "--quiet"])
        XCTAssertEqual(bad.status, 1, bad.output)
        XCTAssertTrue(bad.stderr.contains("bad.json"), bad.stderr)
    }

    /// A record of the user's own data is reproduced from its recorded data spec.
    func testOwnDataRecordIsReproducedFromItsDataSpec() throws {
        try CLI.requireBinaryAndMNIST()
        let dir = try CLI.temporaryDirectory("reproduce-own")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try CLI.exportMNIST(format: "npz", to: dir + "/m.npz", limit: 600)
        let train = try CLI.run(["train", "--data", dir + "/m.npz", "--iterations", "20", "--batch", "16",
                                 "--rho", "10", "--mu", "0.5", "--sampler", "ROS", "--bootstrap-resamples", "20",
                                 "--output", dir + "/r.json", "--quiet"])
        XCTAssertEqual(train.status, 0, train.output)
        let same = try CLI.run(["reproduce", dir + "/r.json", "--quiet"])
        XCTAssertEqual(same.status, 0, same.output)
        XCTAssertTrue(same.output.contains("identical"), same.output)
        let wrong = try CLI.run(["reproduce", dir + "/r.json", "--data-dir", CLI.mnist, "--quiet"])
        XCTAssertEqual(wrong.status, 2, wrong.output)
        XCTAssertTrue(wrong.stderr.contains("--data-dir"), wrong.stderr)
    }
}
