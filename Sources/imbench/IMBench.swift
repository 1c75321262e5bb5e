import ArgumentParser
import Foundation
import ImbalanceSweep
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
        subcommands: [Train.self, Sweep.self, Status.self, ReportCommand.self, ExportCommand.self, Show.self,
                      Reproduce.self, ConfigCommand.self, MethodsCommand.self, Demo.self, Bench.self,
                      DataCommand.self, SlurmCommand.self, Resample.self, RunJob.self])

    /// ArgumentParser's own main, except that usage errors exit with status 2 (as getopt
    /// tools do) rather than 64.
    static func main() {
        var command: ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            exit(after: error, type: self)
        }
        do {
            try command.run()
        } catch {
            exit(after: error, type: type(of: command))
        }
    }

    /// Prints what `error` calls for and exits: help (with its footer), or the error, with
    /// status 2 for usage errors.
    static func exit(after error: Error, type: ParsableCommand.Type) -> Never {
        let code = type.exitCode(for: error)
        if code == .success {
            // A help request (for --help, ArgumentParser returns a command that throws it).
            let text = type.fullMessage(for: error)
            if let footer = helpFooters.first(where: { text.contains("USAGE: imbench \($0.key) ") })?.value {
                print(text + "\n" + footer, terminator: "")
                Foundation.exit(0)
            }
        }
        if code == .validationFailure {
            writeIgnoringErrors(.standardError, type.fullMessage(for: error) + "\n")
            Foundation.exit(2)
        }
        type.exit(withError: error)
    }

    /// Text printed after a command's help (ArgumentParser puts the discussion first).
    static let helpFooters: [String: String] = [
        "sweep": "A MINIMAL CONFIG (imbench config example > my.yaml; every key: imbench config keys):\n\n"
            + SweepConfig.minimalExample.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n") + "\n",
    ]

}
