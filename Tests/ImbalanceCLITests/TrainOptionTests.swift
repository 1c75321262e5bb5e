import Foundation
import XCTest
import ImbalanceRecords

/// `imbench train`: options that cannot apply are refused with exit status 2 and the
/// option's name; numbers are range-checked when parsed; --output is checked before
/// training; --rho with --mu means step imbalance.
final class TrainOptionTests: XCTestCase {
    /// Each case: arguments after `train`, and what the error must name.
    func testOptionsThatCannotApplyAreRefusedWithStatus2() throws {
        try CLI.requireBinary()
        let cases: [([String], [String])] = [
            (["--rho", "100"], ["--rho", "--profile linear", "--mu"]),
            (["--mu", "0.5"], ["--mu", "--rho"]),
            (["--profile", "balanced", "--rho", "10"], ["--rho", "--profile balanced"]),
            (["--profile", "balanced", "--mu", "0.5"], ["--mu", "--profile balanced"]),
            (["--profile", "step", "--rho", "10"], ["--profile step", "--mu"]),
            (["--profile", "step", "--mu", "0.5"], ["--profile step", "--rho"]),
            (["--profile", "linear", "--rho", "10", "--mu", "0.5"], ["--mu", "--profile linear"]),
            (["--profile", "linear"], ["--profile linear", "--rho"]),
            (["--two-phase"], ["--two-phase", "--sampler ROS or RUS"]),
            (["--rho", "10", "--mu", "0.5", "--sampler", "class-weighted", "--two-phase"], ["--two-phase", "class-weighted"]),
            (["--sampler-ratio", "10"], ["--sampler-ratio", "--sampler ROS or RUS"]),
            (["--minority", "lowest"], ["--minority", "balanced"]),
            (["--dataset", "mnist", "--cifar-label", "fine"], ["--cifar-label", "cifar100"]),
            // Ranges, checked when parsed.
            (["--iterations", "0"], ["--iterations", ">= 1"]),
            (["--batch", "-5"], ["--batch", ">= 1"]),
            (["--seed", "-1"], ["--seed", "0 to 18446744073709551615"]),
            (["--threads", "0"], ["--threads", "from 1 to"]),
            (["--threads", "1000"], ["--threads", "from 1 to"]),
            (["--rho", "0.5", "--mu", "0.5"], ["--rho", ">= 1"]),
            (["--rho", "10", "--mu", "1.5"], ["--mu", "<= 1"]),
            (["--learning-rate", "0"], ["--learning-rate", "> 0"]),
            (["--learning-rate", "nan"], ["--learning-rate", "> 0"]),
            (["--repetition", "-1"], ["--repetition", ">= 0"]),
            (["--max-per-class", "0"], ["--max-per-class", "all"]),
            (["--curve-every", "-3"], ["--curve-every", ">= 0"]),
            (["--iterations", "100", "--curve-every", "200"], ["--curve-every", "no point"]),
            (["--dataset", "mnits"], ["--dataset", "mnist"]),
            (["--sampler", "ros"], ["--sampler", "did you mean 'ROS'"]),
            (["--output", "/nonexistent-imbench-dir/run.json"], ["--output", "/nonexistent-imbench-dir", "does not exist"]),
            (["--output", NSTemporaryDirectory()], ["--output", "is a directory"]),
            // Own data's options.
            (["--size", "32"], ["--size", "applies to --data"]),
            (["--test-fraction", "0.2"], ["--test-fraction", "applies to --data"]),
            (["--data", "x.npz", "--dataset", "mnist"], ["--dataset", "--data", "not both"]),
            (["--data", "x.npz", "--allow-mismatch"], ["--allow-mismatch", "built-in"]),
            (["--data", "x.npz", "--channels", "2"], ["--channels", "1 or 3"]),
            (["--data", "x.npz", "--test-fraction", "1"], ["--test-fraction", "strictly between 0 and 1"]),
            (["--data", "x.npz", "--size", "0"], ["--size", "from 1 to 4096"]),
        ]
        for (args, words) in cases {
            let r = try CLI.run(["train"] + args)
            XCTAssertEqual(r.status, 2, "train \(args.joined(separator: " ")): \(r.output)")
            for w in words { XCTAssertTrue(r.stderr.contains(w), "train \(args.joined(separator: " ")): '\(w)' not in \(r.stderr)") }
            // Refused before anything was read or trained.
            XCTAssertFalse(r.output.contains("iter "), r.output)
            XCTAssertFalse(r.output.contains("from /"), "read data before refusing: \(r.output)")
        }
    }

