import XCTest
import ImbalanceKernels
import ImbalanceRandom
@testable import ImbalanceNN

/// Which backward pass a gradient check exercises.
enum CheckedPass {
    /// Every parameter trainable, the input gradient asked for: a layer inside a network.
    case full
    /// No input gradient: a network's lowest trainable layer (the first layer, or the
    /// lowest fine-tuned layer of two-phase training).
    case weightsOnly
    /// Every parameter frozen, the input gradient asked for: a frozen layer that the
    /// gradient still has to pass through. Parameter gradients must stay untouched.
    case frozen
}

/// One finite-difference checker for every layer (as Caffe's GradientChecker): the scalar
/// objective is L = sum(output * r) for a fixed random r, so dL/doutput = r, and each
/// analytic gradient (input and every parameter) is compared with central differences.
/// `pass` chooses which gradients backward is asked for (`CheckedPass`); those it is not
/// asked for are checked to stay untouched.
///
/// Composite layers with ReLUs inside (residual blocks) cannot keep every hidden
/// pre-activation away from the kink at 0 the way a lone ReLU's input can be. With
/// `kinks: true`, an element whose central difference disagrees is accepted if a
/// one-sided difference, or the central difference with a 10 times smaller step, agrees:
/// a kink crossed on one side of x spoils that side only and drops out as the step
/// shrinks, whereas a wrong analytic gradient disagrees at every step on both sides.
/// At most a quarter of a tensor may be accepted that way (one hidden unit near its kink
/// moves with every weight of its filter, so the affected elements come in groups).
///
/// The default bound, 2e-2 of max(1, |numeric|, |analytic|): the objective comes from a
/// Float forward pass, so plus - minus carries the outputs' Float rounding (6e-8 relative
/// each) divided by 2h, about 5e-5 at h = 1e-2 (it grows as 1/h: near 5e-3 at the pooled
/// variants' 1e-4), and x +- h rounded to Float moves the step by up to ulp(x)/2 (6e-6 of
/// it at h = 1e-2 for |x| <= 1); the truncation h^2/6 * L''' is zero for the
/// piecewise-linear layers and small for the smooth ones (batch norm, the cosine classifier)
/// and the blocks at their steps. 2e-2 stays above all of these, while a wrong term or index
/// errs by a sizable fraction of the gradient.
func checkGradients(of layer: Layer, inputShape: [Int], seed: UInt64 = 1,
                    step: Float = 1e-2, tolerance: Float = 2e-2, kinks: Bool = false,
                    pass: CheckedPass = .full,
                    prepareInput: ((Tensor) -> Void)? = nil,
                    prepareLayer: (() -> Void)? = nil,
                    file: StaticString = #filePath, line: UInt = #line) {
    precondition(pass != .weightsOnly || !layer.parameters.isEmpty,
                 "\(layer.name): a weights-only check needs parameters")
    var rng = RandomStream(seed: seed)
    layer.initialize(using: &rng)
    // Non-zero biases so that their gradients are exercised through the output.
    for p in layer.parameters {
        for i in 0..<p.value.count { p.value[i] += 0.1 * (2 * rng.uniformFloat() - 1) }
    }
    prepareLayer?()
    layer.reserve(for: inputShape)
    let outShape = layer.outputShape(for: inputShape)
    let input = Tensor(shape: inputShape)
    for i in 0..<input.count { input[i] = 2 * rng.uniformFloat() - 1 }
    prepareInput?(input)
    let output = Tensor(shape: outShape)
    let r = Tensor(shape: outShape)
    for i in 0..<r.count { r[i] = 2 * rng.uniformFloat() - 1 }
    let dX = Tensor(shape: inputShape)
    // Sentinels in every buffer backward must leave alone.
    let untouched: Float = 12345
    dX.buffer.update(repeating: untouched)
    for p in layer.parameters {
        p.isTrainable = pass != .frozen
        p.gradient.buffer.update(repeating: untouched)
    }
    defer { for p in layer.parameters { p.isTrainable = true } }

    func objective() -> Double {
        var ctx = ForwardContext(training: true, dropoutRNG: RandomStream(seed: 99))
        layer.forward(input, into: output, context: &ctx)
        var s = 0.0
        for i in 0..<output.count { s += Double(output[i]) * Double(r[i]) }
        return s
    }

    _ = objective()
    layer.backward(input: input, output: output, outputGradient: r,
                   inputGradient: pass == .weightsOnly ? nil : dX)

    func relativeError(_ numeric: Float, _ analytic: Float) -> Float {
        abs(numeric - analytic) / max(1, abs(numeric), abs(analytic))
    }

    func compare(_ name: String, _ value: Tensor, _ analytic: [Float]) {
        var worst: Float = 0
        var oneSided = 0
        for i in 0..<value.count {
            let saved = value[i]
            value[i] = saved + step
            let plus = objective()
            value[i] = saved - step
            let minus = objective()
            value[i] = saved
            let numeric = Float((plus - minus) / (2 * Double(step)))
            var err = relativeError(numeric, analytic[i])
            if err > tolerance && kinks {
                let centre = objective()
                let small = step / 10
                value[i] = saved + small
                let plusSmall = objective()
                value[i] = saved - small
                let minusSmall = objective()
                value[i] = saved
                let candidates = [(plus - centre) / Double(step), (centre - minus) / Double(step),
                                  (plusSmall - minusSmall) / (2 * Double(small))]
                let best = candidates.map { relativeError(Float($0), analytic[i]) }.min()!
                if best <= tolerance {
                    oneSided += 1
                    err = best
                }
            }
            worst = max(worst, err)
            if err > tolerance {
                XCTFail("\(layer.name) (\(pass)) d/d\(name)[\(i)]: analytic \(analytic[i]) vs numeric \(numeric)",
                        file: file, line: line)
                return
            }
        }
        XCTAssertLessThanOrEqual(worst, tolerance, file: file, line: line)
        XCTAssertLessThanOrEqual(oneSided, max(1, value.count / 4),
                                 "\(layer.name) d/d\(name): too many elements pass only as kinks",
                                 file: file, line: line)
    }

    func assertUntouched(_ what: String, _ t: Tensor) {
        XCTAssertTrue(t.array.allSatisfy { $0 == untouched },
                      "\(layer.name) (\(pass)): backward wrote the \(what)", file: file, line: line)
    }

    let inputGrad = dX.array
    let paramGrads = layer.parameters.map { $0.gradient.array }
    if pass == .weightsOnly {
        assertUntouched("input gradient it was not asked for", dX)
    } else {
        compare("input", input, inputGrad)
    }
    if pass == .frozen {
        for p in layer.parameters { assertUntouched("gradient of frozen \(p.name)", p.gradient) }
    } else {
        for (p, g) in zip(layer.parameters, paramGrads) { compare(p.name, p.value, g) }
    }
}

