// One-vs-rest ROC AUC, the paper's main metric (PROTOCOL.md, Metrics).
//
// The AUC is computed as the Mann-Whitney statistic rather than by integrating a ROC curve:
// it is the probability that a random positive scores above a random negative, ties
// counting one half. That is a ratio of integers, so it is computed in integers and
// rounded once; the result is the correctly rounded exact value, with no dependence on
// summation order. scikit-learn's trapezoidal integration gives the same number up to a
// few ulps.

/// The one-vs-rest AUCs of every class and their mean.
///
/// A class's AUC is undefined when the test labels hold none of it or nothing but it; the
/// mean is then taken over the classes that are defined, and `definedClassCount` says how
/// many that was, so a reader can tell a 10-class mean from a 9-class one. (The protocol
/// never makes the test set imbalanced, so with a full test set every class is defined.)
public struct MultiClassAUC: Sendable, Equatable, Codable {
    /// Mean of the defined per-class AUCs; `nil` when no class is defined.
    public var mean: Double?
    /// AUC of class `k`'s score column against "label == k"; `nil` where undefined.
    public var perClass: [Double?]

    /// How many classes entered `mean`.
    public var definedClassCount: Int { perClass.reduce(0) { $0 + ($1 == nil ? 0 : 1) } }

    /// Bundles given values; `multiClassAUC` is the usual way to get one.
    public init(mean: Double?, perClass: [Double?]) {
        self.mean = mean
        self.perClass = perClass
    }
}

/// One-vs-rest ROC AUC of class `positive`: how well column `positive` of the `(n, K)`
/// row-major `scores` ranks the samples labelled `positive` above all others.
///
/// Ties count one half (average ranks), as in the Mann-Whitney statistic, so a constant
/// column scores exactly 0.5. Only the order of the column matters, which is why rescaling
/// a column by a positive constant (thresholding) cannot change it.
///
/// - Returns: `nil` when the labels contain no positive or no negative, where the AUC is
///   undefined (scikit-learn returns NaN with a warning there).
/// - Throws: on a shape mismatch, a label or `positive` outside `0..<classCount`, or a NaN
///   in the column.
/// - Complexity: O(n log n) for n samples.
public func rocAUC(scores: [Float], labels: [Int], positive: Int, classCount: Int) throws(MetricsError) -> Double? {
    try checkShape(scoreCount: scores.count, labels: labels, classCount: classCount)
    return try scores.withUnsafeBufferPointer { (buffer) throws(MetricsError) -> Double? in
        var entries: [RankedScore] = []
        return try columnAUC(buffer, labels: labels, column: positive, classCount: classCount, entries: &entries)
    }
}

/// One-vs-rest ROC AUC of class `positive` for `Double` scores, such as thresholded ones.
/// See the `Float` overload.
public func rocAUC(scores: [Double], labels: [Int], positive: Int, classCount: Int) throws(MetricsError) -> Double? {
    try checkShape(scoreCount: scores.count, labels: labels, classCount: classCount)
    return try scores.withUnsafeBufferPointer { (buffer) throws(MetricsError) -> Double? in
        var entries: [RankedScore] = []
        return try columnAUC(buffer, labels: labels, column: positive, classCount: classCount, entries: &entries)
    }
}

/// The one-vs-rest AUC of every class of the `(n, K)` row-major `scores`, and their mean.
///
/// When every class appears in `labels` and K > 2, `mean` equals scikit-learn's
/// `roc_auc_score(labels, scores, multi_class="ovr", average="macro")`, which also scores
/// class k by column k alone. For K = 2 scikit-learn instead returns the binary AUC of
/// column 1; `perClass[1]` is that number, and the mean equals it when column 0 ranks the
/// samples in exactly the reverse order (as an exact two-way softmax does). Rows need not
/// sum to one (scikit-learn insists they do), so thresholded scores are accepted.
///
/// - Throws: on a shape mismatch, a label outside `0..<classCount`, or a NaN score.
/// - Complexity: O(K n log n).
public func multiClassAUC(scores: [Float], labels: [Int], classCount: Int) throws(MetricsError) -> MultiClassAUC {
    try checkShape(scoreCount: scores.count, labels: labels, classCount: classCount)
    return try scores.withUnsafeBufferPointer { (buffer) throws(MetricsError) -> MultiClassAUC in
        try allColumnsAUC(buffer, labels: labels, classCount: classCount)
    }
}

