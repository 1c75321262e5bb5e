import Foundation
import XCTest
import ImbalanceRecords
import ImbalanceTraining
@testable import ImbalanceSweep

/// `imbench sweep` and its results directory: empty grids, one config per directory,
/// records of other engines and damaged records, and `imbench status`.
final class SweepDirectoryTests: CLITestCase {
    override func requirements() throws { try CLI.requireBinaryAndMNIST() }

    func sweep(_ config: String, _ out: String, _ extra: [String] = []) throws -> CLI.Result {
        try CLI.run(["sweep", config, "--out", out, "--data-dir", CLI.mnist, "--jobs", "1"] + extra)
    }

    func testEmptyMethodListsAndGridsAreErrors() throws {
        let cases = [
            ("methods: []", CLI.tinyConfig(methods: "[]"), "'methods' is empty"),
            ("step.rho: []", CLI.tinyConfig().replacingOccurrences(of: "rho: [10]", with: "rho: []"), "'step.rho' is empty"),
            ("no grid", CLI.tinyConfig().replacingOccurrences(of: "step: {rho: [10], mu: [0.5]}", with: ""), "the grid is empty"),
            ("partial.samplers: []", CLI.tinyConfig() + "\npartial: {rho: [10], mu: [0.5], samplers: [], ratios: [2]}",
             "'partial.samplers' is empty"),
        ]
        for (label, yaml, message) in cases {
            let path = dir + "/bad.yaml"
            try CLI.write(yaml, to: path)
            let r = try sweep(path, dir + "/out-bad")
            XCTAssertEqual(r.status, 1, "\(label): \(r.output)")
            XCTAssertTrue(r.stderr.contains(message), "\(label): '\(message)' not in \(r.stderr)")
            XCTAssertFalse(r.output.contains("0 jobs"), label)
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/out-bad"), "\(label): created the results directory")
        }
        for args in [["--jobs", "0"], ["--threads", "0"], ["--jobs", "100000"]] {
            try CLI.write(CLI.tinyConfig(), to: dir + "/ok.yaml")
            let r = try CLI.run(["sweep", dir + "/ok.yaml", "--out", dir + "/out-ok"] + args)
            XCTAssertEqual(r.status, 2, "\(args): \(r.output)")
            XCTAssertTrue(r.stderr.contains(args[0]), r.stderr)
        }
    }

    /// One directory, one config: another config is refused, and --force keeps the two
    /// configs' records apart, losing none.
    func testADirectoryHoldingAnotherConfigIsRefusedUnlessForced() throws {
        let a = dir + "/a.yaml", b = dir + "/b.yaml", out = dir + "/out"
        try CLI.write(CLI.tinyConfig(name: "first"), to: a)
        // The second config shares the baseline job and adds RUS: one job in common.
        try CLI.write(CLI.tinyConfig(name: "first", methods: "[baseline, RUS]"), to: b)
        XCTAssertEqual(try sweep(a, out).status, 0)
        let firstRecords = CLI.recordFiles(out + "/records")
        XCTAssertEqual(firstRecords.count, 2)
        let yamlBefore = try String(contentsOfFile: out + "/sweep.yaml", encoding: .utf8)

        let refused = try sweep(b, out)
        XCTAssertEqual(refused.status, 1, refused.output)
        for word in ["another config", "methods", "--force"] { XCTAssertTrue(refused.stderr.contains(word), refused.stderr) }
        XCTAssertEqual(try String(contentsOfFile: out + "/sweep.yaml", encoding: .utf8), yamlBefore, "sweep.yaml overwritten")
        XCTAssertEqual(CLI.recordFiles(out + "/records"), firstRecords, "records changed by a refused sweep")

        // Comments and layout do not make a config different.
        try CLI.write("# the same config, other words\n" + CLI.tinyConfig(name: "first"), to: dir + "/a2.yaml")
        let same = try sweep(dir + "/a2.yaml", out)
        XCTAssertEqual(same.status, 0, same.output)
        XCTAssertTrue(same.stdout.contains("2 already finished"), same.stdout)

        let forced = try sweep(b, out, ["--force"])
        XCTAssertEqual(forced.status, 0, forced.output)
        let archive = out + "/set-aside/config-first-1"
        XCTAssertEqual(CLI.recordFiles(archive + "/records"), firstRecords, "the first config's records, complete")
        XCTAssertEqual(try String(contentsOfFile: archive + "/sweep.yaml", encoding: .utf8), yamlBefore)
        let second = CLI.recordFiles(out + "/records")
        XCTAssertEqual(second.count, 2)
        XCTAssertEqual(Set(second).intersection(firstRecords).count, 1, "the shared baseline job is kept, not retrained")
        XCTAssertTrue(forced.stdout.contains("1 already finished"), forced.stdout)
        XCTAssertTrue(second.contains { $0.contains("_RUS_") })
        XCTAssertFalse(second.contains { $0.contains("_ROS_") }, "a record of the first config is still mixed in")
        XCTAssertEqual(try String(contentsOfFile: out + "/sweep.yaml", encoding: .utf8),
                       try String(contentsOfFile: b, encoding: .utf8))
    }

