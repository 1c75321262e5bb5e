// Thresholding, method 5 of the protocol: at test time divide each softmax output y_i(x)
// by the class prior p(i) = |C_i| / sum_k |C_k| of the imbalanced training set, counted
// before any resampling, then take the arg-max. A network trained on imbalanced data
// learns posteriors tilted by the priors; dividing by them undoes the tilt.
//
// Thresholding changes decisions only. Dividing a column by a positive constant keeps its
// order, so every one-vs-rest AUC is unchanged; `evaluate` therefore always takes AUCs from
// the original scores and uses the thresholded ones only for the arg-max.

/// Class priors `p(i) = counts[i] / sum(counts)` from the training-set class counts.
///
/// Count on the imbalanced training set before any resampling, as the protocol asks: after
/// oversampling the counts are flat and the adjustment would do nothing; after
/// undersampling they are flat too, which is why RUS + thresholding is usually harmful.
///
/// A zero count gives a zero prior; see `thresholded` for what that means.
///
/// - Throws: `negativeCount`, or `emptyTrainingSet` when the counts sum to zero.
public func priors(fromCounts counts: [Int]) throws(MetricsError) -> [Double] {
    var total = 0
    for (c, n) in counts.enumerated() {
        guard n >= 0 else { throw .negativeCount(class: c, count: n) }
        total += n
    }
    guard total > 0 else { throw .emptyTrainingSet }
    return counts.map { Double($0) / Double(total) }
}

/// The `(n, K)` row-major scores with each column divided by its prior, `K = priors.count`.
///
/// The quotients are Double. Widening a Float score is exact, and a Double quotient of two
/// distinct Floats by the same positive prior can never round to the same value (Float
/// values differ by at least 2^-24 relative, Double rounding moves by at most 2^-53), so
/// the order and the ties within each column are exactly those of the input: AUCs computed
/// from these scores equal those of the original bit for bit. A Float quotient would not
/// give that guarantee: neighbouring Floats can round to one quotient, creating new ties.
///
/// A class with prior 0 never occurred in training, so the network has no basis for its
/// score and dividing by 0 would make it win every arg-max (or produce NaN from 0/0). Its
/// thresholded score is set to 0 instead: it can only be predicted when every other score
/// of the row is 0 too (then the first class wins). Its column then no longer ranks the
/// samples, another reason AUCs are taken from the original scores.
///
/// Priors are probabilities, so each must be 0 or in [2^-600, 1]; the lower bound (far
/// below 1 / Int.max, the smallest prior `priors(fromCounts:)` can give) keeps every
/// quotient of a Float inside Double's normal range, where the guarantee above holds.
///
/// - Throws: `shapeMismatch` if `scores.count` is not a multiple of `priors.count`,
///   `invalidPrior` for a prior outside those bounds (negative, NaN, infinite, above 1),
///   `allPriorsZero`, or `nanScore`.
public func thresholded(scores: [Float], priors: [Double]) throws(MetricsError) -> [Double] {
    let k = priors.count
    guard k >= 1 else { throw .invalidClassCount(0) }
    guard scores.count % k == 0 else {
        throw .shapeMismatch(scoreCount: scores.count, sampleCount: scores.count / k, classCount: k)
    }
    var anyPositive = false
    for (c, p) in priors.enumerated() {
        guard p == 0 || (p >= smallestPrior && p <= 1) else { throw .invalidPrior(class: c, value: p) }
        if p > 0 { anyPositive = true }
    }
    guard anyPositive else { throw .allPriorsZero }

    var result = [Double](repeating: 0, count: scores.count)
    for (i, s) in scores.enumerated() {
        guard !s.isNaN else { throw .nanScore(sample: i / k, class: i % k) }
        let p = priors[i % k]
        if p > 0 { result[i] = Double(s) / p }
    }
    return result
}

/// The smallest positive prior `thresholded` accepts: Float.greatestFiniteMagnitude / 2^-600
/// is still far below Double.greatestFiniteMagnitude.
let smallestPrior = 0x1p-600