final class GradientCheckTests: XCTestCase {
    func testConvolutionPlain() {
        checkGradients(of: Convolution(name: "conv", inputChannels: 2, filters: 3, kernel: 3),
                       inputShape: [2, 2, 6, 6])
    }

    func testConvolutionStridedPadded() {
        checkGradients(of: Convolution(name: "conv_s2p1", inputChannels: 3, filters: 4,
                                       kernel: 3, stride: 2, padding: 1),
                       inputShape: [2, 3, 7, 7])
    }

    func testConvolutionStrideLargerThanKernelAndBigPad() {
        checkGradients(of: Convolution(name: "conv_k2s3p2", inputChannels: 2, filters: 2,
                                       kernel: 2, stride: 3, padding: 2),
                       inputShape: [3, 2, 5, 6])
    }

    func testConvolutionPointwise() {
        checkGradients(of: Convolution(name: "conv1x1", inputChannels: 4, filters: 3, kernel: 1),
                       inputShape: [2, 4, 3, 3])
    }

    /// Every convolution variant (`ConvolutionVariant`: chunks, groups, bands, kernel rows,
    /// Winograd, fused pooling, no bias) in all three backward passes: full, weights only
    /// (the first layer, or the lowest layer two-phase training fine-tunes) and frozen (a
    /// frozen layer the gradient passes through).
    func testEveryConvolutionVariantInEveryBackwardPass() {
        for variant in ConvolutionVariant.all where variant.finiteDifferences {
            for threads in [1, 2] {
                Parallel.threads = threads
                defer { Parallel.threads = 1 }
                for pass in [CheckedPass.full, .weightsOnly, .frozen] {
                    let (layer, _) = variant.makeLayer()
                    // A max pooling switches its argmax where two window values cross: a
                    // kink, which a smaller step meets less often (every weight moves every
                    // window of its filter) and `kinks` tells apart. At 1e-4 the fp32
                    // rounding of the objective's difference stays near 5e-3 relative.
                    let pooled = variant.pooling != nil
                    checkGradients(of: layer, inputShape: variant.input, seed: 7,
                                   step: pooled ? 1e-4 : 1e-2, kinks: pooled, pass: pass)
                }
            }
        }
    }

