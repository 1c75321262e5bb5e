import XCTest
import ImbalanceKernels
import ImbalanceRandom
import ImbalanceReferences
@testable import ImbalanceNN

/// Every convolution variant (`ConvolutionVariant.all`: direct with whole images, bands,
/// kernel rows, several images per chunk, Winograd for every pass or for the weight gradient
/// only, fused max pooling, no bias) against the naive Double references, pass by pass:
/// forward, the full backward, the weights-only backward (no input gradient: a network's
/// lowest trainable layer) and the frozen backward (input gradient only: a frozen layer),
/// on one thread and two.
///
/// Tolerance: the engine sums in fp32 and in other orders than the references (GEMM
/// blocking, chunks, bands, kernel rows, and for Winograd the tile transforms, whose
/// intermediate values are sums and differences of up to 16 inputs), so the results agree
/// to rounding, not bits. Errors are measured relative to the largest magnitude of the
/// reference (`Reference.relativeError`). The sums here have at most 576 terms (LeNet-5's
/// conv2: 20 x 5 x 5 products per output, 9 x 64 positions per weight gradient); the
/// largest error measured over the direct and F(2x2,3x3) variants was 5.7e-7 (direct passes
/// with chunks; F(2x2,3x3) 3.6e-7). `directTolerance` allows about twenty times that,
/// Winograd's transforms (which scale and difference their inputs before the GEMMs) twice as
/// much again: F(4x4,5x5), whose 8x8 tiles scale by up to 21/4 and whose G has entries like
/// 2/9, measured up to 3.9e-6 (a weight gradient of LeNet-5's conv2 shape), five times below
/// it. An indexing mistake (a term missed, doubled or misplaced) gives errors of order 1e-2.
final class ConvolutionReferenceTests: XCTestCase {
    static let directTolerance = 1e-5
    static let winogradTolerance = 2e-5

    override func tearDown() { Parallel.threads = 1 }

    func testEveryVariantMatchesTheNaiveReferences() {
        for variant in ConvolutionVariant.all {
            var first: [[UInt32]]?
            for threads in [1, 2] {
                Parallel.threads = threads
                let bits = check(variant, threads: threads)
                // The thread count changes no bit (the same GEMM calls in the same order).
                if let first { XCTAssertEqual(bits, first, "\(variant): 1 and 2 threads differ") }
                first = bits
            }
        }
    }

