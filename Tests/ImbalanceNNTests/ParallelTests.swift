import XCTest
import ImbalanceKernels
import ImbalanceRandom
@testable import ImbalanceNN

/// The engine splits work across threads in a way that must never change a result: the
/// same network, input and seed give bit-identical outputs and gradients on 1, 2 and 3
/// threads (records do not depend on the machine's core count or `--threads`).
final class ParallelTests: XCTestCase {
    override func tearDown() { Parallel.threads = 1 }

    func testForEachVisitsEveryPieceOnceWithAFixedWorker() {
        for threads in 1...3 {
            Parallel.threads = threads
            let count = 7
            let seen = UnsafeMutablePointer<Int>.allocate(capacity: count)
            defer { seen.deallocate() }
            seen.initialize(repeating: -1, count: count)
            Parallel.forEach(count) { piece, worker in seen[piece] = worker }
            let workers = Parallel.workers(for: count)
            XCTAssertEqual(workers, min(threads, count))
            for piece in 0..<count { XCTAssertEqual(seen[piece], piece % workers) }
        }
    }

    func testRangesCoverTheTotalInOrder() {
        for total in [0, 1, 5, 64, 1001] {
            for pieces in 1...5 {
                let ranges = (0..<pieces).map { Parallel.range($0, of: pieces, total: total) }
                XCTAssertEqual(ranges.first?.lowerBound, 0)
                XCTAssertEqual(ranges.last?.upperBound, total)
                for (a, b) in zip(ranges, ranges.dropFirst()) {
                    XCTAssertEqual(a.upperBound, b.lowerBound)
                    XCTAssertLessThanOrEqual(a.count - b.count, 1)
                }
            }
        }
    }

    /// Output and every parameter gradient of one training step, as raw bit patterns.
    private func step(_ model: String, batch: Int, threads: Int,
                      fused: Bool = true) throws -> [[UInt32]] {
        Parallel.threads = threads
        defer { Parallel.threads = 1 }
        let net = try Models.make(model, classes: 10,
                                  tuning: ConvolutionTuning(fusesPooling: fused))
        var rng = RandomStream(seed: 7)
        net.initialize(using: &rng)
        net.prepare(batch: batch)
        for i in 0..<net.input.count { net.input[i] = 2 * rng.uniformFloat() - 1 }
        var ctx = ForwardContext(training: true, dropoutRNG: RandomStream(seed: 11))
        let out = net.forward(context: &ctx)
        for i in 0..<net.outputGradient.count {
            net.outputGradient[i] = 2 * rng.uniformFloat() - 1
        }
        net.backward()
        return [out.array.map(\.bitPattern)]
            + net.parameters.map { $0.gradient.array.map(\.bitPattern) }
            // conv2's input gradient: through the second fused pair.
            + (model == "lenet5" ? [net.gradients[2].array.map(\.bitPattern)] : [])
    }

    /// LeNet-5's convolution + pooling pairs run fused by default; fusion changes no bit
    /// of the output, the parameter gradients or the input gradient of conv2 (whose output
    /// gradient came through the fused unpooling), on one thread or two.
    func testLeNetFusedConvolutionPoolingIsBitIdenticalToSeparateLayers() throws {
        let fused = try Models.make("lenet5", classes: 10)
        fused.prepare(batch: 64)
        XCTAssertEqual(fused.stages.filter { $0.range.count == 2 }.count, 2, "both pairs fused")
        for threads in [1, 2] {
            let separate = try step("lenet5", batch: 64, threads: threads, fused: false)
            XCTAssertEqual(try step("lenet5", batch: 64, threads: threads), separate,
                           "threads \(threads)")
        }
        // A batch whose images do not fill a whole number of groups.
        XCTAssertEqual(try step("lenet5", batch: 7, threads: 2),
                       try step("lenet5", batch: 7, threads: 1, fused: false))
    }

    func testLeNetStepIsBitIdenticalOnOneTwoAndThreeThreads() throws {
        let one = try step("lenet5", batch: 64, threads: 1)
        XCTAssertEqual(try step("lenet5", batch: 64, threads: 2), one)
        XCTAssertEqual(try step("lenet5", batch: 64, threads: 3), one)
        // And the step did something: gradients are not all zero.
        XCTAssertTrue(one.dropFirst().contains { $0.contains { $0 != 0 } })
    }

    func testAllCNNStepIsBitIdenticalOnOneAndTwoThreads() throws {
        let one = try step("allcnn", batch: 6, threads: 1)
        XCTAssertEqual(try step("allcnn", batch: 6, threads: 2), one)
    }

    func testResNetStepIsBitIdenticalOnOneAndTwoThreads() throws {
        let one = try step("resnet10", batch: 5, threads: 1)
        XCTAssertEqual(try step("resnet10", batch: 5, threads: 2), one)
    }
}
