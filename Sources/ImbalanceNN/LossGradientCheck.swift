/// Central finite differences for any `Loss`, shared by the tests of every module that
/// builds losses (the NN tests check each loss type, the training tests every loss the
/// method registry can build), as `checkGradients` does for layers.
public enum LossGradientCheck {
    /// The largest |numeric - analytic| / max(1, |numeric|, |analytic|) over all logits,
    /// with numeric = (L(z + h e) - L(z - h e)) / 2h. The loss is evaluated in Double by
    /// every loss of this module, so h = 1e-3 leaves a truncation error of order h^2.
    public static func worstRelativeError(of loss: Loss, logits: [Float], labels: [Int],
                                          classes k: Int, step h: Float = 1e-3) -> Double {
        let n = labels.count
        precondition(logits.count == n * k, "\(logits.count) logits for \(n) labels of \(k) classes")
        var z = logits
        var analytic = [Float](repeating: 0, count: n * k)
        func value(_ z: [Float]) -> Double {
            z.withUnsafeBufferPointer { zp in labels.withUnsafeBufferPointer { yp in
                loss.evaluate(logits: zp.baseAddress!, labels: yp.baseAddress!, batch: n, classes: k,
                              probabilities: nil, logitsGradient: nil)
            } }
        }
        z.withUnsafeBufferPointer { zp in labels.withUnsafeBufferPointer { yp in
            analytic.withUnsafeMutableBufferPointer { gp in
                _ = loss.evaluate(logits: zp.baseAddress!, labels: yp.baseAddress!, batch: n,
                                  classes: k, probabilities: nil, logitsGradient: gp.baseAddress!)
            }
        } }
        var worst = 0.0
        for i in 0..<(n * k) {
            let saved = z[i]
            z[i] = saved + h; let plus = value(z)
            z[i] = saved - h; let minus = value(z)
            z[i] = saved
            // The step actually taken, after rounding z +- h to Float.
            let taken = Double(saved + h) - Double(saved - h)
            let numeric = (plus - minus) / taken
            let a = Double(analytic[i])
            worst = max(worst, abs(numeric - a) / max(1, abs(numeric), abs(a)))
        }
        return worst
    }
}
