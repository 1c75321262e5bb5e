import XCTest
import ImbalanceTraining
@testable import ImbalanceSweep

/// Real sweep processes: killed, resumed and run side by side on one directory.
final class SweepProcessTests: XCTestCase {
    var executable: String {
        // The imbench binary sits next to the test bundle in the build products directory.
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
        var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        while dir.path != "/" && !FileManager.default.fileExists(atPath: dir.path + "/imbench") {
            dir.deleteLastPathComponent()
        }
        return dir.path + "/imbench"
    }

    var mnist: String { SweepConfigTests.repoRoot + "/../shared/datasets/mnist" }

    func makeConfig(_ dir: String) throws -> String {
        let yaml = """
        name: kill-test
        dataset: mnist
        repetitions: 2
        iterations: 40
        batchSize: 16
        maxPerClass: 100
        methods: [baseline, ROS, RUS]
        step: {rho: [10], mu: [0.5]}
        """
        let path = dir + "/sweep.yaml"
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func runSweep(_ config: String, out: String, killAfter: Double? = nil) throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = ["sweep", config, "--out", out, "--data-dir", mnist, "--jobs", "2"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        if let killAfter {
            usleep(UInt32(killAfter * 1e6))
            kill(p.processIdentifier, SIGKILL)
        }
        p.waitUntilExit()
        return p.terminationStatus
    }

    func records(_ dir: String) throws -> [String: Data] {
        var out: [String: Data] = [:]
        let files = (try? FileManager.default.contentsOfDirectory(atPath: dir + "/records")) ?? []
        for f in files where f.hasSuffix(".json") {
            var r = try RecordIO.read(dir + "/records/" + f)
            XCTAssertEqual(r.id + ".json", f)
            r.timings = Timings(wallSeconds: 0, trainSeconds: 0, imagesPerSecond: 0)
            out[r.id] = try RecordIO.encode(r)
        }
        return out
    }

    func testKilledSweepResumesToIdenticalRecords() throws {
        guard FileManager.default.isExecutableFile(atPath: executable),
              FileManager.default.fileExists(atPath: mnist) else {
            throw XCTSkip("needs the imbench binary and ../shared/datasets/mnist")
        }
        let tmp = NSTemporaryDirectory() + "imbench-kill-\(getpid())"
        try? FileManager.default.removeItem(atPath: tmp)
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let config = try makeConfig(tmp)

        let t0 = Date()
        XCTAssertEqual(try runSweep(config, out: tmp + "/reference"), 0)
        let referenceSeconds = Date().timeIntervalSince(t0)
        let reference = try records(tmp + "/reference")
        XCTAssertEqual(reference.count, 6)

        var seed: UInt64 = 42
        for trial in 0..<10 {
            let out = tmp + "/killed-\(trial)"
            // Kill at a pseudo-random moment within the first seconds, then resume.
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            let delay = 0.2 + Double(seed >> 40) / Double(1 << 24) * referenceSeconds
            _ = try runSweep(config, out: out, killAfter: delay)
            let partial = try records(out)
            for (id, data) in partial { XCTAssertEqual(data, reference[id], "record \(id) after kill") }
            // (A kill before the sweep created its directories leaves none.)
            let leftovers = ((try? FileManager.default.contentsOfDirectory(atPath: out + "/records")) ?? [])
                .filter { !$0.hasSuffix(".json") || $0.hasPrefix(".") }
            // A temporary file can be left only by a kill during the write; it is never read.
            XCTAssertTrue(leftovers.allSatisfy { $0.hasSuffix(".tmp") }, "\(leftovers)")
            XCTAssertEqual(try runSweep(config, out: out), 0)
            XCTAssertEqual(try records(out), reference, "trial \(trial): resumed records equal the uninterrupted run")
        }
    }

    /// `saveScores: true`: every finished record gets its ID.scores sidecar (written before
    /// the record), from which its metrics, intervals included, are recomputed exactly.
    func testSaveScoresWritesASidecarPerRecord() throws {
        guard FileManager.default.isExecutableFile(atPath: executable),
              FileManager.default.fileExists(atPath: mnist) else {
            throw XCTSkip("needs the imbench binary and ../shared/datasets/mnist")
        }
        let tmp = NSTemporaryDirectory() + "imbench-scores-\(getpid())"
        try? FileManager.default.removeItem(atPath: tmp)
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let yaml = """
        name: scores-test
        dataset: mnist
        repetitions: 1
        iterations: 20
        batchSize: 16
        maxPerClass: 100
        bootstrapResamples: 50
        saveScores: true
        methods: [baseline, thresholding, ROS, two-phase-ROS]
        step: {rho: [10], mu: [0.5]}
        """
        let config = tmp + "/sweep.yaml"
        try yaml.write(toFile: config, atomically: true, encoding: .utf8)
        XCTAssertEqual(try runSweep(config, out: tmp + "/out"), 0)
        let files = try FileManager.default.contentsOfDirectory(atPath: tmp + "/out/records").sorted()
        let records = files.filter { $0.hasSuffix(".json") }
        XCTAssertEqual(records.count, 2)
        for f in records {
            let record = try RecordIO.read(tmp + "/out/records/" + f)
            let scores = try ScoreFile.read(ScoreFile.path(forRecord: tmp + "/out/records/" + f))
            XCTAssertEqual(scores.recordID, record.id)
            XCTAssertEqual(record.results.values.first?.bootstrap?.resamples, 50)
            XCTAssertEqual(try MethodEvaluation.recompute(record: record, scores: scores), record.results, f)
        }
    }

    func testResultsPathThatIsAFileStopsWithAClearError() throws {
        guard FileManager.default.isExecutableFile(atPath: executable),
              FileManager.default.fileExists(atPath: mnist) else {
            throw XCTSkip("needs the imbench binary and ../shared/datasets/mnist")
        }
        let tmp = NSTemporaryDirectory() + "imbench-file-\(getpid())"
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let config = try makeConfig(tmp)
        let blocker = tmp + "/not-a-directory"
        try "x".write(toFile: blocker, atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = ["sweep", config, "--out", blocker, "--data-dir", mnist]
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertNotEqual(p.terminationStatus, 0)
        XCTAssertTrue(text.contains(blocker), text)
        XCTAssertEqual(try String(contentsOfFile: blocker, encoding: .utf8), "x", "nothing overwritten")
    }

    func testTwoSweepsOnOneDirectoryNeverRunAJobTwice() throws {
        guard FileManager.default.isExecutableFile(atPath: executable),
              FileManager.default.fileExists(atPath: mnist) else {
            throw XCTSkip("needs the imbench binary and ../shared/datasets/mnist")
        }
        let tmp = NSTemporaryDirectory() + "imbench-two-\(getpid())"
        try? FileManager.default.removeItem(atPath: tmp)
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let config = try makeConfig(tmp)
        let out = tmp + "/shared"
        let a = Process(), b = Process()
        for p in [a, b] {
            p.executableURL = URL(fileURLWithPath: executable)
            p.arguments = ["sweep", config, "--out", out, "--data-dir", mnist, "--jobs", "1"]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
        }
        try a.run(); try b.run()
        a.waitUntilExit(); b.waitUntilExit()
        // Each waits for the jobs the other holds, so both end with the whole grid.
        XCTAssertEqual(a.terminationStatus, 0)
        XCTAssertEqual(b.terminationStatus, 0)
        // Each worker logs "finished" once when it trains a job; a second trainer of the
        // same job would log it twice (the log is appended to by whichever runs it).
        let logs = try FileManager.default.contentsOfDirectory(atPath: out + "/logs")
        XCTAssertEqual(logs.count, 6)
        var trained = 0
        for f in logs {
            let text = try String(contentsOfFile: out + "/logs/" + f, encoding: .utf8)
            let n = text.components(separatedBy: "finished: ").count - 1
            XCTAssertLessThanOrEqual(n, 1, "\(f) was trained \(n) times")
            trained += n
        }
        XCTAssertEqual(trained, 6)
        XCTAssertEqual(try records(out).count, 6)
    }
}
