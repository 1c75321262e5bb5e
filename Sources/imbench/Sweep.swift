import ArgumentParser
import Foundation
import ImbalanceData
import ImbalanceKernels
import ImbalanceSweep
import ImbalanceTraining

struct Sweep: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a grid of trainings from a YAML config; resumable, shardable, parallel.",
        discussion: """
        Each job's record is written atomically to OUT/records/ID.json when it finishes. \
        Rerunning the same command skips finished jobs, so an interrupted sweep resumes \
        where it stopped; two sweeps on one directory never run the same job at once (each \
        job is locked by the process that trains it).

        Parallelism: --jobs N runs N worker processes. Threads per worker default to 1 when \
        N >= the number of cores, else cores / N. One single-threaded process per core is the \
        measured best (scripts/sweep-throughput; README, Performance); threads never change \
        a record.
        """)

    @Argument(help: "Sweep config (YAML), e.g. configs/buda-mnist-quick.yaml.") var config: String
    @Option(help: "Results directory (records/, logs/, locks/, specs/).") var out: String
    @Option(help: "Directory holding the dataset files.") var dataDir: String?
    @Option(help: "Trainings to run at once (default: number of cores).") var jobs: Int?
    @Option(help: "Threads per training (default: see above).") var threads: Int?
    @Option(help: "Run only slice I of N (1-based), e.g. 2/8, for cluster job arrays.") var shard: String?
    @Flag(help: "List the jobs and exit without training.") var dryRun = false

    func run() throws {
        var cfg = try SweepConfig.load(path: config)
        try cfg.resolveData(path: config)
        var all = SweepPlan.jobs(for: cfg)
        if let shard {
            let s = try SweepPlan.parseShard(shard)
            all = SweepPlan.shard(all, index: s.index, count: s.count)
        }
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let parallel = max(1, jobs ?? cores)
        let perJob = threads ?? SweepRunner.threadsPerJob(jobs: parallel, cores: cores)
        let layout = SweepLayout(root: absolute(out))
        if dryRun {
            for job in all {
                print(RunID.make(job) + (layout.isFinished(RunID.make(job)) ? "  (finished)" : ""))
            }
            print("\(all.count) jobs")
            return
        }
        let directory: String, found: String, display: String
        if let spec = cfg.data {
            guard dataDir == nil else {
                throw ValidationError("--data-dir applies to built-in datasets; \(config) names its own data (dataset.path)")
            }
            (directory, found, display) = (spec.path, "\(spec.path) (\(spec.format))", cfg.dataset)
        } else {
            guard let kind = DatasetKind(rawValue: cfg.dataset) else { throw ValidationError("unknown dataset '\(cfg.dataset)'") }
            let location = try DataLocation.resolve(kind, explicitDirectory: dataDir)
            (directory, found, display) = (location.directory, location.description, kind.displayName)
        }
        // Fail early on bad files, and check the grid against the data's real classes.
        let splits = try loadSplits(for: all.first ?? SweepPlan.jobs(for: cfg)[0], directory: directory)
        if cfg.data != nil {
            let n = splits.trainImages.classCount
            let nMax = cfg.maxPerClass ?? splits.trainImages.classCounts().max() ?? 0
            for profile in cfg.profiles() {
                do { _ = try profile.classCounts(classes: n, nMax: nMax) } catch {
                    throw ValidationError("\(config): \(profile) does not fit \(cfg.dataset) (\(n) classes): \(error)")
                }
            }
        }
        try layout.create()
        // A convenience copy of the config, written atomically: on a full disk it may be
        // missing, never cut short (the spec write that follows reports the full disk).
        try? FileManager.default.removeItem(atPath: layout.root + "/sweep.yaml")
        if let text = FileManager.default.contents(atPath: config) {
            try? RecordIO.writeAtomically(text, to: layout.root + "/sweep.yaml")
        }
        printError("\(cfg.name): \(display) from \(found)")
        if let summary = splits.sources?.summary { printError(summary) }
        let runner = SweepRunner(
            layout: layout,
            options: .init(parallelJobs: parallel, threadsPerJob: perJob,
                           dataDirectory: directory, executable: selfExecutable(),
                           curveEvery: cfg.curveEvery, curveTestLimit: cfg.curveTestLimit,
                           bootstrapResamples: cfg.bootstrapResamples, saveScores: cfg.saveScores,
                           interactive: isatty(STDERR_FILENO) == 1),
            output: { printFlushed($0) })
        let summary = try runner.run(all)
        let finished = summary.finishedBefore + summary.finishedNow + summary.finishedElsewhere
        print("sweep \(cfg.name): \(finished)/\(summary.total) jobs finished "
              + "(\(summary.finishedNow) here, \(summary.finishedBefore) earlier, "
              + "\(summary.finishedElsewhere) by another process), \(summary.diverged) diverged, "
              + "\(summary.failed.count) failed; wall time \(formatSeconds(summary.seconds))")
        if !summary.failed.isEmpty { throw ExitCode(1) }
    }
}

/// Runs one job of a sweep; started by `imbench sweep`, one process per job.
struct RunJob: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run-job", abstract: "Run one sweep job (used by `imbench sweep`).",
        shouldDisplay: false)

    @Option var spec: String
    @Option var record: String
    @Option var lock: String
    @Option var dataDir: String
    @Option var threads: Int = 1
    @Option var curveEvery: Int = 0
    @Option var curveTestLimit: Int = 2_000
    @Option var bootstrapResamples: Int = 1_000
    @Flag var saveScores = false
    @Option var parentPid: Int32?

    func run() throws {
        Parallel.configure(threads: threads)
        let code = JobWorker.run(specPath: spec, recordPath: record, lockPath: lock,
                                 dataDirectory: dataDir, curveEvery: curveEvery,
                                 curveTestLimit: curveTestLimit, bootstrapResamples: bootstrapResamples,
                                 saveScores: saveScores, parentPID: parentPid) { line in
            printFlushed(line)
        }
        if code != 0 { throw ExitCode(code) }
    }
}

func absolute(_ path: String) -> String {
    path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
}

/// This executable's path, for starting workers (argv[0] may be relative or a bare name).
func selfExecutable() -> String {
    if let p = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return p }
    return absolute(CommandLine.arguments[0])
}
