import ArgumentParser
import Foundation
import ImbalanceSweep
import ImbalanceTraining

/// `imbench status DIR`: each job of a sweep as finished, running, failed or missing.
struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List a sweep's jobs as finished, running (held by a live process), failed or missing.",
        discussion: """
        Reads DIR/sweep.yaml (written by `imbench sweep`), or --config, for the grid; then, \
        for each job: finished (its record is in DIR/records/; diverged runs are marked), \
        running (its lock is held by a live process, here or on another node of a shared \
        filesystem; with the job log's last line), failed (a worker ran it and stopped \
        without a record; with the reason from its log), missing (never started), \
        other-engine (only a record of another engine version) or corrupt (a damaged \
        record). Changes nothing. Exit status 0 when every job is finished, else 1.
        """)

    @Argument(help: "A sweep's results directory.") var directory: String
    @Option(help: "The sweep config (default: DIR/sweep.yaml).") var config: String?
    @Option(help: "Show only jobs in these states, comma-separated (finished, running, failed, missing, other-engine, corrupt).")
    var only: String?

    func validate() throws {
        if let only {
            let known = ["finished", "running", "failed", "missing", "other-engine", "corrupt"]
            for s in only.split(separator: ",") where !known.contains(String(s)) {
                throw ValidationError("--only: unknown state '\(s)'; expected \(known.joined(separator: ", "))")
            }
        }
    }

    func run() throws {
        let layout = SweepLayout(root: absolute(directory))
        let path = config ?? layout.root + "/sweep.yaml"
        guard FileManager.default.fileExists(atPath: path) else {
            throw ValidationError("\(path) does not exist: \(directory) is not a sweep's results directory "
                                  + "(or give the config with --config)")
        }
        let cfg = try SweepConfig.load(path: path)
        let states = SweepStatus.states(of: SweepPlan.jobs(for: cfg), layout: layout)
        let wanted = only.map { Set($0.split(separator: ",").map(String.init)) }
        var counts: [String: Int] = [:]
        for (id, state) in states {
            counts[state.name, default: 0] += 1
            guard wanted?.contains(state.name) ?? true else { continue }
            var line = state.name.padding(toLength: 13, withPad: " ", startingAt: 0) + id
            switch state {
            case .finished(let diverged): if diverged { line += "  (diverged)" }
            case .running(let progress): if let progress { line += "  " + progress }
            case .failed(let reason): line += "  " + reason
            case .otherEngine(let version): line += "  (a record of engine \(version); this is \(ImbalanceBenchInfo.version))"
            case .corrupt(let reason): line += "  " + reason
            case .missing: break
            }
            print(line)
        }
        let order = ["finished", "running", "failed", "missing", "other-engine", "corrupt"]
        print("sweep \(cfg.name) in \(directory): \(states.count) jobs: "
              + order.filter { counts[$0] != nil }.map { "\(counts[$0]!) \($0)" }.joined(separator: ", "))
        if counts["finished", default: 0] != states.count { throw ExitCode(1) }
    }
}
