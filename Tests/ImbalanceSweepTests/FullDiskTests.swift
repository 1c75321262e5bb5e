import Foundation
import XCTest
import ImbalanceTraining
@testable import ImbalanceSweep

/// Real `imbench sweep` processes on a results directory that runs out of space (issue 7:
/// "a full disk stops the sweep with a clear error and no corrupt files").
///
/// The full disk is a small tmpfs. Running as root does not help against a full disk as
/// it does against permissions, so the test needs a real file system of a chosen size. It
/// mounts one inside a private mount namespace (`unshare --mount`, plus `--user
/// --map-root-user` when not root), so no mount outlives the test and non-root machines
/// with user namespaces run it too; each scenario is a shell script run in that namespace,
/// which copies the results directory out for the checks. Where neither is allowed the
/// tests skip and say why.
final class FullDiskTests: XCTestCase {
    /// The same tiny grid as the other process tests, run one job at a time so the order
    /// in which files are written (and so the point where the disk fills) is fixed.
    static let yaml = """
        name: full-disk-test
        dataset: mnist
        repetitions: 2
        iterations: 40
        batchSize: 16
        maxPerClass: 100
        methods: [baseline, ROS]
        step: {rho: [10], mu: [0.5]}
        """

    /// Files and records of an uninterrupted run on a normal disk, shared by the tests.
    struct Reference {
        /// Job ids in the order a one-job-at-a-time sweep runs them.
        var ids: [String]
        /// Bytes of each file the sweep wrote, by path relative to the results directory.
        var sizes: [String: Int]
        /// Records with their timings zeroed, by id.
        var records: [String: Data]
    }
    nonisolated(unsafe) static var cachedReference: Reference?

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
    let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

    var work = ""

    override func setUpWithError() throws {
        guard FileManager.default.isExecutableFile(atPath: executable),
              FileManager.default.fileExists(atPath: mnist) else {
            throw XCTSkip("needs the imbench binary and ../shared/datasets/mnist")
        }
        work = NSTemporaryDirectory() + "imbench-full-disk-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        try Self.yaml.write(toFile: work + "/sweep.yaml", atomically: true, encoding: .utf8)
    }

    override func tearDown() {
        if !work.isEmpty { try? FileManager.default.removeItem(atPath: work) }
    }

    /// The disk is full before the first job: the sweep must stop at its first write (the
    /// copy of its config that claims the directory, sweep.yaml) with the path and the
    /// system's reason, write no record, and leave nothing that a rerun with space would
    /// trip on.
    func testSweepOnAFullDiskStopsAtTheFirstWrite() throws {
        let reference = try referenceRun()
        let disk = work + "/disk"
        let result = try sweepOnTmpfs(disk: disk, pages: 64, fillFirst: true)
        let failedSpec = "\(disk)/out/sweep.yaml"

        XCTAssertNotEqual(result.fullStatus, 0, "the sweep must fail on a full disk\n\(result.fullOutput)")
        XCTAssertTrue(result.fullOutput.contains(failedSpec), "no path in:\n\(result.fullOutput)")
        XCTAssertTrue(result.fullOutput.contains("No space left on device"), "no reason in:\n\(result.fullOutput)")
        XCTAssertEqual(try records(result.afterFull), [:], "no record can exist")
        XCTAssertEqual(strayFiles(result.afterFull), [], "temporary files left behind")
        // The sweep keeps a copy of its config beside the records; on a full disk it may be
        // missing, but never cut short.
        if let copy = FileManager.default.contents(atPath: result.afterFull + "/sweep.yaml") {
            XCTAssertEqual(String(decoding: copy, as: UTF8.self), Self.yaml, "a partial copy of the config was left")
        }

        XCTAssertEqual(result.rerunStatus, 0, "rerun with space:\n\(result.rerunOutput)")
        XCTAssertEqual(try records(result.afterRerun), reference.records, "the rerun completes the grid")
    }

