import Foundation
import XCTest
import ImbalanceRandom
@testable import ImbalanceNN

/// The fixture written once by scripts/make_loss_fixtures.py with PyTorch.
struct LossFixture: Decodable {
    struct Case: Decodable {
        var name: String
        var parameters: [String: Double]
        var loss: Double
        var gradient: [Double]
    }
    struct Cosine: Decodable {
        var inputs: [Double]
        var weights: [Double]
        var upstream: [Double]
        var features: Int
        var output: [Double]
        var inputGradient: [Double]
        var weightGradient: [Double]
    }
    var batch: Int
    var classes: Int
    var classCounts: [Int]
    var logits: [Double]
    var labels: [Int]
    var cases: [Case]
    var cosineClassifier: Cosine

    static func load() throws -> LossFixture {
        guard let url = Bundle.module.url(forResource: "loss_known_answers", withExtension: "json",
                                          subdirectory: "Fixtures") else {
            throw XCTSkip("loss_known_answers.json missing from the test bundle")
        }
        return try JSONDecoder().decode(LossFixture.self, from: Data(contentsOf: url))
    }
}

/// Evaluates `loss` on Float logits; returns the loss, the gradient and the probabilities.
func runLoss(_ loss: Loss, logits: [Float], labels: [Int], classes k: Int)
    -> (loss: Double, gradient: [Float], probabilities: [Float]) {
    var g = [Float](repeating: .nan, count: logits.count)
    var p = [Float](repeating: .nan, count: logits.count)
    let value = logits.withUnsafeBufferPointer { z in labels.withUnsafeBufferPointer { y in
        g.withUnsafeMutableBufferPointer { gp in p.withUnsafeMutableBufferPointer { pp in
            loss.evaluate(logits: z.baseAddress!, labels: y.baseAddress!, batch: labels.count,
                          classes: k, probabilities: pp.baseAddress!, logitsGradient: gp.baseAddress!)
        } }
    } }
    return (value, g, p)
}

final class LossTests: XCTestCase {
    /// The loss each fixture case describes, built by the Swift types.
    func make(_ c: LossFixture.Case, counts: [Int]) throws -> Loss {
        let p = c.parameters
        switch c.name {
        case "cross-entropy": return CrossEntropyLoss()
        case "class-weighted": return CrossEntropyLoss(classWeights: classWeightsBalanced(counts))
        case "focal": return FocalLoss(gamma: p["gamma"]!)
        case "class-balanced":
            return WeightedCrossEntropyLoss(classWeights: ClassBalance.effectiveNumberWeights(classCounts: counts, beta: p["beta"]!))
        case "class-balanced-focal":
            return FocalLoss(gamma: p["gamma"]!,
                             classWeights: ClassBalance.effectiveNumberWeights(classCounts: counts, beta: p["beta"]!))
        case "LDAM": return LDAMLoss(classCounts: counts, maxMargin: p["maxMargin"]!, scale: p["scale"]!)
        case "LDAM-reweighted":
            return LDAMLoss(classCounts: counts, maxMargin: p["maxMargin"]!, scale: p["scale"]!,
                            classWeights: ClassBalance.effectiveNumberWeights(classCounts: counts, beta: p["beta"]!))
        case "logit-adjusted": return LogitAdjustedLoss.logitAdjusted(classCounts: counts, tau: p["tau"]!)
        case "balanced-softmax": return LogitAdjustedLoss.balancedSoftmax(classCounts: counts)
        default: throw XCTSkip("no Swift loss for fixture case \(c.name)")
        }
    }

    /// scikit-learn's "balanced" weights, as the class-weighted method computes them
    /// (`classWeights(counts:)` of ImbalanceData, which this module does not import).
    func classWeightsBalanced(_ counts: [Int]) -> [Float] {
        let total = Double(counts.reduce(0, +))
        return counts.map { Float(total / (Double(counts.count) * Double($0))) }
    }

    /// Every loss against PyTorch. Tolerances: the losses of the shared kernel compute in
    /// Double from the same float32 logits as PyTorch's float64 run, so the loss agrees to
    /// 1e-12 relative and the gradient, rounded once to Float, to 1e-7 of max(1, |g|).
    /// Cross-entropy (the baseline's kernel, unchanged) sums exp in Float: 1e-6.
    func testLossesMatchPyTorch() throws {
        let f = try LossFixture.load()
        let logits = f.logits.map(Float.init)
        XCTAssertEqual(logits.map(Double.init), f.logits, "the fixture's logits are exact in Float")
        XCTAssertGreaterThanOrEqual(f.cases.count, 16)
        for c in f.cases {
            let loss = try make(c, counts: f.classCounts)
            let r = runLoss(loss, logits: logits, labels: f.labels, classes: f.classes)
            let legacy = loss is CrossEntropyLoss
            let lossTolerance = legacy ? 1e-6 : 1e-12
            let gradTolerance = legacy ? 1e-6 : 1e-7
            let label = "\(c.name) \(c.parameters)"
            XCTAssertEqual(r.loss, c.loss, accuracy: lossTolerance * max(1, abs(c.loss)), label)
            for (i, (a, b)) in zip(r.gradient, c.gradient).enumerated() {
                XCTAssertEqual(Double(a), b, accuracy: gradTolerance * max(1, abs(b)), "\(label) dL/dz[\(i)]")
            }
        }
    }