    /// A record of another engine version is not this engine's job: reported, moved aside
    /// and retrained; or, with --keep-other-engines, counted as finished.
    func testRecordsOfAnotherEngineAreReportedAndRetrainedOrKept() throws {
        let config = dir + "/c.yaml", out = dir + "/out"
        try CLI.write(CLI.tinyConfig(methods: "[baseline]"), to: config)
        XCTAssertEqual(try sweep(config, out).status, 0)
        let name = try XCTUnwrap(CLI.recordFiles(out + "/records").first)
        // Make it a record of engine 0.0.1: its version, and the id that engine gives it.
        var record = try RecordIO.read(out + "/records/" + name)
        record.tool.version = "0.0.1"
        record.id = RunID.make(record.config, engine: "0.0.1")
        XCTAssertNotEqual(record.id + ".json", name, "the engine version is part of the id")
        try FileManager.default.removeItem(atPath: out + "/records/" + name)
        try RecordIO.write(record, to: out + "/records/\(record.id).json")

        let status = try CLI.run(["status", out])
        XCTAssertEqual(status.status, 1)
        XCTAssertTrue(status.stdout.contains("other-engine"), status.stdout)

        let dry = try CLI.run(["sweep", config, "--out", out, "--dry-run"])
        XCTAssertTrue(dry.stdout.contains("a record of engine 0.0.1: would be moved aside and retrained"), dry.stdout)

        let kept = try sweep(config, out, ["--keep-other-engines"])
        XCTAssertEqual(kept.status, 0, kept.output)
        XCTAssertTrue(kept.stdout.contains("kept 1 record(s) written by engine 0.0.1"), kept.stdout)
        XCTAssertTrue(kept.stdout.contains("1 already finished, 0 to run"), kept.stdout)
        XCTAssertEqual(CLI.recordFiles(out + "/records"), [record.id + ".json"])

        let retrained = try sweep(config, out)
        XCTAssertEqual(retrained.status, 0, retrained.output)
        XCTAssertTrue(retrained.stdout.contains("1 record(s) were written by engine 0.0.1"), retrained.stdout)
        XCTAssertTrue(retrained.stdout.contains("0 already finished, 1 to run"), retrained.stdout)
        XCTAssertEqual(CLI.recordFiles(out + "/records"), [name], "retrained under this engine's id")
        XCTAssertEqual(CLI.recordFiles(out + "/set-aside/engine-0.0.1"), [record.id + ".json"], "moved, not deleted")
        XCTAssertEqual(try RecordIO.read(out + "/records/" + name).tool.version, ImbalanceBenchInfo.version)
    }

