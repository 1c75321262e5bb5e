import ImbalanceNN
import KernelCases
import XCTest

/// The workloads verify the engine's real kernels on small shapes, and refuse a wrong one.
final class WorkloadTests: XCTestCase {
    func testConvolutionVerifiesAcrossSeveralChunks() throws {
        let s = ConvShape("t", "conv", 3, 5, kernel: 3, stride: 2, padding: 1, size: 9, batch: 7)
        // 2 images per chunk: the batch of 7 ends with a partial chunk.
        let w = ConvolutionWorkload(s, tuning: ConvolutionTuning(
            columnBudget: 2 * s.patchSize * s.outPlane, minimumColumns: 1))
        XCTAssertEqual(w.chunk, 2)
        XCTAssertEqual(w.verificationBatch, 3)
        let (checks, passes) = try w.verified()
        XCTAssertEqual(checks.count, 9)
        XCTAssertEqual(passes.map(\.name), ConvolutionWorkload.passNames)
        XCTAssertEqual(passes[0].flops, 2 * Double(7 * 5 * 25 * 27))
        for c in checks { XCTAssertLessThan(c.relativeError, verificationTolerance, c.quantity) }
        for p in passes { p.prepare(); p.run() }
    }

    func testPointwiseAndPoolingAndUnfoldingVerify() throws {
        let pointwise = ConvShape("t", "proj", 4, 6, kernel: 1, stride: 2, size: 6, batch: 3)
        _ = try ConvolutionWorkload(pointwise).verified()
        let pool = PoolShape("t", "pool", channels: 3, size: 7, kernel: 2, stride: 2, batch: 2)
        let (poolChecks, _) = try PoolWorkload(pool).verified()
        XCTAssertEqual(poolChecks.map(\.relativeError), [0, 0])   // max and scatter are exact
        let unfold = ConvShape("t", "unfold", 2, 1, kernel: 3, padding: 1, size: 5, batch: 3)
        let (unfoldChecks, _) = try UnfoldWorkload(unfold).verified()
        XCTAssertEqual(unfoldChecks.map(\.quantity), ["col2im", "im2col"])
        XCTAssertEqual(unfoldChecks.map(\.coverage), ["last chunk, 3 of 3 images",
                                                      "last chunk, 3 of 3 images"])
        let (gemmChecks, _) = try GemmWorkload(GemmShape(m: 33, n: 17, k: 9)).verified()
        XCTAssertEqual(gemmChecks.first?.coverage, "64 entries")
    }

    /// A kernel that leaves its output unwritten (here: a frozen weight, which the layer
    /// gives no gradient) must stop the run with a message naming what is wrong.
    func testVerificationRefusesAWrongKernel() {
        let s = ConvShape("t", "conv", 2, 3, kernel: 3, size: 6, batch: 2)
        let w = ConvolutionWorkload(s)
        w.layer.weight.isTrainable = false
        XCTAssertThrowsError(try w.verified()) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("t.conv.b2: weight gradient"), message)
            XCTAssertTrue(message.contains("nothing was timed"), message)
        }
    }
}

final class CatalogueTests: XCTestCase {
    func testOutputSizesOfTheNetworks() {
        func out(_ shapes: [ConvShape], _ layer: String) -> Int? {
            shapes.first { $0.layer == layer }?.outHeight
        }
        XCTAssertEqual(out(Catalogue.lenet5, "conv2"), 8)
        XCTAssertEqual(out(Catalogue.allCNN, "conv3"), 16)
        XCTAssertEqual(out(Catalogue.allCNN, "conv6"), 8)
        XCTAssertEqual(out(Catalogue.allCNN, "conv7"), 6)
        XCTAssertEqual(out(Catalogue.resnet10, "block4a"), 4)
        XCTAssertEqual(out(Catalogue.resnet10, "proj4"), 4)
        XCTAssertEqual(Catalogue.pools.map(\.outHeight), [12, 4])
        XCTAssertEqual(Catalogue.convolutions.count, 2 + 10 + 11)
        XCTAssertEqual(Set(Catalogue.convolutions.map(\.id)).count, 23)
        // conv2..conv7 at batch 64, and conv2 again at 256.
        XCTAssertEqual(Catalogue.allCNN.filter(Catalogue.isAllCNNTarget).map(\.id),
                       ["allcnn.conv2.b64", "allcnn.conv3.b64", "allcnn.conv4.b64",
                        "allcnn.conv5.b64", "allcnn.conv6.b64", "allcnn.conv7.b64",
                        "allcnn.conv2.b256"])
    }

    func testFilterMatchesWholeCaseNamesAsPackageBenchmarkDoes() throws {
        let one = try KernelRunner.selected(Suite.all, filter: "conv/allcnn.conv2.b64/forward")
        XCTAssertEqual(one.map(\.0.id), ["allcnn.conv2.b64"])
        XCTAssertEqual(one.first?.1, ["forward"])
        // "forward" alone matches nothing: the pattern must match the whole name.
        XCTAssertTrue(try KernelRunner.selected(Suite.all, filter: "forward").isEmpty)
        let forwards = try KernelRunner.selected(Suite.all, filter: ".*/forward")
        XCTAssertEqual(forwards.count, Catalogue.convolutions.count + Catalogue.pools.count)
        XCTAssertThrowsError(try KernelRunner.selected(Suite.all, filter: "("))
    }
}