    /// The finite-difference checker over every loss type, on the fixture's logits and on
    /// random ones, including a focal gamma below 1 (where (1 - p)^(gamma - 1) is large).
    ///
    /// Bound 2e-4 of max(1, |g|): central differences at h = 1e-3 (the step actually taken)
    /// of a Double loss leave the truncation h^2/6 * |L'''|, largest for LDAM, whose scale
    /// s = 30 enters L''' as s^3 (up to ~1e-4 relative); the analytic gradient is rounded
    /// once to Float (6e-8); cross-entropy's kernel takes exp in Float, whose rounding (~1e-7
    /// of the perturbed row's term) over 2h is of order 1e-5, up to ~1e-4 where one row
    /// carries most of the class weight. A wrong term errs by far more.
    func testEveryLossPassesTheGradientCheck() throws {
        let f = try LossFixture.load()
        var rng = RandomStream(seed: 4)
        let random = (0..<(f.batch * f.classes)).map { _ in 6 * rng.uniformFloat() - 3 }
        var losses: [Loss] = try f.cases.map { try make($0, counts: f.classCounts) }
        losses.append(FocalLoss(gamma: 0.3))
        for loss in losses {
            for logits in [f.logits.map(Float.init), random] {
                let worst = LossGradientCheck.worstRelativeError(of: loss, logits: logits, labels: f.labels,
                                                                 classes: f.classes)
                XCTAssertLessThan(worst, 2e-4, loss.name)
            }
        }
    }

    /// gamma = 0 is cross-entropy: the focal path is not taken, so the kernel does exactly
    /// the arithmetic of plain cross-entropy (zero offsets), bit for bit; against the
    /// baseline's own kernel, which sums in Float, the agreement is to Float precision.
    func testFocalWithGammaZeroIsCrossEntropy() throws {
        let f = try LossFixture.load()
        let z = f.logits.map(Float.init)
        let focal = runLoss(FocalLoss(gamma: 0), logits: z, labels: f.labels, classes: f.classes)
        let plain = runLoss(LogitAdjustedLoss(offsets: [Double](repeating: 0, count: f.classes)),
                        logits: z, labels: f.labels, classes: f.classes)
        XCTAssertEqual(focal.loss.bitPattern, plain.loss.bitPattern)
        XCTAssertEqual(focal.gradient.map(\.bitPattern), plain.gradient.map(\.bitPattern))
        let ce = runLoss(CrossEntropyLoss(), logits: z, labels: f.labels, classes: f.classes)
        XCTAssertEqual(focal.loss, ce.loss, accuracy: 1e-6)
        for (a, b) in zip(focal.gradient, ce.gradient) { XCTAssertEqual(a, b, accuracy: 1e-6) }
        for (a, b) in zip(focal.probabilities, ce.probabilities) { XCTAssertEqual(a, b, accuracy: 1e-6) }
    }

    /// Balanced softmax (z + log n) and the logit-adjusted loss with tau = 1 (z + log pi)
    /// are one loss: the offsets differ by log sum n for every class. The two sums differ
    /// only in rounding (1e-12).
    func testBalancedSoftmaxIsLogitAdjustedWithTauOne() throws {
        let f = try LossFixture.load()
        let z = f.logits.map(Float.init)
        let a = runLoss(LogitAdjustedLoss.balancedSoftmax(classCounts: f.classCounts), logits: z, labels: f.labels, classes: f.classes)
        let b = runLoss(LogitAdjustedLoss.logitAdjusted(classCounts: f.classCounts, tau: 1), logits: z, labels: f.labels, classes: f.classes)
        XCTAssertEqual(a.loss, b.loss, accuracy: 1e-12)
        // The gradients are Double values that differ in their last bits, rounded once to
        // Float: at most one ulp apart (7.5e-9 at |g| <= 1/8); 1e-7.
        for (x, y) in zip(a.gradient, b.gradient) { XCTAssertEqual(x, y, accuracy: 1e-7) }
        // Both report the network's own softmax, not that of the adjusted logits.
        XCTAssertEqual(a.probabilities, b.probabilities)
        let ce = runLoss(CrossEntropyLoss(), logits: z, labels: f.labels, classes: f.classes)
        // Cross-entropy's kernel sums expf in Float (~1e-7 in log Z), as in
        // testFocalWithGammaZeroIsCrossEntropy: probabilities <= 1 agree to ~2e-7; 1e-6.
        for (x, y) in zip(a.probabilities, ce.probabilities) { XCTAssertEqual(x, y, accuracy: 1e-6) }
    }

