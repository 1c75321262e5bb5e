import CShims
import Foundation
import ImbalanceData
import ImbalanceTraining
#if canImport(Glibc)
import Glibc
#endif

/// Where a sweep keeps its files. Everything lives under one results directory so that a
/// rerun, a second process or a cluster job array all see the same state:
///   records/ID.json   finished jobs (written atomically: present means complete)
///   logs/ID.log       each job's output
///   locks/ID.lock     held (flock) by the process running that job
///   specs/ID.json     the job's configuration, as the worker reads it
public struct SweepLayout: Sendable {
    public let root: String
    public init(root: String) { self.root = root }
    public var records: String { root + "/records" }
    public var logs: String { root + "/logs" }
    public var locks: String { root + "/locks" }
    public var specs: String { root + "/specs" }
    public func record(_ id: String) -> String { "\(records)/\(id).json" }
    public func log(_ id: String) -> String { "\(logs)/\(id).log" }
    public func lock(_ id: String) -> String { "\(locks)/\(id).lock" }
    public func spec(_ id: String) -> String { "\(specs)/\(id).json" }

    public func create() throws {
        for dir in [root, records, logs, locks, specs] {
            do {
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            } catch {
                throw ExperimentError("cannot create the results directory \(dir): \(error.localizedDescription)")
            }
            guard access(dir, W_OK) == 0 else {
                throw ExperimentError("the results directory \(dir) is not writable")
            }
        }
    }

    /// A record counts as finished only if it reads back as a complete record of this id.
    public func isFinished(_ id: String) -> Bool {
        guard FileManager.default.fileExists(atPath: record(id)),
              let r = try? RecordIO.read(record(id)) else { return false }
        return r.id == id
    }
}

/// An exclusive, non-blocking lock on a job, held by the worker that trains it. `flock`
/// locks die with their process (even on SIGKILL), so a killed worker never leaves a
/// stale lock behind, and two sweeps on one directory never train the same job at once.
public final class JobLock {
    private let fd: Int32
    public init?(path: String) {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return nil }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { close(fd); return nil }
        self.fd = fd
    }
    deinit { flock(fd, LOCK_UN); close(fd) }
}

/// Exit code a worker uses when another process holds the job's lock.
public let workerBusyExitCode: Int32 = 75
/// Exit code a worker uses when its record cannot be written (full disk, permissions):
/// the sweep stops instead of failing every remaining job the same way.
public let workerWriteFailedExitCode: Int32 = 74

/// The worker side: runs one job in this process and writes its record.
public enum JobWorker {
    /// Returns the process exit code.
    public static func run(specPath: String, recordPath: String, lockPath: String,
                           dataDirectory: String, curveEvery: Int, curveTestLimit: Int,
                           bootstrapResamples: Int = 1_000, saveScores: Bool = false,
                           parentPID: Int32? = nil, dataCheck: DataCheck? = nil,
                           log: @escaping (String) -> Void) -> Int32 {
        _ = imbench_die_with_parent()
        // The sweep may have died between starting this process and the call above; then
        // nobody would kill us with it, so stop now rather than hold the job's lock.
        if let parentPID, getppid() != parentPID {
            log("the sweep that started this worker is gone")
            return 1
        }
        guard let lock = JobLock(path: lockPath) else {
            log("job is being run by another process (lock \(lockPath) is held)")
            return workerBusyExitCode
        }
        defer { withExtendedLifetime(lock) {} }
        do {
            guard let data = FileManager.default.contents(atPath: specPath) else {
                throw ExperimentError("cannot read the job spec \(specPath)")
            }
            let config = try RecordIO.decoder().decode(JobConfig.self, from: data)
            let id = RunID.make(config)
            if FileManager.default.fileExists(atPath: recordPath),
               let existing = try? RecordIO.read(recordPath), existing.id == id {
                log("already finished by another process")
                return 0
            }
            let splits = try loadSplits(for: config, directory: dataDirectory)
            var last = -1
            let output = try Experiment.runKeepingScores(
                config, id: id, splits: splits, curveInterval: curveEvery, curveTestLimit: curveTestLimit,
                bootstrap: .init(resamples: bootstrapResamples), keepScores: saveScores) { p in
                let decile = p.training.iteration * 10 / max(1, p.training.iterations)
                if decile != last {
                    last = decile
                    log(String(format: "%@ iter %d/%d loss %.4f %.0f img/s", p.phase,
                               p.training.iteration, p.training.iterations, p.training.loss,
                               p.training.imagesPerSecond))
                }
            }
            var record = output.record
            record.provenance?.dataCheck = dataCheck
            do {
                // A file at the record's path that is not a record of this job (damaged
                // since the sweep started) is moved aside, never overwritten.
                if FileManager.default.fileExists(atPath: recordPath),
                   (try? RecordIO.read(recordPath))?.id != id {
                    let layout = SweepLayout(root: URL(fileURLWithPath: recordPath).deletingLastPathComponent()
                        .deletingLastPathComponent().path)
                    if let moved = try layout.moveAside(recordPath, into: "corrupt") {
                        log("the file at \(recordPath) was not a record of this job; moved to \(moved)")
                    }
                }
                // The scores first: a record on disk means its job (and sidecar) is complete.
                if let scores = output.scores { try scores.write(to: ScoreFile.path(forRecord: recordPath)) }
                try RecordIO.write(record, to: recordPath)
            } catch {
                log("error: \(error)")
                return workerWriteFailedExitCode
            }
            log("finished: \(record.status)")
            return 0
        } catch {
            log("error: \(error)")
            return 1
        }
    }
}