    /// The sweep's own output goes to a file on the disk that is full (as with `imbench sweep
    /// ... > results/NAME/sweep.log`): the sweep must still end with an error that says what
    /// happened, not die of a signal with a backtrace, and leave no partial record.
    func testSweepWhoseOutputIsOnTheFullDiskEndsWithAnErrorNotACrash() throws {
        let reference = try referenceRun()
        let disk = work + "/disk"
        let result = try sweepOnTmpfs(disk: disk, pages: 64, fillFirst: true, logOnDisk: true)

        XCTAssertNotEqual(result.fullStatus, 0, "the sweep must fail on a full disk\n\(result.fullOutput)")
        XCTAssertLessThan(result.fullStatus, 128, "the sweep was killed by signal \(result.fullStatus - 128):\n\(result.fullOutput)")
        XCTAssertFalse(result.fullOutput.contains("Fatal error"), "the sweep crashed:\n\(result.fullOutput)")
        XCTAssertTrue(result.fullOutput.contains("No space left on device"), "no reason in:\n\(result.fullOutput)")
        XCTAssertTrue(result.fullOutput.contains(disk + "/"), "no path in:\n\(result.fullOutput)")
        XCTAssertEqual(try records(result.afterFull), [:], "no record can exist")
        XCTAssertEqual(strayFiles(result.afterFull), [], "temporary files left behind")

        XCTAssertEqual(result.rerunStatus, 0, "rerun with space:\n\(result.rerunOutput)")
        XCTAssertEqual(try records(result.afterRerun), reference.records, "the rerun completes the grid")
    }

    /// The disk fills while a job trains: two jobs finish, the third job's record does not
    /// fit. The sweep must stop (not fail every remaining job the same way) with an error
    /// that names the record and says the disk is full; the finished records must be whole
    /// and the partial one gone; a rerun with space must finish the grid with the same
    /// records as an uninterrupted run.
    func testDiskFillingDuringASweepStopsItWithoutCorruptRecords() throws {
        let reference = try referenceRun()
        let ids = reference.ids
        func pages(_ path: String) throws -> Int {
            let bytes = try XCTUnwrap(reference.sizes[path], "the reference run wrote no \(path)")
            return (bytes + pageSize - 1) / pageSize
        }
        // tmpfs charges whole pages to each file's data and nothing to directories: room
        // for the copied config, two whole jobs (spec, log, record), the third job's spec and
        // log, and one page more, which a record never fits in (asserted next). The spare
        // page also absorbs a file of the first two jobs ending a page later than in the
        // reference run (timings differ in length).
        var total = try pages("sweep.yaml")
        for id in ids.prefix(2) {
            total += try pages("specs/\(id).json") + pages("logs/\(id).log") + pages("records/\(id).json")
        }
        total += try pages("specs/\(ids[2]).json") + pages("logs/\(ids[2]).log") + 1
        XCTAssertGreaterThanOrEqual(try pages("records/\(ids[2]).json"), 2,
                                    "the third record fits in one page; the disk would not fill at its write")

        let disk = work + "/disk"
        let result = try sweepOnTmpfs(disk: disk, pages: total, fillFirst: false)
        let failedRecord = "\(disk)/out/records/\(ids[2]).json"

        XCTAssertNotEqual(result.fullStatus, 0, "the sweep must fail when the disk fills\n\(result.fullOutput)")
        XCTAssertTrue(result.fullOutput.contains("stopping the sweep"), "the sweep went on:\n\(result.fullOutput)")
        XCTAssertTrue(result.fullOutput.contains(failedRecord), "no path in:\n\(result.fullOutput)")
        XCTAssertTrue(result.fullOutput.contains("No space left on device"),
                      "the sweep's output does not say why the record could not be written:\n\(result.fullOutput)")
        let log = (try? String(contentsOfFile: "\(result.afterFull)/logs/\(ids[2]).log", encoding: .utf8)) ?? ""
        XCTAssertTrue(log.contains(failedRecord) && log.contains("No space left on device"),
                      "the job's log does not explain the failure:\n\(log)")

        let finished = try records(result.afterFull)
        XCTAssertEqual(Set(finished.keys), Set(ids.prefix(2)), "exactly the two jobs that fitted finished")
        for (id, data) in finished { XCTAssertEqual(data, reference.records[id], "record \(id) after the full disk") }
        XCTAssertEqual(strayFiles(result.afterFull), [], "a partial record or spec was left behind")
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(result.afterFull)/logs/\(ids[3]).log"),
                       "a job was started after the disk filled")

