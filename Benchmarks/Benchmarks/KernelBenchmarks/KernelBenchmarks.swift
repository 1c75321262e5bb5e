import Benchmark
import Foundation
import KernelCases

// Every kernel case as a package-benchmark benchmark, named as in kernel-report
// (FAMILY/ID/PASS), so baselines can be saved and compared with package-benchmark's own
// tools: `swift package benchmark baseline update main`, then `... baseline compare main`.
//
// Each benchmark's setup builds its workload, checks every kernel in it against the naive
// Double references (a failure throws: package-benchmark prints the message and times
// nothing for that benchmark) and measures a 1024³ sgemm, so each benchmark reports two
// custom metrics next to the wall clock: its MFLOP/s, and that figure as a percentage of
// the sgemm measured just before it. Allocation counts come with them: the engine's
// kernels should allocate nothing per run.

/// package-benchmark's custom metrics are integers: MFLOP/s keeps three significant digits
/// of a GFLOP/s figure.
let mflops = BenchmarkMetric.custom("MFLOP/s", polarity: .prefersLarger, useScalingFactor: false)
let percentOfSgemm = BenchmarkMetric.custom("% of sgemm 1024³", polarity: .prefersLarger,
                                            useScalingFactor: false)

/// package-benchmark runs every benchmark in a process of its own, so each one builds and
/// verifies its workload in its setup, and measures its own yardstick there.
func prepare(_ spec: WorkloadSpec, _ passName: String) throws -> State {
    let (checks, passes) = try spec.make().verified()
    guard let pass = passes.first(where: { $0.name == passName }) else {
        fatalError("KernelBenchmarks: \(spec.id) has no pass \(passName)")
    }
    let worst = checks.map(\.relativeError).max() ?? 0
    FileHandle.standardError.write(Data(("\(spec.caseName(passName)): \(checks.count) checks "
        + "against the naive references passed (worst relative error "
        + String(format: "%.1e", worst) + ")\n").utf8))
    let yardstick = try GemmWorkload(Catalogue.yardstick, seed: 99).verified().passes[0]
    let t = measure(yardstick, policy: TimingPolicy(warmupRuns: 1, minRuns: 5, minSeconds: 0))
    return State(pass: pass, sgemm: Catalogue.yardstick.flops / t.median / 1e9)
}

/// The pass to time, and the GFLOP/s of the 1024³ sgemm measured just before it.
struct State {
    let pass: Pass
    let sgemm: Double
}

let benchmarks: @Sendable () -> Void = {
    // No CPU-time metric: reading it parses /proc between the harness's two malloc
    // snapshots, which would show 16 allocations per run that the kernels do not make
    // (and its 10 ms resolution says nothing about millisecond kernels).
    let configuration = Benchmark.Configuration(
        metrics: [.wallClock, .throughput, .mallocCountTotal, mflops, percentOfSgemm],
        warmupIterations: 1,
        maxDuration: .seconds(2),
        maxIterations: 200)
    let clock = ContinuousClock()
    for spec in Suite.all {
        for passName in spec.passNames {
            Benchmark(spec.caseName(passName), configuration: configuration,
                      closure: { (benchmark: Benchmark, state: State) in
                          state.pass.prepare()
                          benchmark.startMeasurement()
                          let start = clock.now
                          state.pass.run()
                          let seconds = (clock.now - start).seconds
                          benchmark.stopMeasurement()
                          if state.pass.flops > 0 {
                              let gflops = state.pass.flops / seconds / 1e9
                              benchmark.measurement(mflops, Int((gflops * 1000).rounded()))
                              benchmark.measurement(percentOfSgemm,
                                                    Int((100 * gflops / state.sgemm).rounded()))
                          }
                      },
                      setup: { try prepare(spec, passName) })
        }
    }
}