/// Runs the jobs of a sweep, `jobs` at a time, each in its own worker process.
///
/// Processes rather than threads: a crash or a kill takes out one job only, and a lock held
/// by a process is released by the kernel when it dies.
public final class SweepRunner {
    /// Threads per training when `jobs` trainings share `cores` cores: the cores left over
    /// after one process per job. Measured with scripts/sweep-throughput (LeNet-5, 2 cores):
    /// --jobs 2 with 1 thread each trains 2.09x the networks per hour of --jobs 1 with 1
    /// thread, and 1.26x those of --jobs 1 with 2 threads, so a full machine runs one
    /// single-threaded job per core; a sweep given fewer jobs than cores spreads them.
    public static func threadsPerJob(jobs: Int, cores: Int) -> Int {
        jobs >= cores ? 1 : max(1, cores / max(1, jobs))
    }

    public struct Options: Sendable {
        public var parallelJobs: Int
        public var threadsPerJob: Int
        public var dataDirectory: String
        public var executable: String
        public var curveEvery: Int
        public var curveTestLimit: Int
        public var bootstrapResamples: Int
        public var saveScores: Bool
        public var interactive: Bool
        /// Count records of another engine version as finished instead of retraining.
        public var keepOtherEngines: Bool
        /// What the data files were checked to be; stored in every record.
        public var dataCheck: DataCheck?
        public init(parallelJobs: Int, threadsPerJob: Int, dataDirectory: String,
                    executable: String, curveEvery: Int, curveTestLimit: Int,
                    bootstrapResamples: Int = 1_000, saveScores: Bool = false, interactive: Bool,
                    keepOtherEngines: Bool = false, dataCheck: DataCheck? = nil) {
            self.parallelJobs = parallelJobs; self.threadsPerJob = threadsPerJob
            self.dataDirectory = dataDirectory; self.executable = executable
            self.curveEvery = curveEvery; self.curveTestLimit = curveTestLimit
            self.bootstrapResamples = bootstrapResamples; self.saveScores = saveScores
            self.interactive = interactive
            self.keepOtherEngines = keepOtherEngines; self.dataCheck = dataCheck
        }
    }

    public struct Summary: Sendable {
        public var total: Int
        public var finishedBefore: Int
        public var finishedNow: Int
        /// Jobs another process was running when this one reached them, finished since.
        public var finishedElsewhere: Int
        public var failed: [String]
        public var diverged: Int
        public var seconds: Double
        /// Jobs counted as finished on a record of another engine (--keep-other-engines).
        public var keptOtherEngine: Int = 0
        /// Records moved aside before training: another engine's, and corrupt ones.
        public var movedOtherEngine: Int = 0
        public var movedCorrupt: Int = 0
    }

    let layout: SweepLayout
    let options: Options
    let output: (String) -> Void

    public init(layout: SweepLayout, options: Options, output: @escaping (String) -> Void) {
        self.layout = layout; self.options = options; self.output = output
    }

