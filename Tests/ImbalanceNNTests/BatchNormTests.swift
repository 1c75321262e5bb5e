import XCTest
import ImbalanceRandom
@testable import ImbalanceNN

/// Batch normalisation's statistics against values worked out by hand from PyTorch's
/// definitions (BatchNorm2d: biased batch variance to normalise, unbiased variance in the
/// running average, momentum 0.1, eps 1e-5).
final class BatchNormTests: XCTestCase {
    private func training() -> ForwardContext {
        ForwardContext(training: true, dropoutRNG: RandomStream(seed: 1))
    }

    private func inference() -> ForwardContext {
        ForwardContext(training: false, dropoutRNG: RandomStream(seed: 1))
    }

    func testInitialState() {
        let bn = BatchNorm(name: "bn", channels: 3)
        var rng = RandomStream(seed: 4)
        bn.gamma.value[1] = 7; bn.runningMean[2] = 3
        bn.initialize(using: &rng)
        XCTAssertEqual(bn.gamma.value.array, [1, 1, 1])
        XCTAssertEqual(bn.beta.value.array, [0, 0, 0])
        XCTAssertEqual(bn.runningMean.array, [0, 0, 0])
        XCTAssertEqual(bn.runningVariance.array, [1, 1, 1])
        XCTAssertEqual(bn.gamma.decayMultiplier, 0)
        XCTAssertEqual(bn.beta.decayMultiplier, 0)
        XCTAssertEqual(bn.parameters.map(\.name), ["bn.gamma", "bn.beta"])
    }

    func testTrainingStepByHand() {
        // One channel, N = 2 images of 1x2: values 1, 2 | 3, 4.
        // mean 2.5; biased variance 1.25; unbiased 5/3.
        let bn = BatchNorm(name: "bn", channels: 1)
        let x = Tensor(shape: [2, 1, 1, 2], values: [1, 2, 3, 4])
        let y = Tensor(shape: x.shape)
        bn.reserve(for: x.shape)
        var ctx = training()
        bn.forward(x, into: y, context: &ctx)
        let inv = 1 / (1.25 + 1e-5).squareRoot()
        let expected = [-1.5, -0.5, 0.5, 1.5].map { $0 * inv }
        // Float output vs Double: x - mean is exact here, the scale and the product are each
        // rounded to Float (|y| < 1.4, so < 2e-7 in all); 1e-6 absolute.
        for i in 0..<4 { XCTAssertEqual(Double(y[i]), expected[i], accuracy: 1e-6) }
        // The running statistics are the Double update rounded once to Float: half an ulp
        // is 1.5e-8 at 0.25 and 6e-8 at 1.07, under 1e-7.
        XCTAssertEqual(Double(bn.runningMean[0]), 0.25, accuracy: 1e-7)          // 0.9*0 + 0.1*2.5
        XCTAssertEqual(Double(bn.runningVariance[0]), 0.9 + 0.1 * 5 / 3, accuracy: 1e-7)
    }

    func testRunningStatisticsFollowPyTorchOverSeveralSteps() {
        let c = 3, n = 4, h = 2, w = 3
        let bn = BatchNorm(name: "bn", channels: c)
        bn.reserve(for: [n, c, h, w])
        var rng = RandomStream(seed: 11)
        var expectedMean = [Double](repeating: 0, count: c)
        var expectedVar = [Double](repeating: 1, count: c)
        let x = Tensor(shape: [n, c, h, w]), y = Tensor(shape: [n, c, h, w])
        for step in 0..<3 {
            // Different offset and spread per channel and per step.
            for i in 0..<n { for ch in 0..<c { for p in 0..<(h * w) {
                x[(i * c + ch) * h * w + p] = Float(ch + step) + Float(ch + 1) * (2 * rng.uniformFloat() - 1)
            } } }
            var ctx = training()
            bn.forward(x, into: y, context: &ctx)
            let m = Double(n * h * w)
            for ch in 0..<c {
                var values: [Double] = []
                for i in 0..<n { for p in 0..<(h * w) { values.append(Double(x[(i * c + ch) * h * w + p])) } }
                let mean = values.reduce(0, +) / m
                let biased = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / m
                expectedMean[ch] = 0.9 * expectedMean[ch] + 0.1 * mean
                expectedVar[ch] = 0.9 * expectedVar[ch] + 0.1 * biased * m / (m - 1)
                // The layer's Double statistics (one pass: E[x^2] - mean^2) differ from these
                // two-pass ones by < 1e-13; its running averages are stored as Float after each
                // step (values < 4, ~2e-7 after three steps); 1e-5 absolute.
                XCTAssertEqual(Double(bn.runningMean[ch]), expectedMean[ch], accuracy: 1e-5,
                               "running mean, step \(step), channel \(ch)")
                XCTAssertEqual(Double(bn.runningVariance[ch]), expectedVar[ch], accuracy: 1e-5,
                               "running variance, step \(step), channel \(ch)")
                // The output is normalised with the biased batch variance: zero mean, and
                // variance var/(var+eps) per channel. y is Float: the mean (< 5) and the scale
                // (< ~3) are rounded to Float, then x - mean and the product: each y errs by
                // < 1e-6, so its mean by < 1e-6 and its mean square by < ~2e-6; 1e-5 and 1e-4.
                var outMean = 0.0, outSq = 0.0
                for i in 0..<n { for p in 0..<(h * w) {
                    let v = Double(y[(i * c + ch) * h * w + p]); outMean += v; outSq += v * v
                } }
                XCTAssertEqual(outMean / m, 0, accuracy: 1e-5)
                XCTAssertEqual(outSq / m, biased / (biased + 1e-5), accuracy: 1e-4)
            }
        }
    }

    func testInferenceUsesRunningStatisticsAndLeavesThemAlone() {
        let bn = BatchNorm(name: "bn", channels: 2)
        bn.runningMean[0] = 0.5; bn.runningMean[1] = -2
        bn.runningVariance[0] = 4; bn.runningVariance[1] = 0.25
        bn.gamma.value[0] = 1.5; bn.gamma.value[1] = -0.5
        bn.beta.value[0] = 0.1; bn.beta.value[1] = 2
        let x = Tensor(shape: [2, 2, 1, 3], values: [1, 2, 3, -1, -2, -3, 0, 0.5, 9, 4, 5, 6])
        let y = Tensor(shape: x.shape)
        bn.reserve(for: x.shape)
        var ctx = inference()
        bn.forward(x, into: y, context: &ctx)
        let mean: [Double] = [0.5, -2], variance: [Double] = [4, 0.25]
        let gamma: [Double] = [1.5, -0.5], beta: [Double] = [0.1, 2]
        for i in 0..<2 { for ch in 0..<2 { for p in 0..<3 {
            let k = (i * 2 + ch) * 3 + p
            let e = gamma[ch] * (Double(x[k]) - mean[ch]) / (variance[ch] + 1e-5).squareRoot() + beta[ch]
            // Float vs Double: the scale, x - mean, the product and + beta each rounded to
            // Float at magnitudes up to 8.5 (half an ulp 4.8e-7): < 1.5e-6; 1e-5 absolute.
            XCTAssertEqual(Double(y[k]), e, accuracy: 1e-5, "element \(k)")
        } } }
        XCTAssertEqual(bn.runningMean.array, [0.5, -2])
        XCTAssertEqual(bn.runningVariance.array, [4, 0.25])
    }

    func testInferenceGradientIsAnAffineMap() {
        // With running statistics, dx = dy * gamma / sqrt(rv + eps) exactly (no batch-statistic
        // terms). Numerically the layer rounds the scale and a * dy to Float (|dx| < 5): two
        // half-ulps, < 6e-7 from the Double formula; 1e-5 absolute.
        let bn = BatchNorm(name: "bn", channels: 2)
        bn.runningVariance[0] = 3; bn.runningVariance[1] = 0.5
        bn.gamma.value[0] = 2; bn.gamma.value[1] = -1
        let x = Tensor(shape: [1, 2, 2, 2], values: [1, 2, 3, 4, 5, 6, 7, 8])
        let y = Tensor(shape: x.shape), dy = Tensor(shape: x.shape), dx = Tensor(shape: x.shape)
        for i in 0..<8 { dy[i] = Float(i) - 3.5 }
        bn.reserve(for: x.shape)
        var ctx = inference()
        bn.forward(x, into: y, context: &ctx)
        bn.backward(input: x, output: y, outputGradient: dy, inputGradient: dx)
        for i in 0..<8 {
            let ch = i / 4
            let scale = (ch == 0 ? 2 : -1) / ((ch == 0 ? 3.0 : 0.5) + 1e-5).squareRoot()
            XCTAssertEqual(Double(dx[i]), Double(dy[i]) * scale, accuracy: 1e-5)
        }
    }

    func testFrozenBatchNormBehavesAsInferenceDuringTraining() {
        let bn = BatchNorm(name: "bn", channels: 2)
        var rng = RandomStream(seed: 3)
        let x = Tensor(shape: [3, 2, 2, 2]), y = Tensor(shape: x.shape)
        for i in 0..<x.count { x[i] = 3 * rng.uniformFloat() - 1 }
        bn.reserve(for: x.shape)
        // Some history first, so the running statistics are not the initial 0 and 1.
        var ctx = training()
        bn.forward(x, into: y, context: &ctx)
        bn.forward(x, into: y, context: &ctx)
        let mean = bn.runningMean.array, variance = bn.runningVariance.array

        var inf = inference()
        bn.forward(x, into: y, context: &inf)
        let inferenceOutput = y.array

        bn.gamma.isTrainable = false; bn.beta.isTrainable = false
        XCTAssertTrue(bn.isFrozen)
        bn.forward(x, into: y, context: &ctx)
        XCTAssertEqual(y.array, inferenceOutput)
        XCTAssertEqual(bn.runningMean.array, mean)
        XCTAssertEqual(bn.runningVariance.array, variance)

        // Only one of the two frozen: still a training-mode layer.
        bn.beta.isTrainable = true
        XCTAssertFalse(bn.isFrozen)
        bn.forward(x, into: y, context: &ctx)
        XCTAssertNotEqual(bn.runningMean.array, mean)
    }

    func testSmallerBatchReusesTheLayer() {
        // A last, smaller batch: statistics over the images actually present.
        let bn = BatchNorm(name: "bn", channels: 1)
        bn.reserve(for: [4, 1, 1, 2])
        let x = Tensor(shape: [4, 1, 1, 2], values: [1, 2, 3, 4, 100, 100, 100, 100])
        x.reshape([2, 1, 1, 2])
        let y = Tensor(shape: [4, 1, 1, 2])
        y.reshape([2, 1, 1, 2])
        bn.reserve(for: [2, 1, 1, 2])
        var ctx = training()
        bn.forward(x, into: y, context: &ctx)
        // 0.1 * 2.5 in Double rounded to Float (half an ulp at 0.25: 1.5e-8); the 100s, if
        // counted, would give about 5.
        XCTAssertEqual(Double(bn.runningMean[0]), 0.25, accuracy: 1e-7)
    }
}
