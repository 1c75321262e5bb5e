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
        let net = try Models.make(model, classes: 10)
        net.fusesConvolutionPooling = fused
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

final class ConvolutionPlanTests: XCTestCase {
    /// A work count asks a convolution for the shape of one image (`imbench bench` does);
    /// the next forward on the full batch must still convolve every image.
    func testShapeQueryForAnotherBatchSizeDoesNotShortenTheBatch() throws {
        let net = try Models.make("lenet5", classes: 10)
        var rng = RandomStream(seed: 3)
        net.initialize(using: &rng)
        net.prepare(batch: 64)
        for i in 0..<net.input.count { net.input[i] = rng.uniformFloat() }
        var ctx = ForwardContext(training: false, dropoutRNG: RandomStream(seed: 1))
        let before = net.forward(context: &ctx).array
        _ = net.layers[0].outputShape(for: [1, 1, 28, 28])
        _ = net.layers[2].outputShape(for: [3, 20, 12, 12])
        XCTAssertEqual(net.forward(context: &ctx).array, before)
        XCTAssertNotEqual(before.suffix(10), Array(repeating: 0, count: 10))
    }
}

/// `a` equals `b` to fp32 rounding, relative to b's largest magnitude (at least 1).
private func assertClose(_ a: [Float], _ b: [Float], _ what: String,
                         file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, what, file: file, line: line)
    let scale = max(1, b.map(abs).max() ?? 1)
    let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
    XCTAssertLessThan(worst / scale, 2e-5, "\(what): worst difference \(worst)",
                      file: file, line: line)
}

/// One convolution method's forward and backward against another's: outputs and the
/// input and weight gradients to fp32 rounding, the bias gradient (the same sum) exactly.
private func assertSamePasses(
    _ a: (out: [Float], dX: [Float], dW: [Float], dB: [Float]),
    _ b: (out: [Float], dX: [Float], dW: [Float], dB: [Float]), _ name: String,
    file: StaticString = #filePath, line: UInt = #line) {
    assertClose(a.out, b.out, "output \(name)", file: file, line: line)
    assertClose(a.dX, b.dX, "input gradient \(name)", file: file, line: line)
    assertClose(a.dW, b.dW, "weight gradient \(name)", file: file, line: line)
    XCTAssertEqual(a.dB, b.dB, "bias gradient \(name) (same sum)", file: file, line: line)
}

/// One training pass of `conv` (with a bias) on `x`, with output gradient `dY`.
private func convolutionPasses(_ conv: Convolution, x: Tensor, dY: Tensor)
    -> (out: [Float], dX: [Float], dW: [Float], dB: [Float]) {
    let y = Tensor(shape: dY.shape), dX = Tensor(shape: x.shape)
    var ctx = ForwardContext(training: true, dropoutRNG: RandomStream(seed: 1))
    conv.forward(x, into: y, context: &ctx)
    conv.backward(input: x, output: y, outputGradient: dY, inputGradient: dX)
    return (y.array, dX.array, conv.weight.gradient.array, conv.bias!.gradient.array)
}

/// Winograd F(2x2,3x3) against the direct im2col convolution of the same layer: outputs,
/// input and weight gradients agree to fp32 rounding (the bias gradient is the same sum), on odd sizes (partial edge tiles), each
/// padding it serves, and batches that span several chunks and groups.
final class WinogradTests: XCTestCase {
    private func run(_ conv: Convolution, shape: [Int], winograd: Bool)
        -> (out: [Float], dX: [Float], dW: [Float], dB: [Float]) {
        conv.winograd = winograd ? .always : .never
        let outShape = conv.outputShape(for: shape)
        XCTAssertEqual(conv.usesWinograd, winograd)
        var rng = RandomStream(seed: 5)
        let x = Tensor(shape: shape), y = Tensor(shape: outShape)
        let dY = Tensor(shape: outShape), dX = Tensor(shape: shape)
        for i in 0..<x.count { x[i] = 2 * rng.uniformFloat() - 1 }
        for i in 0..<dY.count { dY[i] = 2 * rng.uniformFloat() - 1 }
        var ctx = ForwardContext(training: true, dropoutRNG: RandomStream(seed: 1))
        conv.forward(x, into: y, context: &ctx)
        conv.backward(input: x, output: y, outputGradient: dY, inputGradient: dX)
        return (y.array, dX.array, conv.weight.gradient.array, conv.bias?.gradient.array ?? [])
    }