    private struct Running {
        let id: String
        let process: Process
        let started: Double
    }

    public func run(_ jobs: [JobConfig]) throws -> Summary {
        try layout.create()
        let start = now()
        let housekeeping = try RecordHousekeeping.prepare(jobs, layout: layout,
                                                          keepOtherEngines: options.keepOtherEngines, log: output)
        func isFinished(_ id: String) -> Bool { housekeeping.kept.contains(id) || layout.isFinished(id) }
        var pending: [(String, JobConfig)] = []
        var finishedBefore = 0
        for job in jobs {
            let id = RunID.make(job)
            if isFinished(id) { finishedBefore += 1 } else { pending.append((id, job)) }
        }
        let dataCheckArguments = try options.dataCheck.map {
            ["--data-check", String(decoding: try JSONEncoder().encode($0), as: UTF8.self)]
        } ?? []
        output("\(jobs.count) jobs: \(finishedBefore) already finished, \(pending.count) to run, "
               + "\(options.parallelJobs) at a time, \(options.threadsPerJob) thread(s) each")
        var running: [Running] = []
        var failed: [String] = []
        var busy: [String] = []
        var ranHere = Set<String>()
        var diverged = 0
        var done = 0
        var durations: [Double] = []
        var lastDisplay = 0.0
        let encoder = RecordIO.encoder()

        func estimate() -> String {
            guard !durations.isEmpty else { return "?" }
            let t = now()
            let mean = durations.reduce(0, +) / Double(durations.count)
            let runningLeft = running.map { max(0, mean - (t - $0.started)) }.reduce(0, +)
            return formatSeconds((Double(pending.count) * mean + runningLeft)
                                 / Double(max(1, options.parallelJobs)))
        }

        func display(force: Bool = false) {
            guard options.interactive else { return }
            let t = now()
            guard force || t - lastDisplay >= 1 else { return }
            lastDisplay = t
            let remaining = pending.count + running.count + deferred.count
            let eta = estimate()
            let line = "\r[sweep] done \(finishedBefore + done)/\(jobs.count)  running \(running.count)"
                + "  failed \(failed.count)  waiting on another process \(deferred.count)  remaining \(remaining)"
                + "  elapsed \(formatSeconds(t - start))  ETA \(eta)   "
            try? FileHandle.standardError.write(contentsOf: Data(line.utf8))
        }

        var deferred: [(String, JobConfig)] = []
        var stopReason: String?
        while !pending.isEmpty || !running.isEmpty || (!deferred.isEmpty && stopReason == nil) {
            if pending.isEmpty && running.isEmpty {
                // Only jobs held by another process are left: wait for it, then look again
                // (finished ones are counted, abandoned ones are run here).
                sleep(1)
                pending = deferred
                deferred = []
                display()
            }
            while stopReason == nil, running.count < options.parallelJobs, !pending.isEmpty {
                let (id, job) = pending.removeFirst()
                if isFinished(id) { finishedBefore += 1; continue }
                var spec = job
                spec.threads = options.threadsPerJob
                try RecordIO.writeAtomically(try encoder.encode(spec), to: layout.spec(id))
                let p = Process()
                p.executableURL = URL(fileURLWithPath: options.executable)
                p.arguments = ["run-job", "--spec", layout.spec(id), "--record", layout.record(id),
                               "--lock", layout.lock(id), "--data-dir", options.dataDirectory,
                               "--threads", String(options.threadsPerJob),
                               "--curve-every", String(options.curveEvery),
                               "--curve-test-limit", String(options.curveTestLimit),
                               "--bootstrap-resamples", String(options.bootstrapResamples),
                               "--parent-pid", String(getpid())] + (options.saveScores ? ["--save-scores"] : [])
                               + dataCheckArguments
                // Appended to, never truncated: a job's log keeps every attempt, and two
                // sweeps on one directory cannot wipe each other's lines.
                let logFD = open(layout.log(id), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
                guard logFD >= 0 else {
                    throw ExperimentError("cannot open the log \(layout.log(id)): \(String(cString: strerror(errno)))")
                }
                let logHandle = FileHandle(fileDescriptor: logFD, closeOnDealloc: true)
                p.standardOutput = logHandle
                p.standardError = logHandle
                p.standardInput = FileHandle.nullDevice
                var env = ProcessInfo.processInfo.environment
                env["OPENBLAS_NUM_THREADS"] = "1"
                p.environment = env
                try p.run()
                try? logHandle.close()
                running.append(Running(id: id, process: p, started: now()))
            }
            usleep(100_000)
            var still: [Running] = []
            for r in running {
                if r.process.isRunning { still.append(r); continue }
                let code = r.process.terminationStatus
                let reason = r.process.terminationReason
                let elapsed = now() - r.started
                if reason == .exit && code == 0 {
                    done += 1
                    ranHere.insert(r.id)
                    durations.append(elapsed)
                    var note = ""
                    if let rec = try? RecordIO.read(layout.record(r.id)) {
                        if rec.status != "finished" { diverged += 1; note = " DIVERGED" }
                        let name = Experiment.methodName(sampler: rec.config.sampler)
                        if let m = rec.results[name] {
                            note += String(format: " %@ AUC %.4f acc %.4f", name, m.multiClassAUC, m.accuracy)
                        }
                    }
                    emit("[\(finishedBefore + done)/\(jobs.count)] \(r.id) \(formatSeconds(elapsed))\(note)"
                         + (options.interactive ? "" : "  (running \(running.count - 1), failed \(failed.count), ETA \(estimate()))"))
                } else if reason == .exit && code == workerBusyExitCode {
                    if !busy.contains(r.id) {
                        busy.append(r.id)
                        emit("[wait] \(r.id) is being run by another process")
                    }
                    if let job = jobs.first(where: { RunID.make($0) == r.id }) { deferred.append((r.id, job)) }
                } else if reason == .exit && code == workerWriteFailedExitCode {
                    failed.append(r.id)
                    // The worker's own error says which write failed and why (e.g. "No space
                    // left on device"); repeat it here so the user need not open the log.
                    let why = lastWorkerError(layout.log(r.id)) ?? "cannot write \(layout.record(r.id))"
                    stopReason = "\(why) (job log: \(layout.log(r.id)))"
                    emit("[FAILED] \(r.id): its record could not be written: \(why); stopping the sweep")
                    pending.removeAll()
                    deferred.removeAll()
                } else {
                    failed.append(r.id)
                    let how = reason == .exit ? "exit code \(code)" : "signal \(code)"
                    emit("[FAILED] \(r.id) (\(how)); see \(layout.log(r.id))")
                }
            }
            running = still
            display()
        }
        display(force: true)
        if options.interactive { try? FileHandle.standardError.write(contentsOf: Data("\n".utf8)) }
        if let stopReason { throw ExperimentError("sweep stopped: \(stopReason)") }
        // A job first held by another process and then run here counts once, as run here.
        let finishedElsewhere = busy.filter { layout.isFinished($0) && !ranHere.contains($0) }
        return Summary(total: jobs.count, finishedBefore: finishedBefore,
                       finishedNow: done, finishedElsewhere: finishedElsewhere.count,
                       failed: failed, diverged: diverged, seconds: now() - start,
                       keptOtherEngine: housekeeping.kept.count, movedOtherEngine: housekeeping.movedOtherEngine,
                       movedCorrupt: housekeeping.movedCorrupt)

        func emit(_ s: String) {
            if options.interactive { try? FileHandle.standardError.write(contentsOf: Data("\r\u{1B}[K".utf8)) }
            output(s)
        }
    }
}

/// The last `error: ...` line a worker wrote to its job log, without the prefix; nil when
/// the log is unreadable or holds none (a worker on a full disk may not manage to log it).
func lastWorkerError(_ logPath: String) -> String? {
    guard let data = FileManager.default.contents(atPath: logPath) else { return nil }
    let lines = String(decoding: data, as: UTF8.self).split(separator: "\n")
    guard let line = lines.last(where: { $0.hasPrefix("error: ") }) else { return nil }
    return String(line.dropFirst("error: ".count))
}

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

public func formatSeconds(_ s: Double) -> String {
    guard s.isFinite else { return "?" }
    let t = Int(s.rounded())
    if t >= 3600 { return String(format: "%dh%02dm", t / 3600, (t % 3600) / 60) }
    if t >= 60 { return String(format: "%dm%02ds", t / 60, t % 60) }
    return "\(t)s"
}
