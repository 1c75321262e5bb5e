/// Why a metric could not be computed.
///
/// The metrics throw instead of trapping because their inputs come from a long run (a
/// network's outputs, a data set's labels): a malformed batch should fail that one record
/// with a message, not take down a sweep. Undefined-but-legitimate results, such as the AUC
/// of a class that is absent from the test labels, are not errors: they are `nil`.
public enum MetricsError: Error, Sendable, Equatable, CustomStringConvertible {
    /// There must be at least one class.
    case invalidClassCount(Int)
    /// Scores are `(n, K)` row-major, so their count must be `labels.count * K`.
    case shapeMismatch(scoreCount: Int, sampleCount: Int, classCount: Int)
    /// Predictions and labels describe the same samples, so their counts must agree.
    case countMismatch(predictions: Int, labels: Int)
    /// A label or prediction outside `0..<K`.
    case classOutOfRange(sample: Int, value: Int, classCount: Int)
    /// The class whose one-vs-rest AUC was asked for is outside `0..<K`.
    case positiveClassOutOfRange(Int, classCount: Int)
    /// A NaN score has no place in a ranking; a network that emits one has diverged, and
    /// the run should be recorded as such rather than given a metric.
    case nanScore(sample: Int, class: Int)
    /// Accuracy-like metrics are ratios over samples and mean nothing for none.
    case noSamples
    /// One prior per class is needed.
    case priorCountMismatch(priors: Int, classCount: Int)
    /// Priors are probabilities: 0 (see `thresholded`) or in [2^-600, 1].
    case invalidPrior(class: Int, value: Double)
    /// All priors zero would erase every score.
    case allPriorsZero
    /// Training-set class counts cannot be negative.
    case negativeCount(class: Int, count: Int)
    /// Priors are fractions of the training set, which must not be empty.
    case emptyTrainingSet
    /// A bootstrap needs samples, resamples and a confidence level in (0, 1).
    case invalidBootstrap(String)
    /// A calibration error needs at least one confidence bin.
    case invalidBinCount(Int)

    public var description: String {
        switch self {
        case .invalidClassCount(let k):
            return "class count must be at least 1, got \(k)"
        case .shapeMismatch(let scores, let n, let k):
            return "expected \(n) x \(k) = \(n * k) scores, got \(scores)"
        case .countMismatch(let p, let l):
            return "\(p) predictions for \(l) labels"
        case .classOutOfRange(let i, let v, let k):
            return "sample \(i): class \(v) is outside 0..<\(k)"
        case .positiveClassOutOfRange(let c, let k):
            return "positive class \(c) is outside 0..<\(k)"
        case .nanScore(let i, let c):
            return "score of sample \(i), class \(c) is NaN"
        case .noSamples:
            return "no samples"
        case .priorCountMismatch(let p, let k):
            return "\(p) priors for \(k) classes"
        case .invalidPrior(let c, let v):
            return "prior of class \(c) is \(v); a prior must be 0 or in [2^-600, 1]"
        case .allPriorsZero:
            return "every prior is zero"
        case .negativeCount(let c, let n):
            return "class \(c) has a negative count \(n)"
        case .emptyTrainingSet:
            return "the training-set class counts sum to zero"
        case .invalidBootstrap(let why):
            return "invalid bootstrap: \(why)"
        case .invalidBinCount(let b):
            return "calibration needs at least 1 bin, got \(b)"
        }
    }
}

/// Checks that `scoreCount` scores and `labels` form an `(n, K)` problem with labels in range.
func checkShape(scoreCount: Int, labels: [Int], classCount: Int) throws(MetricsError) {
    guard classCount >= 1 else { throw .invalidClassCount(classCount) }
    guard scoreCount == labels.count * classCount else {
        throw .shapeMismatch(scoreCount: scoreCount, sampleCount: labels.count, classCount: classCount)
    }
    try checkClasses(labels, classCount: classCount)
}

/// Checks that every entry of `values` (labels or predictions) is a class index.
func checkClasses(_ values: [Int], classCount: Int) throws(MetricsError) {
    for (i, v) in values.enumerated() where v < 0 || v >= classCount {
        throw .classOutOfRange(sample: i, value: v, classCount: classCount)
    }
}

/// Checks that no score is NaN, which would make sorting and arg-max meaningless.
func checkNoNaN<T: BinaryFloatingPoint>(_ scores: UnsafeBufferPointer<T>, classCount: Int) throws(MetricsError) {
    for (i, s) in scores.enumerated() where s.isNaN {
        throw .nanScore(sample: i / classCount, class: i % classCount)
    }
}
