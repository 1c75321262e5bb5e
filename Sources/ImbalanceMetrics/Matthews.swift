/// The multi-class Matthews correlation coefficient (Gorodkin 2004) of a confusion matrix
/// `confusion[true][predicted]`, as scikit-learn's `matthews_corrcoef`.
///
/// With s the sample count, c the correct count (the trace), t_k the true count of class k
/// (row sums) and p_k its predicted count (column sums):
///
///     MCC = (c·s − Σ_k p_k t_k) / √((s² − Σ_k p_k²)(s² − Σ_k t_k²))
///
/// It is 1 for perfect predictions, 0 for predictions no better than chance, and can go
/// down to a negative minimum that depends on the class distribution; for K = 2 it is the
/// usual φ coefficient. When a factor under the root is 0 (every sample in one true class,
/// or every prediction the same class) the ratio is 0/0 and the result is 0, as in
/// scikit-learn. The numerator and both factors are exact integers (s² stays far below
/// 2^63 for any test set); the one division and square root are the only roundings.
///
/// Unlike accuracy it does not reward predicting the majority: a classifier that always
/// answers the largest class scores 0 whatever that class's share.
///
/// - Throws: `invalidClassCount` for an empty matrix, `shapeMismatch` when it is not
///   square, `negativeCount` for a negative entry, `noSamples` when it sums to zero.
public func matthewsCorrelation(confusion: [[Int]]) throws(MetricsError) -> Double {
    try checkConfusion(confusion)
    let k = confusion.count
    var s = 0, c = 0, sumPT = 0, sumP2 = 0, sumT2 = 0
    var predicted = [Int](repeating: 0, count: k)
    for (t, row) in confusion.enumerated() {
        var trueCount = 0
        for (p, v) in row.enumerated() {
            trueCount += v
            predicted[p] += v
            if p == t { c += v }
        }
        s += trueCount
        sumT2 += trueCount * trueCount
    }
    guard s > 0 else { throw .noSamples }
    for (t, row) in confusion.enumerated() {
        sumPT += predicted[t] * row.reduce(0, +)
        sumP2 += predicted[t] * predicted[t]
    }
    let numerator = c * s - sumPT
    let predictedFactor = s * s - sumP2
    let trueFactor = s * s - sumT2
    guard predictedFactor > 0, trueFactor > 0 else { return 0 }
    return Double(numerator) / (Double(predictedFactor) * Double(trueFactor)).squareRoot()
}

/// MCC of arg-max predictions; see `matthewsCorrelation(confusion:)`.
public func matthewsCorrelation(predictions: [Int], labels: [Int], classCount: Int) throws(MetricsError) -> Double {
    try matthewsCorrelation(confusion: try confusionMatrix(predictions: predictions, labels: labels,
                                                           classCount: classCount))
}

/// Checks that `confusion` is a non-empty square matrix of non-negative counts.
func checkConfusion(_ confusion: [[Int]]) throws(MetricsError) {
    let k = confusion.count
    guard k >= 1 else { throw .invalidClassCount(0) }
    for (t, row) in confusion.enumerated() {
        guard row.count == k else {
            throw .shapeMismatch(scoreCount: row.count, sampleCount: 1, classCount: k)
        }
        for v in row where v < 0 { throw .negativeCount(class: t, count: v) }
    }
}