    /// Cui et al.'s weights: sum to K, beta = 0 uniform (the loss is then plain
    /// cross-entropy), beta -> 1 inverse frequency, an empty class 0.
    func testEffectiveNumberWeights() {
        let counts = [500, 120, 40, 12, 3]
        let w = ClassBalance.effectiveNumberWeights(classCounts: counts, beta: 0.9999)
        XCTAssertEqual(w.reduce(0, +), 5, accuracy: 1e-12)
        XCTAssertTrue(zip(w, w.dropFirst()).allSatisfy { $0 < $1 }, "rarer classes weigh more: \(w)")
        XCTAssertEqual(ClassBalance.effectiveNumberWeights(classCounts: counts, beta: 0), [1, 1, 1, 1, 1])
        let nearOne = ClassBalance.effectiveNumberWeights(classCounts: counts, beta: 1 - 1e-9)
        let inverse = counts.map { 1 / Double($0) }
        let scale = 5 / inverse.reduce(0, +)
        for (a, b) in zip(nearOne, inverse) { XCTAssertEqual(a, b * scale, accuracy: 1e-4 * b * scale) }
        XCTAssertEqual(ClassBalance.effectiveNumberWeights(classCounts: [10, 0, 10], beta: 0.5), [1, 0, 1])
    }

    /// Delta_j proportional to n_j^(-1/4), the largest 0.5 (the rarest class).
    func testLDAMMargins() {
        let m = LDAMLoss.margins(classCounts: [10_000, 625, 16, 0], maxMargin: 0.5)
        XCTAssertEqual(m[2], 0.5, accuracy: 1e-15)
        XCTAssertEqual(m[1], 0.5 * 2 / 5, accuracy: 1e-15)    // (16 / 625)^(1/4) = 2/5
        XCTAssertEqual(m[0], 0.5 * 2 / 10, accuracy: 1e-15)   // (16 / 10000)^(1/4) = 1/5
        XCTAssertEqual(m[3], 0.5, "an empty class gets the largest margin; it never occurs as a label")
    }

    /// A confident, correct row adds almost nothing to the focal loss and its gradient, and
    /// a row with p_y = 1 in Double (logit gap of 800) gives exactly 0, not NaN.
    func testFocalLossOnConfidentRows() {
        let loss = FocalLoss(gamma: 0.5)
        let r = runLoss(loss, logits: [800, 0, 0, 10, 0, 0], labels: [0, 1], classes: 3)
        XCTAssertTrue(r.loss.isFinite)
        XCTAssertTrue(r.gradient.allSatisfy(\.isFinite), "\(r.gradient)")
        XCTAssertEqual(Array(r.gradient[0..<3]), [0, 0, 0])
    }

    /// The cosine classifier against PyTorch's F.normalize @ F.normalize (forward and both
    /// gradients, to Float precision), and against finite differences.
    func testCosineClassifierMatchesPyTorch() throws {
        let c = try LossFixture.load().cosineClassifier
        let n = c.inputs.count / c.features, k = c.weights.count / c.features
        let layer = CosineClassifier(name: "cos", inputs: c.features, outputs: k)
        let out = Tensor(shape: layer.outputShape(for: [n, c.features]))
        let x = Tensor(shape: [n, c.features], values: c.inputs.map(Float.init))
        for i in 0..<c.weights.count { layer.weight.value[i] = Float(c.weights[i]) }
        var ctx = ForwardContext(training: true, dropoutRNG: RandomStream(seed: 1))
        layer.forward(x, into: out, context: &ctx)
        for (a, b) in zip(out.array, c.output) { XCTAssertEqual(Double(a), b, accuracy: 1e-6) }
        let dy = Tensor(shape: [n, k], values: c.upstream.map(Float.init))
        let dx = Tensor(shape: [n, c.features])
        layer.backward(input: x, output: out, outputGradient: dy, inputGradient: dx)
        for (a, b) in zip(dx.array, c.inputGradient) { XCTAssertEqual(Double(a), b, accuracy: 1e-5 * max(1, abs(b))) }
        for (a, b) in zip(layer.weight.gradient.array, c.weightGradient) {
            XCTAssertEqual(Double(a), b, accuracy: 1e-5 * max(1, abs(b)))
        }
    }

    func testCosineClassifierGradientCheckAndInit() {
        // The checker's default step and bound (their reasons at `checkGradients`): a Float
        // forward pass, smooth away from zero norms.
        checkGradients(of: CosineClassifier(name: "cosine", inputs: 7, outputs: 4), inputShape: [3, 7],
                       step: 1e-2, tolerance: 2e-2)
        let layer = CosineClassifier(name: "c", inputs: 50, outputs: 3)
        var rng = RandomStream(seed: 2)
        layer.initialize(using: &rng)
        for j in 0..<3 {
            let row = Array(layer.weight.value.array[(j * 50)..<((j + 1) * 50)])
            // Each entry is w / Float(|w|) rounded in Float, and the squares are rounded to
            // Float here: a few roundings of 6e-8 relative, at most ~3e-7 in the sum; 1e-5.
            XCTAssertEqual(row.map { Double($0 * $0) }.reduce(0, +), 1, accuracy: 1e-5, "unit class vectors")
        }
    }
}
