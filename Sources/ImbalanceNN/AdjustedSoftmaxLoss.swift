#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif

/// The kernel the long-tail losses share: softmax cross-entropy on adjusted logits, with an
/// optional focal factor and class weights. For row i with label y:
///
///     a_j  = s * (z_j + b_j - [j == y] m_y)          (s scale, b offsets, m label margins)
///     p    = softmax(a),  log p_y = a_y - logsumexp(a),  q = 1 - p_y = sum_{j != y} p_j
///     L_i  = q^gamma * (-log p_y)                      (gamma = 0: cross-entropy)
///     loss = sum_i w_{y_i} L_i / D,   D = N (`.batch`) or sum_i w_{y_i} (`.weights`)
///
/// and dL/dz_j = s * w_y * g_i * (p_j - [j == y]) / D with
/// g_i = q^gamma - gamma * p_y * q^(gamma - 1) * log p_y (g = 1 for gamma = 0).
///
/// Everything is computed in Double and rounded once to Float: q is summed from the other
/// classes rather than taken as 1 - p_y, so a confident row (p_y within 1e-16 of 1) keeps
/// its focal factor; with q = 0 both terms of g vanish for gamma > 0 and the row contributes
/// nothing, which is the limit. The scratch row is allocated once per class count.
final class AdjustedSoftmaxKernel {
    var offsets: [Double]?
    var margins: [Double]?
    var scale: Double
    var gamma: Double
    var weights: [Double]?
    var normalization: LossNormalization
    private var row: UnsafeMutablePointer<Double>
    private var capacity: Int

    init(offsets: [Double]? = nil, margins: [Double]? = nil, scale: Double = 1,
         gamma: Double = 0, weights: [Double]? = nil, normalization: LossNormalization = .batch) {
        self.offsets = offsets; self.margins = margins; self.scale = scale; self.gamma = gamma
        self.weights = weights; self.normalization = normalization
        capacity = 16
        row = .allocate(capacity: capacity)
    }

    deinit { row.deallocate() }

    func evaluate(logits: UnsafePointer<Float>, labels: UnsafePointer<Int>, batch n: Int,
                  classes k: Int, probabilities: UnsafeMutablePointer<Float>?,
                  logitsGradient: UnsafeMutablePointer<Float>?) -> Double {
        precondition(offsets.map { $0.count == k } ?? true, "offsets for \(offsets?.count ?? 0) classes, logits have \(k)")
        precondition(margins.map { $0.count == k } ?? true, "margins for \(margins?.count ?? 0) classes, logits have \(k)")
        precondition(weights.map { $0.count == k } ?? true, "weights for \(weights?.count ?? 0) classes, logits have \(k)")
        if k > capacity {
            row.deallocate()
            row = .allocate(capacity: k)
            capacity = k
        }
        var denominator = Double(n)
        if normalization == .weights, let w = weights {
            denominator = 0
            for i in 0..<n { denominator += w[labels[i]] }
        }
        if !(denominator > 0) { denominator = 1 }
        let a = row
        var total = 0.0
        for i in 0..<n {
            let z = logits + i * k
            let y = labels[i]
            var maxa = -Double.infinity
            for j in 0..<k {
                var v = Double(z[j])
                if let b = offsets { v += b[j] }
                if j == y, let m = margins { v -= m[y] }
                v *= scale
                a[j] = v
                if v > maxa { maxa = v }
            }
            var sum = 0.0
            for j in 0..<k { sum += exp(a[j] - maxa) }
            let logZ = maxa + log(sum)
            let logP = a[y] - logZ
            let p = exp(logP)
            var q = 0.0
            for j in 0..<k where j != y { q += exp(a[j] - logZ) }
            let w = weights?[y] ?? 1
            let rowLoss: Double, g: Double
            if gamma == 0 {
                rowLoss = -logP; g = 1
            } else if q == 0 {
                rowLoss = 0; g = 0
            } else {
                rowLoss = pow(q, gamma) * -logP
                g = pow(q, gamma) - gamma * p * pow(q, gamma - 1) * logP
            }
            total += w * rowLoss
            if let dz = logitsGradient {
                let c = scale * w * g / denominator
                for j in 0..<k {
                    let pj = exp(a[j] - logZ)
                    dz[i * k + j] = Float(c * (j == y ? pj - 1 : pj))
                }
            }
            if let out = probabilities {
                var maxz = z[0]
                for j in 1..<k where z[j] > maxz { maxz = z[j] }
                var s = 0.0
                for j in 0..<k { s += exp(Double(z[j] - maxz)) }
                let logS = Double(maxz) + log(s)
                for j in 0..<k { out[i * k + j] = Float(exp(Double(z[j]) - logS)) }
            }
        }
        return total / denominator
    }
}