    func testFullyConnectedInPiecesOnTwoThreads() {
        // 64 outputs and 64 rows: the GEMMs are cut into pieces (see FullyConnected).
        let saved = Parallel.threads
        Parallel.threads = 2
        defer { Parallel.threads = saved }
        checkGradients(of: FullyConnected(name: "fc_pieces", inputs: 3, outputs: 64),
                       inputShape: [64, 3])
    }

    func testFullyConnected() {
        checkGradients(of: FullyConnected(name: "fc", inputs: 12, outputs: 5),
                       inputShape: [3, 3, 2, 2])
    }

    func testFullyConnectedWeightsOnlyAndFrozen() {
        for pass in [CheckedPass.weightsOnly, .frozen] {
            checkGradients(of: FullyConnected(name: "fc", inputs: 12, outputs: 5),
                           inputShape: [3, 12], pass: pass)
        }
    }

    func testFullyConnectedMSRA() {
        checkGradients(of: FullyConnected(name: "fc_msra", inputs: 12, outputs: 5,
                                          initialization: .msra),
                       inputShape: [3, 12])
    }

    func testConvolutionWithoutBiasMSRA() {
        let conv = Convolution(name: "conv_nobias", inputChannels: 3, filters: 4, kernel: 3,
                               stride: 2, padding: 1, bias: false, initialization: .msra)
        XCTAssertNil(conv.bias)
        XCTAssertEqual(conv.parameters.map(\.name), ["conv_nobias.weight"])
        checkGradients(of: conv, inputShape: [2, 3, 7, 7])
    }

    func testGlobalAveragePool() {
        checkGradients(of: GlobalAveragePool(name: "gap"), inputShape: [2, 3, 4, 5])
    }

    func testBatchNormTraining() {
        // Training mode: mean and variance depend on the input, which the input gradient
        // must account for; gamma and beta are checked too (all parameters are).
        checkGradients(of: BatchNorm(name: "bn", channels: 3), inputShape: [2, 3, 4, 4])
    }

    func testBatchNormWeightsOnly() {
        checkGradients(of: BatchNorm(name: "bn", channels: 3), inputShape: [2, 3, 4, 4],
                       pass: .weightsOnly)
    }

    /// Frozen (two-phase training's phase 2): normalised with the running averages, so
    /// the input gradient is gamma / sqrt(running variance + eps) times dY.
    func testBatchNormFrozenUsesTheRunningAverages() {
        let bn = BatchNorm(name: "bn_frozen", channels: 3)
        checkGradients(of: bn, inputShape: [2, 3, 4, 4], pass: .frozen, prepareLayer: {
            for ch in 0..<3 {
                bn.runningMean[ch] = 0.3 * Float(ch) - 0.2
                bn.runningVariance[ch] = 0.5 + Float(ch)
            }
        })
        XCTAssertFalse(bn.isFrozen, "the checker unfreezes the layer after the check")
    }

