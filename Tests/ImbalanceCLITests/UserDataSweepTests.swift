import Foundation
import XCTest
import ImbalanceRecords

/// A step-imbalance grid on the user's own data, end to end through the command line: real
/// MNIST images written out as a PNG folder and as an NPZ file (`imbench data export`), a
/// sweep on each, and its report.
final class UserDataSweepTests: CLITestCase {
    override func requirements() throws { try CLI.requireBinaryAndMNIST() }

    func testStepGridOnAPNGFolderAndAnNPZFileWithReports() throws {
        for format in ["folder", "npz"] {
            let data = dir + (format == "npz" ? "/mnist.npz" : "/mnist-png")
            try CLI.exportMNIST(format: format, to: data, limit: 1500)
            let config = dir + "/\(format).yaml"
            try CLI.write("""
                name: own-\(format)
                dataset: {format: \(format), path: \(data)}
                repetitions: 1
                iterations: 40
                batchSize: 16
                maxPerClass: 100
                bootstrapResamples: 50
                methods: [baseline, thresholding, ROS]
                step: {rho: [10], mu: [0.5]}
                """, to: config)
            let out = dir + "/results-\(format)"
            let sweep = try CLI.run(["sweep", config, "--out", out, "--jobs", "2"])
            XCTAssertEqual(sweep.status, 0, sweep.output)
            let files = CLI.recordFiles(out + "/records")
            XCTAssertEqual(files.count, 2, "\(files)")
            for f in files {
                let r = try RecordIO.read(out + "/records/" + f)
                XCTAssertEqual(r.status, "finished")
                XCTAssertEqual(r.config.data?.format, format)
                XCTAssertEqual(r.data.testCounts.reduce(0, +), 1500, f)
                // What was read is in the record: the NPZ file, or the folder's images as one digest.
                XCTAssertFalse(r.provenance?.dataFiles.isEmpty ?? true, f)
            }
            let report = try CLI.run(["report", out, "--out", out + "/report.md"])
            XCTAssertEqual(report.status, 0, report.output)
            let md = try String(contentsOfFile: out + "/report.md", encoding: .utf8)
            XCTAssertTrue(md.contains("own-\(format)") || md.contains("own"), md)
            XCTAssertTrue(md.contains("ROS"), md)
        }
    }
}