    func testMatchesDirectConvolution() {
        let cases: [(c: Int, f: Int, h: Int, w: Int, pad: Int, n: Int)] = [
            (3, 4, 7, 5, 1, 3), (2, 5, 6, 6, 0, 2), (4, 3, 5, 8, 2, 2),
            (16, 8, 32, 32, 1, 3), (8, 16, 9, 9, 0, 11), (5, 7, 3, 3, 1, 70),
        ]
        for threads in [1, 2] {
            Parallel.threads = threads
            defer { Parallel.threads = 1 }
            for k in cases {
                let conv = Convolution(name: "w", inputChannels: k.c, filters: k.f, kernel: 3,
                                       padding: k.pad)
                var rng = RandomStream(seed: 9)
                conv.initialize(using: &rng)
                for i in 0..<k.f { conv.bias!.value[i] = Float(i) * 0.1 - 0.2 }
                let shape = [k.n, k.c, k.h, k.w]
                let direct = run(conv, shape: shape, winograd: false)
                let fast = run(conv, shape: shape, winograd: true)
                assertSamePasses(fast, direct, "\(k) threads \(threads)")
            }
        }
    }

    func testGradientCheckOddSizesSeveralChunks() {
        let conv = Convolution(name: "conv_winograd", inputChannels: 2, filters: 3, kernel: 3,
                               padding: 1)
        conv.winogradTiles = 9   // one 5x5 image (9 tiles) per chunk: 3 chunks
        conv.winograd = .always
        checkGradients(of: conv, inputShape: [3, 2, 5, 5])
        XCTAssertTrue(conv.usesWinograd)
    }

    func testAutomaticChoiceFollowsTheMeasuredRule() throws {
        let net = try Models.make("allcnn", classes: 10)
        net.prepare(batch: 2)
        let chosen = net.convolutions.filter(\.usesWinograd).map(\.name)
        XCTAssertEqual(chosen, ["conv2", "conv4", "conv5"])
        // The weight gradient's rule reaches smaller maps: conv7's 6x6 too.
        let forWeights = net.convolutions.filter(\.usesWinogradForWeights).map(\.name)
        XCTAssertEqual(forWeights, ["conv2", "conv4", "conv5", "conv7"])
    }

    func testWeightGradientOnlyWinogradMatchesDirect() {
        // An 8x8 map: forward and input gradient direct, weight gradient by Winograd.
        let conv = Convolution(name: "w8", inputChannels: 16, filters: 16, kernel: 3,
                               padding: 1)
        var rng = RandomStream(seed: 4)
        conv.initialize(using: &rng)
        let shape = [5, 16, 8, 8]
        let direct = run(conv, shape: shape, winograd: false)
        conv.winograd = .automatic
        let outShape = conv.outputShape(for: shape)
        XCTAssertFalse(conv.usesWinograd)
        XCTAssertTrue(conv.usesWinogradForWeights)
        var data = RandomStream(seed: 5)
        let x = Tensor(shape: shape), y = Tensor(shape: outShape)
        let dY = Tensor(shape: outShape), dX = Tensor(shape: shape)
        for i in 0..<x.count { x[i] = 2 * data.uniformFloat() - 1 }
        for i in 0..<dY.count { dY[i] = 2 * data.uniformFloat() - 1 }
        // The batch is one Winograd chunk, whose transforms are split across workers:
        // the same bits on 1 and 2 threads.
        var perThreads: [[Float]] = []
        for threads in [1, 2] {
            Parallel.threads = threads
            defer { Parallel.threads = 1 }
            conv.winograd = .automatic   // plans again: scratch for this many workers
            _ = conv.outputShape(for: shape)
            var ctx = ForwardContext(training: true, dropoutRNG: RandomStream(seed: 1))
            conv.forward(x, into: y, context: &ctx)
            conv.backward(input: x, output: y, outputGradient: dY, inputGradient: dX)
            XCTAssertEqual(y.array, direct.out, "forward is the direct method's")
            XCTAssertEqual(dX.array, direct.dX, "input gradient is the direct method's")
            assertClose(conv.weight.gradient.array, direct.dW, "weight gradient")
            perThreads.append(conv.weight.gradient.array)
        }
        XCTAssertEqual(perThreads[0], perThreads[1], "weight gradient on 1 and 2 threads")
    }
}

/// Images whose column matrix exceeds the band budget are unfolded band by band: the same
/// outputs, and gradients equal to fp32 rounding, against unfolding the whole image.
final class ConvolutionBandTests: XCTestCase {
    private func pass(_ conv: Convolution, x: Tensor, dY: Tensor)
        -> (out: [Float], dX: [Float], dW: [Float], dB: [Float]) {
        convolutionPasses(conv, x: x, dY: dY)
    }

