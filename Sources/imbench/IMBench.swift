import ArgumentParser
import Foundation
import ImbalanceTraining

/// `imbench`: the command-line interface of ImbalanceBench.
@main
struct IMBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "imbench",
        abstract: "Class-imbalance benchmarks for CNNs on the CPU (Buda, Maki & Mazurowski 2018).",
        discussion: """
        Exit status: 0 success; 1 a failure (bad data or config file, a failed job); 2 a \
        usage error (an unknown option, a value out of range, an option that does not apply \
        to the others given); 3 training diverged (imbench train).
        """,
        version: ImbalanceBenchInfo.version,
        subcommands: [Train.self, Sweep.self, Status.self, ReportCommand.self, Show.self, ConfigCommand.self,
                      Demo.self, Bench.self, DataCommand.self, SlurmCommand.self, RunJob.self])

    /// ArgumentParser's own main, except that usage errors exit with status 2 (as getopt
    /// tools do) rather than 64.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            if exitCode(for: error) == .validationFailure {
                writeIgnoringErrors(.standardError, fullMessage(for: error) + "\n")
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}
