import ArgumentParser
import Foundation
import ImbalanceData
import ImbalanceKernels
import ImbalanceNN
import ImbalanceRandom
import ImbalanceRecords
import ImbalanceSweep
import ImbalanceTraining

/// `imbench slurm`: a sweep as a Slurm job array (task I runs `imbench sweep --shard I/N`)
/// plus a report job that runs after it, or (`--cost-model`) what a grid costs in CPU-hours
/// and wall time on K nodes.
///
/// Nothing about a sweep changes on a cluster: records are written atomically, finished
/// jobs are skipped and each job is `flock`ed by the process training it, so an array task
/// that fails, times out or is requeued can simply run again.
struct SlurmCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "slurm",
        abstract: "Write Slurm scripts for a sweep (a job array of shards, then its report), or print its cost model.",
        discussion: """
        imbench slurm CONFIG --results DIR writes, under DIR/slurm/: a snapshot of the config \
        (NAME.yaml), the job array (NAME.sbatch: task I of N runs `imbench sweep --shard I/N`), \
        the report job (NAME-report.sbatch: checks that every job of the grid has its record, \
        then runs `imbench report`) and NAME-submit.sh, which submits both, the report with \
        --dependency=afterok on the array. DIR must be on a filesystem every node sees, with \
        working flock (NFS, Lustre mounted with -o flock, BeeGFS, GPFS).

        imbench slurm --cost-model CONFIG... prints, per config, the number of networks, the \
        time of one network on this machine, the CPU-hours and the wall time on K nodes. The \
        time per network is measured for each config's own model, input shape, classes and \
        batch, by `imbench bench --model M --dataset D --batch B --threads 1` (run here once \
        per distinct workload, unless --seconds-per-10k is given for configs of one \
        workload); the cost of phase 2 of two-phase training, relative to a full network, is \
        measured here the same way unless --phase2-fraction is given.
        """)

    @Argument(help: "Sweep config (YAML); with --cost-model, one or more.") var configs: [String]
    @Option(help: "Results directory on the shared filesystem (the scripts go to DIR/slurm/).") var results: String?
    @Option(help: "Array tasks N; task I runs shard I/N (default: min(jobs in the grid, 100)).") var arraySize: Int?
    @Option(help: "CPUs per array task (default 1).") var cpusPerTask: Int?
    var cpus: Int { cpusPerTask ?? 1 }
    @Option(help: "Trainings at once in each task (default: --cpus-per-task).") var jobsPerTask: Int?
    @Option(help: "Time limit per array task, e.g. 04:00:00 or 1-00:00:00 (default: the partition's).") var time: String?
    @Option(help: "Slurm partition.") var partition: String?
    @Option(help: "Memory per array task, e.g. 2G (a LeNet-5 training uses about 150 MB).") var mem: String?
    @Option(name: .customLong("sbatch"), help: "Extra #SBATCH line for both jobs, e.g. --sbatch=--account=lab (repeatable).")
    var sbatchLines: [String] = []
    @Option(help: "The imbench binary the nodes run (default: this one).") var imbench: String?
    @Option(help: "Directory holding the dataset files, as the nodes see it (default: found by the usual rule, here).") var dataDir: String?
    @Option(help: "The array script to write (default: DIR/slurm/NAME.sbatch; the others go beside it).") var output: String?
    @Option(help: "The report the final job writes (default: DIR/report.md).") var report: String?

    @Flag(help: "Print the cost model of each config instead of writing scripts.") var costModel = false
    @Option(name: .customLong("seconds-per-10k"), help: "Seconds for 10,000 training iterations of the configs' model, input and batch on one core (the `10,000 iterations in N s` of imbench bench --model M --dataset D --batch B); all configs must share that workload.")
    var secondsPer10k: Double?
    @Option(help: "Cost of phase 2 of two-phase training relative to a full network (default: measured).")
    var phase2Fraction: Double?
    @Option(help: "Node counts K for the wall-time columns, comma-separated (default 1,10,100).") var nodes: String?
    @Option(help: "Cores per node (one training per core) for the wall-time columns (default 2).") var coresPerNode: Int?
    var nodeCores: Int { coresPerNode ?? 2 }
    @Option(help: "Add the mean per-job overhead (record wall time minus training time) of the records in this results directory.")
    var overheadFrom: String?
    @Option(help: "Per-job overhead in seconds, instead of --overhead-from.") var overheadSeconds: Double?
    @Flag(help: "Let the sweeps train on files that are another dataset's official files (passed to every array task).")
    var allowMismatch = false

    /// Slurm's default MaxArraySize is 1001 (task ids up to 1000).
    static let defaultArrayCap = 100

    func validate() throws {
        if configs.isEmpty { throw ValidationError("give a sweep config, e.g. configs/buda-mnist.yaml") }
        if !costModel {
            if configs.count > 1 { throw ValidationError("give one sweep config (several only with --cost-model)") }
            if results == nil { throw ValidationError("--results DIR is required: the results directory on the shared filesystem") }
        }
        if cpus < 1 { throw ValidationError("--cpus-per-task must be >= 1") }
        if let j = jobsPerTask, j < 1 { throw ValidationError("--jobs-per-task must be >= 1") }
        if let s = secondsPer10k, !(s > 0 && s.isFinite) { throw ValidationError("--seconds-per-10k must be a positive number") }
        if let f = phase2Fraction, !(f >= 0 && f <= 1) { throw ValidationError("--phase2-fraction must be between 0 and 1") }
        if let o = overheadSeconds, !(o >= 0 && o.isFinite) { throw ValidationError("--overhead-seconds must be >= 0") }
        if overheadSeconds != nil && overheadFrom != nil { throw ValidationError("give --overhead-seconds or --overhead-from, not both") }
        if nodeCores < 1 { throw ValidationError("--cores-per-node must be >= 1") }
        try checkModeOptions()
        if let time, !Self.isSlurmTime(time) {
            throw ValidationError("--time takes a Slurm time limit (MM, HH:MM:SS, D-HH, D-HH:MM:SS or UNLIMITED), found '\(time)'")
        }
        _ = try nodeCounts()
    }

    /// Options of one mode are refused in the other (writing scripts vs --cost-model).
    func checkModeOptions() throws {
        let scriptOnly: [(String, Bool)] = [
            ("--results", results != nil), ("--array-size", arraySize != nil), ("--cpus-per-task", cpusPerTask != nil),
            ("--jobs-per-task", jobsPerTask != nil), ("--time", time != nil), ("--partition", partition != nil),
            ("--mem", mem != nil), ("--sbatch", !sbatchLines.isEmpty), ("--imbench", imbench != nil),
            ("--data-dir", dataDir != nil), ("--output", output != nil), ("--report", report != nil),
            ("--allow-mismatch", allowMismatch),
        ]
        let costOnly: [(String, Bool)] = [
            ("--nodes", nodes != nil), ("--cores-per-node", coresPerNode != nil),
            ("--overhead-from", overheadFrom != nil), ("--overhead-seconds", overheadSeconds != nil),
        ]
        if costModel, let (name, _) = scriptOnly.first(where: \.1) {
            throw ValidationError("\(name) applies to writing Slurm scripts, not to --cost-model")
        }
        if !costModel, let (name, _) = costOnly.first(where: \.1) {
            throw ValidationError("\(name) applies to --cost-model; add it, or leave \(name) out when writing scripts")
        }
        if !costModel && phase2Fraction != nil && secondsPer10k == nil {
            throw ValidationError("--phase2-fraction applies to the estimate printed with --seconds-per-10k (or to --cost-model)")
        }
    }

    func run() throws {
        if costModel { try printCostModel() } else { try writeScripts() }
    }

    // MARK: Scripts

    func writeScripts() throws {
        let configPath = configs[0]
        // Validate everything before writing anything.
        var cfg = try SweepConfig.load(path: configPath)
        try cfg.resolveData(path: configPath)
        let configText = try String(contentsOfFile: configPath, encoding: .utf8)
        let jobs = SweepPlan.jobs(for: cfg)
        let n = arraySize ?? min(jobs.count, Self.defaultArrayCap)
        guard n >= 1 && n <= jobs.count else {
            throw SlurmError("--array-size must be between 1 and \(jobs.count) (the jobs in \(configPath)), found \(n)")
        }
        let resultsDir = normalize(absolute(results!))
        for (label, path) in [("--results", resultsDir)] + (output.map { [("--output", normalize(absolute($0)))] } ?? [])
            + (report.map { [("--report", normalize(absolute($0)))] } ?? []) {
            try Self.checkScriptPath(path, label: label)
        }
        let binary = normalize(absolute(imbench ?? selfExecutable()))
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw SlurmError("--imbench: \(binary) is not an executable file")
        }
        let data: String
        if let spec = cfg.data {
            guard dataDir == nil else { throw SlurmError("--data-dir applies to built-in datasets; \(configPath) names its own data (dataset.path)") }
            if allowMismatch { throw ValidationError("--allow-mismatch applies to built-in datasets; \(configPath) names its own data (dataset.path)") }
            data = spec.path
        } else {
            guard let kind = DatasetKind(rawValue: cfg.dataset) else {
                throw SlurmError("\(configPath): unknown dataset '\(cfg.dataset)'")
            }
            data = try DataLocation.resolve(kind, explicitDirectory: dataDir).directory
            let check = try checkData(kind, directory: data, allowMismatch: allowMismatch)
            if check.result != "official" { printError("data check: \(check.result): \(check.detail)") }
        }
        try Self.checkScriptPath(data, label: "--data-dir")

        let slurmDir = output.map { URL(fileURLWithPath: normalize(absolute($0))).deletingLastPathComponent().path }
            ?? resultsDir + "/slurm"
        // The config's name becomes file names and #SBATCH values: one path component of
        // plain characters, so nothing is written outside DIR/slurm/.
        let name = SweepLayout.pathComponent(cfg.name)
        let arrayScript = output.map { normalize(absolute($0)) } ?? "\(slurmDir)/\(name).sbatch"
        if output == nil, URL(fileURLWithPath: arrayScript).deletingLastPathComponent().path != slurmDir {
            throw SlurmError("the config name '\(cfg.name)' would place the scripts outside \(slurmDir)")
        }
        if name != cfg.name { printError("note: the config name '\(cfg.name)' is written as '\(name)' in file and job names") }
        let stem = arrayScript.hasSuffix(".sbatch") ? String(arrayScript.dropLast(7)) : arrayScript
        let reportScript = stem + "-report.sbatch"
        let submitScript = stem + "-submit.sh"
        let configCopy = stem + ".yaml"
        let reportFile = report.map { normalize(absolute($0)) } ?? resultsDir + "/report.md"
        let logDir = slurmDir + "/logs"

        let c = cpus
        let j = jobsPerTask ?? c
        // The sweep's own rule (imbench sweep --help), with the task's CPUs as the cores.
        let threads = SweepRunner.threadsPerJob(jobs: j, cores: c)
        let perTask = (jobs.count + n - 1) / n
        let twoPhase = jobs.filter(\.twoPhase).count

        let command = (["imbench", "slurm", absolute(configPath), "--results", resultsDir, "--array-size", "\(n)",
                        "--cpus-per-task", "\(c)", "--jobs-per-task", "\(j)"]
            + (time.map { ["--time", $0] } ?? []) + (partition.map { ["--partition", $0] } ?? [])
            + (mem.map { ["--mem", $0] } ?? []) + sbatchLines.map { "--sbatch=\($0)" }
            + ["--imbench", binary, "--data-dir", data] + (allowMismatch ? ["--allow-mismatch"] : [])
            + (output.map { _ in ["--output", arrayScript] } ?? []) + (report.map { _ in ["--report", reportFile] } ?? []))
            .map(shellQuote).joined(separator: " ")

        var common: [String] = []
        if let partition { common.append("--partition=\(partition)") }
        common += sbatchLines

        let sweepArgs = [binary, "sweep", configCopy, "--out", resultsDir].map(shellQuote).joined(separator: " ")
        var array = """
        #!/bin/bash
        # ImbalanceBench sweep '\(name)' as a Slurm job array. Generated by
        #   \(command)
        # from \(absolute(configPath)) (snapshot: \(configCopy)); regenerate rather than edit.
        #
        # The grid has \(jobs.count) jobs (one network each; \(twoPhase) of them also run phase 2 of
        # two-phase training). Task I of \(n) runs shard I/\(n) of the grid (jobs I, I+\(n), I+\(2 * n), ...:
        # round-robin), at most \(perTask) jobs, \(j) at a time with \(threads) thread(s) each,
        # on \(c) CPU(s). Each job's record is written atomically to
        # \(resultsDir)/records/ when it finishes.
        #
        # Failed, timed-out, preempted or requeued tasks can simply run again: finished jobs
        # are skipped, a job killed mid-training leaves no record (it is retrained from
        # scratch, with the same seeds and so the same result), and each job is locked
        # (flock) by the process training it, so two tasks never train the same job at once.
        # To rerun task I only: sbatch --array=I \(arrayScript)
        # Resubmitting the whole array reruns only unfinished jobs.
        # The report job (\(URL(fileURLWithPath: reportScript).lastPathComponent)) starts only if every task succeeded
        # (afterok); after rerunning failed tasks, submit it again: sbatch \(reportScript)
        #SBATCH --job-name=imbench-\(name)
        #SBATCH --array=1-\(n)
        #SBATCH --ntasks=1
        #SBATCH --cpus-per-task=\(c)

        """
        if let time { array += "#SBATCH --time=\(time)\n" }
        if let mem { array += "#SBATCH --mem=\(mem)\n" }
        for line in common { array += "#SBATCH \(line)\n" }
        array += """
        #SBATCH --output=\(logDir)/%x-%A_%a.out
        #SBATCH --requeue
        set -euo pipefail
        # The engine splits each batch across --threads; OpenBLAS stays at one thread.
        export OPENBLAS_NUM_THREADS=1
        exec \(sweepArgs) \\
            --shard "${SLURM_ARRAY_TASK_ID}/\(n)" --jobs \(j) --threads \(threads) \\
            --data-dir \(shellQuote(data))\(allowMismatch ? " --allow-mismatch" : "")

        """

        var reportJob = """
        #!/bin/bash
        # ImbalanceBench sweep '\(name)': the report, after the job array
        # \(URL(fileURLWithPath: arrayScript).lastPathComponent) (submitted with --dependency=afterok:<array job id>). Generated by
        #   \(command)
        # Checks that every one of the \(jobs.count) jobs of the grid has its record in
        # \(resultsDir)/records/, then writes \(reportFile)
        # from the records alone. Safe to rerun at any time.
        #SBATCH --job-name=imbench-\(name)-report
        #SBATCH --ntasks=1
        #SBATCH --cpus-per-task=1
        #SBATCH --time=01:00:00

        """
        for line in common { reportJob += "#SBATCH \(line)\n" }
        let dryRun = [binary, "sweep", configCopy, "--out", resultsDir, "--dry-run"].map(shellQuote).joined(separator: " ")
        reportJob += """
        #SBATCH --output=\(logDir)/%x-%j.out
        set -euo pipefail
        unfinished=$(\(dryRun) | awk '!/\\(finished\\)$/ && !/^[0-9]+ jobs$/')
        if [ -n "$unfinished" ]; then
          echo "jobs without a record (rerun their array tasks, then this job):" >&2
          echo "$unfinished" >&2
          exit 1
        fi
        exec \([binary, "report", resultsDir, "--out", reportFile].map(shellQuote).joined(separator: " "))

        """

        let submit = """
        #!/bin/bash
        # Submits the job array of sweep '\(name)', then its report job, which runs only
        # if every array task succeeded (afterok). Extra arguments go to both sbatch calls,
        # e.g. \(URL(fileURLWithPath: submitScript).lastPathComponent) --qos=long
        set -euo pipefail
        jid=$(sbatch --parsable "$@" \(shellQuote(arrayScript)))
        jid=${jid%%;*}
        rid=$(sbatch --parsable "$@" --dependency=afterok:"$jid" \(shellQuote(reportScript)))
        rid=${rid%%;*}
        echo "array job $jid (\(n) tasks, \(jobs.count) trainings); report job $rid (runs after it)"
        echo "records: \(resultsDir)/records/   report: \(reportFile)"
        echo "Slurm logs: \(logDir)/"

        """

        // Write: directories first, then each file atomically.
        for dir in [slurmDir, logDir, resultsDir, URL(fileURLWithPath: reportFile).deletingLastPathComponent().path] {
            do {
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            } catch {
                throw SlurmError("cannot create \(dir): \(error.localizedDescription)")
            }
        }
        try RecordIO.writeAtomically(Data(configText.utf8), to: configCopy)
        for (path, text) in [(arrayScript, array), (reportScript, reportJob), (submitScript, submit)] {
            try RecordIO.writeAtomically(Data(text.utf8), to: path)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        }

        print("\(name): \(jobs.count) jobs in \(n) array tasks (at most \(perTask) per task, \(j) at a time, "
              + "\(c) CPU(s) and \(threads) thread(s) each)")
        print("wrote \(arrayScript)\n      \(reportScript)\n      \(submitScript)\n      \(configCopy)")
        if n > 1000 {
            print("note: Slurm's default MaxArraySize is 1001; a cluster with the default accepts at most --array-size 1000")
        }
        if j > c { print("note: \(j) trainings at once on \(c) CPU(s) oversubscribes the task") }
        if time == nil {
            print("note: no --time given, so the partition's default limit applies (a task cut short simply runs again)")
        }
        if let s = secondsPer10k {
            let costs = jobCosts(jobs, config: cfg, secondsPer10k: s, phase2: phase2Fraction ?? 1.0 / 3, overhead: 0)
            let slowest = (1...n).map { i in
                Self.makespan(SweepPlan.shard(costs, index: i, count: n), slots: j)
            }.max() ?? 0
            print("estimate: the slowest task trains for about \(formatSeconds(slowest)) "
                  + "at \(SlurmFmt.seconds(s)) s per 10,000 iterations")
        }
        print("submit with:")
        print("  jid=$(sbatch --parsable \(shellQuote(arrayScript)))")
        print("  sbatch --dependency=afterok:${jid%%;*} \(shellQuote(reportScript))")
        print("or: \(shellQuote(submitScript))")
    }

    /// Paths end up in #SBATCH lines and unquoted contexts of Slurm's own: keep them plain.
    static func checkScriptPath(_ path: String, label: String) throws {
        if let bad = path.first(where: { $0.isWhitespace || "%'\"\\$`".contains($0) }) {
            throw SlurmError("\(label): the path \(path) contains '\(bad)', which Slurm scripts cannot carry safely; use a path without it")
        }
    }

    static func isSlurmTime(_ s: String) -> Bool {
        if ["UNLIMITED", "INFINITE"].contains(s.uppercased()) { return true }
        let parts = s.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count <= 2 else { return false }
        func digits(_ x: Substring) -> Bool { !x.isEmpty && x.allSatisfy(\.isASCII) && x.allSatisfy(\.isNumber) }
        if parts.count == 2 {
            let rest = parts[1].split(separator: ":", omittingEmptySubsequences: false)
            return digits(parts[0]) && (1...3).contains(rest.count) && rest.allSatisfy(digits)
        }
        let fields = s.split(separator: ":", omittingEmptySubsequences: false)
        return (1...3).contains(fields.count) && fields.allSatisfy(digits)
    }

    // MARK: Cost model

    func nodeCounts() throws -> [Int] {
        let text = nodes ?? "1,10,100"
        let ks = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !ks.isEmpty, ks.allSatisfy({ ($0 ?? 0) >= 1 }) else {
            throw SlurmError("--nodes takes node counts separated by commas, e.g. 1,10,100; found '\(text)'")
        }
        return ks.map { $0! }
    }

    /// What one network of a config costs to train: its model, input and batch (the
    /// dataset name only through its image shape and classes, so MNIST and Fashion-MNIST
    /// share a workload).
    struct Workload: Hashable, Comparable {
        var model: String
        var dataset: String
        var channels: Int
        var size: Int
        var classes: Int
        var batch: Int

        /// nil for a config of the user's own data, whose shape and classes are known only
        /// from its files.
        init?(_ cfg: SweepConfig) {
            guard cfg.data == nil, let kind = DatasetKind(rawValue: cfg.dataset) else { return nil }
            model = cfg.model; dataset = kind.rawValue; batch = cfg.batchSize
            channels = kind.imageShape.channels; size = kind.imageShape.height; classes = kind.expectedClassCount
        }

        static func == (a: Workload, b: Workload) -> Bool { a.key == b.key }
        func hash(into h: inout Hasher) { h.combine(key) }
        static func < (a: Workload, b: Workload) -> Bool { a.text < b.text }
        private var key: [String] { [model, "\(channels)", "\(size)", "\(classes)", "\(batch)"] }

        var text: String { "\(model) on \(channels)x\(size)x\(size) images, \(classes) classes, batch \(batch)" }
        var benchArguments: [String] {
            ["bench", "--model", model, "--dataset", dataset, "--batch", "\(batch)", "--threads", "1"]
        }
    }

    /// Estimated seconds of each job, in plan order: the network (`secondsPer10k` is for
    /// 10,000 iterations of the config's own workload), plus each further phase (two-phase
    /// training's phase 2, cRT) at `phase2` of a network, plus the per-job overhead.
    func jobCosts(_ jobs: [JobConfig], config: SweepConfig, secondsPer10k: Double, phase2: Double,
                  overhead: Double) -> [Double] {
        let network = secondsPer10k * Double(config.iterations) / 10_000
        return jobs.map { network * (1 + phase2 * Double(MethodRegistry.extraPhases(of: $0))) + overhead }
    }

    /// Wall time of running `costs` in order on `slots` workers, each taking the next job
    /// when it is free (as the sweep does within one task).
    static func makespan(_ costs: [Double], slots: Int) -> Double {
        var free = [Double](repeating: 0, count: max(1, slots))
        for c in costs {
            let i = free.indices.min { free[$0] < free[$1] }!
            free[i] += c
        }
        return free.max() ?? 0
    }

    /// --seconds-per-10k is one figure, so it needs the configs to share one workload (a
    /// config of the user's own data counts as a workload of its own).
    func checkGivenSecondsApply(_ workloads: Set<Workload>, ownData: [String]) throws {
        let texts = workloads.sorted().map(\.text) + ownData.map { "the own data of \($0)" }
        if secondsPer10k != nil && texts.count > 1 {
            throw ValidationError("--seconds-per-10k is the time of one workload, but the configs train "
                                  + texts.joined(separator: "; ")
                                  + "; give configs of one workload, or leave it out to measure each")
        }
    }

    func printCostModel() throws {
        let ks = try nodeCounts()
        var loaded: [(path: String, config: SweepConfig, jobs: [JobConfig])] = []
        for path in configs {
            var cfg = try SweepConfig.load(path: path)
            try cfg.resolveData(path: path)
            loaded.append((path, cfg, SweepPlan.jobs(for: cfg)))
        }
        let ownData = loaded.filter { Workload($0.config) == nil }
        if let own = ownData.first, secondsPer10k == nil || (phase2Fraction == nil && own.jobs.contains(where: \.twoPhase)) {
            throw ValidationError("\(own.path) trains on its own data, whose input shape and classes only its files "
                                  + "tell: give --seconds-per-10k (the `10,000 iterations in N s` of imbench bench "
                                  + "--model \(own.config.model) --size S --classes K --batch \(own.config.batchSize) --threads 1)"
                                  + (own.jobs.contains(where: \.twoPhase) ? " and --phase2-fraction" : ""))
        }
        let workloads = Set(loaded.compactMap { Workload($0.config) })
        try checkGivenSecondsApply(workloads, ownData: ownData.map(\.path))
        var seconds: [Workload: Double] = [:], fractions: [Workload: Double] = [:]
        var secondsNotes: [String] = [], fractionNotes: [String] = []
        for w in workloads.sorted() {
            if let given = secondsPer10k {
                seconds[w] = given
                secondsNotes.append("\(w.text): \(SlurmFmt.seconds(given)) s, given (--seconds-per-10k)")
            } else {
                let (s, note) = try Self.benchSecondsPer10k(w)
                seconds[w] = s
                secondsNotes.append("\(w.text): \(SlurmFmt.seconds(s)) s, \(note)")
            }
            if let given = phase2Fraction {
                fractions[w] = given
                fractionNotes.append("\(w.text): \(String(format: "%.2f", given)), given (--phase2-fraction)")
            } else if loaded.contains(where: { Workload($0.config) == w && $0.jobs.contains(where: \.twoPhase) }) {
                let f = Self.measurePhase2Fraction(w)
                fractions[w] = f
                fractionNotes.append("\(w.text): \(String(format: "%.2f", f)), measured here: training with every layer "
                                     + "but the last frozen, against full training, synthetic data, 1 thread, median of 3 pairs "
                                     + "of \(Self.phase2Iterations(w.model))-iteration runs")
            } else {
                fractions[w] = 0
            }
        }
        var overhead = 0.0
        var overheadNote = "not included (pass --overhead-from RESULTS_DIR to add the mean measured in a sweep's records, or --overhead-seconds S)"
        if let o = overheadSeconds {
            overhead = o
            overheadNote = String(format: "%.1f s per job, given (--overhead-seconds)", o)
        }
        if let dir = overheadFrom {
            let (mean, count) = try Self.meanOverhead(resultsDirectory: dir)
            overhead = mean
            overheadNote = String(format: "%.1f s per job, the mean of wall time minus training time over %d records in %@",
                                  mean, count, dir)
        }

        print("Cost model: one training per core, cores per node = \(nodeCores), nodes K = "
              + ks.map(String.init).joined(separator: ", ") + ".")
        print("- Time of 10,000 training iterations on one core, per workload (each config's own model, input and batch):")
        for n in secondsNotes { print("  - \(n).") }
        if !fractionNotes.isEmpty {
            print("- Phase 2 of two-phase training, as a fraction of a full network:")
            for n in fractionNotes { print("  - \(n).") }
        }
        print("- Per-job overhead (loading the data set, evaluating on the test set, learning curves): \(overheadNote).")
        print("- A network of I iterations takes its workload's time × I/10,000 (Seconds per network); "
              + "a job costs that × (1 + the phase-2 fraction if it runs phase 2) + the overhead; "
              + "network-equivalents = jobs + fraction × jobs with phase 2; CPU-hours = the sum over jobs.")
        print("- Wall time on K nodes: the jobs dealt round-robin to K × \(nodeCores) single-core array tasks "
              + "(--array-size K×\(nodeCores) --cpus-per-task 1), the slowest task's total; "
              + "assumes every node is free and ignores queueing.")
        print("")
        var header = "| Preset | Jobs (networks) | With phase 2 | Iterations | Network-equivalents | Seconds per network | CPU-hours |"
        var rule = "|---|---:|---:|---:|---:|---:|---:|"
        for k in ks {
            header += " Wall, \(k) node\(k == 1 ? "" : "s") (\(k * nodeCores) cores) |"
            rule += "---:|"
        }
        print(header)
        print(rule)
        for (path, cfg, jobs) in loaded {
            let w = Workload(cfg)
            let s = w.flatMap { seconds[$0] } ?? secondsPer10k!
            let f = w.flatMap { fractions[$0] } ?? phase2Fraction ?? 1.0 / 3
            let network = s * Double(cfg.iterations) / 10_000
            let costs = jobCosts(jobs, config: cfg, secondsPer10k: s, phase2: f, overhead: overhead)
            let twoPhase = jobs.filter(\.twoPhase).count
            let equivalents = Double(jobs.count) + f * Double(jobs.map(MethodRegistry.extraPhases).reduce(0, +))
            let total = costs.reduce(0, +)
            var row = "| `\(URL(fileURLWithPath: path).lastPathComponent)` | \(SlurmFmt.int(jobs.count)) | \(SlurmFmt.int(twoPhase)) "
                + "| \(SlurmFmt.int(cfg.iterations)) | \(SlurmFmt.int(Int(equivalents.rounded()))) | \(SlurmFmt.seconds(network)) "
                + "| \(SlurmFmt.hours(total / 3600)) |"
            for k in ks {
                let tasks = min(jobs.count, k * nodeCores)
                let wall = (1...tasks).map { i in SweepPlan.shard(costs, index: i, count: tasks).reduce(0, +) }.max() ?? 0
                row += " \(SlurmFmt.duration(wall)) |"
            }
            print(row)
        }
    }

    /// Runs `imbench bench` on the workload (1 thread) and reads its
    /// `secondsPer10kIterations` (the `10,000 iterations in N s` line).
    static func benchSecondsPer10k(_ w: Workload) throws -> (Double, String) {
        let tmp = NSTemporaryDirectory() + "imbench-slurm-bench-\(getpid()).json"
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let args = w.benchArguments + ["--output", tmp]
        printError("measuring: imbench \(w.benchArguments.joined(separator: " ")) (a minute or more; --seconds-per-10k skips it)")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: selfExecutable())
        p.arguments = args
        var env = ProcessInfo.processInfo.environment
        env["OPENBLAS_NUM_THREADS"] = "1"
        p.environment = env
        p.standardOutput = FileHandle.standardError
        try p.run()
        p.waitUntilExit()
        guard p.terminationReason == .exit, p.terminationStatus == 0,
              let data = FileManager.default.contents(atPath: tmp),
              let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let s = obj["secondsPer10kIterations"] as? Double, s > 0 else {
            throw SlurmError("imbench \(w.benchArguments.joined(separator: " ")) failed; pass --seconds-per-10k from its `10,000 iterations in N s` line")
        }
        let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?
            .split(separator: " ").first.map(String.init) ?? "?"
        return (s, "measured here by `imbench \(w.benchArguments.joined(separator: " "))` "
                + "(\(ProcessInfo.processInfo.activeProcessorCount) cores, 1-minute load average \(load) after it)")
    }

    /// Iterations of each timed run of `measurePhase2Fraction`: an All-CNN or ResNet-10
    /// iteration costs about 100 LeNet-5 ones.
    static func phase2Iterations(_ model: String) -> Int { model == "lenet5" ? 200 : 10 }

    /// Time of phase-2 training (every layer frozen except the model's fine-tuned ones, so
    /// only their gradients are computed) over full training, same iterations, same data,
    /// on the workload's input, classes and batch.
    static func measurePhase2Fraction(_ w: Workload) -> Double {
        Parallel.configure(threads: 1)
        guard let net = try? Models.make(w.model, classes: w.classes, inputChannels: w.channels, inputSize: w.size) else {
            return 1.0 / 3
        }
        var rng = RandomStream(seed: 1)
        net.initialize(using: &rng)
        let shape = net.inputShape
        let iterations = phase2Iterations(w.model)
        let n = max(2_000, w.batch * 4)
        var pixels = [UInt8](repeating: 0, count: n * shape.reduce(1, *))
        for i in pixels.indices { pixels[i] = UInt8(truncatingIfNeeded: rng.next()) }
        let data = ImageDataset(name: "synthetic", channels: shape[0], height: shape[1], width: shape[2],
                                pixels: pixels, labels: (0..<n).map { $0 % w.classes },
                                classNames: (0..<w.classes).map(String.init))
        let trainer = Trainer(network: net, classCount: w.classes)
        let d = ModelDefaults.forModel(w.model, iterations: iterations, batch: w.batch)
        let settings = SolverSettings(iterations: iterations, batchSize: w.batch,
                                      baseLearningRate: d.baseLearningRate * 0.1, policy: d.policy,
                                      momentum: d.momentum, weightDecay: d.weightDecay)
        var order = RandomStream(seed: 2), drop = RandomStream(seed: 3)
        let indices = Array(0..<n)
        func timed(frozen: Bool, iterations: Int) -> Double {
            var s = settings
            s.iterations = iterations
            if frozen { net.freezeAll(except: Models.fineTunedLayers(model: w.model)) } else { net.unfreezeAll() }
            let t0 = DispatchTime.now().uptimeNanoseconds
            _ = trainer.train(on: data, indices: indices, settings: s, orderRNG: &order, dropoutRNG: &drop)
            return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        }
        _ = timed(frozen: false, iterations: max(2, iterations / 10))   // warm-up
        _ = timed(frozen: true, iterations: max(2, iterations / 10))
        var ratios: [Double] = []
        for _ in 0..<3 {
            let full = timed(frozen: false, iterations: iterations)
            let frozen = timed(frozen: true, iterations: iterations)
            ratios.append(frozen / full)
        }
        net.unfreezeAll()
        return median(ratios)
    }

    /// Mean of `wallSeconds - trainSeconds` over the finished records of a results directory.
    static func meanOverhead(resultsDirectory: String) throws -> (Double, Int) {
        var dir = resultsDirectory
        if FileManager.default.fileExists(atPath: dir + "/records") { dir += "/records" }
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else {
            throw SlurmError("--overhead-from: cannot list \(dir)")
        }
        var sum = 0.0, count = 0
        for name in names.sorted() where name.hasSuffix(".json") {
            guard let r = try? RecordIO.read(dir + "/" + name) else { continue }
            sum += max(0, r.timings.wallSeconds - r.timings.trainSeconds)
            count += 1
        }
        guard count > 0 else { throw SlurmError("--overhead-from: no run records in \(dir)") }
        return (sum / Double(count), count)
    }
}

/// A problem found by `imbench slurm` after parsing (printed without the usage text).
struct SlurmError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Number formatting for the cost table.
private enum SlurmFmt {
    static func int(_ n: Int) -> String {
        let s = String(n)
        var out = ""
        for (i, ch) in s.reversed().enumerated() {
            if i > 0 && i % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return String(out.reversed())
    }
    static func seconds(_ s: Double) -> String { s >= 100 ? String(format: "%.0f", s) : String(format: "%.1f", s) }
    static func hours(_ h: Double) -> String {
        h >= 100 ? int(Int(h.rounded())) : h >= 1 ? String(format: "%.1f", h) : String(format: "%.2f", h)
    }
    static func duration(_ s: Double) -> String {
        let t = Int(s.rounded())
        if t >= 86_400 { return String(format: "%dd %02dh", t / 86_400, (t % 86_400) / 3600) }
        if t >= 3600 { return String(format: "%dh %02dm", t / 3600, (t % 3600) / 60) }
        if t >= 60 { return String(format: "%dm %02ds", t / 60, t % 60) }
        return "\(t) s"
    }
}

private func normalize(_ path: String) -> String {
    URL(fileURLWithPath: path).standardizedFileURL.path
}
