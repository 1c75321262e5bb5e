// Metrics of the arg-max decision: accuracy (the paper's thresholding comparison) and the
// imbalance-aware companions a reader of the records will want (balanced accuracy, macro
// F1, confusion matrix). Each matches scikit-learn with `labels=range(K)` so numbers can be
// cross-checked against the usual Python tooling.

/// The predicted class of every row of the `(n, K)` row-major `scores`: the arg-max, the
/// first maximum winning on ties, as numpy's `argmax`.
///
/// Ties are not hypothetical: saturated softmax outputs and rounded scores repeat exactly,
/// and a fixed rule keeps predictions reproducible.
///
/// - Throws: if `scores.count` is not a multiple of `classCount`, or a score is NaN.
public func predictions(scores: [Float], classCount: Int) throws(MetricsError) -> [Int] {
    try scores.withUnsafeBufferPointer { (buffer) throws(MetricsError) -> [Int] in
        try argmaxRows(buffer, classCount: classCount)
    }
}

/// Arg-max predictions of `Double` scores, such as thresholded ones. See the `Float`
/// overload.
public func predictions(scores: [Double], classCount: Int) throws(MetricsError) -> [Int] {
    try scores.withUnsafeBufferPointer { (buffer) throws(MetricsError) -> [Int] in
        try argmaxRows(buffer, classCount: classCount)
    }
}

/// `confusion[t][p]` counts the samples of true class `t` predicted as `p`, for all
/// `K` classes whether or not they occur (scikit-learn's `confusion_matrix` with
/// `labels=range(K)`), so matrices of different runs line up.
public func confusionMatrix(predictions: [Int], labels: [Int], classCount: Int) throws(MetricsError) -> [[Int]] {
    guard classCount >= 1 else { throw .invalidClassCount(classCount) }
    guard predictions.count == labels.count else {
        throw .countMismatch(predictions: predictions.count, labels: labels.count)
    }
    try checkClasses(labels, classCount: classCount)
    try checkClasses(predictions, classCount: classCount)
    var confusion = Array(repeating: Array(repeating: 0, count: classCount), count: classCount)
    for (t, p) in zip(labels, predictions) { confusion[t][p] += 1 }
    return confusion
}

/// Fraction of samples predicted correctly. Dominated by the majority classes when the
/// test set is imbalanced, which the protocol's test sets never are.
///
/// - Throws: `noSamples` for empty input, or a count mismatch.
public func accuracy(predictions: [Int], labels: [Int]) throws(MetricsError) -> Double {
    guard predictions.count == labels.count else {
        throw .countMismatch(predictions: predictions.count, labels: labels.count)
    }
    guard !labels.isEmpty else { throw .noSamples }
    var correct = 0
    for (p, t) in zip(predictions, labels) where p == t { correct += 1 }
    return Double(correct) / Double(labels.count)
}

/// Mean recall over the classes present in `labels`: accuracy with every class weighted
/// equally, so a classifier that ignores a minority class cannot hide behind the majority.
/// Classes absent from the labels have no recall and are left out of the mean, as in
/// scikit-learn's `balanced_accuracy_score`.
public func balancedAccuracy(predictions: [Int], labels: [Int], classCount: Int) throws(MetricsError) -> Double {
    let confusion = try confusionMatrix(predictions: predictions, labels: labels, classCount: classCount)
    guard !labels.isEmpty else { throw .noSamples }
    return balancedAccuracy(confusion: confusion)
}

/// Unweighted mean of the per-class F1 scores over all K classes, a class with neither
/// true nor predicted samples counting 0 (scikit-learn's `f1_score(average="macro",
/// zero_division=0, labels=range(K))`). Counting such a class as 0 rather than skipping it
/// keeps the denominator K, so runs whose predictions miss different classes compare fairly.
public func macroF1(predictions: [Int], labels: [Int], classCount: Int) throws(MetricsError) -> Double {
    let confusion = try confusionMatrix(predictions: predictions, labels: labels, classCount: classCount)
    guard !labels.isEmpty else { throw .noSamples }
    return PerClassRates(confusion: confusion).macroF1
}

/// Per-class precision, recall and F1 of a confusion matrix, with 0 wherever a ratio would
/// be 0/0 (scikit-learn's `precision_recall_fscore_support(zero_division=0)`), so the
/// values are always finite and serialisable.
public struct PerClassRates: Sendable, Equatable, Codable {
    /// `tp / (tp + fp)`: of the samples predicted as the class, the fraction that are.
    public var precision: [Double]
    /// `tp / (tp + fn)`: of the samples of the class, the fraction found.
    public var recall: [Double]
    /// `2 tp / (2 tp + fp + fn)`, the harmonic mean of precision and recall.
    public var f1: [Double]

    /// Reads the rates off `confusion[true][predicted]`, a square matrix (internal so that
    /// only matrices built by `confusionMatrix` reach it).
    init(confusion: [[Int]]) {
        let k = confusion.count
        var precision = Array(repeating: 0.0, count: k)
        var recall = Array(repeating: 0.0, count: k)
        var f1 = Array(repeating: 0.0, count: k)
        for c in 0..<k {
            let tp = confusion[c][c]
            let trueCount = confusion[c].reduce(0, +)
            let predictedCount = confusion.reduce(0) { $0 + $1[c] }
            if predictedCount > 0 { precision[c] = Double(tp) / Double(predictedCount) }
            if trueCount > 0 { recall[c] = Double(tp) / Double(trueCount) }
            if trueCount + predictedCount > 0 { f1[c] = Double(2 * tp) / Double(trueCount + predictedCount) }
        }
        self.precision = precision
        self.recall = recall
        self.f1 = f1
    }

    /// Mean of `f1` over all classes.
    public var macroF1: Double { f1.isEmpty ? 0 : f1.reduce(0, +) / Double(f1.count) }
}

/// Per-class precision, recall and F1 of the predictions, for all K classes.
public func perClassRates(predictions: [Int], labels: [Int], classCount: Int) throws(MetricsError) -> PerClassRates {
    PerClassRates(confusion: try confusionMatrix(predictions: predictions, labels: labels, classCount: classCount))
}

// MARK: - Implementation

/// Balanced accuracy of a confusion matrix with at least one sample.
func balancedAccuracy(confusion: [[Int]]) -> Double {
    var sum = 0.0
    var present = 0
    for (c, row) in confusion.enumerated() {
        let trueCount = row.reduce(0, +)
        guard trueCount > 0 else { continue }
        sum += Double(row[c]) / Double(trueCount)
        present += 1
    }
    return present == 0 ? 0 : sum / Double(present)
}

/// Row-wise arg-max, first maximum winning.
func argmaxRows<T: BinaryFloatingPoint>(_ scores: UnsafeBufferPointer<T>, classCount: Int) throws(MetricsError) -> [Int] {
    guard classCount >= 1 else { throw .invalidClassCount(classCount) }
    guard scores.count % classCount == 0 else {
        throw .shapeMismatch(scoreCount: scores.count, sampleCount: scores.count / classCount, classCount: classCount)
    }
    try checkNoNaN(scores, classCount: classCount)
    let n = scores.count / classCount
    var result = [Int](repeating: 0, count: n)
    for i in 0..<n {
        let row = i * classCount
        var best = 0
        var bestValue = scores[row]
        for k in 1..<classCount where scores[row + k] > bestValue {
            best = k
            bestValue = scores[row + k]
        }
        result[i] = best
    }
    return result
}
