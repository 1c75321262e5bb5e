#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif

// Post-hoc logit adjustment (Menon et al. 2021): decide argmax_j z_j - tau log pi_j from the
// logits z of a network trained as usual. With softmax outputs p_j = exp(z_j) / Z the rule
// is argmax_j p_j / pi_j^tau, because Z is the same for every class of a row. With tau = 1
// that is Buda's thresholding, p_j / pi_j, and the functions below then return exactly what
// `thresholded(scores:priors:)` and `evaluate(scores:labels:classCount:thresholdingPriors:)`
// return: the same arithmetic, not merely the same mathematics. As with thresholding, only
// decisions change: each column is moved by a per-class constant, so every one-vs-rest AUC
// is the one of the raw scores (and is computed from them).

/// The scores on which logit adjustment with `tau` decides: `thresholded(scores:priors:)`
/// for tau = 1; the raw scores (as Double) for tau = 0; otherwise
/// log(p_j) - tau * log(pi_j), in Double.
///
/// The log domain keeps every quotient finite for any tau (pi_j^tau can leave Double's
/// range) and keeps the order and the ties of each column: distinct Float scores differ by
/// at least 2^-24 relative, far more than Double's rounding of their logarithms, and the
/// per-column constant is added to every score of the column alike. A zero score becomes
/// -infinity (it can win only a row of zeros, as under thresholding, where the first class
/// wins). A class with prior 0 never occurred in training; as under thresholding it gets
/// the lowest possible score (-infinity) for tau > 0.
///
/// - Precondition: tau is finite and >= 0 (the method registry checks `tau` before a job
///   starts).
/// - Throws: any error of `thresholded(scores:priors:)` (shape, priors, NaN scores).
public func logitAdjusted(scores: [Float], priors: [Double], tau: Double) throws(MetricsError) -> [Double] {
    precondition(tau.isFinite && tau >= 0, "logit adjustment needs a finite tau >= 0, got \(tau)")
    // The validation of thresholding (shapes, prior bounds, NaN), whatever tau is.
    let quotients = try thresholded(scores: scores, priors: priors)
    if tau == 1 { return quotients }
    if tau == 0 { return scores.map(Double.init) }
    let k = priors.count
    let shift = priors.map { $0 > 0 ? tau * log($0) : Double.infinity }
    var result = [Double](repeating: 0, count: scores.count)
    for (i, s) in scores.enumerated() {
        let c = shift[i % k]
        result[i] = c.isInfinite || s <= 0 ? -.infinity : log(Double(s)) - c
    }
    return result
}

/// `evaluate(scores:labels:classCount:minorityClasses:)` with decisions by logit adjustment
/// with `tau` (AUCs and average precisions from the raw scores; the calibration error of the
/// adjusted probabilities, p_j / pi_j^tau renormalised). For tau = 1 it is
/// `evaluate(scores:labels:classCount:thresholdingPriors:minorityClasses:)` exactly.
public func evaluate(scores: [Float], labels: [Int], classCount: Int,
                     logitAdjustmentPriors priors: [Double], tau: Double,
                     minorityClasses: [Int] = []) throws(MetricsError) -> ClassificationReport {
    if tau == 1 {
        return try evaluate(scores: scores, labels: labels, classCount: classCount, thresholdingPriors: priors,
                            minorityClasses: minorityClasses)
    }
    try checkShape(scoreCount: scores.count, labels: labels, classCount: classCount)
    guard !labels.isEmpty else { throw .noSamples }
    guard priors.count == classCount else {
        throw .priorCountMismatch(priors: priors.count, classCount: classCount)
    }
    let ranking = try rankingMetrics(scores: scores, labels: labels, classCount: classCount)
    let adjusted = try logitAdjusted(scores: scores, priors: priors, tau: tau)
    let decided = try predictions(scores: adjusted, classCount: classCount)
    // Probabilities of the adjusted decision: the row's softmax of the adjusted log-scores
    // (tau = 0: the scores themselves).
    var probabilities = [Double](repeating: 0, count: adjusted.count)
    for row in stride(from: 0, to: adjusted.count, by: classCount) {
        if tau == 0 {
            for j in 0..<classCount { probabilities[row + j] = adjusted[row + j] }
            continue
        }
        var top = -Double.infinity
        for j in 0..<classCount { top = max(top, adjusted[row + j]) }
        if top == -.infinity {
            for j in 0..<classCount { probabilities[row + j] = 1 / Double(classCount) }
            continue
        }
        var sum = 0.0
        for j in 0..<classCount { sum += exp(adjusted[row + j] - top) }
        for j in 0..<classCount { probabilities[row + j] = exp(adjusted[row + j] - top) / sum }
    }
    let ece = try expectedCalibrationError(probabilities: probabilities, labels: labels, classCount: classCount,
                                           bins: calibrationBins)
    return try report(ranking: ranking, predictions: decided, labels: labels, classCount: classCount,
                      thresholded: tau != 0, calibrationError: ece, minorityClasses: minorityClasses)
}
