import Foundation
import XCTest
import ImbalanceRecords

/// Runs the imbench binary of this build (next to the test bundle) as a process, as a user
/// would, and gives its exit status and output.
enum CLI {
    static var executable: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
        var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        while dir.path != "/" && !FileManager.default.fileExists(atPath: dir.path + "/imbench") {
            dir.deleteLastPathComponent()
        }
        return dir.path + "/imbench"
    }

    static var repoRoot: String {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }

    static var mnist: String { repoRoot + "/../shared/datasets/mnist" }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        var output: String { stdout + stderr }
    }

    /// Runs `program` (default: imbench) with `arguments`; `environment` is added to this
    /// process's.
    @discardableResult
    static func run(_ arguments: [String], in directory: String? = nil,
                    environment: [String: String] = [:], program: String? = nil) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: program ?? executable)
        p.arguments = arguments
        if let directory { p.currentDirectoryURL = URL(fileURLWithPath: directory) }
        var env = ProcessInfo.processInfo.environment
        env["OPENBLAS_NUM_THREADS"] = "1"
        for (k, v) in environment { env[k] = v }
        p.environment = env
        // Output to files, not pipes: nothing can fill up and block the process.
        let base = NSTemporaryDirectory() + "imbench-cli-out-\(getpid())-\(UUID().uuidString.prefix(8))"
        FileManager.default.createFile(atPath: base + ".out", contents: nil)
        FileManager.default.createFile(atPath: base + ".err", contents: nil)
        defer {
            try? FileManager.default.removeItem(atPath: base + ".out")
            try? FileManager.default.removeItem(atPath: base + ".err")
        }
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: base + ".out"))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: base + ".err"))
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        try out.close(); try err.close()
        return Result(status: p.terminationStatus,
                      stdout: (try? String(contentsOfFile: base + ".out", encoding: .utf8)) ?? "",
                      stderr: (try? String(contentsOfFile: base + ".err", encoding: .utf8)) ?? "")
    }

    /// Skips unless the binary and the MNIST files are there.
    static func requireBinaryAndMNIST() throws {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw XCTSkip("needs the imbench binary next to the test bundle")
        }
        guard FileManager.default.fileExists(atPath: mnist) else { throw XCTSkip("needs ../shared/datasets/mnist") }
    }

    static func requireBinary() throws {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw XCTSkip("needs the imbench binary next to the test bundle")
        }
    }

    /// A fresh temporary directory, removed by the returned closure.
    static func temporaryDirectory(_ name: String) throws -> String {
        let dir = NSTemporaryDirectory() + "imbench-cli-\(name)-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// A tiny sweep (2 jobs of 30 iterations on 100 images per class).
    static func tinyConfig(name: String = "tiny", iterations: Int = 30, methods: String = "[baseline, ROS]") -> String {
        """
        name: \(name)
        dataset: mnist
        repetitions: 1
        iterations: \(iterations)
        batchSize: 16
        maxPerClass: 100
        methods: \(methods)
        step: {rho: [10], mu: [0.5]}
        """
    }

    /// The first `limit` MNIST training and test images as the user's own data (`imbench data
    /// export`, format folder or npz) at `path`; fails the test when the export fails.
    static func exportMNIST(format: String, to path: String, limit: Int,
                            file: StaticString = #filePath, line: UInt = #line) throws {
        let export = try run(["data", "export", "mnist", "--data-dir", mnist, "--format", format,
                              "--out", path, "--limit", String(limit)])
        XCTAssertEqual(export.status, 0, export.output, file: file, line: line)
    }

    static func write(_ text: String, to path: String) throws {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    static func recordFiles(_ dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.sorted()
    }
}

/// A test case with a fresh temporary directory per test (`dir`), removed afterwards, that
/// skips when `requirements()` are not met.
class CLITestCase: XCTestCase {
    var dir = ""

    func requirements() throws { try CLI.requireBinary() }

    override func setUpWithError() throws {
        try requirements()
        dir = try CLI.temporaryDirectory(String(describing: type(of: self)))
    }

    override func tearDown() {
        if !dir.isEmpty { try? FileManager.default.removeItem(atPath: dir) }
    }
}