/// The one-vs-rest AUCs of `Double` scores, such as thresholded ones. See the `Float`
/// overload.
public func multiClassAUC(scores: [Double], labels: [Int], classCount: Int) throws(MetricsError) -> MultiClassAUC {
    try checkShape(scoreCount: scores.count, labels: labels, classCount: classCount)
    return try scores.withUnsafeBufferPointer { (buffer) throws(MetricsError) -> MultiClassAUC in
        try allColumnsAUC(buffer, labels: labels, classCount: classCount)
    }
}

// MARK: - Implementation

/// A score and whether its sample belongs to the positive class. Scores are widened to
/// Double, which is exact for Float, so ties are exactly those of the input.
struct RankedScore {
    var value: Double
    var isPositive: Bool
}

/// All per-class AUCs of a validated `(n, K)` buffer, sharing one sort buffer.
func allColumnsAUC<T: BinaryFloatingPoint>(_ scores: UnsafeBufferPointer<T>, labels: [Int],
                                           classCount: Int) throws(MetricsError) -> MultiClassAUC {
    try checkNoNaN(scores, classCount: classCount)
    var entries: [RankedScore] = []
    var perClass: [Double?] = []
    perClass.reserveCapacity(classCount)
    for k in 0..<classCount {
        perClass.append(try columnAUC(scores, labels: labels, column: k, classCount: classCount, entries: &entries))
    }
    let defined = perClass.compactMap { $0 }
    let mean = defined.isEmpty ? nil : defined.reduce(0, +) / Double(defined.count)
    return MultiClassAUC(mean: mean, perClass: perClass)
}

/// The AUC of one column of a shape-checked buffer; `entries` is scratch space reused
/// across columns.
func columnAUC<T: BinaryFloatingPoint>(_ scores: UnsafeBufferPointer<T>, labels: [Int], column: Int,
                                       classCount: Int, entries: inout [RankedScore]) throws(MetricsError) -> Double? {
    guard column >= 0 && column < classCount else {
        throw .positiveClassOutOfRange(column, classCount: classCount)
    }
    entries.removeAll(keepingCapacity: true)
    entries.reserveCapacity(labels.count)
    for (i, label) in labels.enumerated() {
        let s = scores[i * classCount + column]
        if s.isNaN { throw .nanScore(sample: i, class: column) }
        entries.append(RankedScore(value: Double(s), isPositive: label == column))
    }
    return mannWhitneyAUC(&entries)
}

/// The Mann-Whitney AUC of `entries` (sorted in place), or `nil` without both classes.
///
/// Twice the U statistic is accumulated in integers: every positive earns 2 per negative
/// strictly below it and 1 per negative tied with it. The single division at the end is the
/// only rounding. Exact while n²/2 < 2^53 (n below about 10^8), far beyond any test set here.
func mannWhitneyAUC(_ entries: inout [RankedScore]) -> Double? {
    var positives = 0
    for e in entries where e.isPositive { positives += 1 }
    let negatives = entries.count - positives
    guard positives > 0, negatives > 0 else { return nil }

    entries.sort { $0.value < $1.value }
    var twiceU = 0
    var negativesBelow = 0
    var start = 0
    while start < entries.count {
        let value = entries[start].value
        var end = start
        var groupPositives = 0
        while end < entries.count && entries[end].value == value {
            if entries[end].isPositive { groupPositives += 1 }
            end += 1
        }
        let groupNegatives = (end - start) - groupPositives
        twiceU += groupPositives * (2 * negativesBelow + groupNegatives)
        negativesBelow += groupNegatives
        start = end
    }
    return Double(twiceU) / (2 * Double(positives) * Double(negatives))
}
