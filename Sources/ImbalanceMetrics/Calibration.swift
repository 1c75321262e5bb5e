// Calibration: whether a network's confidence means what it says. Imbalance tilts a
// network's outputs towards the majority classes; resampling and thresholding tilt them
// back, and the expected calibration error shows by how much confidence and accuracy then
// disagree.

/// Top-label expected calibration error (Guo et al. 2017) of `(n, K)` row-major class
/// probabilities, with `bins` equal-width bins (15 by default, as Guo et al.).
///
/// Each sample's confidence is its largest probability and its prediction that class (the
/// first maximum on ties, as `predictions`). Bin b (b = 1...M) holds the samples whose
/// confidence lies in ((b − 1)/M, b/M], the boundaries computed as (b − 1)/M and b/M in
/// Double; a confidence of exactly 0 goes to the first bin. Then
///
///     ECE = Σ_b (|B_b| / n) · |acc(B_b) − conf(B_b)|
///
/// with acc the fraction of correct predictions and conf the mean confidence in the bin;
/// empty bins contribute nothing. 0 means perfectly calibrated; the maximum is below 1.
///
/// Rows are taken as given: pass probabilities (softmax outputs, or
/// `priorCorrectedProbabilities` for thresholded decisions), not rescaled scores.
///
/// - Throws: `invalidBinCount` for fewer than 1 bin; on a shape mismatch, a label outside
///   `0..<classCount`, a NaN, or `noSamples`.
public func expectedCalibrationError<T: BinaryFloatingPoint>(probabilities: [T], labels: [Int], classCount: Int,
                                                             bins: Int = 15) throws(MetricsError) -> Double {
    guard bins >= 1 else { throw .invalidBinCount(bins) }
    try checkShape(scoreCount: probabilities.count, labels: labels, classCount: classCount)
    guard !labels.isEmpty else { throw .noSamples }
    let predicted = try probabilities.withUnsafeBufferPointer { (b) throws(MetricsError) -> [Int] in
        try argmaxRows(b, classCount: classCount)
    }
    var count = [Int](repeating: 0, count: bins)
    var correct = [Int](repeating: 0, count: bins)
    var confidenceSum = [Double](repeating: 0, count: bins)
    let m = Double(bins)
    for i in labels.indices {
        let confidence = Double(probabilities[i * classCount + predicted[i]])
        var b = min(bins - 1, max(0, Int((confidence * m).rounded(.up)) - 1))
        while b > 0 && confidence <= Double(b) / m { b -= 1 }
        while b < bins - 1 && confidence > Double(b + 1) / m { b += 1 }
        count[b] += 1
        if predicted[i] == labels[i] { correct[b] += 1 }
        confidenceSum[b] += confidence
    }
    let n = Double(labels.count)
    var ece = 0.0
    for b in 0..<bins where count[b] > 0 {
        let size = Double(count[b])
        ece += size / n * abs(Double(correct[b]) / size - confidenceSum[b] / size)
    }
    return ece
}

/// The probabilities thresholding implies: each row of `thresholded(scores:priors:)`
/// (p_j / π_j, and 0 for a class with prior 0) divided by its sum, the posterior under a
/// uniform class prior. Its arg-max is thresholding's decision, so its top-label ECE is the
/// calibration of the thresholded classifier. A row whose thresholded scores are all 0
/// (every probability on classes with prior 0) becomes uniform.
public func priorCorrectedProbabilities(scores: [Float], priors: [Double]) throws(MetricsError) -> [Double] {
    var q = try thresholded(scores: scores, priors: priors)
    let k = priors.count
    for row in stride(from: 0, to: q.count, by: k) {
        var sum = 0.0
        for j in 0..<k { sum += q[row + j] }
        if sum > 0 {
            for j in 0..<k { q[row + j] /= sum }
        } else {
            for j in 0..<k { q[row + j] = 1 / Double(k) }
        }
    }
    return q
}
