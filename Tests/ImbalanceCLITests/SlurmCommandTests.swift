import Foundation
import XCTest

/// `imbench slurm`: names cannot lead outside DIR/slurm/, and the cost model times each
/// config's own model, input and batch.
final class SlurmCommandTests: CLITestCase {
    override func requirements() throws { try CLI.requireBinaryAndMNIST() }

    func testConfigNamesCannotWriteOutsideTheSlurmDirectory() throws {
        for name in ["../../escaped", "/tmp/abs", "a/b", "..", "new\nline", "'quote'"] {
            let results = dir + "/results"
            try? FileManager.default.removeItem(atPath: dir)
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let yaml = CLI.tinyConfig().replacingOccurrences(of: "name: tiny", with: "name: \"\(name.replacingOccurrences(of: "\n", with: "\\n"))\"")
            try CLI.write(yaml, to: dir + "/c.yaml")
            let r = try CLI.run(["slurm", dir + "/c.yaml", "--results", results, "--data-dir", CLI.mnist])
            XCTAssertEqual(r.status, 0, "\(name): \(r.output)")
            // Everything written is under results/slurm/, each file directly in it.
            var written: [String] = []
            let walker = FileManager.default.enumerator(atPath: dir)
            while let rel = walker?.nextObject() as? String { written.append(rel) }
            let files = written.filter { !["c.yaml", "results", "results/slurm", "results/slurm/logs", "results/records",
                                           "results/logs", "results/locks", "results/specs"].contains($0) }
            XCTAssertEqual(files.count, 4, "\(name): \(written)")
            for f in files {
                XCTAssertTrue(f.hasPrefix("results/slurm/") && !f.dropFirst("results/slurm/".count).contains("/"),
                              "\(name): wrote \(f)")
            }
            let array = try XCTUnwrap(files.first { $0.hasSuffix(".sbatch") && !$0.hasSuffix("-report.sbatch") })
            let text = try String(contentsOfFile: dir + "/" + array, encoding: .utf8)
            // The name reaches the script only as plain characters: no line of it is code.
            for line in text.split(separator: "\n") where line.contains("sweep '") {
                XCTAssertTrue(line.hasPrefix("#"), "\(name): \(line)")
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: "/tmp/abs.sbatch"))
        }
    }

    func testModeOptionsAreRefusedInTheOtherMode() throws {
        try CLI.write(CLI.tinyConfig(), to: dir + "/c.yaml")
        let cases: [([String], String)] = [
            (["--cost-model", dir + "/c.yaml", "--results", dir], "--results"),
            (["--cost-model", dir + "/c.yaml", "--time", "01:00:00"], "--time"),
            ([dir + "/c.yaml", "--results", dir, "--nodes", "1,2"], "--nodes"),
            ([dir + "/c.yaml", "--results", dir, "--overhead-seconds", "3"], "--overhead-seconds"),
            ([dir + "/c.yaml", "--results", dir, "--phase2-fraction", "0.3"], "--phase2-fraction"),
        ]
        for (args, option) in cases {
            let r = try CLI.run(["slurm"] + args)
            XCTAssertEqual(r.status, 2, "\(args): \(r.output)")
            XCTAssertTrue(r.stderr.contains(option), r.stderr)
        }
    }

    /// One given time cannot fit two workloads; measured, each config's own is timed.
    func testTheCostModelTimesEachConfigsOwnWorkload() throws {
        try CLI.write(CLI.tinyConfig(), to: dir + "/lenet.yaml")
        let cifar = CLI.repoRoot + "/configs/buda-cifar10-cpu-core.yaml"
        let refused = try CLI.run(["slurm", "--cost-model", dir + "/lenet.yaml", cifar, "--seconds-per-10k", "300"])
        XCTAssertEqual(refused.status, 2, refused.output)
        XCTAssertTrue(refused.stderr.contains("lenet5 on 1x28x28") && refused.stderr.contains("allcnn on 3x32x32"), refused.stderr)

        // Measuring All-CNN takes minutes: check that the measurement started is the
        // config's own (model, dataset, batch), then stop it.
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLI.executable)
        p.arguments = ["slurm", "--cost-model", cifar]
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        var text = ""
        let deadline = Date().addingTimeInterval(60)
        while !text.contains("measuring:") && Date() < deadline && p.isRunning {
            text += String(decoding: err.fileHandleForReading.availableData, as: UTF8.self)
        }
        p.terminate()
        p.waitUntilExit()
        XCTAssertTrue(text.contains("measuring: imbench bench --model allcnn --dataset cifar10 --batch 64 --threads 1"), text)

        // LeNet-5 configs are quick to measure: the table says which workload it timed.
        let lenet = try CLI.run(["slurm", "--cost-model", dir + "/lenet.yaml", "--phase2-fraction", "0.3"])
        XCTAssertEqual(lenet.status, 0, lenet.output)
        XCTAssertTrue(lenet.stdout.contains("lenet5 on 1x28x28 images, 10 classes, batch 16"), lenet.stdout)
        XCTAssertTrue(lenet.stderr.contains("imbench bench --model lenet5 --dataset mnist --batch 16 --threads 1"), lenet.stderr)
    }
}