    /// Checks one variant on `Parallel.threads`; returns the bits of its output and
    /// gradients from the full pass.
    private func check(_ v: ConvolutionVariant, threads: Int) -> [[UInt32]] {
        let (layer, conv) = v.makeLayer()
        var rng = RandomStream(seed: 21)
        conv.initialize(using: &rng)
        // Non-zero biases, so that a bias added twice or not at all shows.
        if let b = conv.bias { for i in 0..<b.value.count { b.value[i] = rng.uniformFloat() - 0.5 } }
        layer.reserve(for: v.input)
        v.assertPlan(conv.plan)
        let outShape = layer.outputShape(for: v.input)
        let x = Tensor(shape: v.input), y = Tensor(shape: outShape)
        let dY = Tensor(shape: outShape), dX = Tensor(shape: v.input)
        for i in 0..<x.count { x[i] = 2 * rng.uniformFloat() - 1 }
        for i in 0..<dY.count { dY[i] = 2 * rng.uniformFloat() - 1 }

        // The references: the convolution, then (fused variants) the pooling, whose input
        // gradient is the convolution's output gradient.
        let s = v.referenceShape, n = v.input[0]
        let w = conv.weight.value.pointer
        var wantY = Reference.convolutionForward(s, batch: n, x: x.pointer, w: w,
                                                 b: conv.bias?.value.pointer)
        var convGradient = dY.array
        if let pooling = v.pooling {
            let ps = Reference.PoolShape(batch: n, channels: v.filters, height: s.outHeight,
                                         width: s.outWidth, kernel: pooling.kernel,
                                         stride: pooling.stride)
            let (pooled, unpooled) = Reference.maxPool(ps, x: wantY.map { Float($0) },
                                                       dy: dY.pointer)
            wantY = pooled
            convGradient = unpooled.map { Float($0) }
        }
        let wantDX = Reference.convolutionInputGradient(s, batch: n, dy: convGradient, w: w)
        let (wantDW, wantDB) = Reference.convolutionWeightGradient(s, batch: n, x: x.pointer,
                                                                   dy: convGradient)
        let plan = conv.plan!
        func tolerance(_ method: ConvolutionMethod) -> Double {
            method == .winograd ? Self.winogradTolerance : Self.directTolerance
        }
        let name = "\(v) (\(threads) thread(s))"
        func near(_ got: Tensor, _ want: [Double], _ what: String, _ method: ConvolutionMethod) {
            XCTAssertEqual(got.count, want.count, "\(name): \(what) size")
            let error = Reference.relativeError(got.pointer, want)
            XCTAssertLessThanOrEqual(error, tolerance(method),
                                     "\(name): \(what) by \(method.rawValue)")
        }
        let untouched: Float = 12345
        func sentinels(_ tensors: [Tensor]) { for t in tensors { t.buffer.update(repeating: untouched) } }
        func isUntouched(_ t: Tensor) -> Bool { t.array.allSatisfy { $0 == untouched } }
        let dW = conv.weight.gradient, dB = conv.bias?.gradient
        let parameterGradients = [dW] + (dB.map { [$0] } ?? [])

        var ctx = ForwardContext(training: true, dropoutRNG: RandomStream(seed: 1))
        layer.forward(x, into: y, context: &ctx)
        near(y, wantY, "forward output", plan.forward)

        sentinels(parameterGradients + [dX])
        layer.backward(input: x, output: y, outputGradient: dY, inputGradient: dX)
        near(dX, wantDX, "input gradient", plan.backwardData)
        near(dW, wantDW, "weight gradient", plan.backwardWeights)
        if let dB { near(dB, wantDB, "bias gradient", .direct) }
        let full = [y, dX] + parameterGradients
        let bits = full.map { $0.array.map(\.bitPattern) }

        // Weights only: the same weight-gradient calls, so the same bits; dX untouched.
        sentinels(parameterGradients + [dX])
        layer.backward(input: x, output: y, outputGradient: dY, inputGradient: nil)
        XCTAssertTrue(isUntouched(dX), "\(name): weights-only backward wrote the input gradient")
        XCTAssertEqual(dW.array.map(\.bitPattern), bits[2], "\(name): weights-only weight gradient")
        if let dB {
            XCTAssertEqual(dB.array.map(\.bitPattern), bits[3], "\(name): weights-only bias gradient")
        }

        // Frozen: the input gradient alone, the same bits as in the full pass; parameter
        // gradients untouched.
        for p in conv.parameters { p.isTrainable = false }
        sentinels(parameterGradients + [dX])
        layer.backward(input: x, output: y, outputGradient: dY, inputGradient: dX)
        XCTAssertEqual(dX.array.map(\.bitPattern), bits[1], "\(name): frozen input gradient")
        for t in parameterGradients {
            XCTAssertTrue(isUntouched(t), "\(name): frozen backward wrote a parameter gradient")
        }
        for p in conv.parameters { p.isTrainable = true }
        return bits
    }

    /// The Winograd weight gradient leaves forward and input gradient to the direct method:
    /// those make the same GEMM calls as a layer with Winograd off, so they have the same
    /// bits; the weight gradient has the same bits on 1 and 2 threads (the single chunk's
    /// transforms are split across workers).
    func testWeightGradientOnlyWinogradLeavesTheDirectPassesAlone() {
        let shape = [5, 16, 8, 8]
        func passes(_ winograd: ConvolutionTuning.Choice, threads: Int)
            -> (plan: ConvolutionPlan, y: [Float], dX: [Float], dW: [Float]) {
            Parallel.threads = threads
            defer { Parallel.threads = 1 }
            let conv = Convolution(name: "w8", inputChannels: 16, filters: 16, kernel: 3,
                                   padding: 1, tuning: ConvolutionTuning(winograd: winograd))
            var rng = RandomStream(seed: 4)
            conv.initialize(using: &rng)
            conv.reserve(for: shape)
            let outShape = conv.outputShape(for: shape)
            let x = Tensor(shape: shape), y = Tensor(shape: outShape)
            let dY = Tensor(shape: outShape), dX = Tensor(shape: shape)
            for i in 0..<x.count { x[i] = 2 * rng.uniformFloat() - 1 }
            for i in 0..<dY.count { dY[i] = 2 * rng.uniformFloat() - 1 }
            var ctx = ForwardContext(training: true, dropoutRNG: RandomStream(seed: 1))
            conv.forward(x, into: y, context: &ctx)
            conv.backward(input: x, output: y, outputGradient: dY, inputGradient: dX)
            return (conv.plan!, y.array, dX.array, conv.weight.gradient.array)
        }
        let direct = passes(.never, threads: 1)
        XCTAssertEqual(direct.plan.backwardWeights, .direct)
        let one = passes(.automatic, threads: 1), two = passes(.automatic, threads: 2)
        XCTAssertEqual(one.plan.forward, .direct)
        XCTAssertEqual(one.plan.backwardWeights, .winograd)
        XCTAssertEqual(one.y, direct.y, "forward is the direct method's")
        XCTAssertEqual(one.dX, direct.dX, "input gradient is the direct method's")
        XCTAssertNotEqual(one.dW, direct.dW, "the weight gradient went another way")
        XCTAssertEqual(two.dW, one.dW, "weight gradient on 1 and 2 threads")
    }

