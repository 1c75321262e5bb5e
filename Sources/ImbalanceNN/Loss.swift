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

#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif
