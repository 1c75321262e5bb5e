import XCTest
import ImbalanceRandom
@testable import ImbalanceNN

/// One finite-difference checker for every layer (as Caffe's GradientChecker): the scalar
/// objective is L = sum(output * r) for a fixed random r, so dL/doutput = r, and each
/// analytic gradient (input and every parameter) is compared with central differences.
func checkGradients(of layer: Layer, inputShape: [Int], seed: UInt64 = 1,
                    step: Float = 1e-2, tolerance: Float = 2e-2,
                    prepareInput: ((Tensor) -> Void)? = nil,
                    file: StaticString = #filePath, line: UInt = #line) {
    var rng = RandomStream(seed: seed)
    layer.initialize(using: &rng)
    // Non-zero biases so that their gradients are exercised through the output.
    for p in layer.parameters {
        for i in 0..<p.value.count { p.value[i] += 0.1 * (2 * rng.uniformFloat() - 1) }
    }
    let outShape = layer.outputShape(for: inputShape)
    let input = Tensor(shape: inputShape)
    for i in 0..<input.count { input[i] = 2 * rng.uniformFloat() - 1 }
    prepareInput?(input)
    let output = Tensor(shape: outShape)
    let r = Tensor(shape: outShape)
    for i in 0..<r.count { r[i] = 2 * rng.uniformFloat() - 1 }
    let dX = Tensor(shape: inputShape)

    func objective() -> Double {
        var ctx = ForwardContext(training: true, dropoutRNG: RandomStream(seed: 99))
        layer.forward(input, into: output, context: &ctx)
        var s = 0.0
        for i in 0..<output.count { s += Double(output[i]) * Double(r[i]) }
        return s
    }

    _ = objective()
    layer.backward(input: input, output: output, outputGradient: r, inputGradient: dX)

    func compare(_ name: String, _ value: Tensor, _ analytic: [Float]) {
        var worst: Float = 0
        for i in 0..<value.count {
            let saved = value[i]
            value[i] = saved + step
            let plus = objective()
            value[i] = saved - step
            let minus = objective()
            value[i] = saved
            let numeric = Float((plus - minus) / (2 * Double(step)))
            let scale = max(1, abs(numeric), abs(analytic[i]))
            let err = abs(numeric - analytic[i]) / scale
            worst = max(worst, err)
            if err > tolerance {
                XCTFail("\(layer.name) d/d\(name)[\(i)]: analytic \(analytic[i]) vs numeric \(numeric)",
                        file: file, line: line)
                return
            }
        }
        XCTAssertLessThanOrEqual(worst, tolerance, file: file, line: line)
    }

    let inputGrad = dX.array
    let paramGrads = layer.parameters.map { $0.gradient.array }
    compare("input", input, inputGrad)
    for (p, g) in zip(layer.parameters, paramGrads) { compare(p.name, p.value, g) }
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

    func testConvolutionInChunks() {
        // Forces several chunks per batch (column budget smaller than the batch).
        let conv = Convolution(name: "conv_chunked", inputChannels: 1, filters: 2, kernel: 5)
        conv.columnBudget = 25 * 25 + 1   // one image per chunk
        checkGradients(of: conv, inputShape: [3, 1, 9, 9])
    }

    func testFullyConnected() {
        checkGradients(of: FullyConnected(name: "fc", inputs: 12, outputs: 5),
                       inputShape: [3, 3, 2, 2])
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
        XCTAssertEqual(l, 1.3132616875182228, accuracy: 1e-6)   // log(1 + e)
        XCTAssertEqual(probs.reduce(0, +), 1, accuracy: 1e-6)
    }
}
