import ArgumentParser
import Foundation
import ImbalanceKernels
import KernelCases

/// `kernel-report`: the issue-5 kernel table. It runs the same workloads as the
/// package-benchmark target (same code, same checks against the naive references) and
/// prints what package-benchmark's own output cannot: each pass in GFLOP/s next to a 1024³
/// sgemm measured just before it in the same process, backward-data derived from the two
/// backward passes, and the share of each convolution pass spent in its GEMMs.
@main
struct KernelReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernel-report",
        abstract: "Verify, then time, the convolution, pooling, im2col and sgemm kernels.",
        discussion: """
        Case names are FAMILY/ID/PASS, for example conv/allcnn.conv2.b64/forward; --filter is \
        a regular expression that must match a whole name, as in package-benchmark \
        (e.g. 'conv/allcnn.*' or '.*/forward'). --list prints every name. Backward-data is \
        timed whenever both backward passes of a layer are selected (e.g. '.*/backward.*').
        """)

    @Option(help: "OpenBLAS threads.") var threads: Int = 1
    @Option(help: "Only the cases whose full name matches this regular expression.")
    var filter: String?
    @Option(help: "Write the results as JSON here.") var output: String?
    @Option(help: "Table format: text or markdown.") var format: String = "text"
    @Option(help: "Timed runs per pass, at least.") var minRuns: Int = 5
    @Option(help: "Seconds of timed runs per pass, at least.") var minSeconds: Double = 0.3
    @Option(help: "Render the tables of an earlier JSON report instead of running.")
    var render: String?
    @Flag(help: "List the case names and exit.") var list = false

    func validate() throws {
        guard TableFormat(rawValue: format) != nil else {
            throw ValidationError("--format must be text or markdown, not '\(format)'")
        }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard minRuns >= 1 && minSeconds >= 0 else {
            throw ValidationError("--min-runs must be at least 1 and --min-seconds non-negative")
        }
    }

    func run() throws {
        let tableFormat = TableFormat(rawValue: format)!
        if let render {
            let data: Data
            do { data = try Data(contentsOf: URL(fileURLWithPath: render)) } catch {
                throw ValidationError("cannot read the report \(render): \(error.localizedDescription)")
            }
            let report: KernelReport
            do { report = try JSONDecoder().decode(KernelReport.self, from: data) } catch {
                throw ValidationError("\(render) is not a kernel-report JSON file: \(error)")
            }
            print(KernelCases.render(report, as: tableFormat), terminator: "")
            return
        }
        let selection: [(WorkloadSpec, [String])]
        do { selection = try KernelRunner.selected(Suite.all, filter: filter) } catch {
            throw ValidationError("--filter '\(filter ?? "")' is not a valid regular expression: \(error)")
        }
        if list {
            for (spec, passes) in selection { for p in passes { print(spec.caseName(p)) } }
            return
        }
        guard !selection.isEmpty else {
            throw ValidationError("--filter '\(filter ?? "")' matches no case (see --list)")
        }
        try OpenBLAS.setThreads(threads)
        let runner = KernelRunner(
            policy: TimingPolicy(minRuns: minRuns, minSeconds: minSeconds),
            log: { FileHandle.standardError.write(Data(($0 + "\n").utf8)) })
        let command = (["kernel-report"] + CommandLine.arguments.dropFirst()).joined(separator: " ")
        let report: KernelReport
        do { report = try runner.run(selection, command: command) } catch let failure as VerificationFailure {
            FileHandle.standardError.write(Data("error: \(failure)\n".utf8))
            throw ExitCode(2)
        }
        print(KernelCases.render(report, as: tableFormat), terminator: "")
        if let output {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let url = URL(fileURLWithPath: output)
            try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(),
                                                     withIntermediateDirectories: true)
            do { try encoder.encode(report).write(to: url, options: .atomic) } catch {
                throw ValidationError("cannot write \(output): \(error.localizedDescription)")
            }
            FileHandle.standardError.write(Data("wrote \(output)\n".utf8))
        }
    }
}