final class ReportTests: XCTestCase {
    /// Rows come in catalogue order with backward-data right after the full backward pass,
    /// and the GEMM-alone share of a pass is its GEMMs' time over the pass's.
    func testRowsOrderAndGemmShare() throws {
        let spec = Suite.all.first { $0.id == "lenet5.conv2.b64" }!
        let flops = Catalogue.lenet5[1].flops
        func pass(_ name: String, _ f: Double) -> Pass {
            Pass(name: name, flops: f, bytes: 0, prepare: {}, run: {})
        }
        let timings: [String: (Pass, Timing)] = [
            "backward-weights": (pass("backward-weights", flops),
                                 Timing(samples: [0.002], yardstickGFLOPS: [90], ratios: [1])),
            "backward": (pass("backward", 2 * flops),
                         Timing(samples: [0.005, 0.006, 0.007], yardstickGFLOPS: [100, 110, 120],
                                ratios: [1, 1, 1])),
            "backward-data": (pass("backward-data", flops),
                              Timing(samples: [0.003, 0.004, 0.005], yardstickGFLOPS: [100],
                                     ratios: [0.5, 0.6, 0.7])),
            "gemm-data": (pass("gemm-data", flops), Timing(samples: [0.002])),
        ]
        let rows = KernelRunner.rows(spec, timings)
        XCTAssertEqual(rows.map(\.pass), ["backward-weights", "backward", "backward-data", "gemm-data"])
        let data = rows[2]
        XCTAssertTrue(data.derived)
        XCTAssertEqual(data.milliseconds, 4, accuracy: 1e-9)
        let gflops = flops / 0.004 / 1e9
        XCTAssertEqual(data.gflops!, (gflops * 100).rounded() / 100, accuracy: 1e-9)
        XCTAssertEqual(data.gemmShare!, 0.5, accuracy: 1e-9)
        XCTAssertEqual(data.sgemmGFLOPS, 100)
        XCTAssertEqual(data.percentOfSgemm, 60)
        XCTAssertEqual(rows[1].milliseconds, 6, accuracy: 1e-9)
        XCTAssertEqual(rows[1].percentOfSgemm, 100)
        XCTAssertFalse(rows[1].derived)
    }

    /// A baseline turns every sample into the difference of two neighbouring runs.
    func testMeasureWithABaselineTimesDifferences() {
        func spin(_ seconds: Double) -> () -> Void {
            { let clock = ContinuousClock(), start = clock.now
              while (clock.now - start).seconds < seconds {} }
        }
        let full = Pass(name: "full", flops: 3e6, bytes: 0, prepare: {}, run: spin(0.004))
        let part = Pass(name: "part", flops: 1e6, bytes: 0, prepare: {}, run: spin(0.001))
        let t = KernelCases.measure(full, policy: TimingPolicy(warmupRuns: 0, minRuns: 5, minSeconds: 0),
                                    baseline: part)
        XCTAssertEqual(t.runs, 5)
        XCTAssertEqual(t.median, 0.003, accuracy: 0.002)
    }

    /// Interleaving: every timed run is compared with a yardstick run, and the ratio uses
    /// the yardstick run just before it.
    func testMeasureInterleavesTheYardstick() {
        var passRuns = 0, yardRuns = 0
        let pass = Pass(name: "p", flops: 1e6, bytes: 0, prepare: {}, run: { passRuns += 1 })
        let yard = Pass(name: "y", flops: 1e6, bytes: 0, prepare: {}, run: { yardRuns += 1 })
        let t = KernelCases.measure(pass, policy: TimingPolicy(warmupRuns: 2, minRuns: 7, minSeconds: 0),
                        yardstick: yard)
        XCTAssertEqual(t.runs, 7)
        XCTAssertEqual(passRuns, 9)
        XCTAssertGreaterThanOrEqual(yardRuns, 1)
        XCTAssertNotNil(t.percentOfYardstick)
        XCTAssertNil(KernelCases.measure(pass, policy: TimingPolicy(minRuns: 1, minSeconds: 0)).yardstickGFLOPS)
    }

    /// The whole path on the two small LeNet pools: verify, yardstick, time, render, JSON.
    func testRunnerProducesRowsTablesAndJSON() throws {
        let runner = KernelRunner(policy: TimingPolicy(warmupRuns: 0, minRuns: 1, minSeconds: 0),
                                  log: { _ in })
        let selection = try KernelRunner.selected(Suite.all, filter: "pool/.*|sgemm/512.*")
        let report = try runner.run(selection, command: "test")
        XCTAssertEqual(report.rows.map(\.pass), ["sgemm", "forward", "backward", "forward", "backward"])
        // Only the sgemm pass is compared with the yardstick; pooling reports bandwidth.
        XCTAssertEqual(report.yardstick.passes, 1)
        XCTAssertNotNil(report.rows[0].percentOfSgemm)
        XCTAssertTrue(report.rows.dropFirst().allSatisfy {
            ($0.gigabytesPerSecond ?? 0) > 0 && $0.percentOfSgemm == nil
        })
        XCTAssertEqual(report.checks.count, 3)
        let markdown = render(report, as: .markdown)
        XCTAssertTrue(markdown.contains("#### Max pooling"), markdown)
        XCTAssertTrue(markdown.contains("| LeNet-5 pool1 | 20×24×24 2×2/2 → 20×12×12, N=64 | forward |"),
                      markdown)
        let decoded = try JSONDecoder().decode(KernelReport.self, from: JSONEncoder().encode(report))
        XCTAssertEqual(decoded.rows.count, 5)
    }
}
