import ArgumentParser
import Foundation
import ImbalanceData
import ImbalanceFetch
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
        job is locked by the process that trains it). `imbench status OUT` shows each job's \
        state.

        One directory holds one config: OUT/sweep.yaml records it, and a different config \
        is refused unless --force, which moves the old config's records to \
        OUT/set-aside/config-NAME-N/. A job's id includes the engine version: records of \
        another version are moved to OUT/set-aside/engine-VERSION/ and their jobs \
        retrained, unless --keep-other-engines counts them as finished. A damaged record is \
        moved to OUT/set-aside/corrupt/ and its job retrained. Nothing is deleted.

        Parallelism: --jobs N runs N worker processes. Threads per worker default to 1 when \
        N >= the number of cores, else cores / N. One single-threaded process per core is the \
        measured best (scripts/sweep-throughput; docs/performance.md); threads never change \
        a record. --dry-run lists the jobs and their state and trains nothing.

        Every key a config may hold: `imbench config keys`; a minimal config that runs \
        ends this help.
        """)

    @Argument(help: "Sweep config (YAML), e.g. configs/buda-mnist-quick.yaml.") var config: String
    @Option(help: "Results directory (records/, logs/, locks/, specs/, sweep.yaml).") var out: String
    @Option(help: "Directory holding the dataset files.") var dataDir: String?
    @Option(parsing: .unconditional, help: "Trainings to run at once (1 to the cores; default: the number of cores).",
            transform: OptionValue.cores)
    var jobs: Int?
    @Option(parsing: .unconditional, help: "Threads per training (1 to the cores; default: see above).",
            transform: OptionValue.cores)
    var threads: Int?
    @Option(help: "Run only slice I of N (1-based), e.g. 2/8, for cluster job arrays.") var shard: String?
    @Flag(help: "List the jobs and their state, and exit without training.") var dryRun = false
    @Flag(help: "Use OUT even though it holds another config's records (they are moved to OUT/set-aside/).")
    var force = false
    @Flag(help: "Count records written by another engine version as finished instead of retraining their jobs.")
    var keepOtherEngines = false
    @Flag(help: "Train even if the data files are another dataset's official files (the records say so).")
    var allowMismatch = false

    var parallel: Int { jobs ?? ProcessInfo.processInfo.activeProcessorCount }
    var perJob: Int {
        threads ?? SweepRunner.threadsPerJob(jobs: parallel, cores: ProcessInfo.processInfo.activeProcessorCount)
    }

    func validate() throws {
        if let shard { _ = try SweepPlan.parseShard(shard) }
        try checkCoreBudget(jobs: parallel, threads: perJob)
    }

    func run() throws {
        var cfg = try SweepConfig.load(path: config)
        try cfg.resolveData(path: config)
        let plan = SweepPlan.jobs(for: cfg)
        guard !plan.isEmpty else { throw ValidationError("\(config): the grid has no jobs") }
        var all = plan
        if let shard {
            let s = try SweepPlan.parseShard(shard)
            all = SweepPlan.shard(all, index: s.index, count: s.count)
        }
        let layout = SweepLayout(root: absolute(out))
        if dryRun { return try listJobs(cfg, all, layout: layout) }
        if cfg.data != nil {
            guard dataDir == nil else {
                throw ValidationError("--data-dir applies to built-in datasets; \(config) names its own data (dataset.path)")
            }
            if allowMismatch {
                throw ValidationError("--allow-mismatch applies to built-in datasets; \(config) names its own data (dataset.path)")
            }
        }
        let data = try JobData.locate(dataset: cfg.dataset, spec: cfg.data, dataDir: dataDir, allowMismatch: allowMismatch)
        let (directory, found, display, check) = (data.directory, data.found, data.display, data.check)
        // Fail early on bad files, and check the grid against the data's real classes.
        let splits = try loadSplits(for: plan[0], directory: directory)
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
        for note in try ConfigClaim.claim(layout, config: cfg, text: try String(contentsOfFile: config, encoding: .utf8),
                                          force: force) {
            printError(note)
        }
        printError("\(cfg.name): \(display) from \(found)" + (check.map { "; data check: \($0.result)" } ?? ""))
        if let summary = splits.sources?.summary { printError(summary) }
        let runner = SweepRunner(
            layout: layout,
            options: .init(parallelJobs: parallel, threadsPerJob: perJob,
                           dataDirectory: directory, executable: selfExecutable(),
                           curveEvery: cfg.curveEvery, curveTestLimit: cfg.curveTestLimit,
                           bootstrapResamples: cfg.bootstrapResamples, saveScores: cfg.saveScores,
                           interactive: isatty(STDERR_FILENO) == 1,
                           keepOtherEngines: keepOtherEngines, dataCheck: check),
            output: { printFlushed($0) })
        let summary = try runner.run(all)
        let finished = summary.finishedBefore + summary.finishedNow + summary.finishedElsewhere
        print("sweep \(cfg.name): \(finished)/\(summary.total) jobs finished "
              + "(\(summary.finishedNow) here, \(summary.finishedBefore) earlier"
              + (summary.keptOtherEngine > 0 ? " of which \(summary.keptOtherEngine) on another engine's records" : "")
              + ", \(summary.finishedElsewhere) by another process), \(summary.diverged) diverged, "
              + "\(summary.failed.count) failed; wall time \(formatSeconds(summary.seconds))"
              + (summary.movedOtherEngine + summary.movedCorrupt > 0
                 ? "; \(summary.movedOtherEngine + summary.movedCorrupt) record(s) moved to \(layout.relative(layout.setAside))/" : ""))
        if !summary.failed.isEmpty { throw ExitCode(1) }
    }

    /// --dry-run: one line per job (its id, and its state when it has a record), then
    /// "N jobs"; what a real run would do goes to standard error.
    func listJobs(_ cfg: SweepConfig, _ jobs: [JobConfig], layout: SweepLayout) throws {
        if (dataDir != nil || allowMismatch), let kind = DatasetKind(rawValue: cfg.dataset) {
            let location = try DataLocation.resolve(kind, explicitDirectory: dataDir)
            let check = try checkData(kind, directory: location.directory, allowMismatch: allowMismatch)
            printError("data: \(kind.displayName) from \(location.description); data check: \(check.result): \(check.detail)")
        }
        if let problem = ConfigClaim.conflict(layout, config: cfg) {
            printError("note: \(layout.root) holds \(problem); "
                       + (force ? "--force would move that sweep's records to \(layout.relative(layout.setAside))/"
                                : "a real run refuses it unless --force"))
        }
        let inventory = RecordInventory(layout: layout)
        var toTrain = 0
        for job in jobs {
            let id = RunID.make(job)
            var note = ""
            switch inventory.state(of: job) {
            case .finished: note = "  (finished)"
            case .missing: toTrain += 1
            case .corrupt(let reason):
                toTrain += 1
                note = "  (damaged record, would be moved aside and retrained: \(reason))"
            case .otherEngine(let version, _):
                if keepOtherEngines { note = "  (finished: a record of engine \(version), kept)" } else {
                    toTrain += 1
                    note = "  (a record of engine \(version): would be moved aside and retrained)"
                }
            }
            print(id + note)
        }
        printError("would train \(toTrain) of \(jobs.count) jobs, \(parallel) at a time with \(perJob) thread(s) each")
        print("\(jobs.count) jobs")
    }
}

/// Where a `train` or `sweep` job reads its data (what `loadSplits` is given): the user's
/// own data at its spec's path, else the built-in dataset found as `DataLocation` finds it
/// and checked against its manifest.
struct JobData {
    var directory: String
    /// Where it was found, for the log line ("PATH (npz)", "DIR (found by --data-dir)").
    var found: String
    /// The dataset's name for people ("Fashion-MNIST", or the user's dataset name).
    var display: String
    /// The manifest check of a built-in dataset; nil for the user's own data.
    var check: DataCheck?

    static func locate(dataset: String, spec: DataSpec?, dataDir: String?, allowMismatch: Bool) throws -> JobData {
        if let spec {
            return JobData(directory: spec.path, found: "\(spec.path) (\(spec.format))", display: dataset, check: nil)
        }
        let kind = try builtInDataset(dataset)
        let location = try DataLocation.resolve(kind, explicitDirectory: dataDir)
        let check = try checkData(kind, directory: location.directory, allowMismatch: allowMismatch)
        return JobData(directory: location.directory, found: location.description, display: kind.displayName, check: check)
    }
}

/// The built-in dataset called `name`, or the CLI's error listing the names there are.
func builtInDataset(_ name: String) throws -> DatasetKind {
    guard let kind = DatasetKind(rawValue: name) else {
        throw ValidationError("unknown dataset '\(name)' (expected one of \(DatasetKind.allCases.map(\.rawValue).joined(separator: ", ")))")
    }
    return kind
}

/// The dataset-identity check shared by sweep, demo and slurm (`imbench train` has its own
/// wording): refuses another dataset's files unless allowed, and refuses the allowance
/// when there is nothing to allow.
func checkData(_ kind: DatasetKind, directory: String, allowMismatch: Bool) throws -> DataCheck {
    let check = try DatasetIdentity.check(kind, directory: directory,
                                          store: DatasetIdentity.defaultStore(executablePath: selfExecutable()),
                                          allowMismatch: allowMismatch)
    if allowMismatch && check.result != "other-dataset" {
        throw ValidationError("--allow-mismatch: the files in \(directory) are not another dataset's "
                              + "(\(check.result): \(check.detail)); leave the flag out")
    }
    return check
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
    @Option var dataCheck: String?

    func run() throws {
        Parallel.configure(threads: threads)
        let check = try dataCheck.map { try JSONDecoder().decode(DataCheck.self, from: Data($0.utf8)) }
        let code = JobWorker.run(specPath: spec, recordPath: record, lockPath: lock,
                                 dataDirectory: dataDir, curveEvery: curveEvery,
                                 curveTestLimit: curveTestLimit, bootstrapResamples: bootstrapResamples,
                                 saveScores: saveScores, parentPID: parentPid, dataCheck: check) { line in
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