    func testBatchNormTrainingOneByOne() {
        // The shape after a global pooling or at the end of a CIFAR ResNet: N*H*W small.
        checkGradients(of: BatchNorm(name: "bn_small", channels: 4), inputShape: [3, 4, 1, 1])
    }

    func testBatchNormTrainingShiftedInput() {
        // A large common offset: the variance must not cancel away in float.
        checkGradients(of: BatchNorm(name: "bn_shifted", channels: 2),
                       inputShape: [2, 2, 3, 5]) { t in
            for i in 0..<t.count { t[i] += 50 }
        }
    }

    // Blocks use a smaller step: with two ReLUs behind batch statistics, a step of 1e-2
    // crosses a kink for about one input element in ten.
    func testResidualBlockIdentity() {
        let block = ResidualBlock(name: "res_id", inputChannels: 3, outputChannels: 3)
        XCTAssertNil(block.shortcut)
        checkGradients(of: block, inputShape: [2, 3, 6, 6], step: 1e-3, kinks: true)
    }

    func testResidualBlockProjectionChannels() {
        let block = ResidualBlock(name: "res_proj", inputChannels: 3, outputChannels: 4)
        XCTAssertNotNil(block.shortcut)
        checkGradients(of: block, inputShape: [2, 3, 6, 6], step: 1e-3, kinks: true)
    }

    func testResidualBlockProjectionStride2() {
        let block = ResidualBlock(name: "res_s2", inputChannels: 3, outputChannels: 4, stride: 2)
        XCTAssertEqual(block.outputShape(for: [2, 3, 6, 6]), [2, 4, 3, 3])
        checkGradients(of: block, inputShape: [2, 3, 6, 6], step: 1e-3, kinks: true)
    }

    /// The block as the lowest trainable layer (no input gradient), and frozen (every
    /// inner batch norm then normalises with its running averages).
    func testResidualBlockWeightsOnlyAndFrozen() {
        for pass in [CheckedPass.weightsOnly, .frozen] {
            let identity = ResidualBlock(name: "res_id", inputChannels: 3, outputChannels: 3)
            checkGradients(of: identity, inputShape: [2, 3, 6, 6], step: 1e-3, kinks: true,
                           pass: pass)
            let projection = ResidualBlock(name: "res_s2", inputChannels: 3, outputChannels: 4,
                                           stride: 2)
            checkGradients(of: projection, inputShape: [2, 3, 6, 6], step: 1e-3, kinks: true,
                           pass: pass)
        }
    }

    func testResidualBlockStride2OddSize() {
        // 7 -> 4 on both paths (3x3 pad 1 and 1x1 pad 0 at stride 2 agree for odd sizes).
        let block = ResidualBlock(name: "res_s2_odd", inputChannels: 2, outputChannels: 3, stride: 2)
        XCTAssertEqual(block.outputShape(for: [2, 2, 7, 7]), [2, 3, 4, 4])
        checkGradients(of: block, inputShape: [2, 2, 7, 7], step: 1e-3, kinks: true)
    }

    func testReLU() {
        // Keep inputs away from the kink at 0, where the derivative is undefined.
        checkGradients(of: ReLU(name: "relu"), inputShape: [2, 3, 4, 4]) { t in
            for i in 0..<t.count where abs(t[i]) < 0.05 { t[i] = t[i] < 0 ? -0.1 : 0.1 }
        }
    }

    func testMaxPool() {
        // Distinct, well-separated inputs so a small step never changes the argmax.
        checkGradients(of: MaxPool(name: "pool", kernel: 2, stride: 2), inputShape: [2, 2, 6, 6]) { t in
            var rng = RandomStream(seed: 5)
            var values = (0..<t.count).map { Float($0) * 0.05 }
            rng.shuffle(&values)
            for i in 0..<t.count { t[i] = values[i] }
        }
    }