    /// The same rule on the other commands.
    func testOtherCommandsRefuseOptionsThatCannotApply() throws {
        try CLI.requireBinary()
        var cases: [([String], [String])] = [
            (["data", "fetch", "mnist", "--unpack", "--to", NSTemporaryDirectory() + "imbench-never"], ["--unpack", "archives"]),
            (["data", "fetch", "mnist", "--retries", "-1"], ["--retries", ">= 0"]),
            (["bench", "--threads", "0"], ["--threads", "from 1 to"]),
            (["bench", "--repeats", "0"], ["--repeats", ">= 1"]),
            (["bench", "--output", "/nonexistent-imbench-dir/b.json"], ["--output", "does not exist"]),
            (["bench", "--model", "allcnn", "--winograd-5x5"], ["--winograd-5x5", "no convolution of allcnn"]),
            (["bench", "--winograd-everywhere"], ["--winograd-everywhere", "no convolution of lenet5"]),
            (["bench", "--no-winograd"], ["--no-winograd", "standard engine"]),
            (["bench", "--model", "resnet10", "--no-fused-pooling"], ["--no-fused-pooling", "resnet10"]),
            (["bench", "--winograd-tiles", "64"], ["--winograd-tiles", "lenet5"]),
            (["demo", "--jobs", "0"], ["--jobs", "from 1 to"]),
            (["demo", "--dataset", "cifar10"], ["--dataset", "fashion-mnist, mnist"]),
            (["report", "--out", "x.md"], ["<records-dirs>"]),
            (["status", "/tmp", "--only", "done"], ["--only", "unknown state 'done'"]),
        ]
        let cores = ProcessInfo.processInfo.activeProcessorCount
        if cores >= 2 {
            // Each value in range, but together more threads than cores.
            cases.append((["sweep", "configs/demo.yaml", "--out", "/tmp/x", "--jobs", "\(cores)", "--threads", "\(cores)"],
                          ["--jobs \(cores) with --threads \(cores)"]))
        }
        for (args, words) in cases {
            let r = try CLI.run(args, in: CLI.repoRoot)
            XCTAssertEqual(r.status, 2, "\(args.joined(separator: " ")): \(r.output)")
            for w in words { XCTAssertTrue(r.stderr.contains(w), "\(args): '\(w)' not in \(r.stderr)") }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: NSTemporaryDirectory() + "imbench-never"))
    }

    /// A full disk or a missing directory must not cost a whole training: the check comes
    /// first and is fast.
    func testOutputDirectoryIsCheckedBeforeTraining() throws {
        try CLI.requireBinaryAndMNIST()
        let start = Date()
        let r = try CLI.run(["train", "--dataset", "mnist", "--data-dir", CLI.mnist, "--iterations", "100000",
                             "--output", "/nonexistent-imbench-dir/run.json"])
        XCTAssertEqual(r.status, 2, r.output)
        XCTAssertLessThan(Date().timeIntervalSince(start), 20, "it trained before checking")
        XCTAssertFalse(r.output.contains(".tmp"), "names a temporary file: \(r.output)")
    }

    /// --rho and --mu without --profile: step imbalance, as recorded and as trained.
    func testRhoAndMuImplyStep() throws {
        try CLI.requireBinaryAndMNIST()
        let dir = try CLI.temporaryDirectory("train-step")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = dir + "/run.json"
        let r = try CLI.run(["train", "--dataset", "mnist", "--data-dir", CLI.mnist, "--iterations", "5", "--batch", "16",
                             "--max-per-class", "100", "--rho", "10", "--mu", "0.5", "--sampler", "ROS", "--quiet",
                             "--output", out])
        XCTAssertEqual(r.status, 0, r.output)
        let record = try RecordIO.read(out)
        XCTAssertEqual(record.config.profile, ProfileSpec(kind: "step", rho: 10, mu: 0.5))
        XCTAssertTrue(record.id.contains("step-rho10-mu0.5_ROS"), record.id)
        // Five minority classes of 10, five majority classes of 100, before ROS; all 100 after.
        XCTAssertEqual(record.data.trainCounts.sorted(), [10, 10, 10, 10, 10, 100, 100, 100, 100, 100])
        XCTAssertEqual(record.data.trainedCounts, Array(repeating: 100, count: 10))
        XCTAssertTrue(r.stdout.contains("profile step rho=10 mu=0.5"), r.stdout)
    }

    /// The rule is written in `train --help`.
    func testHelpStatesTheRule() throws {
        try CLI.requireBinary()
        let r = try CLI.run(["train", "--help"])
        XCTAssertEqual(r.status, 0)
        let text = r.stdout.replacingOccurrences(of: "\n", with: " ").split(separator: " ").joined(separator: " ")
        for phrase in ["Options that do not apply are refused (exit status 2)", "--rho with --mu means step",
                       "--sampler-ratio and --two-phase need --sampler ROS or RUS", "--allow-mismatch"] {
            XCTAssertTrue(text.contains(phrase), "'\(phrase)' not in train --help")
        }
    }
}
