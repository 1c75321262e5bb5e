import Foundation
import XCTest
import ImbalanceRecords

/// A data directory whose files are another dataset's is refused, naming both; the escape
/// is explicit and recorded; what was verified is in every record.
final class DatasetIdentityTests: XCTestCase {
    func testMNISTFilesGivenAsFashionMNISTAreRefused() throws {
        try CLI.requireBinaryAndMNIST()
        let r = try CLI.run(["train", "--dataset", "fashion-mnist", "--data-dir", CLI.mnist, "--iterations", "5"])
        XCTAssertEqual(r.status, 1, r.output)
        for word in ["MNIST (mnist)", "not of Fashion-MNIST (fashion-mnist)", "train-images-idx3-ubyte", "--allow-mismatch"] {
            XCTAssertTrue(r.stderr.contains(word), "'\(word)' not in \(r.stderr)")
        }
        XCTAssertFalse(r.output.contains("iter "), "trained anyway: \(r.output)")
    }

    func testTheEscapeIsExplicitAndRecorded() throws {
        try CLI.requireBinaryAndMNIST()
        let dir = try CLI.temporaryDirectory("identity")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let common = ["--data-dir", CLI.mnist, "--iterations", "5", "--batch", "16", "--max-per-class", "50", "--quiet"]

        let allowed = try CLI.run(["train", "--dataset", "fashion-mnist", "--allow-mismatch", "--output", dir + "/f.json"] + common)
        XCTAssertEqual(allowed.status, 0, allowed.output)
        let f = try RecordIO.read(dir + "/f.json")
        XCTAssertEqual(f.config.dataset, "fashion-mnist")
        XCTAssertEqual(f.provenance?.dataCheck?.result, "other-dataset")
        XCTAssertEqual(f.provenance?.dataCheck?.manifest, "fashion-mnist")
        XCTAssertEqual(f.provenance?.dataCheck?.matches, ["mnist"])
        XCTAssertTrue(f.provenance?.dataCheck?.detail.contains("--allow-mismatch") ?? false)

        let right = try CLI.run(["train", "--dataset", "mnist", "--output", dir + "/m.json"] + common)
        XCTAssertEqual(right.status, 0, right.output)
        let m = try RecordIO.read(dir + "/m.json")
        XCTAssertEqual(m.provenance?.dataCheck?.result, "official")
        XCTAssertEqual(m.provenance?.dataCheck?.manifest, "mnist")

        // The escape where there is nothing to escape from is an option that does not apply.
        let needless = try CLI.run(["train", "--dataset", "mnist", "--allow-mismatch"] + common)
        XCTAssertEqual(needless.status, 2, needless.output)
        XCTAssertTrue(needless.stderr.contains("--allow-mismatch"), needless.stderr)
    }

    /// Files that match no manifest (own or modified data) are used, and recorded as such.
    func testUnrecognisedFilesAreUsedAndSaidToDiffer() throws {
        try CLI.requireBinaryAndMNIST()
        let dir = try CLI.temporaryDirectory("identity-own")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let data = dir + "/data"
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        // The official test files, and training files whose gzip stream is the same data
        // with one label changed: valid IDX, not MNIST's official content.
        for f in ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz"] {
            try FileManager.default.copyItem(atPath: CLI.mnist + "/" + f, toPath: data + "/" + f)
        }
        let labels = try gunzip(CLI.mnist + "/train-labels-idx1-ubyte.gz")
        var changed = labels
        changed[8] = changed[8] == 0 ? 1 : 0
        try changed.write(to: URL(fileURLWithPath: data + "/train-labels-idx1-ubyte"))
        let r = try CLI.run(["train", "--dataset", "mnist", "--data-dir", data, "--iterations", "5", "--batch", "16",
                             "--max-per-class", "50", "--quiet", "--output", dir + "/own.json"])
        XCTAssertEqual(r.status, 0, r.output)
        let record = try RecordIO.read(dir + "/own.json")
        XCTAssertEqual(record.provenance?.dataCheck?.result, "differs")
        XCTAssertTrue(record.provenance?.dataCheck?.detail.contains("train-labels-idx1-ubyte") ?? false, "\(String(describing: record.provenance?.dataCheck))")
    }

    private func gunzip(_ path: String) throws -> Data {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["gzip", "-dc", path]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        return data
    }
}
