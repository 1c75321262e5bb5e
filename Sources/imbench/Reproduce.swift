import ArgumentParser
import Foundation
import ImbalanceData
import ImbalanceKernels
import ImbalanceTraining

/// `imbench reproduce RECORD`: runs a record's job again from its config and seeds and says
/// whether the new record is identical to it (machine fields and timings aside).
struct Reproduce: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Re-run a record's job and check that it gives the same record, bit for bit.",
        discussion: """
        The job is run again from the record's config and seeds on data located as `train` \
        locates it (--data-dir, else $IMBENCH_DATA_DIR, else the standard places, else the \
        directory the record names). The verdict compares the records' canonical JSON \
        without timings and machine fields: identical, equal within --tolerance (the \
        largest difference and the fields), or different, with the likely cause when the \
        machine fields tell it (engine version, data digests, OpenBLAS for ZCA jobs, \
        compiler, C library).

        --iterations N runs only the first N iterations (the schedule of the full job) and \
        compares the learning-curve points the record holds up to N: a cheap check of a \
        long record. It needs a record with learning curves and N at or past the first point.

        Exit status: 0 identical, 3 equal within tolerance, 4 different, 1 on errors.
        """)

    @Argument(help: "The run record (JSON) to reproduce.") var record: String
    @Option(help: "Run only the first N iterations and compare the learning curve up to N.")
    var iterations: Int?
    @Option(help: "Directory holding the dataset files (as for train).") var dataDir: String?
    @Option(help: "Largest relative difference of a number that counts as equal within tolerance.")
    var tolerance: Double = 1e-6
    @Option(parsing: .unconditional, help: "Threads for the re-run (1 to the cores of this machine; default: the record's, at most the cores; results do not depend on it).",
            transform: OptionValue.cores)
    var threads: Int?
    @Option(help: "Write the new record (JSON) here.") var output: String?
    @Flag(help: "No progress line.") var quiet = false

    func validate() throws {
        if let n = iterations, n < 1 { throw ValidationError("--iterations must be at least 1, got \(n)") }
        guard tolerance >= 0, tolerance.isFinite else { throw ValidationError("--tolerance must be a non-negative number") }
    }

    func run() throws {
        let original = try RecordIO.read(record)
        let config = original.config
        try Experiment.validate(config)
        let curve = original.curveSettings ?? Self.inferredCurveSettings(original)
        var stopAfter: Int?
        if let n = iterations, n < config.iterations {
            let points = (original.curves["phase1"] ?? []).filter { $0.iteration <= n }
            guard curve.every > 0, !points.isEmpty else {
                let first = original.curves["phase1"]?.first.map { " (its first point is at iteration \($0.iteration))" } ?? ""
                throw ValidationError("--iterations \(n): \(record) holds no learning-curve point at or before iteration \(n)\(first); run without --iterations or with a larger N")
            }
            stopAfter = n
        }
        // The data as the job read it: the user's own data from the record's data spec (its
        // path as recorded), else the built-in dataset found as `train` finds it.
        let directory: String
        if let spec = config.data {
            if dataDir != nil {
                throw ValidationError("--data-dir applies to built-in datasets; \(record) reads its own data from \(spec.path) (its recorded dataset spec)")
            }
            directory = spec.path
        } else {
            guard let kind = DatasetKind(rawValue: config.dataset) else {
                throw ValidationError("\(record): unknown dataset '\(config.dataset)'")
            }
            guard CIFARLabel(recordedName: config.label) != nil else {
                throw ValidationError("\(record): unknown CIFAR label '\(config.label ?? "")'")
            }
            do {
                directory = try DataLocation.resolve(kind, explicitDirectory: dataDir).directory
            } catch where dataDir == nil && FileManager.default.fileExists(atPath: original.data.dataDirectory) {
                directory = original.data.dataDirectory
            }
        }
        Parallel.configure(threads: threads ?? min(max(config.threads, 1), ProcessInfo.processInfo.activeProcessorCount))
        let splits = try loadSplits(for: config, directory: directory)
        if !quiet {
            printError("reproducing \(original.id) (engine \(original.tool.version) record, this build \(ImbalanceBenchInfo.version))"
                       + (stopAfter.map { ", first \($0) iterations" } ?? ""))
        }
        let line = ProgressLine(enabled: !quiet)
        // The record's own test-set bootstrap (none for schema 1, which had none).
        let intervals = original.results.values.compactMap(\.bootstrap).first
        let bootstrap = MethodEvaluation.BootstrapSettings(resamples: intervals?.resamples ?? 0,
                                                           confidence: intervals?.confidence ?? 0.95,
                                                           seedKey: intervals?.seed ?? "bootstrap")
        let fresh = try Experiment.run(config, id: original.id, splits: splits,
                                       curveInterval: curve.every, curveTestLimit: curve.testLimit,
                                       bootstrap: bootstrap, stopAfter: stopAfter) { p in
            line.update(prefix: p.phase == "phase2" ? "[phase 2] " : "", p.training)
        }
        line.finish()
        if let output { try RecordIO.write(fresh, to: output) }
        // An older record is compared in its own schema (the fields it could hold).
        let again = fresh.asSchema(original.schemaVersion)

        var expected = original
        if let n = stopAfter {
            // Compare the prefix: the curve points up to n.
            expected.curves = ["phase1": (original.curves["phase1"] ?? []).filter { $0.iteration <= n }]
        }
        let comparison = try RecordComparison(
            expected: expected, actual: again, tolerance: tolerance,
            only: stopAfter == nil ? nil : ["curves"])
        let scope = stopAfter.map { "learning curve up to iteration \($0)" } ?? "record"
        switch comparison.verdict {
        case .identical:
            print("identical: the \(scope) of \(original.id) is reproduced bit for bit")
            return
        case .withinTolerance:
            print("equal within tolerance \(tolerance): \(comparison.differences.count) field(s) differ, the largest \(Self.describe(comparison.largest!))")
        case .different:
            print("different: \(comparison.differences.count) field(s) differ")
            for d in comparison.differences.prefix(8) { print("  \(Self.describe(d))") }
            if comparison.differences.count > 8 { print("  ... and \(comparison.differences.count - 8) more") }
        }
        let causes = Self.likelyCauses(original: original, again: again)
        if causes.isEmpty {
            print("likely cause: none found in the machine fields (same engine, data, libraries)")
        } else {
            for c in causes { print("likely cause: \(c)") }
        }
        throw ExitCode(comparison.verdict == .withinTolerance ? 3 : 4)
    }

    static func describe(_ d: RecordComparison.Difference) -> String {
        let rel = d.relative.map { String(format: " (relative %.3g)", $0) } ?? ""
        return "\(d.path): \(d.expected) in the record, \(d.actual) now\(rel)"
    }

    /// Records from before engine 0.5.0 do not store their curve settings: the period is
    /// the first point's iteration, the test images the default.
    static func inferredCurveSettings(_ r: RunRecord) -> CurveSettings {
        CurveSettings(every: r.curves["phase1"]?.first?.iteration ?? 0, testLimit: 2_000)
    }

    /// What differs between the machine fields of the two runs, most likely first.
    static func likelyCauses(original: RunRecord, again: RunRecord) -> [String] {
        var causes: [String] = []
        if original.tool.version != again.tool.version {
            causes.append("the engine version differs (record \(original.tool.version), this build \(again.tool.version)); every change of numerics bumps it, so records of another version are not expected to match")
        }
        guard let was = original.provenance, let now = again.provenance else {
            causes.append("the record has no machine fields (written before engine 0.5.0), so nothing more can be told")
            return causes
        }
        let old = Dictionary(was.dataFiles.map { (URL(fileURLWithPath: $0.path).lastPathComponent, $0) }, uniquingKeysWith: { a, _ in a })
        for f in now.dataFiles {
            let name = URL(fileURLWithPath: f.path).lastPathComponent
            if let o = old[name], o.sha256 != f.sha256 {
                causes.append("the data differ: \(name) has SHA-256 \(f.sha256.prefix(16))… here, \(o.sha256.prefix(16))… in the record")
            }
        }
        if was.dataFiles.map(\.sha256) != now.dataFiles.map(\.sha256) && causes.allSatisfy({ !$0.hasPrefix("the data") }) {
            causes.append("the data files read differ (\(was.dataFiles.count) in the record, \(now.dataFiles.count) here, or in another order)")
        }
        if was.usedOpenBLAS || now.usedOpenBLAS, was.openBLAS != now.openBLAS {
            func text(_ i: OpenBLASInfo?) -> String { i.map { "\($0.version) \($0.core)" } ?? "not loaded" }
            causes.append("this job's ZCA fit uses OpenBLAS, which differs (record \(text(was.openBLAS)), here \(text(now.openBLAS)))")
        }
        if was.swiftCompiler != now.swiftCompiler {
            causes.append("the Swift compiler differs (record \(was.swiftCompiler), here \(now.swiftCompiler)): code generation may differ")
        }
        if was.cLibrary != now.cLibrary {
            causes.append("the C library differs (record \(was.cLibrary), here \(now.cLibrary)): its exp and log may round differently")
        }
        if causes.isEmpty && was.cpu != now.cpu {
            causes.append("only the CPU differs (record \(was.cpu.model), \(was.cpu.isa); here \(now.cpu.model), \(now.cpu.isa)): by design this changes no bit, so please report it with both records")
        }
        return causes
    }
}