    func testMaxPoolOverlappingCeilMode() {
        checkGradients(of: MaxPool(name: "pool_k3s2", kernel: 3, stride: 2),
                       inputShape: [1, 2, 7, 7]) { t in
            var rng = RandomStream(seed: 6)
            var values = (0..<t.count).map { Float($0) * 0.05 }
            rng.shuffle(&values)
            for i in 0..<t.count { t[i] = values[i] }
        }
    }

    func testDropoutTraining() {
        checkGradients(of: Dropout(name: "drop", probability: 0.4), inputShape: [2, 3, 4, 4])
    }

    func testSoftmaxCrossEntropy() {
        checkLoss(classWeights: nil)
    }

    func testWeightedSoftmaxCrossEntropy() {
        checkLoss(classWeights: [0.5, 2, 1, 4])
    }

    private func checkLoss(classWeights: [Float]?) {
        let n = 5, k = 4
        var rng = RandomStream(seed: 3)
        var logits = (0..<(n * k)).map { _ in 4 * rng.uniformFloat() - 2 }
        let labels: [Int] = [0, 3, 1, 2, 3]
        var grad = [Float](repeating: 0, count: n * k)
        func loss(_ l: [Float]) -> Double {
            l.withUnsafeBufferPointer { lp in labels.withUnsafeBufferPointer { yp in
                SoftmaxCrossEntropy.evaluate(logits: lp.baseAddress!, labels: yp.baseAddress!,
                                             batch: n, classes: k, classWeights: classWeights,
                                             probabilities: nil, logitsGradient: nil)
            } }
        }
        logits.withUnsafeBufferPointer { lp in labels.withUnsafeBufferPointer { yp in
            grad.withUnsafeMutableBufferPointer { gp in
                _ = SoftmaxCrossEntropy.evaluate(logits: lp.baseAddress!, labels: yp.baseAddress!,
                                                 batch: n, classes: k, classWeights: classWeights,
                                                 probabilities: nil, logitsGradient: gp.baseAddress!)
            }
        } }
        // Loss in Double from Float expf terms, gradient in Float (|g| <= max w / sum w = 0.35).
        // Central differences at h = 1e-2: truncation h^2/6 * |L'''| < 2e-6 (softmax's third
        // derivative is at most 0.096 per unit weight), rounding ~1e-7 / h = 1e-5 (expf, and
        // s +- h rounded to Float); 1e-3 absolute.
        let h: Float = 1e-2
        for i in 0..<(n * k) {
            let s = logits[i]
            logits[i] = s + h; let plus = loss(logits)
            logits[i] = s - h; let minus = loss(logits)
            logits[i] = s
            let numeric = (plus - minus) / Double(2 * h)
            XCTAssertEqual(Double(grad[i]), numeric, accuracy: 1e-3, "d loss / d logit[\(i)]")
        }
    }

    func testSoftmaxIsStableForHugeLogits() {
        let logits: [Float] = [1000, -1000, 999, 0]
        let labels: [Int] = [2]
        var probs = [Float](repeating: 0, count: 4)
        let l = logits.withUnsafeBufferPointer { lp in labels.withUnsafeBufferPointer { yp in
            probs.withUnsafeMutableBufferPointer { pp in
                SoftmaxCrossEntropy.evaluate(logits: lp.baseAddress!, labels: yp.baseAddress!,
                                             batch: 1, classes: 4, probabilities: pp.baseAddress!,
                                             logitsGradient: nil)
            }
        } }
        XCTAssertTrue(l.isFinite)
        // The loss is 1 + log(1 + expf(-1)) and the probabilities are rounded to Float and
        // summed in Float: both within ~2e-7 of the exact values; 1e-6.
        XCTAssertEqual(l, 1.3132616875182228, accuracy: 1e-6)   // log(1 + e)
        XCTAssertEqual(probs.reduce(0, +), 1, accuracy: 1e-6)
    }
}