/// A loss the shared kernel computes; the subclasses below only configure the kernel.
public class AdjustedSoftmaxLoss: Loss {
    let kernel: AdjustedSoftmaxKernel
    public var name: String { "adjusted softmax cross-entropy" }

    init(kernel: AdjustedSoftmaxKernel) { self.kernel = kernel }

    public func evaluate(logits: UnsafePointer<Float>, labels: UnsafePointer<Int>, batch: Int,
                         classes: Int, probabilities: UnsafeMutablePointer<Float>?,
                         logitsGradient: UnsafeMutablePointer<Float>?) -> Double {
        kernel.evaluate(logits: logits, labels: labels, batch: batch, classes: classes,
                        probabilities: probabilities, logitsGradient: logitsGradient)
    }
}

/// Focal loss (Lin et al. 2017) on the softmax: L = -(1 - p_y)^gamma log p_y, averaged over
/// the batch; gamma = 0 is cross-entropy. With class weights it is the class-balanced focal
/// loss of Cui et al. 2019 (their code normalises by the batch size, `.batch`).
///
/// Cui et al.'s released code uses the sigmoid form of the focal loss; this suite's networks
/// end in a softmax, so this is the softmax form (as in the LDAM-DRW reference code's
/// `FocalLoss`, which multiplies the per-sample cross-entropy by (1 - p_y)^gamma).
public final class FocalLoss: AdjustedSoftmaxLoss {
    public let gamma: Double
    public let classWeights: [Double]?
    public let normalization: LossNormalization

    public override var name: String { classWeights == nil ? "focal(gamma=\(gamma))" : "weighted focal(gamma=\(gamma))" }

    public init(gamma: Double, classWeights: [Double]? = nil, normalization: LossNormalization = .batch) {
        precondition(gamma >= 0 && gamma.isFinite, "focal gamma must be a finite number >= 0")
        self.gamma = gamma; self.classWeights = classWeights; self.normalization = normalization
        super.init(kernel: AdjustedSoftmaxKernel(gamma: gamma, weights: classWeights, normalization: normalization))
    }
}

/// Cross-entropy with per-class weights averaged over the batch (`.batch`): the
/// class-balanced softmax cross-entropy of Cui et al. 2019 when the weights are
/// `ClassBalance.effectiveNumberWeights`. (Buda-style class weighting, which divides by the
/// sum of the weights, is `CrossEntropyLoss(classWeights:)`.)
public final class WeightedCrossEntropyLoss: AdjustedSoftmaxLoss {
    public let classWeights: [Double]
    public let normalization: LossNormalization
    public override var name: String { "weighted cross-entropy (\(normalization.rawValue) mean)" }

    public init(classWeights: [Double], normalization: LossNormalization = .batch) {
        self.classWeights = classWeights; self.normalization = normalization
        super.init(kernel: AdjustedSoftmaxKernel(weights: classWeights, normalization: normalization))
    }
}

/// LDAM (Cao et al. 2019): cross-entropy on s * (z - Delta_y e_y), with label-dependent
/// margins Delta_j = C / n_j^(1/4) and C chosen so that the largest margin is `maxMargin`,
/// exactly as the reference code (`LDAMLoss`, max_m = 0.5, s = 30). `classWeights` (nil, or
/// the class-balanced weights once deferred re-weighting starts) use PyTorch's weighted
/// mean, as the reference's `F.cross_entropy(..., weight=...)`.
///
/// The reference code pairs this loss with a cosine classifier (`CosineClassifier`), whose
/// logits lie in [-1, 1]; s = 30 assumes that scale.
public final class LDAMLoss: AdjustedSoftmaxLoss {
    public let margins: [Double]
    public let scale: Double
    public let classWeights: [Double]?
    public override var name: String { classWeights == nil ? "LDAM(s=\(scale))" : "LDAM(s=\(scale), re-weighted)" }

