import ArgumentParser
import ImbalanceTraining

/// `imbench`: the command-line interface of ImbalanceBench.
@main
struct IMBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "imbench",
        abstract: "Class-imbalance benchmarks for CNNs on the CPU (Buda, Maki & Mazurowski 2018).",
        version: ImbalanceBenchInfo.version,
        subcommands: [Train.self, Sweep.self, ReportCommand.self, ExportCommand.self, Reproduce.self, Demo.self, Bench.self,
                      DataCommand.self, SlurmCommand.self, Resample.self, MethodsCommand.self, RunJob.self])
}