    /// Bands against whole images on the same layer: the output and the weight and bias
    /// gradients bit for bit, the input gradient to fp32 rounding.
    ///
    /// The output's bits are the same because the engine's GEMM computes each output
    /// element as one chain of fused multiply-adds over k, whatever the number of columns
    /// it is asked for (a band's GEMM has fewer columns, the same k). The weight gradient's
    /// too: in both layers each image is a chunk and a group of its own, and its bands' dW
    /// GEMMs (k = the band's positions) start each element's chain at the first band
    /// (beta 0) and continue it (beta 1) band after band, so it is the chain of the whole
    /// image's one GEMM over the same positions in the same order; the groups' shares are
    /// added in the same order. The bias gradient sums each image's dY, bands aside.
    ///
    /// The input gradient's GEMMs (k = filters) give the same column values, but col2im adds
    /// them into the image band by band, so a pixel under two bands receives its (at most
    /// 9) contributions in another order. Each is a sum of 4 products |w| <= 1/3 (Xavier,
    /// fan-in 27) by |dY| <= 1, so every partial sum is below 12 < 16 and each of the 8
    /// additions rounds by at most 2^-21: two orders differ by at most 16 * 2^-21 = 7.6e-6,
    /// under the 1e-5 (absolute) allowed, while a term missed or doubled moves a pixel by a
    /// whole contribution (of order 0.2).
    func testBandsMatchWholeImages() {
        for (stride, pad) in [(1, 1), (2, 1), (1, 0)] {
            var tuning = ConvolutionTuning(columnBudget: 1, minimumColumns: 1,
                                           winograd: .never)
            let make = { (t: ConvolutionTuning) -> Convolution in
                let conv = Convolution(name: "band", inputChannels: 3, filters: 4, kernel: 3,
                                       stride: stride, padding: pad, tuning: t)
                var rng = RandomStream(seed: 3)
                conv.initialize(using: &rng)
                return conv
            }
            let shape = [3, 3, 11, 9]
            let whole = make(tuning)
            let outShape = whole.outputShape(for: shape)
            tuning.bandBudget = 27 * outShape[3] * 2   // two output rows per band
            let banded = make(tuning)
            var rng = RandomStream(seed: 4)
            let x = Tensor(shape: shape), dY = Tensor(shape: outShape)
            for i in 0..<x.count { x[i] = 2 * rng.uniformFloat() - 1 }
            for i in 0..<dY.count { dY[i] = 2 * rng.uniformFloat() - 1 }
            let a = convolutionPasses(banded, x: x, dY: dY)
            let b = convolutionPasses(whole, x: x, dY: dY)
            XCTAssertLessThan(banded.plan!.bandRows, whole.plan!.bandRows)
            let name = "stride \(stride) pad \(pad)"
            XCTAssertEqual(a.out, b.out, "output, \(name)")
            XCTAssertEqual(a.dB, b.dB, "bias gradient, \(name)")
            // dW: the same FMA chain per element, continued over the bands (see above).
            XCTAssertEqual(a.dW.map(\.bitPattern), b.dW.map(\.bitPattern),
                           "weight gradient, \(name)")
            // dX: col2im sums a pixel's contributions in another order (at most 7.6e-6 apart).
            let worst = zip(a.dX, b.dX).map { abs($0 - $1) }.max() ?? 0
            XCTAssertLessThan(worst, 1e-5, "input gradient, \(name)")
        }
    }
}

/// One training pass of `conv` (reserved here) on `x`, with output gradient `dY`.
func convolutionPasses(_ conv: Convolution, x: Tensor, dY: Tensor)
    -> (out: [Float], dX: [Float], dW: [Float], dB: [Float]) {
    conv.reserve(for: x.shape)
    let y = Tensor(shape: dY.shape), dX = Tensor(shape: x.shape)
    var ctx = ForwardContext(training: true, dropoutRNG: RandomStream(seed: 1))
    conv.forward(x, into: y, context: &ctx)
    conv.backward(input: x, output: y, outputGradient: dY, inputGradient: dX)
    return (y.array, dX.array, conv.weight.gradient.array, conv.bias?.gradient.array ?? [])
}