    /// - Parameter classCounts: n_j of the training set; a class with no examples gets the
    ///   largest margin (it never occurs as a label, so its margin is never used).
    public init(classCounts: [Int], maxMargin: Double = 0.5, scale: Double = 30,
                classWeights: [Double]? = nil) {
        let margins = Self.margins(classCounts: classCounts, maxMargin: maxMargin)
        self.margins = margins; self.scale = scale; self.classWeights = classWeights
        super.init(kernel: AdjustedSoftmaxKernel(margins: margins, scale: scale, weights: classWeights,
                                                 normalization: .weights))
    }

    /// Delta_j = maxMargin * (n_min / n_j)^(1/4) over the classes with examples: the
    /// reference's `1 / sqrt(sqrt(n)) * (max_m / max(...))`.
    public static func margins(classCounts: [Int], maxMargin: Double) -> [Double] {
        let raw = classCounts.map { $0 > 0 ? 1 / Double($0).squareRoot().squareRoot() : 0 }
        let top = raw.max() ?? 0
        guard top > 0 else { return classCounts.map { _ in maxMargin } }
        return classCounts.indices.map { classCounts[$0] > 0 ? raw[$0] * (maxMargin / top) : maxMargin }
    }
}

/// Cross-entropy on z_j + b_j for fixed per-class offsets b: the logit-adjusted loss of
/// Menon et al. 2021 (b_j = tau log pi_j) and the balanced softmax of Ren et al. 2020
/// (b_j = log n_j). With tau = 1 the two are the same loss: log n_j and log pi_j differ by
/// log sum n, the same for every class, which the softmax cancels.
public final class LogitAdjustedLoss: AdjustedSoftmaxLoss {
    public let offsets: [Double]
    private let label: String
    public override var name: String { label }

    public init(offsets: [Double], name: String = "logit-adjusted cross-entropy") {
        self.offsets = offsets; label = name
        super.init(kernel: AdjustedSoftmaxKernel(offsets: offsets))
    }

    /// Menon et al.: b_j = tau * log(n_j / sum n). A class with no examples would get
    /// -infinity; it never occurs as a label, and gets the smallest offset of the others.
    public static func logitAdjusted(classCounts: [Int], tau: Double) -> LogitAdjustedLoss {
        let total = Double(classCounts.reduce(0, +))
        return LogitAdjustedLoss(offsets: logOffsets(classCounts.map { Double($0) / total }, factor: tau),
                                 name: "logit-adjusted cross-entropy (tau=\(tau))")
    }

    /// Ren et al.: b_j = log n_j.
    public static func balancedSoftmax(classCounts: [Int]) -> LogitAdjustedLoss {
        LogitAdjustedLoss(offsets: logOffsets(classCounts.map(Double.init), factor: 1),
                          name: "balanced softmax")
    }

    static func logOffsets(_ values: [Double], factor: Double) -> [Double] {
        let logs = values.map { $0 > 0 ? factor * log($0) : Double.nan }
        let floor = logs.filter { !$0.isNaN }.min() ?? 0
        return logs.map { $0.isNaN ? floor : $0 }
    }
}

/// Class weights from class counts.
public enum ClassBalance {
    /// Cui et al. 2019, "effective number of samples": w_j = (1 - beta) / (1 - beta^n_j),
    /// normalised so that the weights of the classes with examples sum to their number (K
    /// when every class has examples), as the reference code does. beta -> 0 gives uniform
    /// weights, beta -> 1 inverse-frequency weights; beta = 0 gives exactly 1 each.
    /// A class with no examples gets 0 (it never occurs as a label).
    public static func effectiveNumberWeights(classCounts: [Int], beta: Double) -> [Double] {
        precondition(beta >= 0 && beta < 1, "beta must lie in [0, 1)")
        let raw = classCounts.map { n -> Double in
            guard n > 0 else { return 0 }
            return (1 - beta) / (1 - pow(beta, Double(n)))
        }
        let present = classCounts.filter { $0 > 0 }.count
        let sum = raw.reduce(0, +)
        guard sum > 0 else { return raw }
        return raw.map { $0 / sum * Double(present) }
    }
}