    func testBandsMatchWholeImages() {
        for (stride, pad) in [(1, 1), (2, 1), (1, 0)] {
            let conv = Convolution(name: "band", inputChannels: 3, filters: 4, kernel: 3,
                                   stride: stride, padding: pad)
            conv.winograd = .never
            var rng = RandomStream(seed: 3)
            conv.initialize(using: &rng)
            let shape = [3, 3, 11, 9]
            let outShape = conv.outputShape(for: shape)
            let x = Tensor(shape: shape), dY = Tensor(shape: outShape)
            for i in 0..<x.count { x[i] = 2 * rng.uniformFloat() - 1 }
            for i in 0..<dY.count { dY[i] = 2 * rng.uniformFloat() - 1 }
            conv.columnBudget = 1       // one image per chunk, however small
            conv.minimumColumns = 1
            let whole = pass(conv, x: x, dY: dY)
            conv.bandBudget = 27 * outShape[3] * 2   // two output rows per band
            let banded = pass(conv, x: x, dY: dY)
            let name = "stride \(stride) pad \(pad)"
            XCTAssertEqual(banded.out, whole.out, "output, \(name)")
            XCTAssertEqual(banded.dB, whole.dB, "bias gradient, \(name)")
            for (a, b, what) in [(banded.dX, whole.dX, "input"), (banded.dW, whole.dW, "weight")] {
                let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
                XCTAssertLessThan(worst, 1e-5, "\(what) gradient, \(name)")
            }
        }
    }

    func testGradientCheckInBands() {
        let conv = Convolution(name: "conv_bands", inputChannels: 2, filters: 3, kernel: 3,
                               padding: 1)
        conv.winograd = .never
        conv.columnBudget = 1
        conv.minimumColumns = 1
        conv.bandBudget = 18 * 7   // one output row of a 7-wide map per band
        checkGradients(of: conv, inputShape: [2, 2, 5, 7])
    }
}

/// Kernel rows split into GEMMs of their own (a 1 x KW column matrix, KH shifted windows)
/// against one GEMM over the full column matrix: outputs and gradients equal to fp32
/// rounding, on each padding, 3x3 and 5x5 kernels, odd sizes, bands, several groups and
/// 1 and 2 threads.
final class KernelRowTests: XCTestCase {
    private func pass(_ conv: Convolution, x: Tensor, dY: Tensor, rows: Bool)
        -> (out: [Float], dX: [Float], dW: [Float], dB: [Float]) {
        conv.kernelRows = rows ? .always : .never
        _ = conv.outputShape(for: x.shape)
        XCTAssertEqual(conv.usesKernelRows, rows)
        return convolutionPasses(conv, x: x, dY: dY)
    }

    func testMatchesOneGEMMOverFullColumns() {
        let cases: [(c: Int, f: Int, k: Int, h: Int, w: Int, pad: Int, n: Int, band: Int?)] = [
            (20, 50, 5, 12, 12, 0, 9, nil),   // LeNet-5's conv2
            (3, 4, 3, 7, 5, 1, 3, nil), (2, 5, 5, 9, 8, 2, 2, nil), (4, 3, 3, 6, 6, 0, 5, 2),
            (5, 6, 5, 11, 7, 1, 3, 3), (7, 2, 3, 3, 3, 1, 70, nil),
        ]
        for threads in [1, 2] {
            Parallel.threads = threads
            defer { Parallel.threads = 1 }
            for k in cases {
                let conv = Convolution(name: "rows", inputChannels: k.c, filters: k.f,
                                       kernel: k.k, padding: k.pad)
                conv.winograd = .never
                conv.columnBudget = 1   // one image per chunk, however small
                conv.minimumColumns = 1
                var rng = RandomStream(seed: 9)
                conv.initialize(using: &rng)
                for i in 0..<k.f { conv.bias!.value[i] = Float(i) * 0.1 - 0.2 }
                let shape = [k.n, k.c, k.h, k.w]
                let outShape = conv.outputShape(for: shape)
                if let band = k.band {
                    conv.bandBudget = k.c * k.k * k.k * outShape[3] * band
                }
                let x = Tensor(shape: shape), dY = Tensor(shape: outShape)
                for i in 0..<x.count { x[i] = 2 * rng.uniformFloat() - 1 }
                for i in 0..<dY.count { dY[i] = 2 * rng.uniformFloat() - 1 }
                let full = pass(conv, x: x, dY: dY, rows: false)
                let split = pass(conv, x: x, dY: dY, rows: true)
                assertSamePasses(split, full, "\(k) threads \(threads)")
            }
        }
    }

    func testGradientCheck() {
        for (kernel, pad, band) in [(3, 1, nil), (5, 2, 2), (5, 0, nil)] as [(Int, Int, Int?)] {
            let conv = Convolution(name: "conv_rows", inputChannels: 2, filters: 3,
                                   kernel: kernel, padding: pad)
            conv.winograd = .never
            conv.kernelRows = .always
            conv.columnBudget = 1
            conv.minimumColumns = 1
            if let band { conv.bandBudget = 2 * kernel * kernel * 7 * band }
            checkGradients(of: conv, inputShape: [3, 2, 7, 7])
            XCTAssertTrue(conv.usesKernelRows)
        }
    }

    func testAutomaticChoiceFollowsTheMeasuredRule() throws {
        let net = try Models.make("lenet5", classes: 10)
        net.prepare(batch: 64)
        // conv1 (one channel: GEMMs with 5-long inner dimensions) keeps the full columns.
        XCTAssertEqual(net.convolutions.filter(\.usesKernelRows).map(\.name), ["conv2"])
    }
}
