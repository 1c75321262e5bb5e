#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif

/// The one contract every training loss follows: logits (N, K) and N labels in, the batch
/// loss out, and dL/dlogits (N, K) written when asked. Like a layer, a loss owns whatever
/// scratch it needs and allocates nothing per call, so the training loop can call it every
/// step; like a layer's backward, the gradient is written (overwriting), never accumulated.
///
/// `probabilities`, when given, receives softmax(logits) (N, K): the network's prediction,
/// which the trainer uses for its training-accuracy curve. Losses that adjust the logits
/// internally (margins, offsets, a scale) still report the softmax of the logits the
/// network produced, never of the adjusted ones.
///
/// Every conforming type is checked against central finite differences by
/// `LossGradientCheck` (the tests run it over every loss the method registry can build).
public protocol Loss: AnyObject {
    /// Short name for messages and records.
    var name: String { get }
    /// logits (N, K) row-major, labels (N) in 0..<K -> the loss; any output may be nil.
    func evaluate(logits: UnsafePointer<Float>, labels: UnsafePointer<Int>, batch: Int,
                  classes: Int, probabilities: UnsafeMutablePointer<Float>?,
                  logitsGradient: UnsafeMutablePointer<Float>?) -> Double
}

/// How a weighted batch loss is averaged.
public enum LossNormalization: String, Sendable, Equatable {
    /// sum_i w[y_i] L_i / N: what Cui et al.'s class-balanced code (TensorFlow's
    /// SUM_BY_NONZERO_WEIGHTS with one weight per sample) and every unweighted mean do.
    case batch
    /// sum_i w[y_i] L_i / sum_i w[y_i]: PyTorch's `cross_entropy(weight=...)` mean, used by
    /// the LDAM-DRW reference code and by the class-weighted cross-entropy of this suite.
    case weights
}

/// Softmax cross-entropy, optionally class-weighted with PyTorch's weighted mean
/// (`LossNormalization.weights`): the loss of the baseline and of Buda et al.'s methods.
///
/// It runs `SoftmaxCrossEntropy.evaluate`, the fused kernel every record before the method
/// registry was trained with, unchanged, so those records keep their bits.
public final class CrossEntropyLoss: Loss {
    public let classWeights: [Float]?
    public var name: String { classWeights == nil ? "cross-entropy" : "class-weighted cross-entropy" }

    public init(classWeights: [Float]? = nil) { self.classWeights = classWeights }

    public func evaluate(logits: UnsafePointer<Float>, labels: UnsafePointer<Int>, batch: Int,
                         classes: Int, probabilities: UnsafeMutablePointer<Float>?,
                         logitsGradient: UnsafeMutablePointer<Float>?) -> Double {
        SoftmaxCrossEntropy.evaluate(logits: logits, labels: labels, batch: batch, classes: classes,
                                     classWeights: classWeights, probabilities: probabilities,
                                     logitsGradient: logitsGradient)
    }
}

/// Softmax followed by cross-entropy, fused for numerical stability (log-sum-exp with the
/// row maximum subtracted).
///
/// With class weights w, the loss is sum_i w[y_i] * CE_i / sum_i w[y_i] (PyTorch's
/// convention for a weighted mean); without them it is the plain batch mean (Caffe's
/// VALID normalisation when no label is ignored).
public enum SoftmaxCrossEntropy {
    /// logits (N, K) -> probabilities (N, K), returns the loss and writes dL/dlogits.
    /// Any buffer may be nil when not needed.
    @discardableResult
    public static func evaluate(logits: UnsafePointer<Float>, labels: UnsafePointer<Int>,
                                batch n: Int, classes k: Int, classWeights: [Float]? = nil,
                                probabilities: UnsafeMutablePointer<Float>?,
                                logitsGradient: UnsafeMutablePointer<Float>?) -> Double {
        var total = 0.0
        var weightSum = 0.0
        for i in 0..<n {
            let row = logits + i * k
            var maxv = row[0]
            for j in 1..<k where row[j] > maxv { maxv = row[j] }
            var sum = 0.0
            for j in 0..<k { sum += Double(expf(row[j] - maxv)) }
            let y = Int(labels[i])
            let logZ = Double(maxv) + log(sum)
            let w = Double(classWeights?[y] ?? 1)
            total += w * (logZ - Double(row[y]))
            weightSum += w
            if let p = probabilities {
                for j in 0..<k { p[i * k + j] = Float(exp(Double(row[j]) - logZ)) }
            }
        }
        let norm = weightSum > 0 ? weightSum : 1
        if let g = logitsGradient {
            for i in 0..<n {
                let row = logits + i * k
                let y = Int(labels[i])
                var maxv = row[0]
                for j in 1..<k where row[j] > maxv { maxv = row[j] }
                var sum: Float = 0
                for j in 0..<k { sum += expf(row[j] - maxv) }
                let w = Float(Double(classWeights?[y] ?? 1) / norm)
                for j in 0..<k {
                    let p = expf(row[j] - maxv) / sum
                    g[i * k + j] = w * (p - (j == y ? 1 : 0))
                }
            }
        }
        return total / norm
    }
}