        XCTAssertEqual(result.rerunStatus, 0, "rerun with space:\n\(result.rerunOutput)")
        XCTAssertEqual(try records(result.afterRerun), reference.records, "the rerun completes the grid")
    }

    // MARK: - Helpers

    /// One uninterrupted run on a normal disk, done once for both tests: the order of the
    /// jobs, the size of every file, and the records to compare with.
    private func referenceRun() throws -> Reference {
        if let cached = Self.cachedReference { return cached }
        let out = work + "/reference"
        let dry = try run(["sweep", work + "/sweep.yaml", "--out", out, "--dry-run"])
        XCTAssertEqual(dry.status, 0, dry.output)
        let ids = dry.output.split(separator: "\n").map(String.init).filter { !$0.hasSuffix(" jobs") && !$0.isEmpty && !$0.hasPrefix("imbench: ") }
        XCTAssertEqual(ids.count, 4, dry.output)
        let sweep = try run(["sweep", work + "/sweep.yaml", "--out", out, "--data-dir", mnist, "--jobs", "1"])
        XCTAssertEqual(sweep.status, 0, sweep.output)
        var sizes: [String: Int] = [:]
        let base = URL(fileURLWithPath: out).standardizedFileURL.path
        let walker = FileManager.default.enumerator(atPath: base)
        while let relative = walker?.nextObject() as? String {
            let attributes = try FileManager.default.attributesOfItem(atPath: base + "/" + relative)
            if attributes[.type] as? FileAttributeType == .typeRegular {
                sizes[relative] = (attributes[.size] as? NSNumber)?.intValue ?? 0
            }
        }
        let reference = Reference(ids: ids, sizes: sizes, records: try records(out))
        XCTAssertEqual(reference.records.count, 4)
        Self.cachedReference = reference
        return reference
    }

    struct TmpfsResult {
        var fullStatus: Int32
        var fullOutput: String
        var rerunStatus: Int32
        var rerunOutput: String
        /// Copies of the results directory after each run.
        var afterFull: String
        var afterRerun: String
    }

    /// Mounts a tmpfs of `pages` pages at `disk` in a private mount namespace, optionally
    /// fills it, runs the sweep there, then frees space (removes the filler and grows the
    /// tmpfs) and runs it again. Skips the test when the namespace or the mount is refused.
    /// With `logOnDisk`, the first run's standard output goes to a file on the same disk, as
    /// in `imbench sweep ... > results/NAME/sweep.log`.
    private func sweepOnTmpfs(disk: String, pages: Int, fillFirst: Bool,
                              logOnDisk: Bool = false) throws -> TmpfsResult {
        try FileManager.default.createDirectory(atPath: disk, withIntermediateDirectories: true)
        let host = work + "/host"
        let script = """
            set -u
            mount -t tmpfs -o size=\(pages * pageSize),mode=0755 imbench-full-disk "$DISK" 2> "$HOST/mount.err" || exit 97
            if [ "$FILL" = 1 ]; then head -c 1073741824 /dev/zero > "$DISK/filler" 2> /dev/null; fi
            if [ "$LOG_ON_DISK" = 1 ]; then stdout="$DISK/sweep.log"; else stdout="$HOST/full.out"; fi
            "$IMBENCH" sweep "$CONFIG" --out "$DISK/out" --data-dir "$MNIST" --jobs 1 > "$stdout" 2> "$HOST/full.err"
            echo $? > "$HOST/full.status"
            mkdir -p "$HOST/after-full" && cp -a "$DISK/out/." "$HOST/after-full/"
            rm -f "$DISK/filler"
            mount -o remount,size=256m "$DISK" 2>> "$HOST/mount.err" || exit 98
            "$IMBENCH" sweep "$CONFIG" --out "$DISK/out" --data-dir "$MNIST" --jobs 1 > "$HOST/rerun.out" 2>&1
            echo $? > "$HOST/rerun.status"
            mkdir -p "$HOST/after-rerun" && cp -a "$DISK/out/." "$HOST/after-rerun/"
            """
        try FileManager.default.createDirectory(atPath: host, withIntermediateDirectories: true)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let namespace = getuid() == 0 ? ["--mount"] : ["--user", "--map-root-user", "--mount"]
        p.arguments = ["unshare"] + namespace + ["--propagation", "private", "bash", "-c", script]
        var env = ProcessInfo.processInfo.environment
        env["DISK"] = disk; env["HOST"] = host; env["FILL"] = fillFirst ? "1" : "0"
        env["LOG_ON_DISK"] = logOnDisk ? "1" : "0"
        env["IMBENCH"] = executable; env["CONFIG"] = work + "/sweep.yaml"; env["MNIST"] = mnist
        env["OPENBLAS_NUM_THREADS"] = "1"
        p.environment = env
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let unshareErr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        let mountErr = (try? String(contentsOfFile: host + "/mount.err", encoding: .utf8)) ?? ""
        switch p.terminationStatus {
        case 0: break
        case 97, 98:
            throw XCTSkip("cannot mount a tmpfs to fill (needs root or user namespaces): \(mountErr)")
        default:
            if !FileManager.default.fileExists(atPath: host + "/full.status") {
                throw XCTSkip("cannot make a private mount namespace with unshare (needs root or user namespaces; exit \(p.terminationStatus)): \(unshareErr)")
            }
            XCTFail("the scenario script failed (exit \(p.terminationStatus)): \(unshareErr)")
        }
        func read(_ name: String) -> String {
            (try? String(contentsOfFile: host + "/" + name, encoding: .utf8)) ?? ""
        }
        func status(_ name: String) -> Int32 {
            Int32(read(name).trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        }
        return TmpfsResult(fullStatus: status("full.status"), fullOutput: read("full.out") + read("full.err"),
                           rerunStatus: status("rerun.status"), rerunOutput: read("rerun.out"),
                           afterFull: host + "/after-full", afterRerun: host + "/after-rerun")
    }

    private func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["OPENBLAS_NUM_THREADS"] = "1"
        p.environment = env
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return (p.terminationStatus, text)
    }

    /// Every `.json` in `dir/records`, each of which must read back as a complete record
    /// named after its id, with timings zeroed for comparison.
    private func records(_ dir: String) throws -> [String: Data] {
        var out: [String: Data] = [:]
        let files = (try? FileManager.default.contentsOfDirectory(atPath: dir + "/records")) ?? []
        for f in files where f.hasSuffix(".json") && !f.hasPrefix(".") {
            var r = try RecordIO.read(dir + "/records/" + f)
            XCTAssertEqual(r.id + ".json", f)
            r.timings = Timings(wallSeconds: 0, trainSeconds: 0, imagesPerSecond: 0)
            out[r.id] = try RecordIO.encode(r)
        }
        return out
    }

    /// Temporary files of atomic writes (`.NAME.PID.tmp`) in the records and specs folders.
    private func strayFiles(_ dir: String) -> [String] {
        ["records", "specs"].flatMap { sub in
            ((try? FileManager.default.contentsOfDirectory(atPath: dir + "/" + sub)) ?? [])
                .filter { $0.hasPrefix(".") || $0.hasSuffix(".tmp") }.map { sub + "/" + $0 }
        }
    }
}