    /// A damaged record is reported, moved aside (never deleted) and its job retrained.
    func testACorruptRecordIsReportedMovedAsideAndRetrained() throws {
        let config = dir + "/c.yaml", out = dir + "/out"
        try CLI.write(CLI.tinyConfig(), to: config)
        XCTAssertEqual(try sweep(config, out).status, 0)
        let names = CLI.recordFiles(out + "/records")
        let victim = out + "/records/" + names[0]
        let good = try Data(contentsOf: URL(fileURLWithPath: victim))
        try good.prefix(good.count / 2).write(to: URL(fileURLWithPath: victim))

        XCTAssertTrue(try CLI.run(["status", out]).stdout.contains("corrupt"))
        let r = try sweep(config, out)
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertTrue(r.stdout.contains("[corrupt] records/\(names[0])"), r.stdout)
        XCTAssertTrue(r.stdout.contains("moved to set-aside/corrupt/\(names[0])"), r.stdout)
        XCTAssertTrue(r.stdout.contains("1 already finished, 1 to run"), r.stdout)
        let moved = try Data(contentsOf: URL(fileURLWithPath: out + "/set-aside/corrupt/" + names[0]))
        XCTAssertEqual(moved, good.prefix(good.count / 2), "the damaged file is kept as it was")
        let retrained = try RecordIO.read(victim), original = try RecordIO.decoder().decode(RunRecord.self, from: good)
        XCTAssertEqual(retrained.withoutMachineFields, original.withoutMachineFields, "retrained to the same record")
    }

    /// `imbench status`: finished, running (lock held by a live process), failed, missing.
    func testStatusListsEveryJobsState() throws {
        let config = dir + "/c.yaml", out = dir + "/out"
        try CLI.write(CLI.tinyConfig(methods: "[baseline, ROS, RUS]"), to: config)
        XCTAssertEqual(try sweep(config, out).status, 0)
        let all = try CLI.run(["status", out])
        XCTAssertEqual(all.status, 0, all.output)
        XCTAssertTrue(all.stdout.contains("3 jobs: 3 finished"), all.stdout)

        let ids = CLI.recordFiles(out + "/records").map { String($0.dropLast(5)) }
        // Job 0: running. This process holds its lock, as a worker would.
        let fd = open(out + "/locks/\(ids[0]).lock", O_RDWR | O_CREAT, 0o644)
        XCTAssertEqual(flock(fd, LOCK_EX | LOCK_NB), 0)
        defer { close(fd) }
        try FileManager.default.removeItem(atPath: out + "/records/\(ids[0]).json")
        // Job 1: failed, with the worker's error in its log.
        try FileManager.default.removeItem(atPath: out + "/records/\(ids[1]).json")
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: out + "/logs/\(ids[1]).log"))
        handle.seekToEndOfFile()
        handle.write(Data("error: something broke\n".utf8))
        try handle.close()
        // Job 2: missing (no record, no log).
        try FileManager.default.removeItem(atPath: out + "/records/\(ids[2]).json")
        try FileManager.default.removeItem(atPath: out + "/logs/\(ids[2]).log")

        let r = try CLI.run(["status", out])
        XCTAssertEqual(r.status, 1, "not every job is finished")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.contains { $0.hasPrefix("running") && $0.contains(ids[0]) }, r.stdout)
        XCTAssertTrue(lines.contains { $0.hasPrefix("failed") && $0.contains(ids[1]) && $0.contains("something broke") }, r.stdout)
        XCTAssertTrue(lines.contains { $0.hasPrefix("missing") && $0.contains(ids[2]) }, r.stdout)
        XCTAssertTrue(r.stdout.contains("3 jobs: 1 running, 1 failed, 1 missing"), r.stdout)
        // Status only looks: the held lock is still ours.
        XCTAssertNotEqual(flock(open(out + "/locks/\(ids[0]).lock", O_RDONLY), LOCK_EX | LOCK_NB), 0)

        let notASweep = try CLI.run(["status", dir])
        XCTAssertEqual(notASweep.status, 2)
        XCTAssertTrue(notASweep.stderr.contains("sweep.yaml"), notASweep.stderr)
    }
}
